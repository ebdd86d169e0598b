"""The search for one plan: solve, simulate, raise where it misses, trim while it meets.

1. **Solve** the program (`milp`) for the analytic requirement (`requirement`).
2. **Simulate** the crews on the prepared replications (common random numbers: every candidate
   sees the same contacts) and judge them (`judge`, with safety margins of `MARGIN_SE`
   standard errors on the window figures and `HOUR_MARGIN_SE` on each judged hour).
3. **Raise** where they miss: a realtime channel's requirement goes up in the UTC hours that
   miss (all its hours when none stands out), by one more agent each round it misses again; an
   async channel's work is scaled up. Re-solve and go to 2, at most `MAX_RAISE_ROUNDS` times.
   When raising no longer changes the crews (bounds reached, or no shift covers the hours),
   the plan cannot meet its targets: the best crews found are returned with what fails.
4. **Trim**: the formula and the hourly program over-staff where the window target allows a
   weak hour or a shared crew pools work. Shift by shift, dearest agent first, remove agents
   while the plan still meets its targets (one, then twice as many after each success, back
   to one after a miss), until a full pass removes nobody: then removing any one agent misses
   a target.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from coverage.calendar import utc_hour_of_week
from coverage.optimize.columns import Position, shift_columns, sized_plan
from coverage.optimize.judge import Failure, judge
from coverage.optimize.milp import ShiftColumn, Solution, solve
from coverage.optimize.requirement import Requirement, build_requirement
from coverage.simulation.evaluate import PreparedPlan, evaluate_roster
from coverage.units import SECONDS_PER_HOUR

# The search's margins over the contract's "meets" [standard errors]. A plan trimmed to the edge
# of its own seed misses on another seed about half the time; an edge figure with margin m misses
# an independent seed with probability about Φ(−m/√2): 1.7% for the window (3), 8% per edge hour
# (2; an agent lifts a whole shift, so few hours sit at the edge).
MARGIN_SE = 3.0
HOUR_MARGIN_SE = 2.0
MAX_WORKLOAD_RATIO = 0.97  # async crew groups: workload below 97% of available time (run: 100%)
MAX_RAISE_ROUNDS = 25
ASYNC_RAISE = 1.2  # async work scaled by this on each miss
MAX_STUCK_ROUNDS = 4  # raises in a row that leave the crews unchanged: give up

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PlanSearch:
    """Outcome of the search for one plan (before the confirmation runs)."""

    positions: list[Position]
    agents: np.ndarray  # chosen crew per position
    meets: bool  # meets on the search seed (with the margin)
    failures: list[Failure]
    planned_cost: float  # labour + premiums + seats of the chosen crews over the window
    lp_relaxation: float  # the first (analytic) program without integrality: bounds only that
    # program's integer cost, not the sized plan's (simulation moves crews) [currency]
    raise_rounds: int
    evaluations: int
    solver_s: float
    mip_gap: float | None
    stop: str  # what ended the search, for people


def _plan_cost(columns: list[ShiftColumn], seat_cost: np.ndarray, agents: np.ndarray) -> float:
    labour = float(sum(c.cost * n for c, n in zip(columns, agents, strict=True)))
    seats = 0.0
    for s, price in enumerate(seat_cost):
        duty = [c.duty * n for c, n in zip(columns, agents, strict=True) if c.site == s]
        seats += price * float(np.max(np.sum(duty, axis=0))) if duty and price > 0 else 0.0
    return labour + seats


def _raise(
    need: Requirement,
    failures: list[Failure],
    prepared: PreparedPlan,
    misses: dict[str, int],
) -> Requirement:
    names = list(prepared.scenario.channels)
    realtime = need.realtime_agents.copy()
    work = need.async_work_hours.copy()
    n_hours = realtime.shape[1]
    hour_of_week = utc_hour_of_week(
        np.arange(n_hours) * SECONDS_PER_HOUR, prepared.timeline.start_utc
    ).astype(np.int64)
    for failure in failures:
        misses[failure.channel] = misses.get(failure.channel, 0) + 1
        if failure.kind in ("workload", "backlog"):  # a crew group: "email+social"
            for name in failure.channel.split("+"):
                work[names.index(name)] *= ASYNC_RAISE
            continue
        c = names.index(failure.channel)
        if prepared.scenario.channels[failure.channel].mode == "async":
            work[c] *= ASYNC_RAISE
            continue
        demand = realtime[c] > 0
        hours = np.isin(hour_of_week, failure.hours) & demand if failure.hours else demand
        if not hours.any():
            hours = demand
        realtime[c, hours] += misses[failure.channel]
    return replace(need, realtime_agents=realtime, async_work_hours=work)


def search_plan(
    prepared: PreparedPlan,
    *,
    max_agents: int,
    start: np.ndarray | None = None,
    progress: Progress | None = None,
    time_limit_s: float = 30.0,
    pool: ProcessPoolExecutor | None = None,
) -> PlanSearch:
    """Size the prepared plan (see the module docstring); `start` skips to trimming from it.

    `pool` (`coverage.simulation.evaluate.evaluation_pool` of `prepared`) spreads each
    candidate's replications over worker processes; the result does not depend on it.
    """
    scenario = prepared.scenario
    plan = scenario.plans[prepared.plan]
    columns, seat_cost, where = shift_columns(prepared, max_agents)
    lower = np.array([c.lower for c in columns])
    evaluations = 0
    solver_s = 0.0

    def failures_of(agents: np.ndarray) -> list[Failure]:
        nonlocal evaluations
        evaluations += 1
        evaluation = evaluate_roster(prepared, sized_plan(plan, where, agents), pool=pool)
        return judge(
            scenario,
            evaluation,
            margin_se=MARGIN_SE,
            hour_margin_se=HOUR_MARGIN_SE,
            plan=plan,
            timeline=prepared.timeline,
            max_ratio=MAX_WORKLOAD_RATIO,
        )

    need = build_requirement(prepared)
    relaxed = solve(columns, seat_cost, need, integral=False, time_limit_s=time_limit_s)
    solver_s += relaxed.solve_s
    lp_relaxation = relaxed.crew_cost  # comparable with the program cost: no slack penalty
    gap: float | None = None
    rounds = 0
    stop = "trimmed: removing any one agent misses a target"
    if start is None:
        misses: dict[str, int] = {}
        stuck = 0
        solution: Solution = solve(columns, seat_cost, need, time_limit_s=time_limit_s)
        solver_s += solution.solve_s
        agents = solution.agents
        gap = solution.gap
        failures = failures_of(agents)
        while failures and rounds < MAX_RAISE_ROUNDS:
            rounds += 1
            if progress:
                shown = "; ".join(f.describe() for f in failures[:2])
                progress(f"{prepared.plan}: round {rounds}, raising: {shown}")
            need = _raise(need, failures, prepared, misses)
            solution = solve(columns, seat_cost, need, time_limit_s=time_limit_s)
            solver_s += solution.solve_s
            gap = solution.gap
            if np.array_equal(solution.agents, agents):
                stuck += 1  # the raise fell inside existing cover, or bounds/shifts stop it
                if stuck >= MAX_STUCK_ROUNDS:
                    stop = "bounds or shifts: raising the requirement no longer changes the crews"
                    break
                continue
            stuck = 0
            agents = solution.agents
            failures = failures_of(agents)
        if failures:
            if rounds >= MAX_RAISE_ROUNDS:
                stop = f"gave up after {rounds} raise rounds"
            return PlanSearch(
                where, agents, False, failures, _plan_cost(columns, seat_cost, agents),
                lp_relaxation, rounds, evaluations, solver_s, gap, stop,
            )  # fmt: skip
    else:
        agents = np.asarray(start, dtype=np.int64)
        failures = failures_of(agents)
        if failures:
            raise RuntimeError("the warm start does not meet the targets")
    agents = _trim(agents, lower, columns, failures_of, prepared.plan, progress)
    return PlanSearch(
        where, agents, True, [], _plan_cost(columns, seat_cost, agents), lp_relaxation, rounds,
        evaluations, solver_s, gap, stop,
    )  # fmt: skip


def _trim(
    agents: np.ndarray,
    lower: np.ndarray,
    columns: list[ShiftColumn],
    failures_of: Callable[[np.ndarray], list[Failure]],
    plan: str,
    progress: Progress | None,
) -> np.ndarray:
    agents = agents.copy()
    per_agent = np.array([c.cost for c in columns])
    order = [int(j) for j in np.argsort(-per_agent, kind="stable")]
    changed = True
    passes = 0
    while changed:
        changed = False
        passes += 1
        for j in order:
            step = 1  # the program is usually close: try one agent, double the step on success
            while agents[j] - lower[j] >= 1:
                step = min(step, int(agents[j] - lower[j]))
                trial = agents.copy()
                trial[j] -= step
                if not failures_of(trial):
                    agents = trial
                    changed = True
                    step *= 2
                elif step > 1:
                    step = 1
                else:
                    break
        if progress:
            progress(f"{plan}: trim pass {passes}, {int(agents.sum())} agents")
    return agents

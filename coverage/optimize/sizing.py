"""Size plans to their targets: the in-process API the CLI, the app and capacity planning call.

``size_plans(scenario)`` sizes every plan (or `plans`) with `coverage.optimize.search`, then
runs the sized scenario exactly as `coverage-sim run` does on the optimizer's seed (the cost and
service figures it reports) and on an **independent seed** (``seed + 1``: every random stream
differs), judging both with the contract's definition of "meets" (`coverage.optimize.judge`,
no margin). Hand-written plans named by the scenario's `hand_plans` are run on the same seed for
the equal-service comparison.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coverage.errors import ScenarioError
from coverage.optimize.judge import judge
from coverage.optimize.search import PlanSearch, search_plan
from coverage.results.figures import to_dict
from coverage.scenario.model import Scenario, dump_scenario_yaml, load_scenario, scenario_from_text
from coverage.settings import DEFAULT_ENGINE, MAX_AGENTS_PER_PLAN
from coverage.simulation.evaluate import evaluate_roster, evaluation_pool, prepare_plan
from coverage.simulation.replications import RunResult, run_scenario
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR

Progress = Callable[[str], None]
SAME_DEMAND_FIELDS = (
    "horizon", "warmup_hours", "warmup_weeks", "regions", "segments", "demand", "automation",
)  # fmt: skip
TARGET_FIELDS = {"target", "max_abandon_rate"}  # may differ: sized plans can aim elsewhere


@dataclass(frozen=True)
class PlanSizing:
    """One sized plan: its crews, what it costs and whether it meets its targets."""

    plan: str
    crews: tuple[tuple[str, int, int], ...]  # (site, shift index, agents), file order
    meets: bool  # on the optimizer's seed, with the search margin
    confirmed: bool  # on the independent seed, contract definition (no margin)
    failures: tuple[str, ...]  # on the optimizer's seed
    confirm_failures: tuple[str, ...]  # on the independent seed
    cost: dict[str, Any]  # as `run` reports it, optimizer's seed
    confirm_cost: dict[str, Any]  # as `run` reports it, independent seed
    channels: dict[str, dict[str, Any]]  # per channel: target and both seeds' figures
    lp_relaxation_per_month: float  # the analytic program without integrality; not a bound on
    # the sized plan's cost [currency/month]
    planned_per_month: float  # the program's cost of the crews (no overtime) [currency/month]
    raise_rounds: int
    evaluations: int  # rosters simulated (each over every replication)
    solver_s: float
    mip_gap: float | None
    stop: str


@dataclass(frozen=True)
class SizingResult:
    """Every sized plan, the sized scenario, the hand plans' figures and what the search cost."""

    scenario: Scenario  # sized: no auto left, candidate shifts expanded; runnable
    plans: dict[str, PlanSizing]
    hand: dict[str, dict[str, Any]]  # plan → {"cost": …, "channels": {name: service level}}
    replications: int
    seed: int
    confirm_seed: int
    simulations: int  # plan-replications simulated, confirmation runs included
    solver_s: float
    wall_s: float
    cpu_s: float  # this process and its worker processes

    @property
    def meets(self) -> bool:
        """Every plan meets its targets on the optimizer's seed."""
        return all(p.meets for p in self.plans.values())


def _cpu_s() -> float:
    """CPU time of this process and of its finished children (the evaluation workers) [s]."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def check_sizable(scenario: Scenario) -> None:
    """ScenarioError for input the optimizer cannot take (target shares must be in (0, 1])."""
    for name, channel in scenario.channels.items():
        if channel.target.share <= 0:
            raise ScenarioError(
                f"channels.{name}.target.share",
                f"must be above 0 to size for it, got {channel.target.share}",
            )


def _window_months(result: RunResult) -> float:
    return result.timeline.window_s / SECONDS_PER_HOUR / HOURS_PER_MONTH


def _hand_figures(
    scenario: Scenario, hand: Scenario | None, names: list[str], replications: int, seed: int
) -> dict:
    if hand is None:
        if scenario.hand_plans is None or scenario.base_dir is None:
            return {}
        path = Path(scenario.hand_plans)
        hand = load_scenario(path if path.is_absolute() else Path(scenario.base_dir) / path)
    differ = [key for key in SAME_DEMAND_FIELDS if getattr(hand, key) != getattr(scenario, key)]
    if {n: c.model_dump(exclude=TARGET_FIELDS) for n, c in hand.channels.items()} != {
        n: c.model_dump(exclude=TARGET_FIELDS) for n, c in scenario.channels.items()
    }:
        differ.append("channels")
    if differ:
        raise ScenarioError(
            "hand_plans", f"{scenario.hand_plans}: its {', '.join(differ)} differ from this file's"
        )
    common = [n for n in names if n in hand.plans]
    if not common:
        return {}
    result = run_scenario(hand, replications=replications, seed=seed, plans=common)
    return {
        n: {
            "cost": to_dict(result.plans[n].cost),
            "channels": {c: f.service_level for c, f in result.plans[n].channels.items()},
            "agents": sum(s.agents for site in hand.plans[n].sites.values() for s in site.shifts),
        }
        for n in common
    }


def size_plans(
    scenario: Scenario,
    plans: Sequence[str] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: str = DEFAULT_ENGINE,
    workers: int = 1,
    max_agents: int = MAX_AGENTS_PER_PLAN,
    progress: Progress | None = None,
    starts: dict[str, np.ndarray] | None = None,
    hand: Scenario | None = None,
) -> SizingResult:
    """Choose the cheapest crews for every `auto` shift so each plan meets its targets.

    Parameters
    ----------
    scenario : Scenario
        Shifts with ``agents: auto`` or ``{min, max}`` are sized; fixed shifts stay.
    plans : sequence of str, optional
        Plans to size (default: all); the sized scenario holds only these.
    replications, seed : int, optional
        Default: the scenario's. The confirmation uses ``seed + 1``.
    workers : int
        Processes: each candidate's replications are spread over them (forked workers that
        inherit the drawn contacts), as are the confirmation runs. The result does not depend
        on it.
    progress : callable, optional
        Called with one line of text at each step of the search.
    starts : dict, optional
        Plan → crews to start trimming from (skips the program; they must meet the targets).
    hand : Scenario, optional
        Hand-written plans to compare with (same demand); default: the scenario's `hand_plans`.

    Returns
    -------
    SizingResult
    """
    wall0, cpu0 = time.perf_counter(), _cpu_s()
    n_reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    names = list(scenario.plans) if not plans else list(dict.fromkeys(plans))  # each once
    for name in names:
        if name not in scenario.plans:
            raise ScenarioError("--plan", f"no plan {name!r} (plans: {', '.join(scenario.plans)})")
    check_sizable(scenario)
    searches: dict[str, PlanSearch] = {}
    from coverage.optimize.columns import sized_plan

    for name in names:
        if progress:
            progress(f"{name}: drawing {n_reps} replications (seed {seed})")
        prepared = prepare_plan(scenario, name, replications=n_reps, seed=seed, engine=engine)
        with evaluation_pool(prepared, workers) as pool:
            searches[name] = search_plan(
                prepared,
                max_agents=max_agents,
                start=(starts or {}).get(name),
                progress=progress,
                pool=pool,
            )
    sized = scenario.model_copy(
        update={
            "plans": {
                n: sized_plan(scenario.plans[n], searches[n].positions, searches[n].agents)
                for n in names
            },
            "hand_plans": None,
            # the sizing's seed and replications: `run` on optimized.yaml reproduces its figures
            "seed": seed,
            "replications": n_reps,
        }
    )
    sized = scenario_from_text(dump_scenario_yaml(sized), base_dir=scenario.base_dir)
    confirm_seed = seed + 1
    if progress:
        progress(f"confirming: run on seed {seed} and on the independent seed {confirm_seed}")
    runs = {
        s: run_scenario(sized, replications=n_reps, seed=s, engine=engine, workers=workers)
        for s in (seed, confirm_seed)
    }
    out: dict[str, PlanSizing] = {}
    for name in names:
        found = searches[name]
        prepared = prepare_plan(sized, name, replications=n_reps, seed=confirm_seed, engine=engine)
        confirm = judge(
            sized,
            evaluate_roster(prepared, sized.plans[name]),
            plan=sized.plans[name],
            timeline=prepared.timeline,
        )
        months = _window_months(runs[seed])
        channels = {
            c: {
                "target_share": ch.target.share,
                "scope": ch.target.scope or "window",
                "max_abandon_rate": ch.max_abandon_rate,
                "service_level": runs[seed].plans[name].channels[c].service_level,
                "abandon_rate": runs[seed].plans[name].channels[c].abandon_rate,
                "confirm_service_level": runs[confirm_seed].plans[name].channels[c].service_level,
                "confirm_abandon_rate": runs[confirm_seed].plans[name].channels[c].abandon_rate,
            }
            for c, ch in scenario.channels.items()
        }
        out[name] = PlanSizing(
            plan=name,
            crews=tuple(
                (s, j, int(n)) for (s, j), n in zip(found.positions, found.agents, strict=True)
            ),
            meets=found.meets,
            confirmed=not confirm,
            failures=tuple(f.describe() for f in found.failures),
            confirm_failures=tuple(f.describe() for f in confirm),
            cost=to_dict(runs[seed].plans[name].cost),
            confirm_cost=to_dict(runs[confirm_seed].plans[name].cost),
            channels=channels,
            lp_relaxation_per_month=found.lp_relaxation / months,
            planned_per_month=found.planned_cost / months,
            raise_rounds=found.raise_rounds,
            evaluations=found.evaluations,
            solver_s=found.solver_s,
            mip_gap=found.mip_gap,
            stop=found.stop,
        )
    hand_figures = _hand_figures(scenario, hand, names, n_reps, seed)
    simulations = sum(p.evaluations for p in out.values()) * n_reps + 3 * len(names) * n_reps
    return SizingResult(
        scenario=sized,
        plans=out,
        hand=hand_figures,
        replications=n_reps,
        seed=seed,
        confirm_seed=confirm_seed,
        simulations=simulations,
        solver_s=sum(p.solver_s for p in out.values()),
        wall_s=time.perf_counter() - wall0,
        cpu_s=_cpu_s() - cpu0,
    )

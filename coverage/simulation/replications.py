"""Replications: the only place seeds are laid out over replications, and where plans are
compared.

Replication r runs the per-replication pipeline (`coverage.simulation.pipeline`): its contacts
are drawn once, from streams keyed by (seed, r, demand entry, purpose), and every plan is
simulated on those same contacts — common random numbers, so a difference between plans is the
plans' and not noise. Replications are independent and may run in a process pool; the result is
identical to a serial run because each replication depends only on (seed, r).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coverage.calendar import Timeline, build_timeline
from coverage.demand.arrivals import check_contact_budget
from coverage.errors import ScenarioError
from coverage.results.costs import summarize_costs
from coverage.results.figures import (
    ChannelFigures,
    CrewGroupSustainability,
    PlanCost,
    ReplicationFigures,
    channel_row,
    cost_row,
)
from coverage.results.hourly import HourlyCounts, HourlySum
from coverage.results.metrics import summarize_channel
from coverage.results.sustainability import (
    channel_backlogs,
    summarize_sustainability,
)
from coverage.results.tally import warm_up as warm_up_tally
from coverage.scenario.model import Scenario
from coverage.scenario.sizing import unsized_shift_paths
from coverage.settings import DEFAULT_ENGINE, ENGINES, MAX_CONTACTS_PER_REPLICATION
from coverage.simulation.pipeline import (
    RunSetup,
    engine_function,
    plan_names,
    prepare_run,
    simulate_replication,
)
from coverage.simulation.roster import MAX_AGENTS_PER_PLAN, Roster, check_agent_budget
from coverage.simulation.workers import worker_pool

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "MAX_CONTACTS_PER_REPLICATION",
    "PlanResult",
    "RunResult",
    "default_workers",
    "engine_function",
    "run_scenario",
]


@dataclass(frozen=True)
class PlanResult:
    """Everything measured for one plan across replications.

    Attributes
    ----------
    channels : dict of str to ChannelFigures
        Per channel, the means over replications and their ci95 (the JSON's ``channels``).
    cost : PlanCost
        Means over replications [currency, h] (the JSON's ``cost``).
    occupancy : float or None
        The plan's occupancy, mean over replications [0–1].
    per_replication : pandas.DataFrame
        One row per replication × channel: ``rep``, ``channel`` and the ChannelFigures fields.
    cost_per_replication : pandas.DataFrame
        One row per replication: ``rep`` and the PlanCost fields but ``by_site``.
    hourly : pandas.DataFrame
        Counts per channel, region and UTC hour of the week, summed over replications.
    """

    channels: dict[str, ChannelFigures]
    cost: PlanCost
    occupancy: float | None
    per_replication: pd.DataFrame
    cost_per_replication: pd.DataFrame
    hourly: pd.DataFrame
    sustainability: list[CrewGroupSustainability] = field(default_factory=list)


@dataclass(frozen=True)
class _Measured:
    """What a replication keeps of one plan: small enough to send back from a worker."""

    figures: ReplicationFigures
    cost: PlanCost
    hourly: HourlyCounts | None  # None once added to the run's `HourlySum`
    backlog: dict[str, Any]


@dataclass(frozen=True)
class RunResult:
    """A scenario run: every plan over the same replications."""

    scenario: Scenario
    replications: int
    seed: int
    engine: str
    plans: dict[str, PlanResult]
    rosters: dict[str, Roster]
    timeline: Timeline
    timing: dict[str, float] = field(default_factory=dict)


def _replication(
    setup: RunSetup, seed: int, r: int, engine: str
) -> tuple[dict[str, _Measured], dict[str, float]]:
    """Replication `r` through the pipeline, keeping only what `_combine` needs (small to send
    back from a worker process)."""
    out: dict[str, _Measured] = {}
    timing = {"draw_s": 0.0, "simulate_s": 0.0, "metrics_s": 0.0}
    for rep in simulate_replication(setup, seed=seed, replication=r, engine=engine):
        out[rep.plan] = _Measured(rep.figures, rep.cost, rep.counts, rep.backlog)
        timing["draw_s"] += rep.draw_s
        timing["simulate_s"] += rep.simulate_s
        timing["metrics_s"] += rep.metrics_s
        del rep  # before the next plan is simulated: one plan's per-contact arrays at a time
    return out, timing


def _replication_chunk(
    args: tuple[Any, ...],
) -> list[tuple[dict[str, _Measured], dict[str, float]]]:
    setup, seed, reps, engine = args
    return [_replication(setup, seed, r, engine) for r in reps]


def default_workers() -> int:
    """Worker processes for replications: every core this process may use.

    Returns
    -------
    int
        Cores in the CPU affinity set (at least 1) [processes].
    """
    return max(
        1,
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
    )


def run_scenario(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    plans: Sequence[str] | None = None,
    engine: str = DEFAULT_ENGINE,
    workers: int = 1,
    threads: int = 1,
    max_contacts: int = MAX_CONTACTS_PER_REPLICATION,
    max_agents: int = MAX_AGENTS_PER_PLAN,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Simulate `plans` (default: all) over `replications` seeded replications.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario; every shift must have a number of agents (not ``auto``).
    replications : int, optional
        Default: the scenario's.
    seed : int, optional
        Default: the scenario's. With it, every result is fixed.
    plans : sequence of str, optional
        Plans to simulate (default: all, in file order).
    engine : str
        ``"fast"`` (default) or ``"simpy"``; both give identical results.
    workers : int
        Processes for replications; 1 runs serially in this process. The result does not
        depend on it.
    threads : int
        With one worker process: threads running replications side by side in this process
        (the compiled kernels release the GIL, so two threads use two cores for most of a
        replication). For a process that must not fork, such as the app's server. The result
        does not depend on it.
    max_contacts : int
        Refuse a scenario expecting more contacts per replication [contacts].
    max_agents : int
        Refuse a plan rostering more distinct agents [agents].
    progress : callable, optional
        Called as ``progress(done, total)`` after each replication (serial runs) or chunk.

    Returns
    -------
    RunResult
        Per plan, the channel figures and cost (means and 95% intervals over replications), the
        per-replication tables and hourly counts; the rosters, timeline and timing [s].

    Raises
    ------
    ScenarioError
        Unknown plan or engine, a shift still ``auto``, or a run over the limits.
    """
    n_reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    if n_reps < 1:
        raise ScenarioError("replications", f"must be at least 1, got {n_reps}")
    names = plan_names(scenario, plans)
    engine_function(engine)  # fail early on an unknown engine
    unsized = unsized_shift_paths(scenario, names)
    if unsized:
        raise ScenarioError(
            unsized[0],
            "still auto (or bounds): size the plan with `coverage-sim optimize` first "
            "(its --out writes optimized.yaml, which runs)",
        )
    start = time.perf_counter()
    timeline = build_timeline(scenario)
    check_contact_budget(scenario, timeline, limit=max_contacts)
    check_agent_budget(scenario, limit=max_agents, plans=names)
    setup = prepare_run(scenario, names)
    reps = list(range(n_reps))
    results: list[tuple[dict[str, _Measured], dict[str, float]]] = []
    hourly = {name: HourlySum(scenario) for name in names}  # summed as replications arrive
    if workers > 1 and n_reps > 1:
        warm_up_tally()
        chunks = [reps[i::workers] for i in range(workers) if reps[i::workers]]
        by_rep: dict[int, Any] = {}
        with worker_pool(len(chunks), engine=engine) as pool:
            pending = [
                pool.submit(_replication_chunk, (setup, seed, c, engine)) for c in chunks
            ]
            for chunk, job in zip(chunks, pending, strict=True):
                for r, res in zip(chunk, job.result(), strict=True):
                    by_rep[r] = res
                if progress:
                    progress(len(by_rep), n_reps)
        results = [_keep_small(by_rep.pop(r), hourly) for r in reps]
    elif threads > 1 and n_reps > 1:
        warm_up_tally()  # every kernel loaded before the threads start (prepare_run: inputs)
        if engine == "fast":
            from coverage.simulation.fast_engine import warm_up as warm_up_engine

            warm_up_engine()
        with ThreadPoolExecutor(min(threads, n_reps), thread_name_prefix="replication") as pool:
            done = pool.map(lambda r: _replication(setup, seed, r, engine), reps)
            for r, result in enumerate(done, start=1):  # in replication order: same sums
                results.append(_keep_small(result, hourly))
                if progress:
                    progress(r, n_reps)
    else:
        for r in reps:
            results.append(_keep_small(_replication(setup, seed, r, engine), hourly))
            if progress:
                progress(r + 1, n_reps)
    timing = {
        key: float(sum(t[key] for _, t in results)) for key in ("draw_s", "simulate_s", "metrics_s")
    }
    plan_results = {
        name: _combine(
            scenario,
            name,
            [res[name] for res, _ in results],
            hourly[name].table(),
            setup.rosters[name],
            setup.timeline,
        )
        for name in names
    }
    timing["total_s"] = time.perf_counter() - start
    return RunResult(
        scenario=scenario,
        replications=n_reps,
        seed=seed,
        engine=engine,
        plans=plan_results,
        rosters=setup.rosters,
        timeline=setup.timeline,
        timing=timing,
    )


def _keep_small(
    result: tuple[dict[str, _Measured], dict[str, float]], hourly: dict[str, HourlySum]
) -> tuple[dict[str, _Measured], dict[str, float]]:
    """Add a replication's hourly tables to the run's sums and drop them (memory stays flat)."""
    measured, timing = result
    for name, m in measured.items():
        if m.hourly is not None:
            hourly[name].add(m.hourly)
    return {n: dataclasses.replace(m, hourly=None) for n, m in measured.items()}, timing


def _combine(
    scenario: Scenario,
    name: str,
    reps: list[_Measured],
    hourly: pd.DataFrame,
    roster: Roster,
    timeline: Timeline,
) -> PlanResult:
    channels = {}
    rows: list[dict[str, Any]] = []
    backlogs = channel_backlogs(scenario, [rep.backlog for rep in reps])
    for ch_name in scenario.channels:
        per_rep = [rep.figures.channels[ch_name] for rep in reps]
        start, end = backlogs[ch_name]
        channels[ch_name] = dataclasses.replace(
            summarize_channel(per_rep), backlog_start=start, backlog_end=end
        )
        rows.extend(
            {"rep": r, "channel": ch_name, **channel_row(fig, ci95=False)}
            for r, fig in enumerate(per_rep)
        )
    mean_offered = float(
        np.mean([sum(f.offered for f in rep.figures.channels.values()) for rep in reps])
    )
    occ_vals = [rep.figures.occupancy for rep in reps if rep.figures.occupancy is not None]
    cost_rows = [{"rep": r, **cost_row(rep.cost)} for r, rep in enumerate(reps)]
    return PlanResult(
        channels=channels,
        cost=summarize_costs([rep.cost for rep in reps], mean_offered),
        occupancy=float(np.mean(occ_vals)) if occ_vals else None,
        per_replication=pd.DataFrame(rows),
        cost_per_replication=pd.DataFrame(cost_rows),
        hourly=hourly,
        sustainability=summarize_sustainability(
            scenario, scenario.plans[name], roster, timeline, [rep.backlog for rep in reps]
        ),
    )

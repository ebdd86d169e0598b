"""Repeated evaluation: many candidate rosters of one plan on the same drawn contacts.

The optimizer simulates hundreds of rosters of one plan. Everything that does not depend on the
roster is done once by :func:`prepare_plan`: the timeline, every replication's contacts (drawn
from the same streams as `run`, so replication r is the same contacts here and there), the bot's
outcome, the queue order and routing classes of the engine input, and each queued contact's
target threshold and UTC hour of week. :func:`evaluate_roster` then only builds the roster,
fills the roster's part of the engine input, runs the (already compiled) engine and counts, per
replication, channel and UTC hour of week, what the service-level and abandonment targets need.
Every candidate sees the same contacts: common random numbers, so two rosters differ by their
agents and not by noise.

The counts follow the metric definitions of docs/results.md exactly (a test checks them against
`replication_metrics`): service level = answered within target / (offered − deflected −
short abandoned), abandon rate = (abandoned − short abandoned) / the same denominator.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from coverage.calendar import Timeline, build_timeline, utc_hour_of_week
from coverage.demand.arrivals import Contacts, draw_contacts, prepare_draws, scenario_languages
from coverage.demand.automation import apply_automation
from coverage.scenario.model import Plan, Scenario
from coverage.settings import DEFAULT_ENGINE
from coverage.simulation.dispatch import ABANDONED, ANSWERED, QueueInput, engine_input, queue_input
from coverage.simulation.input_kernels import warm_up as warm_up_inputs
from coverage.simulation.replications import engine_function
from coverage.simulation.roster import Roster, build_roster
from coverage.simulation.workers import worker_pool

HOURS_PER_WEEK = 168


@dataclass(frozen=True)
class PreparedReplication:
    """One replication's roster-independent work (queued contacts are `queue.contact`)."""

    contacts: Contacts
    queue: QueueInput  # the queued contacts and routing classes; a roster completes them
    key: np.ndarray  # int64 per queued contact: channel × 168 + UTC hour of week of arrival
    measured: np.ndarray  # bool per queued contact: arrived in the measured window
    threshold_s: np.ndarray  # float per queued contact: its target's answer_within_s [s]
    short_s: np.ndarray  # float per queued contact: its channel's short_abandon_s [s]
    queued: np.ndarray  # int64 (n_channels × 168,) measured contacts that reached the queue
    channel: np.ndarray  # int64 per queued contact
    work_s: np.ndarray  # float per queued contact: handle time ÷ its channel's concurrency [s]


@dataclass(frozen=True)
class PreparedPlan:
    """A plan ready for repeated evaluation: `replications` drawn once with `seed`."""

    scenario: Scenario
    plan: str
    seed: int
    engine: str
    timeline: Timeline
    languages: list[str]
    replications: tuple[PreparedReplication, ...]


@dataclass(frozen=True)
class Evaluation:
    """Counts of one roster, each an int64 array (replications, channels, 168 UTC hours).

    `base` is offered − deflected − short abandoned, the denominator of both rates.
    """

    within: np.ndarray
    base: np.ndarray
    abandoned: np.ndarray  # abandoned − short abandoned
    # per (replication, channel), for sustainability (coverage.results.sustainability):
    work_s: np.ndarray  # handle time ÷ concurrency of window contacts answered or unfinished [s]
    backlog_start: np.ndarray  # contacts waiting in queue at the start of the window
    backlog_end: np.ndarray  # … and at its end
    roster: Roster  # the evaluated roster

    def service_level(self) -> np.ndarray:
        """Window service level per (replication, channel); nan where nothing was offered."""
        base = self.base.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(base > 0, self.within.sum(axis=2) / np.maximum(base, 1), np.nan)

    def abandon_rate(self) -> np.ndarray:
        """Window abandon rate per (replication, channel); nan where nothing was offered."""
        base = self.base.sum(axis=2)
        return np.where(base > 0, self.abandoned.sum(axis=2) / np.maximum(base, 1), np.nan)


def prepare_plan(
    scenario: Scenario,
    plan: str,
    *,
    replications: int,
    seed: int,
    engine: str = DEFAULT_ENGINE,
) -> PreparedPlan:
    """Draw `replications` replications of `scenario` once, for rosters of `plan`.

    Replication r holds the same contacts as replication r of ``run_scenario(..., seed=seed)``.
    """
    timeline = build_timeline(scenario)
    languages = scenario_languages(scenario)
    channels = list(scenario.channels.values())
    n_channels = len(channels)
    automation = scenario.automation_for(plan)
    target_s = np.array([c.target.answer_within_s for c in channels])
    short_s = np.array([c.short_abandon_s for c in channels])
    concurrency = np.array([c.concurrency for c in channels], dtype=float)
    segment_target_s = [
        (s, seg.target.answer_within_s)
        for s, seg in enumerate(scenario.segments.values())
        if seg.target is not None
    ]
    engine_function(engine)  # fail early on an unknown engine; load it before the loop
    draws = prepare_draws(scenario, timeline)  # what no replication changes, computed once
    warm_up_inputs()  # the engine-input kernels, loaded before an evaluation pool forks
    prepared = []
    for r in range(replications):
        contacts = draw_contacts(scenario, timeline, seed=seed, replication=r, draws=draws)
        bot = apply_automation(contacts, scenario, automation)
        queue = queue_input(scenario, contacts, bot)
        q = queue.contact
        channel = contacts.channel[q].astype(np.int64)
        threshold = target_s[channel]
        for s_idx, seg_s in segment_target_s:
            threshold = np.where(contacts.segment[q] == s_idx, seg_s, threshold)
        arrived = contacts.arrived_at_s[q]
        measured = (arrived >= timeline.warmup_s) & (arrived < timeline.horizon_s)
        hour = utc_hour_of_week(arrived, timeline.start_utc).astype(np.int64)
        key = channel * HOURS_PER_WEEK + hour
        prepared.append(
            PreparedReplication(
                contacts=contacts,
                queue=queue,
                key=key,
                measured=measured,
                threshold_s=threshold,
                short_s=short_s[channel],
                queued=np.bincount(key[measured], minlength=n_channels * HOURS_PER_WEEK),
                channel=channel,
                work_s=queue.handle_s / concurrency[channel],
            )
        )
    return PreparedPlan(
        scenario=scenario,
        plan=plan,
        seed=seed,
        engine=engine,
        timeline=timeline,
        languages=languages,
        replications=tuple(prepared),
    )


def _counts(
    prepared: PreparedPlan, roster: Roster, reps: list[int]
) -> list[tuple[np.ndarray, ...]]:
    """(within, base, abandoned) by channel × hour of week, then (work_s, backlog_start,
    backlog_end) by channel, for replications `reps`."""
    simulate = engine_function(prepared.engine)
    n_channels = len(prepared.scenario.channels)
    size = n_channels * HOURS_PER_WEEK
    timeline = prepared.timeline
    out_rows = []
    for r in reps:
        prep = prepared.replications[r]
        out = simulate(engine_input(prep.queue, roster, timeline.end_s))
        joined = prep.queue.joined_at_s
        answered = out.outcome == ANSWERED
        left = out.outcome == ABANDONED
        ok = answered & (out.started_at_s - joined <= prep.threshold_s) & prep.measured
        short = left & (out.left_at_s - joined <= prep.short_s) & prep.measured
        long_left = left & ~short & prep.measured
        left_queue_s = np.where(answered, out.started_at_s, np.where(left, out.left_at_s, np.inf))
        handled = prep.measured & ~left
        backlog = [
            np.bincount(prep.channel[(joined <= t) & (left_queue_s > t)], minlength=n_channels)
            for t in (timeline.warmup_s, timeline.horizon_s)
        ]
        out_rows.append(
            (
                np.bincount(prep.key[ok], minlength=size),
                prep.queued - np.bincount(prep.key[short], minlength=size),
                np.bincount(prep.key[long_left], minlength=size),
                np.bincount(
                    prep.channel[handled], weights=prep.work_s[handled], minlength=n_channels
                ),
                *backlog,
            )
        )
    return out_rows


# A forked evaluation worker's prepared plan: inherited from the parent at fork (never pickled),
# so a call sends only the roster. Set once per worker process by `_init_worker`.
_WORKER_PLAN: PreparedPlan | None = None


def _init_worker(prepared: PreparedPlan) -> None:
    global _WORKER_PLAN
    _WORKER_PLAN = prepared


def _worker_counts(args: tuple[Roster, list[int]]) -> list[tuple[np.ndarray, ...]]:
    assert _WORKER_PLAN is not None, "an evaluation worker without its prepared plan"
    return list(_counts(_WORKER_PLAN, *args))


@contextmanager
def evaluation_pool(prepared: PreparedPlan, workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes that evaluate rosters of `prepared` (None with one worker).

    The workers are forked after the kernel is loaded and inherit the drawn contacts; they stop
    at once on an error or an interrupt (no worker tracebacks).
    """
    n = min(workers, len(prepared.replications))
    if n <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    with worker_pool(
        n, engine=prepared.engine, initializer=_init_worker, initargs=(prepared,)
    ) as pool:
        yield pool


def evaluate_roster(
    prepared: PreparedPlan, plan: Plan, *, pool: ProcessPoolExecutor | None = None
) -> Evaluation:
    """Simulate `plan` (a sized version of the prepared plan) on every prepared replication.

    With `pool` (from :func:`evaluation_pool` for the same `prepared`) the replications are
    split between its workers; the counts are the same.
    """
    scenario = prepared.scenario
    roster = build_roster(scenario, plan, prepared.timeline, prepared.languages)
    reps = list(range(len(prepared.replications)))
    if pool is None:
        rows = _counts(prepared, roster, reps)
    else:
        n = pool._max_workers  # type: ignore[attr-defined]
        chunks = [reps[i::n] for i in range(n) if reps[i::n]]
        by_rep: dict[int, tuple[np.ndarray, ...]] = {}
        for chunk, part in zip(chunks, pool.map(_worker_counts, [(roster, c) for c in chunks]),
                               strict=True):  # fmt: skip
            by_rep.update(zip(chunk, part, strict=True))
        rows = [by_rep[r] for r in reps]  # type: ignore[misc]
    shape = (len(reps), len(scenario.channels), HOURS_PER_WEEK)
    return Evaluation(
        within=np.asarray([r[0] for r in rows], dtype=np.int64).reshape(shape),
        base=np.asarray([r[1] for r in rows], dtype=np.int64).reshape(shape),
        abandoned=np.asarray([r[2] for r in rows], dtype=np.int64).reshape(shape),
        work_s=np.asarray([r[3] for r in rows], dtype=float),
        backlog_start=np.asarray([r[4] for r in rows], dtype=np.int64),
        backlog_end=np.asarray([r[5] for r in rows], dtype=np.int64),
        roster=roster,
    )

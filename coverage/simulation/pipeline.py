"""The per-replication pipeline, written once: draw the contacts, then simulate every plan on them.

One replication of a run is::

    draw_contacts (once)  ──►  for each plan:  automation ─► engine input ─► engine
                                                ─► one measuring pass (`measure_plan`): metrics,
                                                   hourly counts, backlog; costs

`simulate_replication` does exactly this and yields one :class:`PlanReplication` per plan, with
every per-contact piece kept (the contact log is built only when asked for), so the same
function serves :func:`coverage.simulation.replications.run_scenario` (which keeps only the
figures), the invariant checker (which inspects the contacts) and tests. `simulate_plan` is the
inner step, for callers that draw contacts once and evaluate many plans on them (common random
numbers). The bot's outcome and the queued contacts (`coverage.simulation.dispatch.queue_input`)
depend only on the contacts and the plan's automation, so plans with the same automation share
them within a replication; only the roster's part of the engine input is built per plan.

What a run shares across replications — the timeline, each plan's roster, the
replication-independent part of drawing (calendars, rates, codes) and of measuring (thresholds,
column layout, rostered cost, duty-window time, crew groups) — is built once by `prepare_run`.
Nothing here creates a random generator: `draw_contacts` derives every stream from (seed,
replication, demand entry, purpose), so a replication depends on nothing but those.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from coverage.calendar import Timeline, build_timeline
from coverage.demand.arrivals import Contacts, DrawSetup, draw_contacts, prepare_draws
from coverage.demand.automation import BotOutcome, apply_automation
from coverage.demand.codes import scenario_languages
from coverage.errors import ScenarioError
from coverage.results.costs import CostBasis, cost_basis, replication_costs
from coverage.results.costs import warm_up as warm_up_costs
from coverage.results.figures import PlanCost, ReplicationFigures
from coverage.results.hourly import HourlyCounts
from coverage.results.metrics import (
    available_time_s,
    channel_figures,
    contact_log,
    window_time_s,
)
from coverage.results.metrics import warm_up as warm_up_metrics
from coverage.results.sustainability import CrewGroup, crew_groups, plan_backlog
from coverage.results.tally import Scratch, TallyBasis, tally_basis, tally_contacts
from coverage.scenario.model import Automation, Scenario
from coverage.settings import DEFAULT_ENGINE, ENGINES
from coverage.simulation.dispatch import (
    EngineInput,
    EngineOutput,
    QueueInput,
    engine_input,
    queue_input,
)
from coverage.simulation.input_kernels import warm_up as warm_up_inputs
from coverage.simulation.roster import Roster, build_roster

Engine = Callable[[EngineInput], EngineOutput]


def engine_function(name: str) -> Engine:
    """The simulate function of an engine.

    Parameters
    ----------
    name : str
        ``"simpy"`` (the reference) or ``"fast"`` (compiled; identical outputs).

    Returns
    -------
    callable
        ``simulate(EngineInput) -> EngineOutput``, a deterministic function.

    Raises
    ------
    ScenarioError
        At path ``--engine`` for an unknown name.
    """
    if name == "simpy":
        from coverage.simulation.simpy_engine import simulate

        return simulate
    if name == "fast":
        from coverage.simulation.fast_engine import simulate as fast_simulate

        return fast_simulate
    raise ScenarioError("--engine", f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")


@dataclass(frozen=True)
class PlanBasis:
    """What measuring one plan needs that is the same in every replication.

    Attributes
    ----------
    cost : CostBasis
        Premium integrals and rostered paid time (`coverage.results.costs.cost_basis`).
    window_s : numpy.ndarray
        Per agent, duty-window time inside the measured window
        (`coverage.results.metrics.window_time_s`) [s].
    groups : list of CrewGroup
        The plan's crew groups (`coverage.results.sustainability.crew_groups`).
    """

    cost: CostBasis
    window_s: np.ndarray
    groups: list[CrewGroup]


def plan_basis(scenario: Scenario, plan: str, roster: Roster, timeline: Timeline) -> PlanBasis:
    """Build a plan's `PlanBasis`.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    plan : str
        Plan name.
    roster : Roster
        The plan's roster.
    timeline : Timeline
        The run's timeline.

    Returns
    -------
    PlanBasis
        Its cost basis, duty-window time per agent and crew groups.
    """
    return PlanBasis(
        cost=cost_basis(scenario.plans[plan], roster, timeline),
        window_s=window_time_s(roster, timeline),
        groups=crew_groups(scenario, scenario.plans[plan]),
    )


@dataclass(frozen=True)
class RunSetup:
    """What every replication of a run shares.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario.
    timeline : Timeline
        Horizon, warm-up and drain [s from 00:00 UTC of the first day].
    rosters : dict of str to Roster
        The simulated plans, in run order, each with its agents' duty windows.
    draws : DrawSetup, optional
        The replication-independent part of drawing contacts (`prepare_draws`); absent, each
        replication computes it again (same contacts, more time).
    tally : TallyBasis or None
        The scenario's part of measuring (`coverage.results.tally.tally_basis`); built on use
        when None.
    bases : dict of str to PlanBasis
        Per plan, its part of measuring; a plan without one has it built on use.
    """

    scenario: Scenario
    timeline: Timeline
    rosters: dict[str, Roster]
    draws: DrawSetup | None = None
    tally: TallyBasis | None = None
    bases: dict[str, PlanBasis] = field(default_factory=dict)


def plan_names(scenario: Scenario, plans: Sequence[str] | None = None) -> list[str]:
    """The plans to simulate: `plans` checked against the scenario, or all in file order.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    plans : sequence of str, optional
        Plan names asked for.

    Returns
    -------
    list of str
        Plan names, in the order asked (or file order).

    Raises
    ------
    ScenarioError
        At path ``--plan`` for a plan the scenario does not define.
    """
    names = list(scenario.plans) if not plans else list(plans)
    for name in names:
        if name not in scenario.plans:
            raise ScenarioError("--plan", f"no plan {name!r} (plans: {', '.join(scenario.plans)})")
    return names


def prepare_run(scenario: Scenario, plans: Sequence[str] | None = None) -> RunSetup:
    """Build the timeline, the rosters of `plans` (default: every plan, in file order), what
    drawing any replication needs (`coverage.demand.arrivals.prepare_draws`) and what measuring
    any plan-replication needs (`coverage.results.tally.tally_basis`, `plan_basis`).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    plans : sequence of str, optional
        Plan names to simulate; each must exist in the scenario.

    Returns
    -------
    RunSetup
        Shared by every replication of the run.

    Raises
    ------
    ScenarioError
        At path ``--plan`` for a plan the scenario does not define.
    """
    names = plan_names(scenario, plans)
    timeline = build_timeline(scenario)
    languages = scenario_languages(scenario)
    rosters = {n: build_roster(scenario, scenario.plans[n], timeline, languages) for n in names}
    warm_up_inputs()  # the engine-input kernels, loaded before any worker forks
    warm_up_costs()  # and the measuring kernels outside the pass (the pass: tally.warm_up)
    warm_up_metrics()
    return RunSetup(
        scenario=scenario,
        timeline=timeline,
        rosters=rosters,
        draws=prepare_draws(scenario, timeline),
        tally=tally_basis(scenario, timeline),
        bases={n: plan_basis(scenario, n, rosters[n], timeline) for n in names},
    )


@dataclass(frozen=True)
class PlanReplication:
    """One plan in one replication: the per-contact pieces and the figures measured from them.

    Attributes
    ----------
    plan : str
        Plan name.
    replication : int
        Replication index r (0-based); with the seed it fixes every random draw.
    contacts : Contacts
        The replication's contacts (the same object for every plan).
    bot : BotOutcome
        Deflection and the time each contact joins the agent queue under this plan's automation.
    inp, out : EngineInput, EngineOutput
        What the engine was given and what it returned.
    roster : Roster
        The plan's agents and duty windows.
    figures : ReplicationFigures
        Per channel, that channel's figures in this replication, and the plan's occupancy.
    cost : PlanCost
        The plan's cost in the measured window (`coverage.results.costs.plan_costs`).
    counts : HourlyCounts
        Counts per channel, region and UTC hour of the week (`coverage.results.hourly`); the
        table is the property ``hourly``.
    backlog : dict
        Backlog per channel and workload per crew group
        (`coverage.results.sustainability.replication_backlog`).
    draw_s, simulate_s, metrics_s : float
        Wall time drawing the contacts (counted on the first plan of a replication only, 0
        for the others), running automation and the engine, and measuring [s].
    contact_table : pandas.DataFrame or None
        A contact log to show as ``log`` instead of the one built from the arrays (the
        invariant checker's tests tamper with it); None on the run path.
    """

    plan: str
    replication: int
    contacts: Contacts
    bot: BotOutcome
    inp: EngineInput
    out: EngineOutput
    roster: Roster
    figures: ReplicationFigures
    cost: PlanCost
    counts: HourlyCounts
    backlog: dict[str, Any]
    draw_s: float = 0.0
    simulate_s: float = 0.0
    metrics_s: float = 0.0
    contact_table: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def log(self) -> pd.DataFrame:
        """One row per contact (`coverage.results.metrics.contact_log`), built on each access
        unless ``contact_table`` is given: the run path measures from the arrays and never
        builds it."""
        if self.contact_table is not None:
            return self.contact_table
        return contact_log(self.contacts, self.bot, self.inp, self.out, self.roster)

    @property
    def hourly(self) -> pd.DataFrame:
        """Counts per channel, region and UTC hour of the week, as a table
        (`coverage.results.hourly.hourly_counts`)."""
        return self.counts.table()


Queued = list[tuple[dict[str, Automation], BotOutcome, QueueInput]]
"""A replication's bot outcomes and queued contacts so far, by automation (`simulate_plan`)."""


def simulate_plan(
    setup: RunSetup,
    plan: str,
    contacts: Contacts,
    *,
    replication: int,
    engine: str | Engine = DEFAULT_ENGINE,
    queued: Queued | None = None,
) -> PlanReplication:
    """Simulate one plan on already drawn contacts and measure it.

    Parameters
    ----------
    setup : RunSetup
        From `prepare_run`; must hold a roster for `plan`.
    plan : str
        Plan name.
    contacts : Contacts
        The replication's contacts (`coverage.demand.arrivals.draw_contacts`).
    replication : int
        Replication index, recorded in the result.
    engine : str or callable, default the configured default engine
        An engine name (see `engine_function`) or a simulate function.
    queued : list, optional
        The bot outcomes and queued contacts (`coverage.simulation.dispatch.queue_input`) other
        plans computed on these `contacts`, by automation: a plan with the same automation uses
        them (they depend on nothing else), a plan with another adds its own. Empty or None at
        the start of a replication.

    Returns
    -------
    PlanReplication
        With ``draw_s = 0``.
    """
    scenario, timeline = setup.scenario, setup.timeline
    roster = setup.rosters[plan]
    simulate = engine_function(engine) if isinstance(engine, str) else engine
    t_start = time.perf_counter()
    automation = scenario.automation_for(plan)
    known = [(b, q) for a, b, q in (queued or ()) if a == automation]
    if known:
        bot, queue = known[0]
    else:
        bot = apply_automation(contacts, scenario, automation)
        queue = queue_input(scenario, contacts, bot)
        if queued is not None:
            queued.append((automation, bot, queue))
    inp = engine_input(queue, roster, timeline.end_s)
    out = simulate(inp)
    t_simulated = time.perf_counter()
    figures, cost, counts, backlog = measure_plan(setup, plan, contacts, bot, inp, out)
    return PlanReplication(
        plan=plan,
        replication=replication,
        contacts=contacts,
        bot=bot,
        inp=inp,
        out=out,
        roster=roster,
        figures=figures,
        cost=cost,
        counts=counts,
        backlog=backlog,
        simulate_s=t_simulated - t_start,
        metrics_s=time.perf_counter() - t_simulated,
    )


_THREAD = threading.local()  # per thread: the measuring pass's reusable buffers


def _scratch() -> Scratch:
    """This thread's `Scratch` for the measuring pass (replications reuse its memory)."""
    scratch = getattr(_THREAD, "scratch", None)
    if scratch is None:
        scratch = _THREAD.scratch = Scratch()
    return scratch


def measure_plan(
    setup: RunSetup,
    plan: str,
    contacts: Contacts,
    bot: BotOutcome,
    inp: EngineInput,
    out: EngineOutput,
) -> tuple[ReplicationFigures, PlanCost, HourlyCounts, dict[str, Any]]:
    """Measure one simulated plan-replication from the engine's arrays, in one compiled pass
    over its contacts (`coverage.results.tally`; no per-contact DataFrame).

    Parameters
    ----------
    setup : RunSetup
        From `prepare_run`; must hold a roster for `plan`.
    plan : str
        Plan name.
    contacts : Contacts
        The replication's contacts.
    bot : BotOutcome
        The bot's outcome under the plan's automation.
    inp, out : EngineInput, EngineOutput
        What the engine was given and what it returned.

    Returns
    -------
    (ReplicationFigures, PlanCost, HourlyCounts, dict)
        The figures per channel, the cost, the hourly counts and the backlog
        (`coverage.results.sustainability.replication_backlog`), the same as measuring the
        contact log.
    """
    scenario, timeline = setup.scenario, setup.timeline
    roster = setup.rosters[plan]
    basis = setup.bases.get(plan) or plan_basis(scenario, plan, roster, timeline)
    measuring = setup.tally or tally_basis(scenario, timeline)
    # the thread's buffers: the tallies are used up before this returns
    tallies = tally_contacts(measuring, contacts, bot, inp, out, scratch=_scratch())
    avail = available_time_s(roster, out, timeline, window_s=basis.window_s)
    figures = channel_figures(scenario, tallies, roster, avail)
    automation = tallies.bot_cost  # the bot conversations of the window's contacts
    offered = int(tallies.counts[:, 0].sum())
    cost = replication_costs(basis.cost, roster, out, automation, offered)
    return figures, cost, tallies.hourly, plan_backlog(tallies, basis.groups)


def simulate_replication(
    setup: RunSetup,
    *,
    seed: int,
    replication: int,
    engine: str | Engine = DEFAULT_ENGINE,
) -> Iterator[PlanReplication]:
    """Replication `replication` of a run: draw its contacts once, then simulate every plan.

    Every plan sees the same contacts (common random numbers). The results are yielded one plan
    at a time, so a caller that keeps only the figures holds one plan's per-contact arrays at
    once.

    Parameters
    ----------
    setup : RunSetup
        From `prepare_run` (timeline and the rosters of the plans to simulate, in order).
    seed : int
        The run's seed.
    replication : int
        Replication index r (0-based); streams are keyed by (seed, r, demand entry, purpose).
    engine : str or callable, default the configured default engine
        An engine name (see `engine_function`) or a simulate function.

    Yields
    ------
    PlanReplication
        One per plan of `setup`, in its order; the first carries the drawing time ``draw_s``.
    """
    simulate = engine_function(engine) if isinstance(engine, str) else engine
    t_start = time.perf_counter()
    contacts = draw_contacts(
        setup.scenario, setup.timeline, seed=seed, replication=replication, draws=setup.draws
    )
    draw_s = time.perf_counter() - t_start
    queued: Queued = []  # plans with the same automation share the bot and the queue
    for i, plan in enumerate(setup.rosters):
        result = simulate_plan(
            setup, plan, contacts, replication=replication, engine=simulate, queued=queued
        )
        yield replace(result, draw_s=draw_s) if i == 0 else result
        del result  # before the next plan: hold one plan's per-contact arrays at a time

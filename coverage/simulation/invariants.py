"""Invariants: facts every simulated run must satisfy, checked independently of how it was made.

Its role: a verifier, not a stage of the pipeline — no run calls it. Tests
(tests/test_invariants.py), the fuzzer (tests/test_fuzz.py) and anyone adding an engine or a
metric call it to check their output. `check_scenario` runs the same per-replication pipeline as
`run_scenario` (`coverage.simulation.pipeline.simulate_replication`) keeping every per-contact
piece, and `check_replication` looks at one (plan, replication) contact by contact;
`check_result` looks at a whole :class:`~coverage.simulation.replications.RunResult` figure by
figure. Each reports every violation it finds (never just the first):

* conservation: offered = deflected + answered + abandoned + unfinished, per channel and
  replication (and the counts agree with a recount from the contact log);
* no negative wait; no contact answered before it arrived (or joined the agent queue);
* no contact answered by an agent off shift: a service starts inside one of the agent's
  availability windows, [start, end) — at a shift end the agent leaves before any assignment of
  that instant, and overtime only finishes contacts already in hand (docs/model.md, "Shifts and
  crews"); and only by an agent whose shift lists the channel and speaks the language;
* an agent never holds more contacts than the channel's concurrency, nor two channels at once;
* an abandonment happens at joined + patience, only on realtime channels;
* answered_within_target ≤ answered, short_abandoned ≤ abandoned, shares in [0, 1],
  occupancy in [0, 1], frt_p50 ≤ frt_p90 ≤ frt_max;
* every cost component ≥ 0, total = labor + premiums + automation + seats, and per site
  labor = paid hours × hourly_cost, with paid hours between the rostered hours in the window and
  those plus the agents' overtime.

Time comparisons allow `TIME_TOL_S` (float rounding of the event clock); money and shares a
relative `REL_TOL`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from coverage.calendar import Timeline
from coverage.results.figures import (
    COUNT_FIELDS,
    ChannelFigures,
    cost_row_fields,
    fields_in,
    to_dict,
)
from coverage.results.metrics import DEFLECTED
from coverage.scenario.model import Scenario
from coverage.settings import DEFAULT_ENGINE
from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED
from coverage.simulation.pipeline import PlanReplication, prepare_run, simulate_replication
from coverage.simulation.replications import RunResult
from coverage.simulation.roster import Roster
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR

TIME_TOL_S = 1e-6  # event-clock rounding [s]
REL_TOL = 1e-9  # money and shares, relative to the larger magnitude
SHARE_FIELDS = fields_in(ChannelFigures, "0–1")
WAIT_FIELDS = fields_in(ChannelFigures, "s")
# every cost figure but per_contact (None when nothing was offered) and by_site
COST_FIELDS = tuple(name for name in cost_row_fields() if name != "per_contact")


def _close(a: float, b: float, rel: float = REL_TOL, abs_: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _absent(value: Any) -> bool:
    """A figure with an empty denominator: None (NaN once it is in a DataFrame)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _share_ok(value: Any) -> bool:
    return _absent(value) or (0.0 - 1e-12 <= float(value) <= 1.0 + 1e-12)


def _where(plan: str, rep: int | None, channel: str | None = None) -> str:
    parts = [f"plan {plan}"]
    if rep is not None:
        parts.append(f"rep {rep}")
    if channel is not None:
        parts.append(f"channel {channel}")
    return ", ".join(parts)


def check_counts(where: str, fig: Mapping[str, Any]) -> list[str]:
    """Checks on one channel's figures (one replication, or means across replications).

    Parameters
    ----------
    where : str
        Prefix of each violation, e.g. "plan day, rep 0, channel phone".
    fig : mapping
        The figures as a mapping: `coverage.results.figures.to_dict` of `ChannelFigures`, or a
        per-replication row (None may appear as NaN).

    Returns
    -------
    list of str
        Violations: conservation, negative counts or waits, answered within target above answered,
        short above all abandons, shares outside [0, 1], percentiles out of order.
    """
    bad: list[str] = []
    lhs = fig["offered"]
    rhs = fig["deflected"] + fig["answered"] + fig["abandoned"] + fig["unfinished"]
    if not _close(lhs, rhs):
        bad.append(
            f"{where}: conservation broken: offered {lhs} != {rhs} (deflected "
            f"{fig['deflected']} + answered {fig['answered']} + abandoned "
            f"{fig['abandoned']} + unfinished {fig['unfinished']})"
        )
    for key in COUNT_FIELDS:
        if fig[key] < 0:
            bad.append(f"{where}: {key} is negative ({fig[key]})")
    if fig["answered_within_target"] > fig["answered"] + 1e-9:
        bad.append(
            f"{where}: answered_within_target {fig['answered_within_target']} > "
            f"answered {fig['answered']}"
        )
    if fig["short_abandoned"] > fig["abandoned"] + 1e-9:
        bad.append(
            f"{where}: short_abandoned {fig['short_abandoned']} > abandoned {fig['abandoned']}"
        )
    for key in SHARE_FIELDS:
        if key in fig and not _share_ok(fig[key]):
            bad.append(f"{where}: {key} = {fig[key]} is outside [0, 1]")
    for key in WAIT_FIELDS:
        value: Any = fig.get(key)
        if not _absent(value) and not value >= -TIME_TOL_S:
            bad.append(f"{where}: {key} = {value} is negative")
    frt: list[Any] = [fig.get(key) for key in ("frt_p50_s", "frt_p90_s", "frt_max_s")]
    if not any(_absent(v) for v in frt) and not frt[0] <= frt[1] + 1e-9 <= frt[2] + 2e-9:
        bad.append(f"{where}: percentiles out of order: p50, p90, max = {frt}")
    return bad


def check_cost(where: str, cost: Mapping[str, Any], scenario: Scenario, plan: str) -> list[str]:
    """Checks on one cost block (one replication, or means across replications).

    Parameters
    ----------
    where : str
        Prefix of each violation.
    cost : mapping
        `coverage.results.figures.to_dict` of `PlanCost` (``by_site`` a mapping per site).
    scenario : Scenario
        For each site's hourly_cost [currency/h].
    plan : str
        The plan's name.

    Returns
    -------
    list of str
        Violations: a figure negative or not finite, total ≠ labor + premiums + automation + seats,
        a site's labor ≠ paid hours × hourly_cost, plan totals ≠ sums over sites.
    """
    bad: list[str] = []
    for key in COST_FIELDS:
        value = cost.get(key)
        if value is None or not math.isfinite(value) or value < 0:
            bad.append(f"{where}: cost {key} = {value} is not a finite number >= 0")
    parts = cost["labor"] + cost["premiums"] + cost["automation"] + cost["seats"]
    if not _close(cost["total"], parts):
        bad.append(
            f"{where}: cost total {cost['total']} != labor + premiums + automation + "
            f"seats = {parts}"
        )
    sites = scenario.plans[plan].sites
    labor_sum = 0.0
    for name, site_cost in cost["by_site"].items():
        expected = site_cost["paid_hours"] * sites[name].hourly_cost
        labor_sum += site_cost["labor"]
        if not _close(site_cost["labor"], expected):
            bad.append(
                f"{where}, site {name}: labor {site_cost['labor']} != paid hours "
                f"{site_cost['paid_hours']} × hourly_cost {sites[name].hourly_cost}"
            )
        for key, value in site_cost.items():
            if not math.isfinite(value) or value < 0:
                bad.append(f"{where}, site {name}: {key} = {value} is not a finite number >= 0")
    if not _close(labor_sum, cost["labor"]):
        bad.append(f"{where}: labor {cost['labor']} != sum over sites {labor_sum}")
    paid_sum = sum(s["paid_hours"] for s in cost["by_site"].values())
    if not _close(paid_sum, cost["paid_hours"]):
        bad.append(f"{where}: paid_hours {cost['paid_hours']} != sum over sites {paid_sum}")
    return bad


def _recount(scenario: Scenario, timeline: Timeline, log: pd.DataFrame) -> dict[str, dict]:
    """Counts per channel straight from the contact log (an independent recount)."""
    arrived = log["arrived_at_s"].to_numpy()
    measured = (arrived >= timeline.warmup_s) & (arrived < timeline.horizon_s)
    out = {}
    for c, name in enumerate(scenario.channels):
        oc = log["outcome"].to_numpy()[measured & (log["channel"].to_numpy() == c)]
        out[name] = {
            "offered": len(oc),
            "deflected": int(np.sum(oc == DEFLECTED)),
            "answered": int(np.sum(oc == ANSWERED)),
            "abandoned": int(np.sum(oc == ABANDONED)),
            "unfinished": int(np.sum(oc == UNFINISHED)),
        }
    return out


def _agent_on_shift(roster: Roster, agent: np.ndarray, at_s: np.ndarray) -> np.ndarray:
    """Whether each `agent` is inside one of its availability windows [start, end) at `at_s`.

    A start exactly at a window's end is off shift: shift ends run before assignments.
    """
    ok = np.zeros(len(agent), dtype=bool)
    order = np.lexsort((roster.window_start_s, roster.window_agent))
    w_agent = roster.window_agent[order]
    w_start = roster.window_start_s[order]
    w_end = roster.window_end_s[order]
    for a in np.unique(agent):
        rows = np.flatnonzero(agent == a)
        lo, hi = np.searchsorted(w_agent, a, "left"), np.searchsorted(w_agent, a, "right")
        if lo == hi:
            continue
        t = at_s[rows]
        j = np.searchsorted(w_start[lo:hi], t + TIME_TOL_S, side="right") - 1
        ok[rows] = (j >= 0) & (t < w_end[lo:hi][np.maximum(j, 0)])
    return ok


def _holding(log: pd.DataFrame, served: np.ndarray) -> pd.DataFrame:
    """Per agent, contacts in hand just after each service start (completions at a tie first).

    Services of zero length hold nothing over any stretch of time and are left out: at one
    instant an agent may finish such a contact and then take one of another channel.
    """
    start = log["started_at_s"].to_numpy()
    end = np.nan_to_num(log["ended_at_s"].to_numpy(), nan=np.inf)
    served = served & (end > start)
    start, end = start[served], end[served]
    agent = log["agent"].to_numpy()[served]
    channel = log["channel"].to_numpy()[served]
    n = len(start)
    events = pd.DataFrame(
        {
            "agent": np.concatenate([agent, agent]),
            "channel": np.concatenate([channel, channel]),
            "at_s": np.concatenate([start, end]),
            "delta": np.concatenate([np.ones(n, np.int64), -np.ones(n, np.int64)]),
        }
    )
    events = events.sort_values(["agent", "at_s", "delta"], kind="stable")
    events["total"] = events.groupby("agent")["delta"].cumsum()
    events["own"] = events.groupby(["agent", "channel"])["delta"].cumsum()
    return events[events["delta"] > 0]


def check_replication(scenario: Scenario, timeline: Timeline, rep: PlanReplication) -> list[str]:
    """Every contact-level invariant of one (plan, replication).

    Parameters
    ----------
    scenario : Scenario
        The scenario simulated.
    timeline : Timeline
        Its timeline (measured window, drain end) [s].
    rep : PlanReplication
        One plan in one replication, with every per-contact piece
        (`coverage.simulation.pipeline.simulate_replication`).

    Returns
    -------
    list of str
        Every violation found (empty when all hold).
    """
    bad: list[str] = []
    where = _where(rep.plan, rep.replication)
    log = rep.log
    channels = list(scenario.channels.values())
    names = list(scenario.channels)
    outcome = log["outcome"].to_numpy()
    arrived = log["arrived_at_s"].to_numpy()
    joined = log["joined_at_s"].to_numpy()
    started = log["started_at_s"].to_numpy()
    wait = log["wait_s"].to_numpy()
    agent = log["agent"].to_numpy()
    channel = log["channel"].to_numpy()

    if len(rep.inp.joined_at_s) != len(rep.out.outcome):
        bad.append(
            f"{where}: engine returned {len(rep.out.outcome)} outcomes for "
            f"{len(rep.inp.joined_at_s)} queued contacts"
        )
    if np.any(rep.bot.deflected & (outcome != DEFLECTED)) or np.any(
        ~rep.bot.deflected & (outcome == DEFLECTED)
    ):
        bad.append(f"{where}: a deflected contact reached an agent, or a queued one vanished")
    queued = outcome != DEFLECTED
    neg = queued & ~(wait >= -TIME_TOL_S)
    if neg.any():
        bad.append(
            f"{where}: {int(neg.sum())} contacts with a negative or missing wait "
            f"(smallest {np.nanmin(wait[neg]) if np.any(~np.isnan(wait[neg])) else 'nan'})"
        )
    served = outcome == ANSWERED
    early = served & ~(started >= np.maximum(arrived, joined) - TIME_TOL_S)
    if early.any():
        bad.append(f"{where}: {int(early.sum())} contacts answered before they arrived/joined")
    late = served & ~(started < timeline.end_s)
    if late.any():
        bad.append(f"{where}: {int(late.sum())} contacts answered after the end of the drain")
    no_agent = served & ((agent < 0) | (agent >= rep.roster.n_agents))
    if no_agent.any():
        bad.append(f"{where}: {int(no_agent.sum())} answered contacts without a valid agent")
    ok_served = served & ~no_agent
    if ok_served.any():
        idx = np.flatnonzero(ok_served)
        on = _agent_on_shift(rep.roster, agent[idx], started[idx])
        if not on.all():
            first = idx[~on][0]
            bad.append(
                f"{where}: {int((~on).sum())} contacts answered by an agent off shift (first: "
                f"agent {rep.roster.agent_label[agent[first]]} at {started[first]:.3f} s)"
            )
        may = rep.roster.agent_channels[agent[idx], channel[idx]]
        lang = log["language"].to_numpy()[idx]
        has_lang = lang >= 0
        may[has_lang] &= rep.roster.agent_languages[agent[idx][has_lang], lang[has_lang]]
        if not may.all():
            bad.append(
                f"{where}: {int((~may).sum())} contacts answered by an agent whose "
                "shift does not serve their channel or language"
            )
        held = _holding(log, ok_served)
        conc = np.array([c.concurrency for c in channels])[held["channel"].to_numpy()]
        over = held["total"].to_numpy() > conc
        if over.any():
            row = held[over].iloc[0]
            bad.append(
                f"{where}: agent {rep.roster.agent_label[int(row['agent'])]} holds "
                f"{int(row['total'])} contacts at {row['at_s']:.3f} s, over the "
                f"concurrency {int(conc[over][0])} of {names[int(row['channel'])]}"
            )
        mixed = held["total"].to_numpy() != held["own"].to_numpy()
        if mixed.any():
            row = held[mixed].iloc[0]
            bad.append(
                f"{where}: agent {rep.roster.agent_label[int(row['agent'])]} holds "
                f"contacts of two channels at {row['at_s']:.3f} s"
            )
    ab = outcome == ABANDONED
    if ab.any():
        realtime = np.array([c.mode == "realtime" for c in channels])[channel]
        if np.any(ab & ~realtime):
            bad.append(f"{where}: an async contact abandoned")
        left = joined + rep.contacts.patience_s
        if np.any(ab & ~(np.abs(wait - rep.contacts.patience_s) <= 1e-6 * (1 + left))):
            bad.append(f"{where}: an abandoner left at a time other than joined + patience")
    unf = outcome == UNFINISHED
    if np.any(unf & (joined + rep.contacts.patience_s < timeline.end_s - TIME_TOL_S)):
        bad.append(f"{where}: a contact is unfinished although its patience ran out in the drain")

    recount = _recount(scenario, timeline, log)
    for name in names:
        fig = to_dict(rep.figures.channels[name])
        bad += check_counts(f"{where}, channel {name}", fig)
        for key, value in recount[name].items():
            if fig[key] != value:
                bad.append(
                    f"{where}, channel {name}: {key} = {fig[key]} but the contact log has {value}"
                )
    if not _share_ok(rep.figures.occupancy):
        bad.append(f"{where}: plan occupancy {rep.figures.occupancy} outside [0, 1]")
    bad += check_cost(where, to_dict(rep.cost), scenario, rep.plan)
    bad += _check_paid_hours(where, scenario, timeline, rep)
    return bad


def _check_paid_hours(
    where: str, scenario: Scenario, timeline: Timeline, rep: PlanReplication
) -> list[str]:
    """Paid hours per site lie between the rostered hours in the window and those + overtime."""
    bad = []
    lo, hi = timeline.warmup_s, timeline.horizon_s
    roster, out = rep.roster, rep.out
    for s_idx, name in enumerate(scenario.plans[rep.plan].sites):
        mine = roster.paid_site == s_idx
        start = np.clip(roster.paid_start_s[mine], lo, hi)
        end = np.clip(roster.paid_end_s[mine], lo, hi)
        rostered_h = float(np.sum(roster.paid_agents[mine] * (end - start))) / SECONDS_PER_HOUR
        ot = roster.agent_site[out.overtime_agent] == s_idx
        overtime_h = float(np.sum(out.overtime_end_s[ot] - out.overtime_start_s[ot]))
        overtime_h /= SECONDS_PER_HOUR
        paid_h = rep.cost.by_site[name].paid_hours
        if paid_h < rostered_h * (1 - REL_TOL) - 1e-9:
            bad.append(
                f"{where}, site {name}: paid hours {paid_h} below the rostered "
                f"{rostered_h} in the window"
            )
        if paid_h > (rostered_h + overtime_h) * (1 + REL_TOL) + 1e-9:
            bad.append(
                f"{where}, site {name}: paid hours {paid_h} above rostered "
                f"{rostered_h} + overtime {overtime_h}"
            )
    if np.any(out.overtime_end_s < out.overtime_start_s - TIME_TOL_S):
        bad.append(f"{where}: an overtime stretch ends before it starts")
    window_h = timeline.window_s / SECONDS_PER_HOUR
    expected = rep.cost.total * HOURS_PER_MONTH / window_h
    if not _close(rep.cost.per_month, expected):
        bad.append(
            f"{where}: per_month {rep.cost.per_month} != total × 730.5 / window hours = {expected}"
        )
    return bad


def check_result(result: RunResult) -> list[str]:
    """Every figure-level invariant of a run: per replication and the summaries.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    list of str
        Every violation found (empty when all hold).
    """
    bad: list[str] = []
    scenario = result.scenario
    for pname, plan in result.plans.items():
        frame = plan.per_replication
        for row in frame.to_dict("records"):
            bad += check_counts(_where(pname, int(row["rep"]), row["channel"]), row)
        for cname, figures in plan.channels.items():
            fig = to_dict(figures)
            bad += check_counts(_where(pname, None, cname) + " (mean)", fig)
            for key, bounds in fig["ci95"].items():
                if bounds is not None and not bounds[0] <= bounds[1] + 1e-12:
                    bad.append(f"plan {pname}, channel {cname}: ci95 {key} {bounds} inverted")
        if not _share_ok(plan.occupancy):
            bad.append(f"plan {pname}: occupancy {plan.occupancy} outside [0, 1]")
        for row in plan.cost_per_replication.to_dict("records"):
            for key in COST_FIELDS:
                if key in row and not (math.isfinite(row[key]) and row[key] >= 0):
                    bad.append(f"plan {pname}, rep {row['rep']}: cost {key} = {row[key]}")
        bad += check_cost(f"plan {pname} (mean)", to_dict(plan.cost), scenario, pname)
        per_contact = plan.cost.per_contact
        if per_contact is not None and not (math.isfinite(per_contact) and per_contact >= 0):
            bad.append(f"plan {pname}: per_contact {per_contact}")
    return bad


def simulate_replications(
    scenario: Scenario,
    *,
    replications: int = 2,
    seed: int | None = None,
    plans: Sequence[str] | None = None,
    engine: str = DEFAULT_ENGINE,
) -> Iterator[tuple[Timeline, PlanReplication]]:
    """Every (plan, replication) of a run through the same pipeline `run_scenario` uses
    (`coverage.simulation.pipeline.simulate_replication`), with every per-contact piece kept.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    replications : int
        Replications 0 … replications − 1.
    seed : int, optional
        Default: the scenario's seed.
    plans : sequence of str, optional
        Default: every plan.
    engine : str
        Engine name.

    Yields
    ------
    (Timeline, PlanReplication)
        The run's timeline and one plan's replication.
    """
    seed = scenario.seed if seed is None else seed
    setup = prepare_run(scenario, plans)
    for r in range(replications):
        for rep in simulate_replication(setup, seed=seed, replication=r, engine=engine):
            yield setup.timeline, rep


def check_scenario(
    scenario: Scenario,
    *,
    replications: int = 2,
    seed: int | None = None,
    plans: Sequence[str] | None = None,
    engine: str = DEFAULT_ENGINE,
    raise_on_violation: bool = True,
) -> list[str]:
    """Simulate `scenario` and check every invariant of every (plan, replication).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    replications : int
        Replications 0 … replications − 1 to check.
    seed : int, optional
        Default: the scenario's.
    plans : sequence of str, optional
        Default: every plan.
    engine : str
        The engine to check.
    raise_on_violation : bool
        Raise instead of returning when something is violated.

    Returns
    -------
    list of str
        The violations (empty when all hold).

    Raises
    ------
    AssertionError
        With every violation, one per line, when `raise_on_violation` and there are any.
    """
    bad: list[str] = []
    for timeline, rep in simulate_replications(
        scenario, replications=replications, seed=seed, plans=plans, engine=engine
    ):
        bad += check_replication(scenario, timeline, rep)
    if raise_on_violation:
        assert_no_violations(bad, scenario.name)
    return bad


def assert_no_violations(violations: list[str], label: str = "run") -> None:
    """Raise AssertionError listing every violation (nothing when the list is empty).

    Parameters
    ----------
    violations : list of str
        From the checks above.
    label : str
        Names the run in the message.
    """
    if violations:
        shown = "\n  ".join(violations[:50])
        more = f"\n  … and {len(violations) - 50} more" if len(violations) > 50 else ""
        raise AssertionError(f"{label}: {len(violations)} invariant violations:\n  {shown}{more}")

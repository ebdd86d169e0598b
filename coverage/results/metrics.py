"""Metrics: per-contact outcomes → per-channel KPIs of one replication, then across replications.

Definitions are the metric definitions of docs/results.md, word for word:

* offered: arrivals in the measured window [warmup, horizon); every other count is of those.
* wait (first response time): from joining the agent queue to the start of handling.
* service_level = answered_within_target / (offered − deflected − short_abandoned), where a
  contact's target is its segment's if the segment sets one, else its channel's.
* abandon_rate = (abandoned − short_abandoned) / (offered − deflected − short_abandoned).
* p_wait = contacts with wait > 0, abandoners and unfinished included / (offered − deflected).
* asa_s: mean wait of answered; mean_wait_all_s: mean wait of all queued contacts (an abandoner's
  wait is its time to abandon; an unfinished contact's, its time to the end of the drain).
* frt_pXX_s: percentiles (numpy's linear method) of answered waits per replication, averaged.
* occupancy: handling time inside the window (each service clipped to it, a contact counting
  1/concurrency) / available agent time inside the window (duty windows after shrinkage plus
  overtime finishing contacts). Per channel, the denominator is the available time of the agents
  whose shift serves that channel; for the plan, of all agents.

Across replications, counts and rates are means; ci95 is mean ± t(0.975, n−1)·s/√n; a figure
whose denominator is empty is None (null in JSON).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coverage.calendar import Timeline
from coverage.demand.arrivals import Contacts
from coverage.demand.automation import BotOutcome
from coverage.demand.codes import scenario_languages
from coverage.results.figures import (
    CI_FIELDS,
    COUNT_FIELDS,
    ChannelCI95,
    ChannelFigures,
    ReplicationFigures,
)
from coverage.results.t_quantiles import t975
from coverage.scenario.model import Scenario
from coverage.simulation._jit import deferred_interrupts, kernel_arg, njit
from coverage.simulation.dispatch import EngineInput, EngineOutput
from coverage.simulation.roster import Roster

if TYPE_CHECKING:
    from coverage.results.tally import Tallies

DEFLECTED = 0


def contact_log(
    contacts: Contacts, bot: BotOutcome, inp: EngineInput, out: EngineOutput, roster: Roster
) -> pd.DataFrame:
    """One row per contact of a (plan, replication): what happened to it.

    Parameters
    ----------
    contacts : Contacts
        The replication's contacts.
    bot : BotOutcome
        The bot's outcome under this plan's automation.
    inp, out : EngineInput, EngineOutput
        The engine's input and output.
    roster : Roster
        For each agent's site.

    Returns
    -------
    pandas.DataFrame
        Columns arrived_at_s, joined_at_s [s], channel, region, segment, language (codes),
        outcome (0 deflected, 1 answered, 2 abandoned, 3 unfinished), wait_s, started_at_s,
        ended_at_s, handle_s [s], agent, agent_site (-1 when no agent).
    """
    from coverage.results.tally import contact_outcomes  # tally builds on this module

    n = len(contacts)
    outcome, wait, started, ended = contact_outcomes(contacts, bot, inp, out)
    agent = np.full(n, -1, dtype=np.int32)
    agent[inp.contact] = out.agent
    site = np.full(n, -1, dtype=np.int32)  # a plan may have no agents at all (every crew 0)
    site[agent >= 0] = roster.agent_site[agent[agent >= 0]]
    return pd.DataFrame(
        {
            "arrived_at_s": contacts.arrived_at_s,
            "joined_at_s": bot.joined_at_s,
            "channel": contacts.channel,
            "region": contacts.region,
            "segment": contacts.segment,
            "language": contacts.language,
            "outcome": outcome,
            "wait_s": wait,
            "started_at_s": started,
            "ended_at_s": ended,
            "handle_s": contacts.handle_s,
            "agent": agent,
            "agent_site": site.astype(np.int32),
        }
    )


def _overlap(start: np.ndarray, end: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)


def available_time_s(
    roster: Roster, out: EngineOutput, timeline: Timeline, *, window_s: np.ndarray | None = None
) -> np.ndarray:
    """Available time inside the measured window per agent: duty windows plus overtime.

    Parameters
    ----------
    roster : Roster
        Availability windows after shrinkage [s].
    out : EngineOutput
        Overtime stretches finishing contacts after a shift [s].
    timeline : Timeline
        The measured window [warmup_s, horizon_s) [s].
    window_s : numpy.ndarray, optional
        `window_time_s` of the roster, when already computed [s].

    Returns
    -------
    numpy.ndarray
        Per agent, available seconds in the window [s].
    """
    per_agent = window_time_s(roster, timeline) if window_s is None else window_s.copy()
    if not _add_overlaps.overloads:
        warm_up()
    _add_overlaps(
        per_agent,
        kernel_arg(out.overtime_agent, np.int32),
        kernel_arg(out.overtime_start_s, np.float64),
        kernel_arg(out.overtime_end_s, np.float64),
        float(timeline.warmup_s),
        float(timeline.horizon_s),
    )
    return per_agent


@njit(nogil=True)
def _add_overlaps(per_agent, agent, start_s, end_s, lo_s, hi_s):
    """``np.add.at(per_agent, agent, _overlap(start_s, end_s, lo_s, hi_s))``, one row at a time
    in row order as ``np.add.at`` adds (NaN propagates as in ``np.minimum``/``np.clip``)."""
    for i in range(len(agent)):
        end, start = end_s[i], start_s[i]
        if not (np.isnan(end) or end <= hi_s):
            end = hi_s
        if not (np.isnan(start) or start >= lo_s):
            start = lo_s
        overlap = end - start
        if overlap <= 0.0:  # np.clip: 0.0 unless above (a NaN stays)
            overlap = 0.0
        per_agent[agent[i]] += overlap


def warm_up() -> None:
    """Load (or compile) `available_time_s`'s kernel now, with interrupts held (before threads
    start or a process pool forks)."""
    if _add_overlaps.overloads:
        return
    with deferred_interrupts():
        _add_overlaps(np.zeros(1), np.zeros(1, np.int32), np.zeros(1), np.ones(1), 0.0, 1.0)


def window_time_s(roster: Roster, timeline: Timeline) -> np.ndarray:
    """Duty-window time inside the measured window per agent (the roster's part of
    `available_time_s`, the same in every replication).

    Parameters
    ----------
    roster : Roster
        Availability windows after shrinkage [s].
    timeline : Timeline
        The measured window [warmup_s, horizon_s) [s].

    Returns
    -------
    numpy.ndarray
        Per agent, seconds of duty windows in the window [s].
    """
    lo, hi = timeline.warmup_s, timeline.horizon_s
    per_agent = np.zeros(roster.n_agents)
    np.add.at(
        per_agent, roster.window_agent, _overlap(roster.window_start_s, roster.window_end_s, lo, hi)
    )
    return per_agent


def replication_metrics(
    scenario: Scenario, timeline: Timeline, log: pd.DataFrame, roster: Roster, out: EngineOutput
) -> ReplicationFigures:
    """The figures of one plan in one replication.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario (channels, targets, short_abandon_s).
    timeline : Timeline
        The measured window is [warmup_s, horizon_s) [s].
    log : pandas.DataFrame
        One row per contact (`contact_log`).
    roster : Roster
        The plan's agents and availability windows.
    out : EngineOutput
        The engine's output (overtime counts as available time).

    Returns
    -------
    ReplicationFigures
        Per channel: counts [contacts], shares [0–1], waits [s], occupancy [0–1]; and the
        plan's occupancy [0–1].
    """
    from coverage.results.tally import tally_basis, tally_log  # tally builds on this module

    tallies = tally_log(tally_basis(scenario, timeline), log)
    return channel_figures(scenario, tallies, roster, available_time_s(roster, out, timeline))


def channel_figures(
    scenario: Scenario, tallies: Tallies, roster: Roster, avail_s: np.ndarray
) -> ReplicationFigures:
    """The figures of one plan in one replication, from the pass over its contacts.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario (channels, targets).
    tallies : Tallies
        `coverage.results.tally.tally_contacts` (or `tally_log`) of the plan-replication.
    roster : Roster
        Which agents serve which channel.
    avail_s : numpy.ndarray
        `available_time_s` per agent [s].

    Returns
    -------
    ReplicationFigures
        Per channel: counts [contacts], shares [0–1], waits [s], occupancy [0–1]; and the
        plan's occupancy [0–1].
    """
    channels: dict[str, ChannelFigures] = {}
    counts = tallies.counts.tolist()
    asa, mean_wait = tallies.asa_s.tolist(), tallies.mean_wait_all_s.tolist()
    frt, busy = tallies.frt_s.tolist(), tallies.busy_by_channel_s.tolist()
    avail_by_channel = _available_by_channel(roster, avail_s, len(scenario.channels))
    for c, (name, ch) in enumerate(scenario.channels.items()):
        offered, deflected, answered, within, abandoned, short, unfinished, waited = counts[c]
        base = offered - deflected - short
        reached = offered - deflected
        service_level = within / base if base else None
        avail_c = avail_by_channel[c]
        channels[name] = ChannelFigures(
            offered=offered,
            deflected=deflected,
            answered=answered,
            answered_within_target=within,
            abandoned=abandoned,
            short_abandoned=short,
            unfinished=unfinished,
            service_level=service_level,
            abandon_rate=(abandoned - short) / base if base else None,
            p_wait=waited / reached if reached else None,
            p_miss_target=None if service_level is None else float(service_level < ch.target.share),
            asa_s=asa[c] if answered else None,
            mean_wait_all_s=mean_wait[c] if reached else None,
            frt_p50_s=frt[c][0] if answered else None,
            frt_p90_s=frt[c][1] if answered else None,
            frt_max_s=frt[c][2] if answered else None,
            occupancy=busy[c] / avail_c if avail_c > 0 else None,
        )
    total_avail = float(avail_s.sum())
    return ReplicationFigures(
        channels=channels,
        occupancy=tallies.busy_s / total_avail if total_avail > 0 else None,
    )


def _available_by_channel(roster: Roster, avail_s: np.ndarray, n_channels: int) -> list[float]:
    """Per channel, ``avail_s`` summed over the agents serving it [s]."""
    if not roster.n_agents:
        return [0.0] * n_channels
    return [float(avail_s[roster.agent_channels[:, c]].sum()) for c in range(n_channels)]


def _mean(values: list[Any]) -> float | None:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(vals)) if vals else None


def ci95(values: list[Any]) -> tuple[float, float] | None:
    """95% confidence interval of a mean over replications.

    Parameters
    ----------
    values : list of float or None
        One value per replication; None (undefined) values are left out.

    Returns
    -------
    (float, float) or None
        mean ± t(0.975, n−1)·s/√n [unit of the values]; None with fewer than two values.
    """
    vals = np.asarray([v for v in values if v is not None], dtype=float)
    if len(vals) < 2:
        return None
    half = float(t975(len(vals) - 1) * vals.std(ddof=1) / math.sqrt(len(vals)))
    mean = float(vals.mean())
    return (mean - half, mean + half)


def summarize_channel(rows: list[ChannelFigures]) -> ChannelFigures:
    """Combine one channel's per-replication figures into the means the JSON result reports.

    Parameters
    ----------
    rows : list of ChannelFigures
        The channel's figures, one per replication.

    Returns
    -------
    ChannelFigures
        Every figure the mean over the replications where it is defined (None where it never
        is) — so ``p_miss_target`` is the share of replications that missed the target — and
        ``ci95`` for service_level, abandon_rate and asa_s.
    """
    means: dict[str, Any] = {
        f.name: _mean([getattr(r, f.name) for r in rows])
        for f in dataclasses.fields(ChannelFigures)
        if f.name != "ci95"
    }
    intervals = ChannelCI95(**{key: ci95([getattr(r, key) for r in rows]) for key in CI_FIELDS})
    return ChannelFigures(**means, ci95=intervals)


# --- breakdowns by language and segment -------------------------------------------------------
# The hourly counts carry, for each language and segment, the same counts restricted to it, in
# columns named "language:de:offered" ("-" = none). They are sums, so they add up across
# replications like the other hourly counts; `breakdown_rates` turns summed counts into rates.

BREAKDOWN_FIELDS = (*COUNT_FIELDS, "wait_answered_s")


def breakdown_labels(scenario: Scenario) -> dict[str, dict[int, str]]:
    """Labels of each breakdown dimension by code; only dimensions the scenario uses.

    Parameters
    ----------
    scenario : Scenario
        Its languages and segments.

    Returns
    -------
    dict
        ``{"language": {code: name}, "segment": {code: name}}``; code -1 (none) is ``"-"``.
    """
    out = {}
    for dim, names in (
        ("language", scenario_languages(scenario)),
        ("segment", list(scenario.segments)),
    ):
        if names:
            out[dim] = {-1: "-", **dict(enumerate(names))}
    return out


def breakdown_column(dimension: str, label: str, field: str) -> str:
    """Name of the hourly column holding `field` for contacts of one language or segment.

    Parameters
    ----------
    dimension : str
        ``"language"`` or ``"segment"``.
    label : str
        The language or segment name (``"-"`` for none).
    field : str
        A count, e.g. ``"offered"``.

    Returns
    -------
    str
        ``"<dimension>:<label>:<field>"``.
    """
    return f"{dimension}:{label}:{field}"


def breakdown_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Add pooled service_level, abandon_rate and asa_s to a frame of summed counts.

    The rates are summed numerators over summed denominators, with the definitions of the metric
    contract; a rate whose denominator is empty is NaN.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``BREAKDOWN_FIELDS`` (counts [contacts] and ``wait_answered_s`` [s]).

    Returns
    -------
    pandas.DataFrame
        A copy with service_level and abandon_rate [0–1] and asa_s [s].
    """
    out = counts.copy()
    base = out["offered"] - out["deflected"] - out["short_abandoned"]
    out["service_level"] = np.where(
        base > 0, out["answered_within_target"] / base.clip(lower=1), np.nan
    )
    out["abandon_rate"] = np.where(
        base > 0, (out["abandoned"] - out["short_abandoned"]) / base.clip(lower=1), np.nan
    )
    out["asa_s"] = np.where(
        out["answered"] > 0, out["wait_answered_s"] / out["answered"].clip(lower=1), np.nan
    )
    return out

"""Metrics: per-contact outcomes → per-channel KPIs of one replication, then across replications.

Definitions are DESIGN.md's "Metric definitions" contract, word for word:

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

import math
from typing import Any

import numpy as np
import pandas as pd

from coverage.calendar import Timeline, utc_hour_of_week
from coverage.demand.arrivals import Contacts, scenario_languages
from coverage.demand.automation import BotOutcome
from coverage.scenario.model import Scenario
from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED, EngineInput, EngineOutput
from coverage.simulation.roster import Roster

DEFLECTED = 0
COUNT_FIELDS = (
    "offered",
    "deflected",
    "answered",
    "answered_within_target",
    "abandoned",
    "short_abandoned",
    "unfinished",
)
CI_FIELDS = ("service_level", "abandon_rate", "asa_s")


def contact_log(
    contacts: Contacts, bot: BotOutcome, inp: EngineInput, out: EngineOutput, roster: Roster
) -> pd.DataFrame:
    """One row per contact of a (plan, replication): what happened to it.

    Columns: arrived_at_s, joined_at_s, channel, region, segment, language, outcome
    (0 deflected, 1 answered, 2 abandoned, 3 unfinished), wait_s, started_at_s, ended_at_s,
    handle_s, agent, agent_site (-1 when no agent).
    """
    n = len(contacts)
    outcome = np.zeros(n, dtype=np.int8)
    started = np.full(n, np.nan)
    ended = np.full(n, np.nan)
    left = np.full(n, np.nan)
    agent = np.full(n, -1, dtype=np.int32)
    idx = inp.contact
    outcome[idx] = out.outcome
    started[idx] = out.started_at_s
    ended[idx] = out.ended_at_s
    left[idx] = out.left_at_s
    agent[idx] = out.agent
    wait = np.where(
        outcome == ANSWERED,
        started - bot.joined_at_s,
        np.where(
            outcome == ABANDONED,
            left - bot.joined_at_s,
            np.where(outcome == UNFINISHED, inp.end_s - bot.joined_at_s, np.nan),
        ),
    )
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


def _threshold_s(scenario: Scenario, log: pd.DataFrame) -> np.ndarray:
    chans = list(scenario.channels.values())
    thr = np.array([c.target.answer_within_s for c in chans])[log["channel"].to_numpy()]
    for s_idx, seg in enumerate(scenario.segments.values()):
        if seg.target is not None:
            thr = np.where(log["segment"].to_numpy() == s_idx, seg.target.answer_within_s, thr)
    return thr


def available_time_s(roster: Roster, out: EngineOutput, timeline: Timeline) -> np.ndarray:
    """Available time inside the window per agent [s]: duty windows plus overtime."""
    lo, hi = timeline.warmup_s, timeline.horizon_s
    per_agent = np.zeros(roster.n_agents)
    np.add.at(
        per_agent, roster.window_agent, _overlap(roster.window_start_s, roster.window_end_s, lo, hi)
    )
    np.add.at(
        per_agent, out.overtime_agent, _overlap(out.overtime_start_s, out.overtime_end_s, lo, hi)
    )
    return per_agent


def replication_metrics(
    scenario: Scenario, timeline: Timeline, log: pd.DataFrame, roster: Roster, out: EngineOutput
) -> dict[str, dict[str, Any]]:
    """Per-channel figures of one replication (counts, rates, percentiles, occupancy)."""
    lo, hi, end_s = timeline.warmup_s, timeline.horizon_s, timeline.end_s
    arrived = log["arrived_at_s"].to_numpy()
    measured = (arrived >= lo) & (arrived < hi)
    outcome = log["outcome"].to_numpy()
    wait = log["wait_s"].to_numpy()
    channel = log["channel"].to_numpy()
    thr = _threshold_s(scenario, log)
    conc = np.array([c.concurrency for c in scenario.channels.values()])
    busy = _overlap(
        log["started_at_s"].to_numpy(),
        np.nan_to_num(log["ended_at_s"].to_numpy(), nan=end_s),
        lo,
        hi,
    )
    busy = np.where(outcome == ANSWERED, busy / conc[channel], 0.0)
    avail = available_time_s(roster, out, timeline)
    result: dict[str, dict[str, Any]] = {}
    for c, (name, ch) in enumerate(scenario.channels.items()):
        m = measured & (channel == c)
        oc, w = outcome[m], wait[m]
        answered = oc == ANSWERED
        abandoned = oc == ABANDONED
        short = abandoned & (w <= ch.short_abandon_s)
        counts = {
            "offered": int(m.sum()),
            "deflected": int((oc == DEFLECTED).sum()),
            "answered": int(answered.sum()),
            "answered_within_target": int((answered & (w <= thr[m])).sum()),
            "abandoned": int(abandoned.sum()),
            "short_abandoned": int(short.sum()),
            "unfinished": int((oc == UNFINISHED).sum()),
        }
        queued = oc != DEFLECTED
        base = counts["offered"] - counts["deflected"] - counts["short_abandoned"]
        reached = counts["offered"] - counts["deflected"]
        waits_answered = w[answered]
        row: dict[str, Any] = dict(counts)
        row["service_level"] = counts["answered_within_target"] / base if base else None
        row["abandon_rate"] = (
            (counts["abandoned"] - counts["short_abandoned"]) / base if base else None
        )
        waited = queued & ((w > 0) | (oc != ANSWERED))
        row["p_wait"] = int(waited.sum()) / reached if reached else None
        row["asa_s"] = float(waits_answered.mean()) if len(waits_answered) else None
        row["mean_wait_all_s"] = float(w[queued].mean()) if queued.any() else None
        for q, key in ((50, "frt_p50_s"), (90, "frt_p90_s"), (100, "frt_max_s")):
            row[key] = float(np.percentile(waits_answered, q)) if len(waits_answered) else None
        serving = roster.agent_channels[:, c] if roster.n_agents else np.zeros(0, bool)
        avail_c = float(avail[serving].sum())
        row["occupancy"] = float(busy[channel == c].sum()) / avail_c if avail_c > 0 else None
        result[name] = row
    total_avail = float(avail.sum())
    result["_plan"] = {"occupancy": float(busy.sum()) / total_avail if total_avail > 0 else None}
    return result


def _mean(values: list[Any]) -> float | None:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(vals)) if vals else None


def ci95(values: list[Any]) -> list[float] | None:
    """mean ± t(0.975, n−1)·s/√n over replications; None with fewer than two values."""
    vals = np.asarray([v for v in values if v is not None], dtype=float)
    if len(vals) < 2:
        return None
    from scipy import stats  # imported here: scipy.stats costs ~1 s at every CLI start

    half = float(stats.t.ppf(0.975, len(vals) - 1) * vals.std(ddof=1) / math.sqrt(len(vals)))
    mean = float(vals.mean())
    return [mean - half, mean + half]


def summarize_channel(rows: list[dict[str, Any]], target_share: float) -> dict[str, Any]:
    """Combine one channel's per-replication figures into the JSON contract's fields."""
    out: dict[str, Any] = {}
    for key in COUNT_FIELDS:
        out[key] = float(np.mean([r[key] for r in rows]))
    for key in (
        "service_level",
        "abandon_rate",
        "p_wait",
        "asa_s",
        "mean_wait_all_s",
        "frt_p50_s",
        "frt_p90_s",
        "frt_max_s",
        "occupancy",
    ):
        out[key] = _mean([r[key] for r in rows])
    levels = [r["service_level"] for r in rows if r["service_level"] is not None]
    out["p_miss_target"] = float(np.mean([lv < target_share for lv in levels])) if levels else None
    out["ci95"] = {key: ci95([r[key] for r in rows]) for key in CI_FIELDS}
    order = [
        "offered",
        "deflected",
        "answered",
        "answered_within_target",
        "abandoned",
        "short_abandoned",
        "unfinished",
        "service_level",
        "abandon_rate",
        "p_wait",
        "p_miss_target",
        "asa_s",
        "mean_wait_all_s",
        "frt_p50_s",
        "frt_p90_s",
        "frt_max_s",
        "occupancy",
        "ci95",
    ]
    return {key: out[key] for key in order}


def hourly_counts(scenario: Scenario, timeline: Timeline, log: pd.DataFrame) -> pd.DataFrame:
    """Counts per (channel, region, UTC hour of week) of one replication's measured contacts.

    One row per group that has contacts, sorted by (channel, region, hour_of_week); counts are
    integers, `wait_answered_s` the summed wait of answered contacts [s].
    """
    arrived = log["arrived_at_s"].to_numpy()
    m = (arrived >= timeline.warmup_s) & (arrived < timeline.horizon_s)
    sub = log.loc[m]
    thr = _threshold_s(scenario, sub)
    oc = sub["outcome"].to_numpy()
    w = sub["wait_s"].to_numpy()
    channel = sub["channel"].to_numpy().astype(np.int64)
    region = sub["region"].to_numpy().astype(np.int64)
    hour = utc_hour_of_week(sub["arrived_at_s"].to_numpy(), timeline.start_utc).astype(np.int64)
    short_s = np.array([c.short_abandon_s for c in scenario.channels.values()])
    answered = oc == ANSWERED
    per_contact = {
        "offered": np.ones(len(oc), dtype=np.int64),
        "deflected": oc == DEFLECTED,
        "answered": answered,
        "answered_within_target": answered & (w <= thr),
        "abandoned": oc == ABANDONED,
        "short_abandoned": (oc == ABANDONED) & (w <= short_s[channel]),
        "wait_answered_s": np.where(answered, w, 0.0),
        "unfinished": oc == UNFINISHED,
    }
    per_contact.update(_breakdown_columns(scenario, sub, per_contact))
    # one bin per (channel, region, hour of week): np.bincount sums every column at once
    n_regions = len(scenario.regions)
    size = len(scenario.channels) * n_regions * 168
    key = (channel * n_regions + region) * 168 + hour
    present = np.flatnonzero(np.bincount(key, minlength=size))
    group_channel, rest = np.divmod(present, n_regions * 168)
    group_region, group_hour = np.divmod(rest, 168)
    columns: dict[str, np.ndarray] = {
        "channel": group_channel,
        "region": group_region,
        "hour_of_week": group_hour,
    }
    for name, values in per_contact.items():
        summed = np.bincount(key, weights=values, minlength=size)[present]
        columns[name] = (
            summed if name.endswith("wait_answered_s") else np.rint(summed).astype(np.int64)
        )
    return pd.DataFrame(columns)


# --- breakdowns by language and segment -------------------------------------------------------
# The hourly counts carry, for each language and segment, the same counts restricted to it, in
# columns named "language:de:offered" ("-" = none). They are sums, so they add up across
# replications like the other hourly counts; `breakdown_rates` turns summed counts into rates.

BREAKDOWN_FIELDS = (*COUNT_FIELDS, "wait_answered_s")


def breakdown_labels(scenario: Scenario) -> dict[str, dict[int, str]]:
    """Labels of each breakdown dimension by index (-1, none, is "-"); only dimensions in use."""
    out = {}
    for dim, names in (
        ("language", scenario_languages(scenario)),
        ("segment", list(scenario.segments)),
    ):
        if names:
            out[dim] = {-1: "-", **dict(enumerate(names))}
    return out


def breakdown_column(dimension: str, label: str, field: str) -> str:
    """Name of the hourly column holding `field` for contacts with that language or segment."""
    return f"{dimension}:{label}:{field}"


def _breakdown_columns(
    scenario: Scenario, sub: pd.DataFrame, per_contact: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    wide = {}
    for dim, labels in breakdown_labels(scenario).items():
        codes = sub[dim].to_numpy()
        for value, label in labels.items():
            hit = codes == value
            for key in BREAKDOWN_FIELDS:
                wide[breakdown_column(dim, label, key)] = np.where(hit, per_contact[key], 0)
    return wide


def breakdown_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Add service_level, abandon_rate and asa_s to a frame of summed BREAKDOWN_FIELDS counts.

    The rates are pooled (summed numerators over summed denominators), with the definitions of
    the metric contract; a rate whose denominator is empty is NaN.
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

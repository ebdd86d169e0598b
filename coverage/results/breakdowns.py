"""Breakdowns: outcomes by language, segment or region, and the hours a language goes unserved.

Tables over a :class:`~coverage.simulation.replications.RunResult`'s hourly counts; the
comparison text (`coverage.results.report.breakdown_lines`), the app's language views and the
explanation of why a plan wins read them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coverage.calendar import utc_hour_of_week
from coverage.results.hourly import HOURS_PER_WEEK
from coverage.results.metrics import (
    BREAKDOWN_FIELDS,
    breakdown_column,
    breakdown_labels,
    breakdown_rates,
)
from coverage.simulation.replications import RunResult
from coverage.units import SECONDS_PER_MINUTE

BREAKDOWN_BY = ("language", "segment", "region")
_UTC_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def breakdown_table(result: RunResult, by: str) -> pd.DataFrame:
    """Per plan × channel (and channel "all") × language, segment or region: outcomes.

    Counts are means per replication; service_level, abandon_rate and asa_s are pooled over the
    replications (`coverage.results.metrics.breakdown_rates`). Rows with nothing offered are left
    out. A contact with no language or segment is shown as "-".

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    by : str
        ``"language"``, ``"segment"`` or ``"region"``.

    Returns
    -------
    pandas.DataFrame
        plan, channel, `by`, counts [contacts per replication], service_level, abandon_rate
        [0–1], asa_s [s].

    Raises
    ------
    ValueError
        For another `by`.
    """
    if by not in BREAKDOWN_BY:
        raise ValueError(f"by must be one of {', '.join(BREAKDOWN_BY)}, got {by!r}")
    sc = result.scenario
    fields = list(BREAKDOWN_FIELDS)
    frames = []
    for pname, plan in result.plans.items():
        h = plan.hourly
        if by == "region":
            parts = [
                h.groupby(["channel", "region"], as_index=False)[fields]
                .sum()
                .assign(region=lambda f: [list(sc.regions)[i] for i in f["region"]])
            ]
        else:
            present = set(h.columns)
            label_columns = [
                (label, cols)
                for label in breakdown_labels(sc).get(by, {}).values()
                if set(cols := {breakdown_column(by, label, f): f for f in fields}) <= present
            ]
            # one groupby for every label's columns (a column's sum does not depend on the others)
            summed = h.groupby("channel", as_index=False)[
                [c for _, cols in label_columns for c in cols]
            ].sum()
            parts = [
                summed[["channel", *cols]].rename(columns=cols).assign(**{by: label})
                for label, cols in label_columns
            ]
        if not parts:
            continue
        counts = pd.concat(parts, ignore_index=True)
        counts["channel"] = [list(sc.channels)[i] for i in counts["channel"]]
        every = counts.groupby(by, as_index=False)[fields].sum().assign(channel="all")
        table = breakdown_rates(pd.concat([counts, every], ignore_index=True))
        table[fields] = table[fields] / result.replications
        frames.append(table.drop(columns="wait_answered_s").assign(plan=pname))
    columns = ["plan", "channel", by, *fields[:-1], "service_level", "abandon_rate", "asa_s"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    return out[out["offered"] > 0].reset_index(drop=True)


def _speakers_on_duty(roster: Any, agents: np.ndarray, at_s: np.ndarray) -> np.ndarray:
    """Available agents among `agents` (a mask) at each instant of `at_s`."""
    keep = agents[roster.window_agent] if len(roster.window_agent) else np.zeros(0, bool)
    starts = np.sort(roster.window_start_s[keep])
    ends = np.sort(roster.window_end_s[keep])
    return np.searchsorted(starts, at_s, side="right") - np.searchsorted(ends, at_s, side="right")


def language_gaps_table(result: RunResult) -> pd.DataFrame:
    """Hours where a language has demand but no agent on duty speaks it (for that channel).

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    pandas.DataFrame
        One row per plan × language × channel × UTC hour of week in which contacts in that
        language arrived and, for some or all of the hour, no available agent both serves the
        channel and speaks the language: offered [contacts, mean per replication] and
        uncovered_share, the share of that hour's minutes without such an agent [0–1]. Empty when
        every language is always covered.
    """
    sc = result.scenario
    tl = result.timeline
    labels = {i: name for i, name in breakdown_labels(sc).get("language", {}).items() if i >= 0}
    minutes = np.arange(tl.warmup_s, tl.horizon_s, SECONDS_PER_MINUTE) + SECONDS_PER_MINUTE / 2
    how = utc_hour_of_week(minutes, tl.start_utc)
    minutes_in_hour = np.bincount(how, minlength=HOURS_PER_WEEK)
    rows = []
    for pname, plan in result.plans.items():
        roster = result.rosters[pname]
        offered_columns = {
            label: col
            for li, label in labels.items()
            if (col := breakdown_column("language", label, "offered")) in plan.hourly.columns
        }
        if not offered_columns:
            continue
        # one groupby for every language (a column's sum does not depend on the others)
        offered_by_hour = plan.hourly.groupby(["channel", "hour_of_week"])[
            list(offered_columns.values())
        ].sum()
        for li, label in labels.items():
            if label not in offered_columns:
                continue
            offered = offered_by_hour[offered_columns[label]]
            for c, cname in enumerate(sc.channels):
                speakers = roster.agent_channels[:, c] & roster.agent_languages[:, li]
                none = _speakers_on_duty(roster, speakers, minutes) == 0
                # share of each hour's minutes without a speaker (hours of the window only)
                uncovered = np.bincount(how, weights=none, minlength=HOURS_PER_WEEK)
                gap_hours = np.flatnonzero((minutes_in_hour > 0) & (uncovered > 0))
                for hour in gap_hours:
                    gap = uncovered[hour] / minutes_in_hour[hour]
                    demand = float(offered.get((c, hour), 0.0)) / result.replications
                    if demand > 0:
                        rows.append(
                            {
                                "plan": pname,
                                "language": label,
                                "channel": cname,
                                "hour_of_week": int(hour),
                                "utc_weekday": _UTC_DAYS[int(hour) // 24],
                                "utc_hour": int(hour) % 24,
                                "offered": demand,
                                "uncovered_share": float(gap),
                            }
                        )
    columns = ["plan", "language", "channel", "hour_of_week", "utc_weekday", "utc_hour"]
    return pd.DataFrame(rows, columns=[*columns, "offered", "uncovered_share"])


def uncovered_hours(gaps: pd.DataFrame, plan: str, language: str) -> float:
    """Hours of the window in which `language` had demand and no speaker on duty.

    Parameters
    ----------
    gaps : pandas.DataFrame
        From `language_gaps_table`.
    plan, language : str
        Which plan and language.

    Returns
    -------
    float
        Per UTC hour of week, the largest uncovered share over the channels with demand in that
        language, summed [h] (an hour half without a speaker counts 0.5).
    """
    mine = gaps[(gaps["plan"] == plan) & (gaps["language"] == language)]
    return float(mine.groupby("hour_of_week")["uncovered_share"].max().sum())

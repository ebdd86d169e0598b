"""Sustainability: can each crew group clear the work it is given, week after week?

A **crew group** pools every shift of a plan, at any of its sites, that shares a channel with
another shift of the group (connected components of "serves a channel in common"): the agents of
a group draw on one backlog, so their capacity is judged together. A group's entry names its
sites in file order joined by " + " and its channels in scenario order.

Per group, over the measured window:

* workload_hours = Σ handle time ÷ concurrency over the contacts of its channels that arrived in
  the window and reached an agent's queue without abandoning (answered, or still waiting at the
  end of the drain) [h]: the work the group is asked to do.
* available_hours = paid time of its shifts clipped to the window × (1 − the site's shrinkage)
  [h]: the time it has to do it (overtime excluded).
* ratio = workload_hours / available_hours (null when nothing is available).
* backlog_start / backlog_end: contacts of its channels waiting in queue (joined, not yet
  answered, abandoned or given up) at the start and at the end of the window; means per
  replication. backlog_growth_per_week = (end − start) per week of window.
* sustainable is false when the group serves an async channel and ratio ≥ 1, or when its backlog
  grows: mean growth above 1 % of the group's contacts in the window and, with two or more
  replications, the 95 % interval of the growth above zero.

With a window of whole weeks the start and the end fall on the same hour of the week, so a
stable group's growth is only noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coverage.calendar import Timeline
from coverage.results.figures import CrewGroupSustainability
from coverage.results.metrics import ci95
from coverage.results.tally import Tallies, tally_basis, tally_log
from coverage.scenario.model import Plan, Scenario
from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED
from coverage.simulation.roster import Roster
from coverage.units import SECONDS_PER_HOUR, SECONDS_PER_WEEK

GROWTH_MIN_SHARE = 0.01  # growth below 1 % of the window's contacts is not called growth


@dataclass(frozen=True)
class CrewGroup:
    """Shifts (site index, shift index) that share channels, and those channels (indices)."""

    sites: tuple[str, ...]
    shifts: tuple[tuple[int, int], ...]
    channels: tuple[int, ...]


def crew_groups(scenario: Scenario, plan: Plan) -> list[CrewGroup]:
    """The plan's crew groups: shifts that share channels, in file order of their first shift.

    Parameters
    ----------
    scenario : Scenario
        Channel order.
    plan : Plan
        The plan's sites and shifts.

    Returns
    -------
    list of CrewGroup
        Each group's sites, shifts and channels.
    """
    names = list(scenario.channels)
    shifts = [
        (s, j, {names.index(c) for c in (shift.channels or names)})
        for s, site in enumerate(plan.sites.values())
        for j, shift in enumerate(site.shifts)
    ]
    parent = list(range(len(shifts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[int, int] = {}
    for i, (_, _, chans) in enumerate(shifts):
        for c in chans:
            if c in first_with:
                parent[root(i)] = root(first_with[c])
            else:
                first_with[c] = i
    members: dict[int, list[int]] = {}
    for i in range(len(shifts)):
        members.setdefault(root(i), []).append(i)
    site_names = list(plan.sites)
    groups = []
    for idx in sorted(members.values(), key=min):
        site_idx = sorted({shifts[i][0] for i in idx})
        served: list[int] = sorted(set().union(*(shifts[i][2] for i in idx)))
        groups.append(
            CrewGroup(
                sites=tuple(site_names[s] for s in site_idx),
                shifts=tuple((shifts[i][0], shifts[i][1]) for i in idx),
                channels=tuple(served),
            )
        )
    return groups


def available_hours(group: CrewGroup, plan: Plan, roster: Roster, timeline: Timeline) -> float:
    """Paid time of a crew group's shifts inside the window × (1 − shrinkage).

    Parameters
    ----------
    group : CrewGroup
        The group.
    plan : Plan
        For each site's shrinkage.
    roster : Roster
        Paid shift instances [s, agents].
    timeline : Timeline
        The measured window.

    Returns
    -------
    float
        Available time [h].
    """
    shrinkage = np.array([site.shrinkage for site in plan.sites.values()])
    mine = np.zeros(len(roster.paid_site), dtype=bool)
    for s, j in group.shifts:
        mine |= (roster.paid_site == s) & (roster.paid_shift == j)
    start = np.clip(roster.paid_start_s[mine], timeline.warmup_s, timeline.horizon_s)
    end = np.clip(roster.paid_end_s[mine], timeline.warmup_s, timeline.horizon_s)
    keep = 1.0 - shrinkage[roster.paid_site[mine]]
    return float(np.sum(roster.paid_agents[mine] * (end - start) * keep)) / SECONDS_PER_HOUR


def backlog_at(log: pd.DataFrame, at_s: float) -> np.ndarray:
    """Which contacts wait in an agent queue at one instant.

    Parameters
    ----------
    log : pandas.DataFrame
        One row per contact (`coverage.results.metrics.contact_log`).
    at_s : float
        The instant [s from the horizon start].

    Returns
    -------
    numpy.ndarray
        Per contact, True when it has joined the queue and not yet been taken or left.
    """
    joined = log["joined_at_s"].to_numpy()
    wait = log["wait_s"].to_numpy()
    queued = np.isin(log["outcome"].to_numpy(), (ANSWERED, ABANDONED, UNFINISHED))
    return queued & (joined <= at_s) & (joined + np.nan_to_num(wait, nan=0.0) > at_s)


def replication_backlog(
    scenario: Scenario, plan: Plan, timeline: Timeline, log: pd.DataFrame
) -> dict[str, Any]:
    """One replication's backlog per channel, and workload and backlog per crew group.

    Parameters
    ----------
    scenario : Scenario
        Channels (concurrency).
    plan : Plan
        Its crew groups.
    timeline : Timeline
        The measured window.
    log : pandas.DataFrame
        One row per contact.

    Returns
    -------
    dict
        ``channel_start`` / ``channel_end``: contacts waiting at the window's start and end per
        channel [contacts]; ``groups``: per crew group, workload_s [s], backlog_start,
        backlog_end and contacts [contacts].
    """
    tallies = tally_log(tally_basis(scenario, timeline), log)
    return plan_backlog(tallies, crew_groups(scenario, plan))


def plan_backlog(tallies: Tallies, groups: list[CrewGroup]) -> dict[str, Any]:
    """One replication's backlog per channel, and workload and backlog per crew group.

    Parameters
    ----------
    tallies : Tallies
        The pass over the plan-replication's contacts (`coverage.results.tally`).
    groups : list of CrewGroup
        The plan's crew groups (`crew_groups`).

    Returns
    -------
    dict
        As `replication_backlog`.
    """
    at_start, at_end = tallies.backlog[:, 0], tallies.backlog[:, 1]
    contacts = tallies.counts[:, 0]  # offered: arrived in the window
    out = []
    for group in groups:
        c = list(group.channels)
        out.append(
            {
                "workload_s": float(tallies.work_s[c].sum()),
                "backlog_start": int(at_start[c].sum()),
                "backlog_end": int(at_end[c].sum()),
                "contacts": int(contacts[c].sum()),
            }
        )
    return {"channel_start": at_start.tolist(), "channel_end": at_end.tolist(), "groups": out}


def summarize_sustainability(
    scenario: Scenario,
    plan: Plan,
    roster: Roster,
    timeline: Timeline,
    reps: list[dict[str, Any]],
) -> list[CrewGroupSustainability]:
    """The JSON ``sustainability`` list of a plan from its replications.

    Parameters
    ----------
    scenario : Scenario
        Channel names.
    plan : Plan
        Its crew groups and shrinkage.
    roster : Roster
        For available hours.
    timeline : Timeline
        The measured window.
    reps : list of dict
        `replication_backlog` of each replication.

    Returns
    -------
    list of CrewGroupSustainability
        Per crew group: workload and available hours [h], their ratio, backlog at start and end
        [contacts], growth per week and whether the group is sustainable.
    """
    names = list(scenario.channels)
    weeks = timeline.window_s / SECONDS_PER_WEEK
    out = []
    for g, group in enumerate(crew_groups(scenario, plan)):
        rows = [rep["groups"][g] for rep in reps]
        workload_hours = float(np.mean([r["workload_s"] for r in rows])) / SECONDS_PER_HOUR
        avail = available_hours(group, plan, roster, timeline)
        ratio = workload_hours / avail if avail > 0 else None
        growth = [r["backlog_end"] - r["backlog_start"] for r in rows]
        mean_growth = float(np.mean(growth))
        contacts = float(np.mean([r["contacts"] for r in rows]))
        has_async = any(scenario.channels[names[c]].mode == "async" for c in group.channels)
        interval = ci95(growth)
        significant = interval is None or interval[0] > 0
        grows = has_async and mean_growth > GROWTH_MIN_SHARE * contacts and significant
        overloaded = has_async and (ratio is None or ratio >= 1.0) and workload_hours > 0
        out.append(
            CrewGroupSustainability(
                site=" + ".join(group.sites),
                channels=[names[c] for c in group.channels],
                workload_hours=workload_hours,
                available_hours=avail,
                ratio=ratio,
                sustainable=not (overloaded or grows),
                backlog_start=float(np.mean([r["backlog_start"] for r in rows])),
                backlog_end=float(np.mean([r["backlog_end"] for r in rows])),
                backlog_growth_per_week=mean_growth / weeks if weeks > 0 else None,
            )
        )
    return out


def channel_backlogs(
    scenario: Scenario, reps: list[dict[str, Any]]
) -> dict[str, tuple[float, float]]:
    """Mean backlog per channel at the start and the end of the window, over replications.

    Parameters
    ----------
    scenario : Scenario
        Channel names.
    reps : list of dict
        `replication_backlog` of each replication.

    Returns
    -------
    dict of str to (float, float)
        Channel → (backlog at start, backlog at end) [contacts].
    """
    return {
        name: (
            float(np.mean([rep["channel_start"][c] for rep in reps])),
            float(np.mean([rep["channel_end"][c] for rep in reps])),
        )
        for c, name in enumerate(scenario.channels)
    }


def sustainability_warning(entry: CrewGroupSustainability, plan: str) -> str | None:
    """One line for an unsustainable crew group.

    e.g. "email/social at single-site (austin): workload 1.05× available time — backlog grows ~420
    contacts a week".

    Parameters
    ----------
    entry : CrewGroupSustainability
        One group's figures.
    plan : str
        The plan's name.

    Returns
    -------
    str or None
        The line; None when the group is sustainable.
    """
    if entry.sustainable:
        return None
    ratio = entry.ratio
    load = "no available time" if ratio is None else f"workload {ratio:.2f}× available time"
    growth = entry.backlog_growth_per_week
    trend = ""
    if growth is not None and not math.isnan(growth):
        trend = (
            f" — backlog grows ~{growth:,.0f} contacts a week"
            if growth > 0
            else f" — backlog {entry.backlog_end:,.0f} contacts at the end of the window"
        )
    return f"{'/'.join(entry.channels)} at {plan} ({entry.site}): {load}{trend}"

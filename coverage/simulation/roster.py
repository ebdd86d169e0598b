"""The roster: shifts → each agent's duty windows on the UTC timeline, and the paid time.

Rules (docs/model.md, "Shifts and crews"):

* A shift starts on the local dates its `days` select and runs `hours` by the site's wall clock,
  possibly past midnight. Each shift is its own crew, the same people every day it runs, so the
  duty windows of one agent on consecutive days merge when they touch (a 24-hour shift on all
  days is continuous cover with no handover).
* On the site's public holidays the crew is `holiday_agents` (default `agents`).
* **Shrinkage with whole agents.** For a crew of n and shrinkage s, m = n(1 − s): agents
  0 … ⌊m⌋−1 are available for the whole shift; agent ⌊m⌋ is available for the first
  (m − ⌊m⌋) × 3600 s of each hour of the shift; the rest are paid but not available. The
  available agent-time is exactly n(1 − s) × shift length (up to a partial last hour), and paid
  time is unchanged.
* Shift instances starting on the local day before the horizon are included, so the crew on duty
  at 00:00 UTC of the first day is there; windows are clipped to [0, end of drain).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coverage.calendar import Timeline, holidays_for, local_dates, local_to_timeline_s
from coverage.errors import ScenarioError
from coverage.scenario.model import Plan, Scenario
from coverage.settings import MAX_AGENTS_PER_PLAN
from coverage.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class Roster:
    """Agents of one plan and when they are on duty.

    Attributes
    ----------
    site_names : list of str
    agent_site, agent_shift : int arrays (n_agents,) site index and shift index within its site
    agent_label : list of str, "site/shift#j/agent#i"
    agent_channels : bool array (n_agents, n_channels), channels each agent serves
    agent_languages : bool array (n_agents, n_languages), languages each agent speaks
    window_agent, window_start_s, window_end_s : arrays (n_windows,) availability windows [s],
        sorted by start; an agent's windows never overlap or touch
    window_paid_end : bool array, the window ends at a paid shift end (overtime after it is paid)
    paid_site, paid_start_s, paid_end_s, paid_agents : arrays (n_instances,) rostered shift
        instances: site, [start, end) [s] and crew size paid
    paid_shift : int array (n_instances,), the instance's shift index within its site
    """

    site_names: list[str]
    agent_site: np.ndarray
    agent_shift: np.ndarray
    agent_label: list[str]
    agent_channels: np.ndarray
    agent_languages: np.ndarray
    window_agent: np.ndarray
    window_start_s: np.ndarray
    window_end_s: np.ndarray
    window_paid_end: np.ndarray
    paid_site: np.ndarray
    paid_start_s: np.ndarray
    paid_end_s: np.ndarray
    paid_agents: np.ndarray
    paid_shift: np.ndarray

    @property
    def n_agents(self) -> int:
        """Number of distinct agents (every person who is ever on a crew)."""
        return len(self.agent_site)


def check_agent_budget(
    scenario: Scenario, *, limit: int = MAX_AGENTS_PER_PLAN, plans: list[str] | None = None
) -> int:
    """Distinct agents of the largest plan, refused above a limit before any roster is built.

    A plan rosters max(agents, holiday_agents) people per shift (each shift is its own crew).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    limit : int
        Most distinct agents a plan may roster [agents].
    plans : list of str, optional
        Plans to check (default: all).

    Returns
    -------
    int
        Distinct agents of the largest plan checked [agents].

    Raises
    ------
    ScenarioError
        At ``plans.<name>`` when a plan exceeds `limit`.
    """
    worst = 0
    for name in plans or list(scenario.plans):
        n_agents = sum(
            max(shift.agents, shift.holiday_agents or 0)
            for site in scenario.plans[name].sites.values()
            for shift in site.shifts
        )
        if n_agents > limit:
            raise ScenarioError(
                f"plans.{name}",
                f"{n_agents:,} agents in this plan; the limit is {limit:,} "
                "(raise it with --max-agents if you mean it)",
            )
        worst = max(worst, n_agents)
    return worst


def split_shrinkage(crew: int, shrinkage: float) -> tuple[int, float]:
    """Whole agents available all shift, and the share of each hour one more agent is available.

    Parameters
    ----------
    crew : int
        Agents on the shift [agents].
    shrinkage : float
        Share of paid time not available for contacts [0–1].

    Returns
    -------
    (int, float)
        ⌊n(1 − s)⌋ agents [agents] and the fraction n(1 − s) − ⌊n(1 − s)⌋ of each hour [0–1].

    >>> split_shrinkage(10, 0.35)
    (6, 0.5)
    """
    m = crew * (1.0 - shrinkage)
    whole = math.floor(m + 1e-9)
    frac = m - whole
    return whole, (0.0 if frac < 1e-9 else frac)


def _merge(windows: list[tuple[float, float, bool]]) -> list[tuple[float, float, bool]]:
    windows.sort()
    out: list[tuple[float, float, bool]] = []
    for start, end, paid_end in windows:
        if out and start <= out[-1][1]:
            prev = out[-1]
            if end >= prev[1]:
                out[-1] = (prev[0], end, paid_end)
        else:
            out.append((start, end, paid_end))
    return out


def build_roster(
    scenario: Scenario, plan: Plan, timeline: Timeline, languages: list[str]
) -> Roster:
    """Expand a plan's shifts into agents, availability windows and paid shift instances.

    Parameters
    ----------
    scenario : Scenario
        Channels (what a shift serves) and the plan's sites.
    plan : Plan
        The plan to roster.
    timeline : Timeline
        Horizon and drain [s from 00:00 UTC of the first day]; local shift times are placed on it.
    languages : list of str
        The scenario's language list (`coverage.demand.codes.scenario_languages`).

    Returns
    -------
    Roster
        Each agent's site, shift, channels and languages; availability windows after shrinkage
        [s]; paid shift instances with their crew [s, agents].
    """
    channel_names = list(scenario.channels)
    site_names = list(plan.sites)
    agent_site: list[int] = []
    agent_shift: list[int] = []
    labels: list[str] = []
    chan_rows: list[np.ndarray] = []
    lang_rows: list[np.ndarray] = []
    win: list[tuple[int, float, float, bool]] = []
    paid: list[tuple[int, float, float, int, int]] = []
    for s_idx, (site_name, site) in enumerate(plan.sites.items()):
        holidays = holidays_for(site.holidays, timeline)
        for j, shift in enumerate(site.shifts):
            crew_max = max(shift.agents, shift.holiday_agents or 0)
            per_agent: list[list[tuple[float, float, bool]]] = [[] for _ in range(crew_max)]
            for day in local_dates(site.time_zone, timeline):
                if day.weekday() not in shift.days:
                    continue
                crew = shift.agents
                if shift.holiday_agents is not None and day.toordinal() in holidays:
                    crew = shift.holiday_agents
                start = local_to_timeline_s(site.time_zone, day, shift.start_s, timeline.start_utc)
                end = local_to_timeline_s(
                    site.time_zone, day, shift.start_s + shift.duration_s, timeline.start_utc
                )
                if end <= 0 or start >= timeline.end_s or crew == 0:
                    continue
                paid.append((s_idx, start, end, crew, j))
                whole, frac = split_shrinkage(crew, site.shrinkage)
                for i in range(whole):
                    per_agent[i].append((start, end, True))
                if frac > 0:
                    t = start
                    while t < end:
                        part_end = min(t + frac * SECONDS_PER_HOUR, end)
                        per_agent[whole].append((t, part_end, part_end == end))
                        t += SECONDS_PER_HOUR
            chans = np.zeros(len(channel_names), dtype=bool)
            for name in shift.channels or channel_names:
                chans[channel_names.index(name)] = True
            langs = np.ones(len(languages), dtype=bool)
            if shift.languages is not None:
                langs = np.array([name in shift.languages for name in languages], dtype=bool)
            for i, windows in enumerate(per_agent):
                a = len(agent_site)
                agent_site.append(s_idx)
                agent_shift.append(j)
                labels.append(f"{site_name}/shift#{j}/agent#{i}")
                chan_rows.append(chans)
                lang_rows.append(langs)
                for start, end, paid_end in _merge(windows):
                    clipped_start, clipped_end = max(start, 0.0), min(end, timeline.end_s)
                    if clipped_end > clipped_start:
                        win.append((a, clipped_start, clipped_end, paid_end and clipped_end == end))
    win.sort(key=lambda w: (w[1], w[0]))
    n_channels, n_lang = len(channel_names), len(languages)
    return Roster(
        site_names=site_names,
        agent_site=np.asarray(agent_site, dtype=np.int32),
        agent_shift=np.asarray(agent_shift, dtype=np.int32),
        agent_label=labels,
        agent_channels=np.asarray(chan_rows, dtype=bool).reshape(len(agent_site), n_channels),
        agent_languages=np.asarray(lang_rows, dtype=bool).reshape(len(agent_site), n_lang),
        window_agent=np.asarray([w[0] for w in win], dtype=np.int32),
        window_start_s=np.asarray([w[1] for w in win], dtype=np.float64),
        window_end_s=np.asarray([w[2] for w in win], dtype=np.float64),
        window_paid_end=np.asarray([w[3] for w in win], dtype=bool),
        paid_site=np.asarray([p[0] for p in paid], dtype=np.int32),
        paid_start_s=np.asarray([p[1] for p in paid], dtype=np.float64),
        paid_end_s=np.asarray([p[2] for p in paid], dtype=np.float64),
        paid_agents=np.asarray([p[3] for p in paid], dtype=np.int64),
        paid_shift=np.asarray([p[4] for p in paid], dtype=np.int32),
    )


def agents_on_duty(roster: Roster, at_s: np.ndarray, *, channel: int | None = None) -> np.ndarray:
    """Available agents (after shrinkage) at each instant.

    Parameters
    ----------
    roster : Roster
        The plan's roster.
    at_s : numpy.ndarray
        Instants [s from the horizon start].
    channel : int, optional
        Count only agents serving this channel index.

    Returns
    -------
    numpy.ndarray
        Agents available at each instant [agents].
    """
    keep = np.ones(len(roster.window_agent), dtype=bool)
    if channel is not None:
        keep = roster.agent_channels[roster.window_agent, channel]
    starts = np.sort(roster.window_start_s[keep])
    ends = np.sort(roster.window_end_s[keep])
    at = np.asarray(at_s, dtype=float)
    return np.searchsorted(starts, at, side="right") - np.searchsorted(ends, at, side="right")

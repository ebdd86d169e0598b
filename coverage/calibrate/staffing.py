"""Observed staffing: agents present per hour → availability windows, tables and shifts.

**Availability.** Of the n agents seen working in an hour, a share `availability` is really
answering this queue (the rest of their time goes to breaks, after-call work, other queues). It is
applied with the scenario's whole-agent shrinkage rule (DESIGN.md, "Shifts and crews"): with
m = n × availability, agents 0 … ⌊m⌋−1 are available the whole hour and agent ⌊m⌋ the first
(m − ⌊m⌋) × 3600 s of it. Agent k's windows of consecutive hours merge, so the same people carry
on from hour to hour and there is no artificial handover.

**Shifts.** A scenario needs whole agents per weekday and hour: the mean presence per local
weekday × hour, rounded, is stacked into crews — level L works the hours where at least L agents
are present — and each run of hours becomes a shift (at most 24 h; runs that cross the end of
the week are cut at Monday 00:00).
"""

from __future__ import annotations

import numpy as np

from coverage.scenario.model import WEEKDAYS
from coverage.simulation.roster import split_shrinkage
from coverage.units import SECONDS_PER_HOUR


def availability_windows(
    present_by_hour: np.ndarray, availability: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agent windows (agent, start [s], end [s]) sorted by start, for the hours' presence."""
    agents, starts, ends = [], [], []
    for hour, n in enumerate(present_by_hour.tolist()):
        if n <= 0:
            continue
        whole, frac = split_shrinkage(int(n), 1.0 - availability)
        t0 = hour * SECONDS_PER_HOUR
        for k in range(whole):
            agents.append(k)
            starts.append(t0)
            ends.append(t0 + SECONDS_PER_HOUR)
        if frac > 0:
            agents.append(whole)
            starts.append(t0)
            ends.append(t0 + frac * SECONDS_PER_HOUR)
    agent = np.asarray(agents, dtype=np.int32)
    start = np.asarray(starts, dtype=np.float64)
    end = np.asarray(ends, dtype=np.float64)
    if len(agent) == 0:
        return agent, start, end
    order = np.lexsort((start, agent))
    agent, start, end = agent[order], start[order], end[order]
    new = np.ones(len(agent), dtype=bool)
    new[1:] = (agent[1:] != agent[:-1]) | (start[1:] > end[:-1])
    agent = agent[new]
    start = start[new]
    end = np.maximum.reduceat(end, np.flatnonzero(new))
    order = np.lexsort((agent, start))
    return agent[order], start[order], end[order]


def staffing_table(present_by_hour: np.ndarray, weekday: np.ndarray, local_hour: np.ndarray):
    """Mean agents present per local weekday (Mon = 0) × hour, shape (7, 24) (nan: never seen)."""
    total = np.zeros((7, 24))
    count = np.zeros((7, 24))
    np.add.at(total, (weekday, local_hour), present_by_hour)
    np.add.at(count, (weekday, local_hour), 1.0)
    return np.divide(total, count, out=np.full((7, 24), np.nan), where=count > 0)


def stacked_shifts(agents_by_weekday_hour: np.ndarray, channel: str) -> list[dict]:
    """Shifts (scenario format) whose crews add up to the whole-agent weekly profile."""
    week = np.nan_to_num(np.asarray(agents_by_weekday_hour, dtype=float)).round().astype(int)
    flat = week.reshape(-1)  # hour of week, Monday 00:00 first
    pieces: dict[tuple[int, int], dict[int, int]] = {}  # (start hour, hours) -> weekday -> crew
    for level in range(1, int(flat.max(initial=0)) + 1):
        on = np.concatenate([[False], flat >= level, [False]])
        edges = np.flatnonzero(on[1:] != on[:-1])
        for first, stop in zip(edges[::2], edges[1::2], strict=True):
            for start in range(int(first), int(stop), 24):
                hours = min(24, int(stop) - start)
                key = (start % 24, hours)
                by_day = pieces.setdefault(key, {})
                by_day[start // 24] = by_day.get(start // 24, 0) + 1
    shifts = []
    for (start, hours), by_day in sorted(pieces.items()):
        for crew in sorted(set(by_day.values())):
            days = [WEEKDAYS[d] for d in sorted(by_day) if by_day[d] == crew]
            shifts.append(
                {
                    "start": f"{start:02d}:00",
                    "hours": hours,
                    "days": days,
                    "agents": crew,
                    "channels": [channel],
                }
            )
    return shifts

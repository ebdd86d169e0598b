"""Observed staffing: agents present per hour → availability windows, tables and shifts.

**Availability.** Of the n agents seen working in an hour, a share `availability` is really
answering this queue (the rest of their time goes to breaks, after-call work, other queues). It is
applied with the scenario's whole-agent shrinkage rule (docs/model.md, "Shifts and crews"): with
m = n × availability, agents 0 … ⌊m⌋−1 are available the whole hour and agent ⌊m⌋ the first
(m − ⌊m⌋) × 3600 s of it. Agent k's windows of consecutive hours merge, so the same people carry
on from hour to hour and there is no artificial handover.

**Shifts.** A scenario needs whole agents per weekday and hour: the mean presence per local
weekday × hour, rounded, becomes a one-hour shift of that crew. Longer crews would be truer to
life, but the scenario's shrinkage applies per crew, and stacked crews of one agent each would
all take their unavailable part of the hour at the same time; hour-long crews of n agents get
exactly the calibration's n × availability.
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


def hourly_shifts(agents_by_weekday_hour: np.ndarray, channel: str) -> list[dict]:
    """One-hour shifts (scenario format) whose crews are the rounded weekly profile.

    A shift per local hour and crew size, on the weekdays that have that crew then: with the
    site's shrinkage 1 − availability, each hour's crew of n has n × availability agents
    available by the whole-agent rule, as in the calibration's simulation.
    """
    week = np.nan_to_num(np.asarray(agents_by_weekday_hour, dtype=float)).round().astype(int)
    shifts = []
    for hour in range(24):
        for crew in sorted(set(week[:, hour].tolist()) - {0}):
            days = [WEEKDAYS[d] for d in range(7) if week[d, hour] == crew]
            shifts.append(
                {
                    "start": f"{hour:02d}:00",
                    "hours": 1,
                    "days": days,
                    "agents": crew,
                    "channels": [channel],
                }
            )
    return shifts

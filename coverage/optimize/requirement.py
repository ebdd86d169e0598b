"""The analytic requirement: productive agents each channel needs in each UTC hour.

The load comes from the contacts the simulation itself will use (the mean over the prepared
replications of the contacts that reach the queue, by the UTC hour they join it, with their mean
handle time), so logs, bots and busyness need no separate model. Then:

* **realtime channel:** the fewest agents whose steady-state service level for that hour's rate
  reaches the channel's target share — Erlang A with the mean patience when the channel has
  one, Erlang C without (`coverage.erlang.required_agents`, concurrency counted as servers).
* **async channel:** work may wait up to the target's `answer_within_s`, so the requirement is
  on cumulative capacity: the agent-hours worked up to hour h must cover the work that arrived
  up to hour h − lag (lag = whole hours of the threshold), at a planning occupancy of
  `ASYNC_OCCUPANCY` (a backlog worked at 100% never drains).

Formulas assume steady state inside each hour; the simulation judges the result and the search
raises the requirement where it falls short (docs/optimizer.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from coverage.erlang import required_agents
from coverage.simulation.evaluate import PreparedPlan
from coverage.units import SECONDS_PER_HOUR

ASYNC_OCCUPANCY = 0.85  # planning occupancy of async work [0–1]


@dataclass(frozen=True)
class Requirement:
    """Productive agents by channel and UTC hour of the horizon.

    Attributes
    ----------
    realtime_agents : float array (n_channels, n_hours), agents needed on realtime channels
        (zero for async channels).
    async_work_hours : float array (n_channels, n_hours), agent-hours of async work arriving in
        each hour, divided by the planning occupancy (zero for realtime channels).
    async_lag_hours : int array (n_channels,), hours async work may wait.
    """

    realtime_agents: np.ndarray
    async_work_hours: np.ndarray
    async_lag_hours: np.ndarray


@cache
def _agents_for(
    per_hour: float,
    aht_s: float,
    share: float,
    target_s: float,
    patience_s: float | None,
    concurrency: int,
) -> int:
    return required_agents(
        per_hour,
        aht_s,
        target_share=min(share, 0.999),
        target_s=target_s,
        patience_s=patience_s,
        concurrency=concurrency,
    )


def _rounded_rate(per_hour: float) -> float:
    """Rates to 2 significant digits (at least 0.1/h): the formula is a first guess the
    simulation corrects, and exact Erlang A costs ~10 ms per agent count tried."""
    return max(0.1, float(f"{per_hour:.2g}"))


def hourly_load(prepared: PreparedPlan) -> tuple[np.ndarray, np.ndarray]:
    """Mean queued contacts by (channel, UTC hour of the horizon), and mean handle time [s]."""
    scenario = prepared.scenario
    n_channels = len(scenario.channels)
    n_hours = math.ceil(prepared.timeline.horizon_s / SECONDS_PER_HOUR)
    counts = np.zeros((n_channels, n_hours))
    handle_sum = np.zeros(n_channels)
    handle_n = np.zeros(n_channels)
    for prep in prepared.replications:
        channel = prep.contacts.channel[prep.queue.contact].astype(np.int64)
        hour = np.minimum(
            (prep.queue.joined_at_s // SECONDS_PER_HOUR).astype(np.int64), n_hours - 1
        )
        np.add.at(counts, (channel, hour), 1.0)
        handle_sum += np.bincount(channel, weights=prep.queue.handle_s, minlength=n_channels)
        handle_n += np.bincount(channel, minlength=n_channels)
    reps = max(1, len(prepared.replications))
    expected = np.array([c.handle_time.expected_s for c in scenario.channels.values()])
    aht_s = np.where(handle_n > 0, handle_sum / np.maximum(handle_n, 1), expected)
    return counts / reps, aht_s


def build_requirement(prepared: PreparedPlan) -> Requirement:
    """The analytic requirement of the prepared plan's demand (see the module docstring)."""
    scenario = prepared.scenario
    per_hour, aht_s = hourly_load(prepared)
    realtime = np.zeros_like(per_hour)
    work = np.zeros_like(per_hour)
    lag = np.zeros(len(scenario.channels), dtype=np.int64)
    for c, channel in enumerate(scenario.channels.values()):
        target = channel.target
        if channel.mode == "async":
            lag[c] = int(target.answer_within_s // SECONDS_PER_HOUR)
            work[c] = per_hour[c] * aht_s[c] / SECONDS_PER_HOUR / channel.concurrency
            work[c] /= ASYNC_OCCUPANCY
            continue
        patience_s = channel.patience.expected_s if channel.patience is not None else None
        for h, rate in enumerate(per_hour[c]):
            if rate <= 0:
                continue
            realtime[c, h] = _agents_for(
                _rounded_rate(float(rate)),
                round(float(aht_s[c]), 1),
                target.share,
                target.answer_within_s,
                patience_s,
                channel.concurrency,
            )
    return Requirement(realtime_agents=realtime, async_work_hours=work, async_lag_hours=lag)

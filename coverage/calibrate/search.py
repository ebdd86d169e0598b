"""Simulating a period of a log, and the availability that makes the simulation match it.

A period is simulated at the engine level (`coverage.simulation.fast_engine`): its arrivals as
logged, one FCFS queue, agents from the observed presence times an availability
(`coverage.calibrate.staffing`), handle times and patience drawn from the fitted distributions.
Replication r draws its handle times and patience from the streams of
``SeedSequence(seed).spawn(n)[r]`` whatever the availability, so every candidate availability
sees the same contacts (common random numbers) and the search compares like with like.

**The search.** The availability a in [0.02, 1] minimises
(ln(abandon_sim / abandon_obs))² + (ln(asa_sim / asa_obs))² — both relative errors weighted
alike (a figure that is 0 in the log is left out). A grid of step 0.05 finds the basin, then
bounded Brent (`scipy.optimize.minimize_scalar`) refines it to ±0.002. Among equal losses
(e.g. a log without waits, which any availability high enough reproduces) the highest wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from coverage.calibrate.outcomes import Observed, Period
from coverage.calibrate.staffing import availability_windows
from coverage.demand.streams import sample_durations
from coverage.scenario.model import Distribution
from coverage.simulation.dispatch import ABANDONED, ANSWERED, EngineInput
from coverage.units import SECONDS_PER_HOUR

DRAIN_S = 24 * SECONDS_PER_HOUR
FIGURES = ("offered", "answered", "abandoned", "abandon_rate", "asa_s", "service_level")
MIN_AVAILABILITY, MAX_AVAILABILITY = 0.02, 1.0


@dataclass(frozen=True)
class Model:
    """What a prediction needs besides a period: the fitted durations and the availability."""

    handle_time: Distribution
    patience: Distribution | None
    availability: float


def _draws(period: Period, model: Model, seed: int, replications: int) -> list[tuple]:
    n = len(period.arrival_s)
    out = []
    for child in np.random.SeedSequence(seed).spawn(replications):
        rng_handle, rng_patience = (np.random.default_rng(c) for c in child.spawn(2))
        handle = sample_durations(model.handle_time, n, rng=rng_handle)
        if model.patience is None:
            patience = np.full(n, np.inf)
        else:
            patience = sample_durations(model.patience, n, rng=rng_patience)
        out.append((handle, patience))
    return out


def simulate_period(
    period: Period, model: Model, *, seed: int, replications: int, draws: list | None = None
) -> list[Observed]:
    """Simulated outcomes of the period's arrivals, one :class:`Observed` per replication."""
    from coverage.simulation.fast_engine import simulate

    agent, start, end = availability_windows(period.present_by_hour, model.availability)
    n_agents = int(agent.max()) + 1 if len(agent) else 1
    n = len(period.arrival_s)
    joined = np.ascontiguousarray(period.arrival_s, dtype=np.float64)
    results = []
    for handle, patience in draws or _draws(period, model, seed, replications):
        inp = EngineInput(
            contact=np.arange(n, dtype=np.int64),
            joined_at_s=joined,
            deadline_s=joined + patience,
            handle_s=handle,
            klass=np.zeros(n, dtype=np.int32),
            class_priority=np.ones(1, dtype=np.int64),
            class_channel=np.zeros(1, dtype=np.int32),
            channel_concurrency=np.ones(1, dtype=np.int32),
            can_serve=np.ones((n_agents, 1), dtype=bool),
            window_agent=agent,
            window_start_s=start,
            window_end_s=end,
            window_paid_end=np.ones(len(agent), dtype=bool),
            end_s=period.n_hours * SECONDS_PER_HOUR + DRAIN_S,
        )
        out = simulate(inp)
        answered = out.outcome == ANSWERED
        abandoned = out.outcome == ABANDONED
        wait = np.where(answered, out.started_at_s - joined, out.left_at_s - joined)
        results.append(Observed(wait_s=wait, answered=answered, abandoned=abandoned))
    return results


def figures(observed: Observed, target_s: float) -> dict[str, float | None]:
    """offered, answered, abandoned, abandon_rate = abandoned / (answered + abandoned), asa_s
    (mean wait of answered) and service_level = answered within `target_s` / (answered +
    abandoned); a figure with an empty denominator is None."""
    answered = int(observed.answered.sum())
    abandoned = int(observed.abandoned.sum())
    done = answered + abandoned
    waits = observed.wait_s[observed.answered]
    return {
        "offered": len(observed.wait_s),
        "answered": answered,
        "abandoned": abandoned,
        "abandon_rate": abandoned / done if done else None,
        "asa_s": float(waits.mean()) if answered else None,
        "service_level": float((waits <= target_s).sum()) / done if done else None,
    }


def by_hour(period: Period, observed: Observed, target_s: float) -> pd.DataFrame:
    """The figures per local hour of day (0–23) of arrival, pooled over the period.

    `observed` may stack several replications of the period's arrivals (see :func:`pooled`).
    """
    hour = period.local_hour[
        np.clip((period.arrival_s // SECONDS_PER_HOUR).astype(np.int64), 0, period.n_hours - 1)
    ]
    hour = np.tile(hour, len(observed.wait_s) // max(len(hour), 1))
    rows = []
    for h in range(24):
        at = hour == h
        part = Observed(observed.wait_s[at], observed.answered[at], observed.abandoned[at])
        rows.append({"local_hour": h, **figures(part, target_s)})
    return pd.DataFrame(rows)


def pooled(runs: list[Observed]) -> Observed:
    """Replications stacked, so pooled figures are sums over replications divided by sums."""
    return Observed(
        wait_s=np.concatenate([r.wait_s for r in runs]),
        answered=np.concatenate([r.answered for r in runs]),
        abandoned=np.concatenate([r.abandoned for r in runs]),
    )


def _loss(sim: dict, target: dict) -> float:
    total = 0.0
    for key in ("abandon_rate", "asa_s"):
        want, got = target[key], sim[key]
        if not want:
            continue
        total += math.log(max(got or 0.0, 1e-6) / want) ** 2
    return total


def find_availability(
    period: Period,
    observed: Observed,
    handle_time: Distribution,
    patience: Distribution | None,
    *,
    seed: int,
    replications: int,
    target_s: float,
) -> tuple[float, list[tuple[float, float]]]:
    """The availability whose simulation best matches the log's abandonment and ASA.

    Returns the availability and every (availability, loss) evaluated, in order.
    """
    target = figures(observed, target_s)
    draws = _draws(period, Model(handle_time, patience, 1.0), seed, replications)
    trail: list[tuple[float, float]] = []
    cache: dict[float, float] = {}

    def loss(availability: float) -> float:
        key = round(float(availability), 4)
        if key not in cache:
            model = Model(handle_time, patience, key)
            runs = simulate_period(period, model, seed=seed, replications=0, draws=draws)
            cache[key] = _loss(figures(pooled(runs), target_s), target)
            trail.append((key, cache[key]))
        return cache[key]

    grid = np.round(np.arange(0.05, MAX_AVAILABILITY + 1e-9, 0.05), 4)
    values = [loss(a) for a in grid]
    best = len(values) - 1 - int(np.argmin(values[::-1]))  # ties: the highest availability
    lo = max(MIN_AVAILABILITY, float(grid[best]) - 0.05)
    hi = min(MAX_AVAILABILITY, float(grid[best]) + 0.05)
    found = minimize_scalar(loss, bounds=(lo, hi), method="bounded", options={"xatol": 0.002})
    candidates = [(float(grid[best]), values[best]), (float(found.x), float(found.fun))]
    availability = min(candidates, key=lambda c: c[1])[0]
    return round(availability, 4), trail

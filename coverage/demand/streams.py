"""Random streams and the draws of demand, written once for every kind of demand entry.

Every random number of a replication comes from a stream keyed by (seed, replication, demand
entry, purpose), so adding an entry does not change the others' draws, and a replication depends
on nothing but its key. The draws themselves — durations, the Gamma day multiplier, and the exact
non-homogeneous Poisson process per UTC minute — are shared by rate entries
(`coverage.demand.arrivals`) and fitted log entries (`coverage.demand.logfit`).

References
----------
.. [1] P. A. W. Lewis and G. S. Shedler, "Simulation of nonhomogeneous Poisson processes by
   thinning," Naval Research Logistics Quarterly 26(3), 1979 (the piecewise-constant case is
   exact by independent increments).
"""

from __future__ import annotations

import numpy as np

from coverage.calendar import Timeline
from coverage.scenario.model import Distribution
from coverage.units import SECONDS_PER_MINUTE

# purposes of the random streams of one demand entry, and how many there are
STREAM_ARRIVALS, STREAM_HANDLE, STREAM_PATIENCE, STREAM_BOT, STREAM_BUSYNESS = range(5)
N_PURPOSES = 5


def entry_rng(seed: int, replication: int, entry: int, purpose: int) -> np.random.Generator:
    """The generator of one stream.

    Parameters
    ----------
    seed : int
        The run's seed.
    replication : int
        Replication index (0-based).
    entry : int
        Index of the demand entry in the scenario.
    purpose : int
        One of ``STREAM_ARRIVALS``, ``STREAM_HANDLE``, ``STREAM_PATIENCE``, ``STREAM_BOT``,
        ``STREAM_BUSYNESS``.

    Returns
    -------
    numpy.random.Generator
        Seeded by ``SeedSequence(seed, spawn_key=(replication, entry, purpose))``.
    """
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(replication, entry, purpose))
    )


def sample_durations(dist: Distribution, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Draw durations from a handle-time or patience distribution.

    Parameters
    ----------
    dist : Distribution
        exponential (mean ``mean_s``), fixed, lognormal (mean ``mean_s``, ``sigma`` the standard
        deviation of ln) or empirical (``samples_s`` drawn with replacement).
    n : int
        How many.
    rng : numpy.random.Generator
        The stream to draw from.

    Returns
    -------
    numpy.ndarray
        ``n`` durations [s].
    """
    family = dist.family
    if family == "exponential":
        return rng.exponential(dist.expected_s, n)
    if family == "fixed":
        return np.full(n, dist.expected_s)
    if family == "lognormal":
        sigma = float(dist.sigma or 0.0)
        mu = np.log(dist.expected_s) - 0.5 * sigma**2
        return rng.lognormal(mu, sigma, n)
    samples = np.asarray(dist.samples_s, dtype=float)
    return samples[rng.integers(0, len(samples), n)]


def horizon_minutes(timeline: Timeline) -> tuple[np.ndarray, np.ndarray]:
    """The UTC minutes of [0, horizon): their starts and lengths.

    Parameters
    ----------
    timeline : Timeline
        The run's horizon [s].

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Start of each minute [s] and its length [s] (60, the last one possibly shorter).
    """
    n_minutes = int(np.ceil(timeline.horizon_s / SECONDS_PER_MINUTE))
    starts = np.arange(n_minutes) * SECONDS_PER_MINUTE
    return starts, np.minimum(SECONDS_PER_MINUTE, timeline.horizon_s - starts)


def day_index(dates: np.ndarray) -> tuple[np.ndarray, int]:
    """Index each minute's local date among the distinct dates (what `day_multiplier` draws for).

    Parameters
    ----------
    dates : numpy.ndarray
        Local date (ordinal) of each minute.

    Returns
    -------
    (numpy.ndarray, int)
        Per minute, the index of its date in the sorted distinct dates; how many dates.
    """
    unique, day_of_minute = np.unique(dates, return_inverse=True)
    return day_of_minute, len(unique)


def day_multiplier(
    busyness_cv: float, dates: np.ndarray, *, rng: np.random.Generator
) -> np.ndarray | None:
    """The busyness multiplier G of each minute: Gamma(1/cv², cv²) (mean 1) per local date.

    Parameters
    ----------
    busyness_cv : float
        Coefficient of variation of G [–]; 0 means no multiplier.
    dates : numpy.ndarray
        Local date (ordinal) of each minute.
    rng : numpy.random.Generator
        The busyness stream.

    Returns
    -------
    numpy.ndarray or None
        G per minute [–]; None when ``busyness_cv`` is 0.
    """
    if busyness_cv <= 0:
        return None
    return day_multiplier_by_index(busyness_cv, *day_index(dates), rng=rng)


def day_multiplier_by_index(
    busyness_cv: float, day_of_minute: np.ndarray, n_days: int, *, rng: np.random.Generator
) -> np.ndarray | None:
    """`day_multiplier` with the dates already indexed (`day_index`, computed once per run).

    Parameters
    ----------
    busyness_cv : float
        Coefficient of variation of G [–]; 0 means no multiplier.
    day_of_minute : numpy.ndarray
        Index of each minute's local date.
    n_days : int
        How many distinct dates.
    rng : numpy.random.Generator
        The busyness stream.

    Returns
    -------
    numpy.ndarray or None
        G per minute [–]; None when ``busyness_cv`` is 0 (nothing is drawn).
    """
    if busyness_cv <= 0:
        return None
    return day_factors(busyness_cv, n_days, rng=rng)[day_of_minute]


def day_factors(busyness_cv: float, n_days: int, *, rng: np.random.Generator) -> np.ndarray:
    """The busyness multiplier G of each local date: Gamma(1/cv², cv²), mean 1.

    Parameters
    ----------
    busyness_cv : float
        Coefficient of variation of G [–]; > 0.
    n_days : int
        How many distinct dates.
    rng : numpy.random.Generator
        The busyness stream.

    Returns
    -------
    numpy.ndarray
        G per date [–] (`day_multiplier_by_index` spreads it over the minutes).
    """
    return rng.gamma(1.0 / busyness_cv**2, busyness_cv**2, n_days)


def poisson_arrival_times(
    expected: np.ndarray, starts: np.ndarray, lengths: np.ndarray, *, rng: np.random.Generator
) -> np.ndarray:
    """Arrival instants of a Poisson process with a rate constant on each minute (exact) [1]_.

    Parameters
    ----------
    expected : numpy.ndarray
        Expected arrivals in each minute [contacts].
    starts, lengths : numpy.ndarray
        Start and length of each minute [s] (`horizon_minutes`).
    rng : numpy.random.Generator
        The arrivals stream.

    Returns
    -------
    numpy.ndarray
        Instants [s], minute by minute (unsorted within a minute): a Poisson count per minute,
        placed uniformly inside it.
    """
    counts = rng.poisson(expected)
    minute = np.repeat(np.arange(len(expected)), counts)
    return starts[minute] + rng.random(len(minute)) * lengths[minute]

"""Tests for coverage.demand.streams: the random streams and the draws every demand entry uses.

Kinds: kind 2 (validation against theory: lognormal and exponential moments, Poisson counts,
Gamma mean and CV) with the tolerance and its reason at each test; kind 1 (unit: stream
identities, fixed and empirical draws).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from coverage.demand.streams import (
    STREAM_ARRIVALS,
    STREAM_HANDLE,
    day_multiplier,
    entry_rng,
    poisson_arrival_times,
    sample_durations,
)
from coverage.scenario.model import Distribution


def test_streams_are_keyed_by_replication_entry_and_purpose_unit():
    # unit: the same key gives the same numbers; any other key, other numbers
    first = entry_rng(7, 1, 2, STREAM_ARRIVALS).random(4)
    assert first.tolist() == entry_rng(7, 1, 2, STREAM_ARRIVALS).random(4).tolist()
    others = [(8, 1, 2, STREAM_ARRIVALS), (7, 0, 2, STREAM_ARRIVALS)]
    others += [(7, 1, 3, STREAM_ARRIVALS), (7, 1, 2, STREAM_HANDLE)]
    for other in others:
        assert entry_rng(*other).random(4).tolist() != first.tolist(), other


def test_poisson_arrival_times_count_and_place_validation():
    # Validation (theory): counts per minute are Poisson with the given mean — over 20,000
    # minutes of mean 0.5 the total has sd √10,000 = 100 → tolerance 500 (5 sd); every
    # instant lies inside its minute, and a short last minute (30 s) is respected.
    starts = np.arange(20_000) * 60.0
    lengths = np.full(20_000, 60.0)
    lengths[-1] = 30.0
    times = poisson_arrival_times(
        np.full(20_000, 0.5), starts, lengths, rng=np.random.default_rng(1)
    )
    assert len(times) == pytest.approx(10_000, abs=500)
    minute = (times // 60.0).astype(int)
    assert np.all(times - starts[minute] < lengths[minute])
    # uniform within the minute: mean offset 30 s, sd 60/√12/√n ≈ 0.17 s → tolerance 1 s
    assert float(np.mean(times - starts[minute])) == pytest.approx(30.0, abs=1.0)


def test_day_multiplier_mean_one_and_cv_validation():
    # Validation (theory): Gamma(1/cv², cv²) has mean 1 and CV cv; one value per date, shared
    # by its minutes. 20,000 dates: sd of the mean 0.3/√n ≈ 0.002 → tolerance 0.01 (5 sd);
    # sd of the sample CV ≈ 0.3/√(2n)·√(1+2·0.09) ≈ 0.0016 → tolerance 0.01.
    dates = np.repeat(np.arange(20_000), 3)
    g = day_multiplier(0.3, dates, rng=np.random.default_rng(2))
    assert g is not None
    per_date = g[::3]
    assert np.all(g.reshape(-1, 3) == per_date[:, None])
    assert float(per_date.mean()) == pytest.approx(1.0, abs=0.01)
    assert float(per_date.std() / per_date.mean()) == pytest.approx(0.3, abs=0.01)
    assert day_multiplier(0.0, dates, rng=np.random.default_rng(2)) is None


def test_lognormal_mean_and_sigma_validation(rng: np.random.Generator):
    # Validation (theory): lognormal with mean mean_s and sigma = sd of ln(time): the sample
    # mean of 200,000 draws has sd 360·√(e^0.81 − 1)/√n ≈ 0.85 s → tolerance 1.5 % (6 sd);
    # sd of ln has sd 0.9/√(2n) ≈ 0.0014 → tolerance 0.01 (7 sd).
    dist = Distribution(dist="lognormal", mean_s=360.0, sigma=0.9)
    draws = sample_durations(dist, 200_000, rng=rng)
    assert draws.mean() == pytest.approx(360.0, rel=0.015)
    assert np.log(draws).std() == pytest.approx(0.9, abs=0.01)
    assert np.median(draws) == pytest.approx(360.0 * math.exp(-0.5 * 0.81), rel=0.02)


def test_other_distributions_unit(rng: np.random.Generator):
    # Unit: exponential mean (sd of the mean 300/√n ≈ 0.95 s → 2 % tolerance), fixed and its
    # alias, and empirical draws only from the samples (each about a third of the time).
    expo = sample_durations(Distribution(dist="exponential", mean_s=300.0), 100_000, rng=rng)
    assert expo.mean() == pytest.approx(300.0, rel=0.02)
    for name in ("fixed", "deterministic"):
        fixed = sample_durations(Distribution(dist=name, mean_s=42.0), 5, rng=rng)
        assert fixed.tolist() == [42.0] * 5
    emp = sample_durations(
        Distribution(dist="empirical", samples_s=[10.0, 20.0, 60.0]), 30_000, rng=rng
    )
    assert set(np.unique(emp)) == {10.0, 20.0, 60.0}
    for value in (10.0, 20.0, 60.0):  # share sd √(2/9/30000) ≈ 0.003 → tolerance 0.015
        assert np.mean(emp == value) == pytest.approx(1 / 3, abs=0.015)

"""Tests for coverage.demand.arrivals: the NHPP, demand factors, busyness, streams per entry.

The draw primitives themselves (durations, day multiplier, Poisson per minute) are tested in
tests/test_streams.py.

Kinds: kind 2 (validation against theory: Poisson counts, the gamma-Poisson variance, lognormal
moments) with the tolerance and its reason stated at each test; kind 1 (unit: exact rates and
stream identities).

Statistical tolerances are a number of standard errors (4–5) of the statistic under the model;
every draw is seeded, so each test gives the same answer on every run.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from coverage.calendar import build_timeline, local_minute_grid
from coverage.demand.arrivals import (
    Contacts,
    draw_contacts,
    expected_per_minute,
)
from coverage.scenario.model import Scenario, parse_scenario

BASE: dict[str, Any] = {
    "name": "arrivals",
    "horizon": {"start": "2026-01-05", "days": 1},
    "channels": {
        "phone": {
            "handle_time": {"dist": "exponential", "mean_s": 300},
            "patience": {"dist": "exponential", "mean_s": 120},
        },
        "email": {"mode": "async", "handle_time": {"dist": "fixed", "mean_s": 400}},
    },
    "regions": {"utc": {"time_zone": "UTC"}},
    "demand": [{"channel": "phone", "region": "utc", "per_hour": 30}],
    "plans": {
        "p": {
            "sites": {
                "s": {
                    "time_zone": "UTC",
                    "hourly_cost": 1.0,
                    "shifts": [{"start": "00:00", "hours": 24, "agents": 1}],
                }
            }
        }
    },
}

PROFILE = [2, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 20, 18, 18, 20, 20, 18, 14, 10, 8, 6, 5, 4, 3]


def _scenario(**changes: Any) -> Scenario:
    raw = copy.deepcopy(BASE)
    raw.update(copy.deepcopy(changes))
    return parse_scenario(raw)


def _draws(sc: Scenario, n_reps: int, seed: int = 5) -> list[Contacts]:
    timeline = build_timeline(sc)
    return [draw_contacts(sc, timeline, seed=seed, replication=r) for r in range(n_reps)]


def _within(count: float, mean: float, n_se: float = 4.5) -> bool:
    """|count − mean| within n_se Poisson standard errors (sd = √mean)."""
    return abs(count - mean) <= n_se * math.sqrt(mean)


def test_flat_rate_counts_per_hour_are_poisson_validation():
    # Validation (theory): a flat 30/h NHPP gives each hour a Poisson(30) count; summed over
    # 200 replications each hour is Poisson(6000). Tolerance 4.5 sd per hour (24 hours:
    # chance of a false alarm ~2e-4 for a correct generator).
    sc = _scenario()
    n_reps = 200
    counts = np.zeros(24)
    for c in _draws(sc, n_reps):
        assert np.all(np.diff(c.arrived_at_s) >= 0)  # sorted
        assert c.arrived_at_s.min() >= 0
        assert c.arrived_at_s.max() < 86400
        counts += np.bincount((c.arrived_at_s // 3600).astype(int), minlength=24)
    for hour in range(24):
        assert _within(counts[hour], 30 * n_reps), (hour, counts[hour])


def test_flat_rate_dispersion_is_poisson_validation():
    # Validation (theory): counts of disjoint hours are Poisson, variance = mean = 30. The
    # sample variance of 24 × 200 = 4800 hourly counts has relative sd ≈ √(2/4800) ≈ 2 %;
    # tolerance 10 % (5 sd).
    sc = _scenario()
    hourly = np.concatenate(
        [np.bincount((c.arrived_at_s // 3600).astype(int), minlength=24) for c in _draws(sc, 200)]
    )
    assert hourly.mean() == pytest.approx(30.0, rel=0.02)  # sd of the mean ≈ 0.08 → 0.6 = 7 sd
    assert hourly.var(ddof=1) == pytest.approx(30.0, rel=0.10)


def test_within_minute_times_are_uniform_validation():
    # Validation (theory): given the count, NHPP arrivals are uniform on each constant-rate
    # piece; the seconds inside the minute are U(0, 60). Mean 30 s with sd 60/√12/√n; ~7200
    # draws → sd 0.2 s, tolerance 1.0 s (5 sd).
    sc = _scenario()
    seconds = np.concatenate([c.arrived_at_s % 60.0 for c in _draws(sc, 10)])
    assert len(seconds) > 5000
    assert seconds.mean() == pytest.approx(30.0, abs=1.0)


def test_local_hour_profile_counts_validation():
    # Validation (theory): 24 local-hour rates in New York. Each local hour occurs once in a
    # UTC day, so the count of local hour h over 300 replications is Poisson(300 × rate[h]);
    # tolerance 4.5 sd per hour.
    sc = _scenario(
        regions={"ny": {"time_zone": "America/New_York"}},
        demand=[{"channel": "phone", "region": "ny", "per_hour": PROFILE}],
    )
    timeline = build_timeline(sc)
    grid = local_minute_grid("America/New_York", timeline.start_utc, timeline.n_minutes)
    n_reps = 300
    counts = np.zeros(24)
    for c in _draws(sc, n_reps):
        local_hour = grid.hour[(c.arrived_at_s // 60).astype(int)]
        counts += np.bincount(local_hour, minlength=24)
    for hour, rate in enumerate(PROFILE):
        assert _within(counts[hour], rate * n_reps), (hour, counts[hour], rate * n_reps)


def test_expected_rate_follows_local_hour_exactly_unit():
    # Unit: the expected count per UTC minute is per_hour[local hour] / 60, exactly, in a zone
    # with a half-hour offset (Asia/Kolkata, UTC+5:30).
    sc = _scenario(
        regions={"in": {"time_zone": "Asia/Kolkata"}},
        demand=[{"channel": "phone", "region": "in", "per_hour": PROFILE}],
    )
    timeline = build_timeline(sc)
    expected = expected_per_minute(sc.demand[0], sc, timeline)
    assert len(expected) == 24 * 60
    minutes = np.arange(24 * 60)
    local_hour = ((minutes + 330) // 60) % 24
    assert np.allclose(expected, np.asarray(PROFILE, float)[local_hour] / 60.0, rtol=1e-12)


def test_weekday_factors_scale_each_local_weekday_unit_and_validation():
    # Unit: expected daily counts are per_hour × 24 × factor[weekday] exactly (factors used as
    # given, not normalized). Validation: the drawn counts per weekday over 40 replications are
    # Poisson with that mean; tolerance 4.5 sd; a zero factor gives no arrivals at all.
    factors = [1.0, 2.0, 0.5, 0.0, 1.0, 1.5, 0.25]
    sc = _scenario(
        horizon={"start": "2026-01-05", "days": 7},
        warmup_weeks=0,  # one week of timeline, reshaped by weekday below
        demand=[{"channel": "phone", "region": "utc", "per_hour": 10, "weekday_factors": factors}],
    )
    timeline = build_timeline(sc)
    expected = expected_per_minute(sc.demand[0], sc, timeline).reshape(7, 1440).sum(axis=1)
    assert np.allclose(expected, 240.0 * np.asarray(factors), rtol=1e-12)
    n_reps = 40
    counts = np.zeros(7)
    for c in _draws(sc, n_reps):
        counts += np.bincount((c.arrived_at_s // 86400).astype(int), minlength=7)
    assert counts[3] == 0
    for day, factor in enumerate(factors):
        if factor:
            assert _within(counts[day], 240 * factor * n_reps), (day, counts[day])


def test_holiday_factor_on_region_holiday_unit_and_validation():
    # Unit: on the region's public holiday (2026-01-19, MLK day, US) in its local time, the
    # rate is multiplied by holiday_factor; the days around it are not. Validation: counts per
    # local date over 60 replications within 4.5 Poisson sd.
    zone = "America/Chicago"
    sc = _scenario(
        horizon={"start": "2026-01-18", "days": 3},
        regions={"us": {"time_zone": zone, "holidays": "US", "holiday_factor": 0.4}},
        demand=[{"channel": "phone", "region": "us", "per_hour": 20}],
    )
    timeline = build_timeline(sc)
    grid = local_minute_grid(zone, timeline.start_utc, timeline.n_minutes)
    dates = grid.date_ordinal[: 3 * 1440]
    expected = expected_per_minute(sc.demand[0], sc, timeline)
    holiday = dates == dt.date(2026, 1, 19).toordinal()
    assert holiday.sum() == 1440  # a whole local day inside the horizon
    assert np.allclose(expected[holiday], 20 * 0.4 / 60, rtol=1e-12)
    assert np.allclose(expected[~holiday], 20 / 60, rtol=1e-12)
    n_reps = 60
    on_holiday = off_holiday = 0
    for c in _draws(sc, n_reps):
        hit = holiday[(c.arrived_at_s // 60).astype(int)]
        on_holiday += int(hit.sum())
        off_holiday += int((~hit).sum())
    assert _within(on_holiday, 20 * 0.4 * 24 * n_reps)
    assert _within(off_holiday, 20 * 48 * n_reps)


@pytest.mark.parametrize("cv", [0.0, 0.3])
def test_busyness_cv_overdispersion_validation(cv):
    # Validation (theory): with a Gamma(1/cv², cv²) day multiplier G (mean 1), the daily count
    # is mixed Poisson: E = m, Var = m + cv²·m² (m = 240). 300 replications × 7 local days =
    # 2100 independent daily counts. The mean's sd is √Var/√2100 (≤ 1.7) → tolerance 2.5 %
    # (≥ 3.5 sd); the sample variance's relative sd is ≈ √((2 + 6cv²)/2100) ≈ 3.4 % →
    # tolerance 17 % (5 sd).
    m = 240.0
    entry: dict[str, Any] = {"channel": "phone", "region": "utc", "per_hour": 10}
    if cv:
        entry["busyness_cv"] = cv
    sc = _scenario(horizon={"start": "2026-01-05", "days": 7}, demand=[entry])
    daily = np.concatenate(
        [np.bincount((c.arrived_at_s // 86400).astype(int), minlength=7) for c in _draws(sc, 300)]
    )
    assert daily.mean() == pytest.approx(m, rel=0.025)
    assert daily.var(ddof=1) == pytest.approx(m + cv**2 * m**2, rel=0.17)


def test_busyness_is_one_multiplier_per_local_date_unit():
    # Unit: G is drawn per (entry, local date) from the entry's own stream, so two entries with
    # the same rate and cv get different day multipliers.
    sc = _scenario(
        horizon={"start": "2026-01-05", "days": 2},
        demand=[
            {"channel": "phone", "region": "utc", "per_hour": 1000, "busyness_cv": 0.5},
            {"channel": "email", "region": "utc", "per_hour": 1000, "busyness_cv": 0.5},
        ],
    )
    (c,) = _draws(sc, 1)
    day = (c.arrived_at_s // 86400).astype(int)
    counts = np.array([[np.sum((c.entry == k) & (day == d)) for d in range(2)] for k in range(2)])
    # with 24,000 expected per day, Poisson noise is < 1 %; cv 0.5 makes the days differ a lot
    assert not np.allclose(counts[0], counts[1], rtol=0.05)


def test_same_seed_same_contacts_unit():
    # Unit: determinism by (seed, replication); another replication or seed differs.
    sc = _scenario(
        demand=[
            {"channel": "phone", "region": "utc", "per_hour": 30, "busyness_cv": 0.2},
            {"channel": "email", "region": "utc", "per_hour": PROFILE},
        ],
        automation={"phone": {"deflection": 0.2}},
    )
    timeline = build_timeline(sc)
    a = draw_contacts(sc, timeline, seed=3, replication=1)
    b = draw_contacts(sc, timeline, seed=3, replication=1)
    for name in Contacts.__dataclass_fields__:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    other_rep = draw_contacts(sc, timeline, seed=3, replication=2)
    other_seed = draw_contacts(sc, timeline, seed=4, replication=1)
    assert not np.array_equal(a.arrived_at_s[:10], other_rep.arrived_at_s[:10])
    assert not np.array_equal(a.arrived_at_s[:10], other_seed.arrived_at_s[:10])


def test_adding_a_demand_entry_keeps_other_entries_draws_unit():
    # Unit: streams are keyed by (seed, replication, entry, purpose): appending an entry does
    # not change a single draw of the existing one (arrivals, handle, patience, bot).
    one = _scenario(demand=[{"channel": "phone", "region": "utc", "per_hour": 30}])
    two = _scenario(
        demand=[
            {"channel": "phone", "region": "utc", "per_hour": 30},
            {"channel": "email", "region": "utc", "per_hour": 12},
        ]
    )
    a = draw_contacts(one, build_timeline(one), seed=9, replication=0)
    b = draw_contacts(two, build_timeline(two), seed=9, replication=0)
    first = b.entry == 0
    assert first.sum() == len(a)
    assert len(b) > len(a)
    for name in ("arrived_at_s", "handle_s", "patience_s", "bot_u", "channel", "region"):
        assert np.array_equal(getattr(a, name), getattr(b, name)[first]), name


def test_contact_attributes_unit():
    # Unit: channel/region indices, patience only on channels that have one (async: never).
    sc = _scenario(
        demand=[
            {"channel": "phone", "region": "utc", "per_hour": 30},
            {"channel": "email", "region": "utc", "per_hour": 30},
        ]
    )
    (c,) = _draws(sc, 1)
    phone, email = c.channel == 0, c.channel == 1
    assert phone.any()
    assert email.any()
    assert np.all(np.isfinite(c.patience_s[phone]))
    assert np.all(np.isinf(c.patience_s[email]))
    assert np.all(c.handle_s[email] == 400.0)  # fixed
    assert np.all((c.bot_u >= 0) & (c.bot_u < 1))
    assert np.all(c.segment == -1)
    assert np.all(c.language == -1)

"""Tests for coverage.calendar (and the roster's use of it): time zones, DST, local grids.

Kinds: most tests are kind 1 (unit: edge cases); the DST shift tests are kind 4 (functional
invariants: "a site's 09:00 shift is 09:00 local on both sides of a DST change", docs/model.md).
Local times are checked against `zoneinfo` directly, an independent path from the package's
pandas-based minute grid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from coverage.calendar import (
    Timeline,
    build_timeline,
    holidays_for,
    local_minute_grid,
    local_to_timeline_s,
    utc_hour_of_week,
)
from coverage.demand.codes import scenario_languages
from coverage.scenario.model import Scenario, parse_scenario
from coverage.simulation.roster import build_roster

UTC = dt.UTC


def _scenario(
    site_zone: str, start: str, days: float, shifts: list[dict[str, Any]], **site: Any
) -> Scenario:
    return parse_scenario(
        {
            "name": "dst",
            "horizon": {"start": start, "days": days},
            "channels": {"phone": {"handle_time": {"dist": "exponential", "mean_s": 300}}},
            "regions": {"here": {"time_zone": site_zone}},
            "demand": [{"channel": "phone", "region": "here", "per_hour": 1}],
            "plans": {
                "p": {
                    "sites": {
                        "s": {"time_zone": site_zone, "hourly_cost": 10.0, "shifts": shifts, **site}
                    }
                }
            },
        }
    )


def _local(timeline: Timeline, at_s: float, zone: str) -> dt.datetime:
    return (timeline.start_utc + dt.timedelta(seconds=float(at_s))).astimezone(ZoneInfo(zone))


def _windows(sc: Scenario) -> tuple[Timeline, Any]:
    timeline = build_timeline(sc)
    roster = build_roster(sc, sc.plans["p"], timeline, scenario_languages(sc))
    return timeline, roster


# (zone, horizon start, DST change date): both sides of the US and EU changes in 2026
DST_CHANGES = [
    ("America/New_York", "2026-03-05", dt.date(2026, 3, 8)),  # US spring forward
    ("America/New_York", "2026-10-29", dt.date(2026, 11, 1)),  # US fall back
    ("Europe/Berlin", "2026-03-26", dt.date(2026, 3, 29)),  # EU spring forward
    ("Europe/Berlin", "2026-10-22", dt.date(2026, 10, 25)),  # EU fall back
]


@pytest.mark.parametrize(("zone", "start", "change"), DST_CHANGES, ids=lambda v: str(v))
def test_nine_oclock_shift_is_nine_local_on_both_sides_of_dst_functional(zone, start, change):
    # Functional: every 09:00–17:00 duty window starts at 09:00 and ends at 17:00 local time,
    # on days before and after the change, although its UTC hour moves by one.
    sc = _scenario(zone, start, 6, [{"start": "09:00", "hours": 8, "agents": 2}])
    timeline, roster = _windows(sc)
    inside = (roster.window_start_s > 0) & (roster.window_end_s < timeline.end_s)
    assert inside.sum() >= 2 * 6  # two agents, at least six whole days
    local_dates = set()
    utc_hours = set()
    for start_s, end_s in zip(
        roster.window_start_s[inside], roster.window_end_s[inside], strict=True
    ):
        begin, end = _local(timeline, start_s, zone), _local(timeline, end_s, zone)
        assert (begin.hour, begin.minute, begin.second) == (9, 0, 0)
        assert (end.hour, end.minute, end.second) == (17, 0, 0)
        assert end.date() == begin.date()
        assert end_s - start_s == pytest.approx(8 * 3600.0, abs=1e-6)
        local_dates.add(begin.date())
        utc_hours.add((timeline.start_utc + dt.timedelta(seconds=float(start_s))).hour)
    assert min(local_dates) < change < max(local_dates)  # really both sides of the change
    assert len(utc_hours) == 2  # and the UTC start did move by an hour


def test_nonexistent_local_time_moves_forward_by_the_gap_unit():
    # Unit: 02:30 does not exist on 2026-03-08 in New York (02:00 EST → 03:00 EDT): 03:30 EDT.
    start = dt.datetime(2026, 3, 8, tzinfo=UTC)
    at_s = local_to_timeline_s("America/New_York", dt.date(2026, 3, 8), 2.5 * 3600, start)
    assert at_s == pytest.approx(7.5 * 3600, abs=1e-9)  # 07:30 UTC
    local = (start + dt.timedelta(seconds=at_s)).astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%Y-%m-%d %H:%M") == "2026-03-08 03:30"
    # Same in Berlin on 2026-03-29 (02:00 CET → 03:00 CEST)
    start = dt.datetime(2026, 3, 29, tzinfo=UTC)
    at_s = local_to_timeline_s("Europe/Berlin", dt.date(2026, 3, 29), 2.5 * 3600, start)
    assert at_s == pytest.approx(1.5 * 3600, abs=1e-9)  # 01:30 UTC = 03:30 CEST


def test_shift_at_nonexistent_time_starts_at_half_past_three_unit():
    # Unit: through the roster: a 02:30 shift on the spring-forward Sunday starts 03:30 local.
    sc = _scenario(
        "America/New_York", "2026-03-07", 3, [{"start": "02:30", "hours": 4, "agents": 1}]
    )
    timeline, roster = _windows(sc)
    starts = [_local(timeline, s, "America/New_York") for s in roster.window_start_s]
    by_date = {t.date(): t.strftime("%H:%M") for t in starts}
    assert by_date[dt.date(2026, 3, 8)] == "03:30"
    assert by_date[dt.date(2026, 3, 9)] == "02:30"


def test_ambiguous_local_time_takes_first_occurrence_unit():
    # Unit: 01:30 happens twice on 2026-11-01 in New York; fold=0 is the first (EDT, 05:30 UTC).
    start = dt.datetime(2026, 11, 1, tzinfo=UTC)
    at_s = local_to_timeline_s("America/New_York", dt.date(2026, 11, 1), 1.5 * 3600, start)
    assert at_s == pytest.approx(5.5 * 3600, abs=1e-9)
    # Berlin 2026-10-25: 02:30 happens twice; the first is CEST (00:30 UTC)
    start = dt.datetime(2026, 10, 25, tzinfo=UTC)
    at_s = local_to_timeline_s("Europe/Berlin", dt.date(2026, 10, 25), 2.5 * 3600, start)
    assert at_s == pytest.approx(0.5 * 3600, abs=1e-9)


@pytest.mark.parametrize(
    ("start", "day", "elapsed_h"),
    [("2026-03-07", dt.date(2026, 3, 8), 23.0), ("2026-10-31", dt.date(2026, 11, 1), 25.0)],
    ids=["spring-23h", "fall-25h"],
)
def test_midnight_24h_shift_ends_at_next_local_midnight_unit(start, day, elapsed_h):
    # Unit: "a 00:00 shift of 24 hours ends at the next local midnight whatever DST does";
    # paid time is the elapsed time.
    zone = "America/New_York"
    sc = _scenario(zone, start, 3, [{"start": "00:00", "hours": 24, "agents": 1}])
    timeline, roster = _windows(sc)
    for begin_s, end_s in zip(roster.paid_start_s, roster.paid_end_s, strict=True):
        begin, end = _local(timeline, begin_s, zone), _local(timeline, end_s, zone)
        if begin_s < 0:
            continue
        assert begin.strftime("%H:%M") == "00:00"
        assert end.strftime("%H:%M") == "00:00"
        assert end.date() == begin.date() + dt.timedelta(days=1)
        if begin.date() == day:
            assert end_s - begin_s == pytest.approx(elapsed_h * 3600, abs=1e-6)


def _one() -> dict[str, Any]:
    return {"start": "00:00", "hours": 24, "agents": 1}


@pytest.mark.parametrize(
    ("zone", "start"),
    [("America/New_York", "2026-03-07"), ("Europe/Berlin", "2026-10-24"), ("Asia/Kolkata", None)],
    ids=["ny-spring", "berlin-fall", "kolkata-half-hour"],
)
def test_local_minute_grid_matches_zoneinfo_unit(zone, start):
    # Unit: local hour, minute of day, weekday and date of every UTC minute, against zoneinfo.
    start_utc = dt.datetime.fromisoformat(start or "2026-01-05").replace(tzinfo=UTC)
    n = 3 * 24 * 60
    grid = local_minute_grid(zone, start_utc, n)
    tz = ZoneInfo(zone)
    local = [(start_utc + dt.timedelta(minutes=i)).astimezone(tz) for i in range(n)]
    assert np.array_equal(grid.hour, [t.hour for t in local])
    assert np.array_equal(grid.minute_of_day, [t.hour * 60 + t.minute for t in local])
    assert np.array_equal(grid.weekday, [t.weekday() for t in local])
    assert np.array_equal(grid.date_ordinal, [t.date().toordinal() for t in local])


def test_local_minute_grid_skips_the_missing_hour_unit():
    # Unit: on 2026-03-08 New York has no 02:xx; 06:59 UTC is 01:59 EST, 07:00 UTC is 03:00 EDT.
    start_utc = dt.datetime(2026, 3, 8, tzinfo=UTC)
    grid = local_minute_grid("America/New_York", start_utc, 24 * 60)
    assert grid.hour[0] == 19  # 2026-03-07 19:00 EST, a Saturday
    assert grid.weekday[0] == 5
    assert grid.minute_of_day[7 * 60 - 1] == 1 * 60 + 59
    assert grid.minute_of_day[7 * 60] == 3 * 60
    sunday = dt.date(2026, 3, 8).toordinal()
    assert not np.any((grid.hour == 2) & (grid.date_ordinal == sunday))
    assert grid.weekday[7 * 60] == 6


def test_local_minute_grid_is_read_only_unit():
    # Unit: the cached grid is shared; nobody may change it.
    grid = local_minute_grid("UTC", dt.datetime(2026, 1, 5, tzinfo=UTC), 60)
    with pytest.raises(ValueError, match=r"read-only"):
        grid.hour[0] = 3


@pytest.mark.parametrize(
    ("start", "at_h", "expected"),
    [
        ("2026-01-05", 0.0, 0),  # Monday 00:00
        ("2026-01-05", 0.999, 0),
        ("2026-01-05", 1.0, 1),
        ("2026-01-05", 167.5, 167),  # Sunday 23:30
        ("2026-01-05", 168.0, 0),  # wraps to the next Monday
        ("2026-01-07", 0.0, 48),  # a Wednesday start
        ("2026-01-11", 23.5, 167),  # a Sunday start
        ("2026-01-11", 24.0, 0),
    ],
)
def test_utc_hour_of_week_unit(start, at_h, expected):
    # Unit: UTC hour of the week, Mon 00:00 = 0 … Sun 23:00 = 167.
    start_utc = dt.datetime.fromisoformat(start).replace(tzinfo=UTC)
    got = utc_hour_of_week(np.array([at_h * 3600.0]), start_utc)
    assert got.tolist() == [expected]


def test_utc_hour_of_week_ignores_dst_unit():
    # Unit: the reporting grid is UTC; it does not skip or repeat an hour at a DST change.
    start_utc = dt.datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; US DST starts on the 8th
    at_s = np.arange(0, 168 * 3600, 3600.0) + 1800.0
    assert utc_hour_of_week(at_s, start_utc).tolist() == list(range(168))


def test_timeline_has_warmup_and_a_day_of_drain_unit():
    # Unit: horizon, warm-up and 24 h drain on the UTC timeline (docs/model.md).
    raw_sc = _scenario("UTC", "2026-03-02", 2, [_one()])
    sc = raw_sc.model_copy(update={"warmup_hours": 6.0})
    tl = build_timeline(sc)
    assert tl.start_utc == dt.datetime(2026, 3, 2, tzinfo=UTC)
    assert tl.horizon_s == pytest.approx(48 * 3600.0, abs=0)
    assert tl.warmup_s == pytest.approx(6 * 3600.0, abs=0)
    assert tl.end_s == pytest.approx(72 * 3600.0, abs=0)
    assert tl.window_s == pytest.approx(42 * 3600.0, abs=0)
    assert tl.n_minutes == 72 * 60


def test_holidays_for_uses_the_holidays_package_unit():
    # Unit: US public holidays of 2026 (MLK day, Independence Day and its observed Friday).
    sc = _scenario("UTC", "2026-01-18", 3, [_one()])
    days = holidays_for("US", build_timeline(sc))
    for holiday in (dt.date(2026, 1, 19), dt.date(2026, 7, 4), dt.date(2026, 7, 3)):
        assert holiday.toordinal() in days
    assert dt.date(2026, 1, 20).toordinal() not in days
    assert holidays_for(None, build_timeline(sc)) == frozenset()

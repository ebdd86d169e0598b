"""Tests for coverage.results.costs: labor, premiums by local time, overtime, automation, seats.

Kinds: kind 1 (unit: hand-made plans whose paid hours and premium hours are known exactly,
including across DST changes and on US public holidays) and kind 4 (functional: the premium
share of every UTC minute against the local clock computed independently with zoneinfo).
Money is compared with a relative tolerance of 1e-9 (float sums of per-minute integrals).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from coverage.calendar import build_timeline
from coverage.demand.automation import BotOutcome
from coverage.demand.codes import scenario_languages
from coverage.results.costs import (
    peak_on_duty,
    plan_costs,
    premium_share_by_minute,
    summarize_costs,
)
from coverage.results.figures import PlanCost, SiteCost
from coverage.scenario.model import Scenario, parse_scenario
from coverage.simulation.dispatch import EngineOutput
from coverage.simulation.roster import build_roster
from coverage.units import HOURS_PER_MONTH

H = 3600.0
REL = 1e-9


def _scenario(
    site: dict[str, Any], *, start: str, days: float = 3, warmup_hours: float = 0
) -> Scenario:
    return parse_scenario(
        {
            "name": "costs",
            "horizon": {"start": start, "days": days},
            "warmup_hours": warmup_hours,
            "channels": {"phone": {"handle_time": {"dist": "exponential", "mean_s": 300}}},
            "regions": {"here": {"time_zone": "UTC"}},
            "demand": [{"channel": "phone", "region": "here", "per_hour": 1}],
            "plans": {"p": {"sites": {"s": {"hourly_cost": 10.0, **site}}}},
        }
    )


def _out(overtime: list[tuple[int, float, float, bool]] = ()) -> EngineOutput:
    return EngineOutput(
        outcome=np.zeros(0, np.int8),
        started_at_s=np.zeros(0),
        ended_at_s=np.zeros(0),
        left_at_s=np.zeros(0),
        agent=np.zeros(0, np.int32),
        overtime_agent=np.array([o[0] for o in overtime], np.int32),
        overtime_start_s=np.array([o[1] for o in overtime], float),
        overtime_end_s=np.array([o[2] for o in overtime], float),
        overtime_paid=np.array([o[3] for o in overtime], bool),
    )


def _no_bot(n: int = 0) -> BotOutcome:
    return BotOutcome(
        bot=np.zeros(n, bool),
        deflected=np.zeros(n, bool),
        joined_at_s=np.zeros(n),
        bot_cost=np.zeros(n),
    )


def _costs(
    sc: Scenario,
    overtime: list[tuple[int, float, float, bool]] = (),
    bot: BotOutcome | None = None,
    arrived: np.ndarray | None = None,
) -> PlanCost:
    timeline = build_timeline(sc)
    roster = build_roster(sc, sc.plans["p"], timeline, scenario_languages(sc))
    arrived = np.zeros(0) if arrived is None else arrived
    bot = _no_bot() if bot is None else bot
    return plan_costs(sc.plans["p"], roster, _out(overtime), bot, arrived, timeline)


def _shift(start: str, hours: float, days: Any, agents: int = 1) -> dict[str, Any]:
    return {"start": start, "hours": hours, "days": days, "agents": agents}


NIGHT = {"from": "22:00", "to": "06:00", "rate": 0.1}


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("America/New_York", "2026-03-06"),  # US spring forward on the 8th
        ("America/New_York", "2026-10-30"),  # US fall back on 1 Nov
        ("Europe/Berlin", "2026-03-27"),  # EU spring forward on the 29th
        ("Asia/Manila", "2026-03-06"),  # no DST
    ],
)
def test_night_premium_share_on_local_night_minutes_only_functional(zone, start):
    # Functional: the premium share of each UTC minute is 0.1 exactly when the site's local
    # clock (zoneinfo) reads 22:00–05:59, and 0 otherwise, across the DST change.
    site = {"time_zone": zone, "night_premium": NIGHT, "shifts": [_shift("00:00", 24, "all")]}
    sc = _scenario(site, start=start, days=4)
    timeline = build_timeline(sc)
    share = premium_share_by_minute(sc.plans["p"].sites["s"], timeline)
    tz = ZoneInfo(zone)
    hours = np.array(
        [
            (timeline.start_utc + dt.timedelta(minutes=i)).astimezone(tz).hour
            for i in range(timeline.n_minutes)
        ]
    )
    expected = np.where((hours >= 22) | (hours < 6), 0.1, 0.0)
    assert np.allclose(share, expected, rtol=0, atol=1e-15)


def test_night_premium_across_spring_forward_unit():
    # Unit: New York, a 20:00 shift of 12 wall-clock hours on Sat 2026-03-07 ends 08:00 EDT
    # on Sunday: 11 h paid; its night (22:00 EST → 06:00 EDT) is 7 h elapsed. A week later
    # (no change) the same shift pays 12 h with 8 night hours.
    site = {
        "time_zone": "America/New_York",
        "night_premium": NIGHT,
        "shifts": [_shift("20:00", 12, ["Sat"])],
    }
    dst = _costs(_scenario(site, start="2026-03-07"))
    assert dst.paid_hours == pytest.approx(11.0, rel=REL)
    assert dst.labor == pytest.approx(110.0, rel=REL)
    assert dst.premiums == pytest.approx(7 * 10.0 * 0.1, rel=REL)
    normal = _costs(_scenario(site, start="2026-03-14"))
    assert normal.paid_hours == pytest.approx(12.0, rel=REL)
    assert normal.premiums == pytest.approx(8 * 10.0 * 0.1, rel=REL)


def test_night_premium_across_fall_back_unit():
    # Unit: Berlin, a 20:00 shift of 12 wall-clock hours on Sat 2026-10-24 runs 13 h elapsed
    # (08:00 CET on Sunday); night 22:00 CEST → 06:00 CET is 9 h elapsed.
    site = {
        "time_zone": "Europe/Berlin",
        "night_premium": NIGHT,
        "shifts": [_shift("20:00", 12, ["Sat"])],
    }
    costs = _costs(_scenario(site, start="2026-10-24"))
    assert costs.paid_hours == pytest.approx(13.0, rel=REL)
    assert costs.premiums == pytest.approx(9 * 10.0 * 0.1, rel=REL)


def test_day_shift_pays_no_night_premium_unit():
    # Unit: 08:00–17:00 local never touches 22:00–06:00.
    site = {
        "time_zone": "America/Chicago",
        "night_premium": NIGHT,
        "shifts": [_shift("08:00", 9, "all", agents=3)],
    }
    costs = _costs(_scenario(site, start="2026-03-06", days=4))
    assert costs.premiums == pytest.approx(0.0, abs=1e-12)
    assert costs.labor > 0


def test_weekend_premium_on_local_saturday_and_sunday_unit():
    # Unit: New York; Fri 2026-01-09 20:00 + 8 h runs into Saturday: 4 weekend hours (local
    # midnight, not UTC midnight); Sat 10:00 + 8 h: 8; Mon 10:00 + 8 h: 0.
    site = {
        "time_zone": "America/New_York",
        "weekend_premium": 0.2,
        "shifts": [_shift("20:00", 8, ["Fri"]), _shift("10:00", 8, ["Sat", "Mon"])],
    }
    costs = _costs(_scenario(site, start="2026-01-09", days=4))
    assert costs.paid_hours == pytest.approx(24.0, rel=REL)
    assert costs.premiums == pytest.approx((4 + 8) * 10.0 * 0.2, rel=REL)


def test_holiday_premium_on_the_local_holiday_date_unit():
    # Unit: Los Angeles, US holidays: 2026-01-19 is Martin Luther King Jr. Day. A Sunday 20:00
    # shift of 8 h has its last 4 hours on the holiday, the Monday 20:00 shift its first 4.
    site = {
        "time_zone": "America/Los_Angeles",
        "holidays": "US",
        "holiday_premium": 0.5,
        "shifts": [_shift("20:00", 8, ["Sun", "Mon"])],
    }
    costs = _costs(_scenario(site, start="2026-01-18"))
    assert costs.paid_hours == pytest.approx(16.0, rel=REL)
    assert costs.premiums == pytest.approx(8 * 10.0 * 0.5, rel=REL)
    # without a holiday calendar the premium share has nothing to land on
    site_without = {k: v for k, v in site.items() if k != "holidays"}
    assert _costs(_scenario(site_without, start="2026-01-18")).premiums == pytest.approx(
        0.0, abs=1e-12
    )


def test_holiday_premium_on_independence_day_unit():
    # Unit: New York, 09:00–17:00 on Fri 3, Sat 4 and Sun 5 July 2026. The holidays package
    # lists 4 July and its observed day, Friday 3 July, as US public holidays; Sunday is not.
    site = {
        "time_zone": "America/New_York",
        "holidays": "US",
        "holiday_premium": 0.5,
        "shifts": [_shift("09:00", 8, "all")],
    }
    costs = _costs(_scenario(site, start="2026-07-03"))
    assert costs.paid_hours == pytest.approx(24.0, rel=REL)
    assert costs.premiums == pytest.approx(16 * 10.0 * 0.5, rel=REL)


def test_overtime_is_paid_with_its_premium_unit():
    # Unit: UTC, 08:00 + 8 h shift, agent 0 finishes a contact 30 min after the end: 0.5 h
    # more paid hours with overtime_premium 0.25; an unpaid overtime row (after a shrinkage
    # piece or a drain shift) and one before the warm-up count nothing.
    site = {
        "time_zone": "UTC",
        "overtime_premium": 0.25,
        "shifts": [_shift("08:00", 8, ["Mon"])],
    }
    sc = _scenario(site, start="2026-01-05", days=1)
    base = _costs(sc)
    assert base.paid_hours == pytest.approx(8.0, rel=REL)
    with_ot = _costs(sc, overtime=[(0, 16 * H, 16.5 * H, True), (0, 17 * H, 18 * H, False)])
    assert with_ot.paid_hours == pytest.approx(8.5, rel=REL)
    assert with_ot.labor == pytest.approx(85.0, rel=REL)
    assert with_ot.premiums == pytest.approx(0.5 * 10.0 * 0.25, rel=REL)
    assert with_ot.by_site["s"].overtime_hours == pytest.approx(0.5, rel=REL)


def test_premiums_are_additive_on_overtime_at_night_unit():
    # Unit: overtime 22:00–23:00 local pays night (0.1) + overtime (0.25) on that hour.
    site = {
        "time_zone": "UTC",
        "overtime_premium": 0.25,
        "night_premium": NIGHT,
        "shifts": [_shift("14:00", 8, ["Mon"])],
    }
    sc = _scenario(site, start="2026-01-05", days=1)
    costs = _costs(sc, overtime=[(0, 22 * H, 23 * H, True)])
    assert costs.paid_hours == pytest.approx(9.0, rel=REL)
    assert costs.premiums == pytest.approx(1 * 10.0 * (0.1 + 0.25), rel=REL)
    # split by premium type (cost table): the night hour and the overtime share, adding up
    site_cost = costs.by_site["s"]
    assert site_cost.night_premium == pytest.approx(1 * 10.0 * 0.1, rel=REL)
    assert site_cost.overtime_premium == pytest.approx(1 * 10.0 * 0.25, rel=REL)
    assert site_cost.weekend_premium == pytest.approx(0.0, abs=0)
    assert site_cost.holiday_premium == pytest.approx(0.0, abs=0)


def test_overtime_before_warmup_is_not_counted_unit():
    # Unit: the measured window starts at the warm-up; overtime that starts before it is not
    # cost of the window.
    site = {"time_zone": "UTC", "shifts": [_shift("00:00", 2, "all")]}
    sc = _scenario(site, start="2026-01-05", days=1, warmup_hours=6)
    costs = _costs(sc, overtime=[(0, 2 * H, 3 * H, True)])
    assert costs.paid_hours == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("shifts", "peak"),
    [
        ([_shift("08:00", 8, "all", 3), _shift("12:00", 8, "all", 2)], 5),  # overlapping crews
        ([_shift("00:00", 8, "all", 3), _shift("08:00", 8, "all", 4)], 4),  # back to back
    ],
    ids=["overlap", "back-to-back"],
)
def test_seats_are_seat_cost_times_peak_times_hours_over_730_5_unit(shifts, peak):
    # Unit: seats = seat_cost_per_month × peak agents on duty × window hours / 730.5; a crew
    # leaving and one arriving at the same instant are not on duty together.
    site = {"time_zone": "UTC", "seat_cost_per_month": 45.0, "shifts": shifts}
    costs = _costs(_scenario(site, start="2026-01-05", days=2))
    assert costs.by_site["s"].peak_agents == pytest.approx(peak, abs=0)
    assert costs.seats == pytest.approx(45.0 * peak * 48 / HOURS_PER_MONTH, rel=REL)
    assert pytest.approx(730.5, abs=0) == HOURS_PER_MONTH


def test_peak_on_duty_unit():
    # Unit: the sweep counts departures before arrivals at the same instant.
    starts = np.array([0.0, 10.0, 20.0])
    ends = np.array([10.0, 20.0, 30.0])
    assert peak_on_duty(starts, ends, np.array([2, 3, 1])) == 3
    assert peak_on_duty(np.array([0.0, 5.0]), np.array([10.0, 15.0]), np.array([2, 3])) == 5
    assert peak_on_duty(np.zeros(0), np.zeros(0), np.zeros(0, int)) == 0


def test_totals_per_month_and_clipping_to_window_unit():
    # Unit: 24/7 cover by one agent, 2 days with a 12 h warm-up: 36 paid hours in the window;
    # total = labor + premiums + automation + seats; per_month = total × 730.5 / 36.
    site = {
        "time_zone": "UTC",
        "seat_cost_per_month": 30.0,
        "shifts": [_shift("00:00", 24, "all")],
    }
    sc = _scenario(site, start="2026-01-05", days=2, warmup_hours=12)
    bot = BotOutcome(
        bot=np.array([True, True, True, False]),
        deflected=np.array([True, False, False, False]),
        joined_at_s=np.array([np.nan, 1.0, 2.0, 3.0]),
        bot_cost=np.array([0.99, 0.99, 0.99, 0.0]),
    )
    arrived = np.array([1000.0, 50_000.0, 60_000.0, 70_000.0])  # the first is in the warm-up
    costs = _costs(sc, bot=bot, arrived=arrived)
    assert costs.paid_hours == pytest.approx(36.0, rel=REL)
    assert costs.labor == pytest.approx(360.0, rel=REL)
    assert costs.automation == pytest.approx(2 * 0.99, rel=REL)
    assert costs.seats == pytest.approx(30.0 * 1 * 36 / 730.5, rel=REL)
    parts = costs.labor + costs.premiums + costs.automation + costs.seats
    assert costs.total == pytest.approx(parts, rel=REL)
    assert costs.per_month == pytest.approx(costs.total * 730.5 / 36, rel=REL)


def test_shrinkage_does_not_change_paid_hours_unit():
    # Unit: shrinkage lowers availability, never pay.
    shifts = [_shift("08:00", 8, "all", agents=10)]
    plain = _costs(_scenario({"time_zone": "UTC", "shifts": shifts}, start="2026-01-05"))
    shrunk = _costs(
        _scenario({"time_zone": "UTC", "shrinkage": 0.35, "shifts": shifts}, start="2026-01-05")
    )
    assert shrunk.paid_hours == pytest.approx(plain.paid_hours, rel=REL)
    assert plain.paid_hours == pytest.approx(10 * 8 * 3, rel=REL)


def test_summarize_costs_per_contact_unit():
    # Unit: per_contact = mean total / mean offered (not a mean of ratios); None when nothing
    # was offered; other figures are means over replications.
    def row(total: float, offered: int) -> PlanCost:
        site = SiteCost(
            labor=total,
            premiums=0.0,
            paid_hours=1.0,
            overtime_hours=0.0,
            seats=0.0,
            peak_agents=1.0,
        )
        return PlanCost(
            total=total,
            labor=total,
            premiums=0.0,
            automation=0.0,
            seats=0.0,
            per_contact=total / offered,
            per_month=2 * total,
            paid_hours=1.0,
            by_site={"s": site},
        )

    out = summarize_costs([row(100.0, 20), row(200.0, 80)], mean_offered=50.0)
    assert out.total == pytest.approx(150.0, rel=REL)
    assert out.per_contact == pytest.approx(3.0, rel=REL)  # not (5 + 2.5) / 2
    assert out.per_month == pytest.approx(300.0, rel=REL)
    assert out.by_site["s"].labor == pytest.approx(150.0, rel=REL)
    assert summarize_costs([row(100.0, 1)], mean_offered=0.0).per_contact is None


def test_cost_kernel_interpolates_as_np_interp_bit_for_bit_unit():
    # unit: the overtime kernel's interpolation is np.interp on the minute grid, for instants
    # inside, on, before, past and at the end of the grid, and NaN
    from coverage.results.costs import _interp, _interval

    rng = np.random.default_rng(13)
    for _ in range(150):
        m = int(rng.integers(2, 3000))
        grid = np.arange(m) * 60.0
        steps = rng.random(m - 1) * 60 * rng.choice([0.0, 0.25, 0.5, 1.3], m - 1)
        cumulative = np.concatenate([[0.0], np.cumsum(steps)])
        at = np.concatenate(
            [rng.random(300) * 60 * (m + 2) - 60, grid[:5], grid[-2:], [np.nan, -1.0]]
        )
        expected = np.interp(at, grid, cumulative)
        table = cumulative.reshape(1, m, 1)
        got = np.array([_interp(x, _interval(x, m), m, table, 0, 0) for x in at])
        assert np.array_equal(got, expected, equal_nan=True)
        assert np.array_equal(
            got.view(np.int64)[~np.isnan(got)], expected.view(np.int64)[~np.isnan(expected)]
        )

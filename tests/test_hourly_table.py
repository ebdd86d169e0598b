"""hourly.csv: a row for every hour of the measured window, with agents on duty and staff cost."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from coverage.results.report import HOURLY_COLUMNS, hourly_table
from coverage.scenario.model import parse_scenario
from coverage.simulation.replications import run_scenario


def test_every_hour_of_the_window_has_a_row_with_hand_computed_staff_cost_unit(
    tiny_raw: dict[str, Any],
) -> None:
    # Unit: the tiny scenario is one day (24 UTC hours) with phone and email from one region,
    # so each plan has 2 × 24 rows, hours without contacts included. Staff cost (Berlin, UTC+1):
    # "day" = 4 agents × 10 h × 20/h = 800; "round-the-clock" = 4 × 24 h × 20/h plus the 10 %
    # night premium on 22:00–06:00 Berlin = 8 of the day's UTC hours: 1920 + 4 × 8 × 20 × 0.1.
    raw = copy.deepcopy(tiny_raw)
    raw["demand"][1]["per_hour"] = [0] * 12 + [6] * 12  # email only in the afternoon (local)
    raw["replications"] = 2
    result = run_scenario(parse_scenario(raw), workers=1)
    table = hourly_table(result)
    assert list(table.columns) == HOURLY_COLUMNS
    for plan, cost in (("day", 800.0), ("round-the-clock", 1920.0 + 64.0)):
        mine = table[table["plan"] == plan]
        assert len(mine) == 2 * 24
        for channel in ("phone", "email"):
            rows = mine[mine["channel"] == channel]
            assert sorted(rows["hour_of_week"]) == list(range(24))
            assert rows["plan_staff_cost"].sum() == pytest.approx(cost, rel=1e-12)
            assert (rows["hours_in_window"] == 1.0).all()
        email = mine[mine["channel"] == "email"]
        quiet = email[email["offered"] == 0]
        assert len(quiet) >= 10  # the morning: zero-demand hours are there, with counts 0
        assert quiet["service_level"].isna().all()
        assert (quiet["agents_on_duty"] >= 0).all()
    night = table[(table["plan"] == "round-the-clock") & (table["channel"] == "phone")]
    by_hour = night.set_index("hour_of_week")["plan_staff_cost"]
    assert by_hour[2] == pytest.approx(4 * 20 * 1.1, rel=1e-12)  # 03:00 Berlin: night
    assert by_hour[12] == pytest.approx(4 * 20, rel=1e-12)

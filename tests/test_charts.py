"""Tests of coverage.app.charts: time-zone placement of hours of the week (unit), and figures that
agree with the run they draw (functional), with units on every axis."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from coverage.app import charts, tables
from coverage.results.report import hourly_table
from coverage.scenario.model import parse_scenario
from coverage.simulation.replications import run_scenario

MONDAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)  # the US changes to summer time on 8 March


@pytest.fixture(scope="module")
def run():
    """The tiny scenario (two plans, one day), three replications: result and its tables."""
    result = run_scenario(parse_scenario(TINY), replications=3, seed=5)
    return result, hourly_table(result), tables.agents_table(result)


def test_local_hour_of_week_follows_dst():
    # unit: 2026-03-02 is a Monday; New York is UTC-5 until Sunday 8 March 07:00 UTC, then UTC-4
    how = charts.local_hour_of_week(
        [5, 156, 4], start_utc=MONDAY, warmup_s=0.0, time_zone="America/New_York"
    )
    assert list(how) == [0, 6 * 24 + 8, 6 * 24 + 23]  # Mon 00:00; Sun 08:00 EDT; Sun 23:00 EST
    same = charts.local_hour_of_week([0, 167], start_utc=MONDAY, warmup_s=0.0, time_zone="UTC")
    assert list(same) == [0, 167]


def test_local_hour_of_week_of_a_horizon_not_starting_on_monday():
    # unit: Wednesday start; UTC hour of week 0 (Mon 00:00) first occurs five days later
    wed = dt.datetime(2026, 1, 7, tzinfo=dt.UTC)
    how = charts.local_hour_of_week([0, 48], start_utc=wed, warmup_s=0.0, time_zone="Asia/Manila")
    assert list(how) == [8, 56]  # Manila is UTC+8 all year


def test_hour_of_week_occurrences():
    # unit: a week from Monday has each hour once; 36 hours from Wednesday 12:00 cover 36 hours
    assert (charts.hour_of_week_occurrences(MONDAY, 0.0, 7 * 86400.0) == 1).all()
    noon = dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC)
    occ = charts.hour_of_week_occurrences(noon, 0.0, 36 * 3600.0)
    assert occ.sum() == 36
    assert occ[2 * 24 + 12] == 1
    assert occ[2 * 24 + 11] == 0


def test_time_zone_choices(tiny_scenario):
    assert charts.time_zone_choices(tiny_scenario) == ["UTC", "Europe/Berlin"]


def test_heatmap_pools_counts_and_labels_axes(run):
    result, hourly, _ = run
    fig = charts.heatmap_figure(hourly, result, channel="phone", time_zone="Europe/Berlin")
    assert len(fig.data) == 2  # one grid per plan
    assert np.asarray(fig.data[0].z).shape == (7, 24)
    assert fig.layout.xaxis.title.text == "hour of day (local time, Europe/Berlin)"
    assert fig.layout.yaxis.title.text == "weekday (local time, Europe/Berlin)"
    assert "service level [%]" in fig.layout.coloraxis.colorbar.title.text
    # pooled: two regions in one cell give (8 + 12) / (10 + 30), not the mean of 80% and 40%
    rows = [
        ("day", "phone", "a", 10, 10.0, 8.0, 10.0, 0.8),
        ("day", "phone", "b", 10, 30.0, 12.0, 30.0, 0.4),
    ]
    cols = [
        "plan",
        "channel",
        "region",
        "hour_of_week",
        "offered",
        "answered_within_target",
        "answered",
        "service_level",
    ]
    synthetic = pd.DataFrame(rows, columns=cols).assign(
        deflected=0.0, short_abandoned=0.0, asa_s=5.0
    )
    z = np.asarray(charts.heatmap_figure(synthetic, result, channel="phone").data[0].z, float)
    assert z[0, 10] == pytest.approx(50.0, abs=1e-9)
    wait = charts.heatmap_figure(synthetic, result, value="asa_s", channel="phone")
    assert np.asarray(wait.data[0].z, float)[0, 10] == pytest.approx(5.0, abs=1e-9)
    assert "mean wait [s]" in wait.layout.coloraxis.colorbar.title.text


def test_demand_vs_agents(run):
    result, hourly, agents = run
    fig = charts.demand_agents_figure(hourly, agents, result, channel="phone")
    names = [t.name for t in fig.data]
    assert names == [
        "contacts to agents [per hour]",
        "workload [agents busy]",
        "day: agents on duty",
        "round-the-clock: agents on duty",
    ]
    # round-the-clock has 4 agents, no shrinkage, all day; demand 30/h of 300 s = 2.5 agents
    assert np.nanmax(fig.data[3].y) == pytest.approx(4.0, abs=1e-9)
    assert np.nanmean(fig.data[1].y) == pytest.approx(2.5, rel=0.15)
    assert fig.layout.xaxis.title.text == "hour of week (UTC)"
    assert "[agents]" in fig.layout.yaxis.title.text
    assert "[contacts/h]" in fig.layout.yaxis2.title.text


def test_cost_breakdown_adds_up_to_cost_per_month(run):
    result, _, _ = run
    parts = tables.cost_components(result)
    for plan, part in parts.groupby("plan"):
        assert part["per_month"].sum() == pytest.approx(
            result.plans[plan].cost.per_month, rel=1e-9
        )
    assert set(parts["component"]) == {"labor: berlin", "premiums", "automation", "seats"}
    fig = charts.cost_breakdown_figure(parts, "USD")
    assert fig.layout.yaxis.title.text == "cost [USD/month]"


def test_cost_vs_service_and_p_miss(run):
    result, _, _ = run
    fig = charts.cost_vs_service_figure(result)
    day_phone = next(
        t for t in fig.data if t.name == "day" and t.hovertemplate.endswith("phone</extra>")
    )
    assert day_phone.x[0] == pytest.approx(result.plans["day"].cost.per_month, rel=1e-12)
    sl = result.plans["day"].channels["phone"].service_level
    assert day_phone.y[0] == pytest.approx(100 * sl, rel=1e-12)
    assert fig.layout.xaxis.title.text == "cost [USD/month]"
    bars = charts.p_miss_figure(result)
    expected = [100 * result.plans["day"].channels[c].p_miss_target for c in ("phone", "email")]
    assert list(bars.data[0].y) == pytest.approx(expected, abs=1e-12)
    assert bars.layout.yaxis.title.text == "replications missing the target [%]"

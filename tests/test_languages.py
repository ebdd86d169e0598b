"""Routing by language and segment, holiday and skeleton cover, and their breakdowns.

The engine routes a contact only to an agent whose shift lists its channel and speaks its
language (docs/model.md, "Shifts and crews"; `coverage.simulation.dispatch`); a segment's priority
replaces the
channel's ("Routing"); `holiday_agents` sets the crew on the site's public holidays. Contacts come
from small replayed logs, so every arrival instant is known and outcomes can be checked exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coverage.calendar import build_timeline, local_to_timeline_s
from coverage.demand.codes import scenario_languages
from coverage.results.breakdowns import breakdown_table, language_gaps_table
from coverage.results.report import comparison_text
from coverage.scenario.model import Scenario, parse_scenario
from coverage.simulation.dispatch import ABANDONED, ANSWERED
from coverage.simulation.pipeline import prepare_run, simulate_replication
from coverage.simulation.replications import run_scenario
from coverage.simulation.roster import agents_on_duty, build_roster

HEADER = "timestamp,channel,region,handle_time_s,language,segment\n"


def _scenario(tmp_path: Path, rows: list[str], plans: dict[str, Any], **extra: Any) -> Scenario:
    """A one-day UTC scenario whose demand is the replayed `rows`."""
    (tmp_path / "log.csv").write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    raw: dict[str, Any] = {
        "name": "routing",
        "horizon": {"start": "2026-01-05", "days": 1},
        "seed": 3,
        "channels": {
            "email": {
                "mode": "async",
                "handle_time": {"dist": "fixed", "mean_s": 600},
                "target": {"answer_within_s": 3600, "share": 0.9},
            },
            "phone": {
                "handle_time": {"dist": "fixed", "mean_s": 600},
                "patience": {"dist": "fixed", "mean_s": 600},
                "target": {"answer_within_s": 20, "share": 0.8},
            },
        },
        "regions": {"here": {"time_zone": "UTC", "language": "en"}},
        "demand": [{"replay": "log.csv"}],
        "plans": plans,
    }
    raw.update(extra)
    return parse_scenario(raw, base_dir=str(tmp_path))


def _site(shifts: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "sites": {"office": {"time_zone": "UTC", "hourly_cost": 20.0, "shifts": shifts, **extra}}
    }


def _outcomes(scenario: Scenario, plan: str) -> pd.DataFrame:
    """One row per contact of replication 0 (the engine's reference path, step by step)."""
    setup = prepare_run(scenario, [plan])
    (rep,) = simulate_replication(setup, seed=scenario.seed, replication=0, engine="simpy")
    return rep.log


# --------------------------------------------------------------------------------- languages

LANGUAGE_ROWS = [
    "2026-01-05T02:00:00Z,email,here,,de,",  # no German speaker until 08:00: waits 6 h
    "2026-01-05T02:00:00Z,email,here,,en,",  # answered at once
    "2026-01-05T03:00:00Z,phone,here,,de,",  # patience 600 s < 5 h: abandons
    "2026-01-05T09:00:00Z,phone,here,,de,",  # German speaker on duty: answered at once
]
LANGUAGE_PLANS = {
    "split": _site(
        [
            {"start": "00:00", "hours": 24, "agents": 1, "languages": ["en"]},
            {"start": "08:00", "hours": 8, "agents": 1, "languages": ["de"]},
        ]
    ),
    "bilingual": _site([{"start": "00:00", "hours": 24, "agents": 1, "languages": ["en", "de"]}]),
}


def test_contacts_wait_for_a_speaker_or_abandon(tmp_path: Path) -> None:
    # Functional (exact): a German email at 02:00 waits until the German speaker starts at 08:00,
    # a German call at 03:00 abandons after its 600 s of patience although the English agent is
    # idle, and an English email at 02:00 is answered at once. With a bilingual agent nobody waits.
    scenario = _scenario(tmp_path, LANGUAGE_ROWS, LANGUAGE_PLANS)
    log = _outcomes(scenario, "split")
    assert log["outcome"].tolist() == [ANSWERED, ANSWERED, ABANDONED, ANSWERED]
    assert log["wait_s"].tolist() == [6 * 3600.0, 0.0, 600.0, 0.0]
    assert log["started_at_s"].iloc[0] == 8 * 3600.0
    log = _outcomes(scenario, "bilingual")
    assert log["outcome"].tolist() == [ANSWERED] * 4
    assert log["wait_s"].max() == 600.0  # the two 02:00 emails share one agent: one waits 600 s


def test_language_breakdown_and_gap_table_show_the_uncovered_hours(tmp_path: Path) -> None:
    # Functional: the metrics by language show German's wait and abandonment, and the gap table
    # lists exactly the hours where German demand met no German speaker (02:00 email, 03:00
    # phone on Monday = hours of week 2 and 3), for the split plan only.
    scenario = _scenario(tmp_path, LANGUAGE_ROWS, LANGUAGE_PLANS)
    result = run_scenario(scenario, replications=1)
    table = breakdown_table(result, "language").set_index(["plan", "channel", "language"])
    de = table.loc[("split", "all", "de")]
    assert (de["offered"], de["answered"], de["abandoned"]) == (3, 2, 1)
    assert de["asa_s"] == pytest.approx(3 * 3600.0, rel=1e-12)  # (6 h + 0) / 2
    assert de["abandon_rate"] == pytest.approx(1 / 3, rel=1e-12)
    assert table.loc[("split", "all", "en"), "asa_s"] == 0.0
    assert table.loc[("bilingual", "all", "de"), "abandoned"] == 0
    gaps = language_gaps_table(result)
    assert gaps[["plan", "language", "channel", "hour_of_week"]].values.tolist() == [
        ["split", "de", "email", 2],
        ["split", "de", "phone", 3],
    ]
    assert gaps["uncovered_share"].tolist() == [1.0, 1.0]
    assert gaps["utc_weekday"].tolist() == ["Mon", "Mon"]
    text = comparison_text(result)
    assert "by language (all channels)" in text
    assert "hours uncovered" in text


def test_region_breakdown_adds_up_to_the_channel_figures(tmp_path: Path) -> None:
    # Functional: offered by region, summed, equals the channel totals of the JSON contract.
    rows = [*LANGUAGE_ROWS, "2026-01-05T10:00:00Z,email,there,,,"]
    regions = {
        "here": {"time_zone": "UTC", "language": "en"},
        "there": {"time_zone": "Asia/Tokyo", "language": "de"},
    }
    scenario = _scenario(tmp_path, rows, LANGUAGE_PLANS, regions=regions)
    result = run_scenario(scenario, replications=1)
    table = breakdown_table(result, "region")
    for plan, figures in result.plans.items():
        mine = table[(table["plan"] == plan) & (table["channel"] != "all")]
        for channel, row in figures.channels.items():
            assert mine.loc[mine["channel"] == channel, "offered"].sum() == row.offered
    assert set(table["region"]) == {"here", "there"}


# ---------------------------------------------------------------------------------- segments


def test_vip_is_served_first(tmp_path: Path) -> None:
    # Functional (exact): one agent busy until 09:10 with A; B (regular) joins at 09:00:10 and
    # C (vip, priority 0 < 1) at 09:00:20. When the agent frees, C goes first.
    rows = [
        "2026-01-05T09:00:00Z,email,here,,,",
        "2026-01-05T09:00:10Z,email,here,,,",
        "2026-01-05T09:00:20Z,email,here,,,vip",
    ]
    plans = {"one": _site([{"start": "08:00", "hours": 8, "agents": 1}])}
    segments = {"vip": {"priority": 0, "target": {"answer_within_s": 600, "share": 0.9}}}
    scenario = _scenario(tmp_path, rows, plans, segments=segments)
    log = _outcomes(scenario, "one")
    start = 9 * 3600.0
    assert log["started_at_s"].tolist() == [start, start + 1200, start + 600]
    result = run_scenario(scenario, replications=1)
    by_segment = breakdown_table(result, "segment").set_index(["channel", "segment"])
    # per segment: vip waited 580 s, within its own 600 s target; the regulars 0 and 1190 s
    assert by_segment.loc[("all", "vip"), "asa_s"] == pytest.approx(580.0, abs=1e-9)
    assert by_segment.loc[("all", "-"), "asa_s"] == pytest.approx(595.0, abs=1e-9)
    assert by_segment.loc[("all", "vip"), "service_level"] == 1.0


def test_vip_waits_less_under_load(tmp_path: Path) -> None:
    # Functional (statistical, seeded): with 20% VIP contacts on a loaded queue (offered load
    # 1.6 Erlang on 2 agents), VIP ASA is far below the regulars'. A strict inequality with a
    # factor 3 margin: priority queues give the top class roughly the wait of a queue with its
    # own load only (Gross et al. 2008, non-preemptive priority), here far less than half.
    raw_demand = [
        {"channel": "phone", "region": "here", "per_hour": 7.68},
        {"channel": "phone", "region": "here", "per_hour": 1.92, "segment": "vip"},
    ]
    plans = {"two": _site([{"start": "00:00", "hours": 24, "agents": 2}])}
    scenario = _scenario(
        tmp_path,
        [],
        plans,
        demand=raw_demand,
        segments={"vip": {"priority": 0}},
        horizon={"start": "2026-01-05", "days": 3},
        channels={
            "phone": {
                "handle_time": {"dist": "exponential", "mean_s": 600},
                "target": {"answer_within_s": 20, "share": 0.8},
            }
        },
    )
    result = run_scenario(scenario, replications=2)
    table = breakdown_table(result, "segment").set_index(["channel", "segment"])
    assert table.loc[("phone", "vip"), "asa_s"] * 3 < table.loc[("phone", "-"), "asa_s"]


# ---------------------------------------------------------------------------------- holidays


def test_site_holiday_switches_a_shift_off_or_to_skeleton(tmp_path: Path) -> None:
    # Functional: Good Friday (3 April 2026) is a public holiday in Germany. A crew of 3 with
    # holiday_agents 0 does not work that day; a crew of 4 with holiday_agents 1 works with one
    # agent; the days around are normal, and only rostered crews are paid.
    shifts = [
        {"start": "09:00", "hours": 8, "agents": 3, "holiday_agents": 0, "channels": ["email"]},
        {"start": "09:00", "hours": 8, "agents": 4, "holiday_agents": 1, "channels": ["phone"]},
    ]
    plans = {
        "berlin": {
            "sites": {
                "berlin": {
                    "time_zone": "Europe/Berlin",
                    "hourly_cost": 20.0,
                    "holidays": "DE",
                    "shifts": shifts,
                }
            }
        }
    }
    scenario = _scenario(
        tmp_path,
        ["2026-04-02T10:00:00Z,email,here,,,"],
        plans,
        horizon={"start": "2026-04-02", "days": 2},
    )
    timeline = build_timeline(scenario)
    roster = build_roster(
        scenario, scenario.plans["berlin"], timeline, scenario_languages(scenario)
    )
    noon = [
        local_to_timeline_s("Europe/Berlin", day, 12 * 3600.0, timeline.start_utc)
        for day in (pd.Timestamp("2026-04-02").date(), pd.Timestamp("2026-04-03").date())
    ]
    email = agents_on_duty(roster, np.array(noon), channel=0).tolist()
    phone = agents_on_duty(roster, np.array(noon), channel=1).tolist()
    assert email == [3, 0]
    assert phone == [4, 1]
    paid = sorted(zip(roster.paid_start_s.tolist(), roster.paid_agents.tolist(), strict=True))
    holiday_start = noon[1] - 3 * 3600.0
    assert [n for s, n in paid if s == holiday_start] == [1]  # only the skeleton is paid

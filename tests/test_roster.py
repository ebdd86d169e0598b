"""Tests for coverage.simulation.roster: shrinkage with whole agents, crews, merging, holidays,
midnight.

All tests are kind 1 (unit: exact windows and paid time of hand-made plans), except the
available-time identity, which is kind 4 (functional invariant: available agent-time =
n(1 − s) × shift length, paid time unchanged).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pytest

from coverage.calendar import Timeline, build_timeline
from coverage.demand.codes import scenario_languages
from coverage.scenario.model import Scenario, parse_scenario
from coverage.simulation.roster import Roster, agents_on_duty, build_roster, split_shrinkage

H = 3600.0
DAY = 86400.0


def _scenario(
    shifts: list[dict[str, Any]],
    *,
    start: str = "2026-01-05",
    days: float = 1,
    zone: str = "UTC",
    extra_demand: tuple[dict[str, Any], ...] = (),
    **site: Any,
) -> Scenario:
    return parse_scenario(
        {
            "name": "roster",
            "horizon": {"start": start, "days": days},
            "channels": {
                "phone": {"handle_time": {"dist": "exponential", "mean_s": 300}},
                "chat": {"handle_time": {"dist": "exponential", "mean_s": 300}, "concurrency": 2},
            },
            "regions": {"here": {"time_zone": zone, "language": "en"}},
            "demand": [{"channel": "phone", "region": "here", "per_hour": 1}, *extra_demand],
            "plans": {
                "p": {
                    "sites": {
                        "s": {"time_zone": zone, "hourly_cost": 10.0, "shifts": shifts, **site}
                    }
                }
            },
        }
    )


def _roster(sc: Scenario) -> tuple[Timeline, Roster]:
    timeline = build_timeline(sc)
    return timeline, build_roster(sc, sc.plans["p"], timeline, scenario_languages(sc))


def _windows_of(roster: Roster, agent: int) -> list[tuple[float, float]]:
    mine = roster.window_agent == agent
    return list(zip(roster.window_start_s[mine], roster.window_end_s[mine], strict=True))


@pytest.mark.parametrize(
    ("crew", "shrinkage", "whole", "frac"),
    [
        (10, 0.35, 6, 0.5),
        (10, 0.30, 7, 0.0),  # 10 × 0.7 = 7.000000000000001 in floats: still 7 whole agents
        (3, 0.0, 3, 0.0),
        (1, 0.5, 0, 0.5),
        (7, 0.3, 4, 0.9),
        (0, 0.3, 0, 0.0),
    ],
)
def test_split_shrinkage_unit(crew, shrinkage, whole, frac):
    # Unit: m = n(1 − s); ⌊m⌋ whole agents and one more for (m − ⌊m⌋) of each hour.
    got_whole, got_frac = split_shrinkage(crew, shrinkage)
    assert got_whole == whole
    assert got_frac == pytest.approx(frac, abs=1e-9)


@pytest.mark.parametrize(("crew", "shrinkage"), [(10, 0.35), (10, 0.3), (7, 0.3), (5, 0.0)])
def test_available_agent_time_is_n_times_one_minus_s_functional(crew, shrinkage):
    # Functional: one 8-hour shift in the middle of the day: available agent-time is exactly
    # n(1 − s) × 8 h; paid time is n × 8 h (shrinkage changes availability, not pay).
    sc = _scenario(
        [{"start": "08:00", "hours": 8, "days": ["Mon"], "agents": crew}], shrinkage=shrinkage
    )
    _, roster = _roster(sc)
    available = float(np.sum(roster.window_end_s - roster.window_start_s))
    assert available == pytest.approx(crew * (1 - shrinkage) * 8 * H, rel=1e-9)
    paid = float(np.sum(roster.paid_agents * (roster.paid_end_s - roster.paid_start_s)))
    assert paid == pytest.approx(crew * 8 * H, rel=1e-12)
    assert roster.n_agents == crew


def test_partial_agent_is_available_at_the_start_of_each_hour_unit():
    # Unit: crew 10, shrinkage 0.35: 6 agents all shift, agent 6 for the first 30 min of each
    # hour, agents 7-9 never; agents_on_duty sees 7 then 6 within each hour.
    sc = _scenario([{"start": "08:00", "hours": 3, "days": ["Mon"], "agents": 10}], shrinkage=0.35)
    _, roster = _roster(sc)
    for agent in range(6):
        assert _windows_of(roster, agent) == [(8 * H, 11 * H)]
    assert _windows_of(roster, 6) == [
        (8 * H, 8.5 * H),
        (9 * H, 9.5 * H),
        (10 * H, 10.5 * H),
    ]
    for agent in range(7, 10):
        assert _windows_of(roster, agent) == []
    at = np.array([8 * H + 60, 8 * H + 1900, 10 * H + 1799, 10 * H + 1800, 11 * H])
    assert agents_on_duty(roster, at).tolist() == [7, 6, 7, 6, 0]
    # only the last piece ends at the paid shift end (overtime after other pieces is unpaid)
    assert roster.window_paid_end[roster.window_agent == 6].tolist() == [False, False, False]


def test_24h_shifts_on_every_day_merge_into_continuous_cover_unit():
    # Unit: {start 00:00, hours 24, days all} is one crew on duty without a handover: each agent
    # has one window from 0 to the end of the drain; paid instances stay one per day.
    sc = _scenario([{"start": "00:00", "hours": 24, "days": "all", "agents": 3}], days=3)
    timeline, roster = _roster(sc)
    assert roster.n_agents == 3
    for agent in range(3):
        assert _windows_of(roster, agent) == [(0.0, timeline.end_s)]
    in_horizon = roster.paid_start_s >= 0
    assert in_horizon.sum() >= 3
    assert np.all(roster.paid_end_s - roster.paid_start_s == DAY)


def test_back_to_back_shifts_are_different_crews_unit():
    # Unit: two shifts meeting at 12:00 are two crews (a crew change), never merged.
    sc = _scenario(
        [
            {"start": "00:00", "hours": 12, "days": ["Mon"], "agents": 2},
            {"start": "12:00", "hours": 12, "days": ["Mon"], "agents": 2},
        ]
    )
    _, roster = _roster(sc)
    assert roster.n_agents == 4
    assert roster.agent_shift.tolist() == [0, 0, 1, 1]
    assert _windows_of(roster, 0) == [(0.0, 12 * H)]
    assert _windows_of(roster, 2) == [(12 * H, 24 * H)]
    assert roster.window_paid_end.all()
    assert roster.agent_label[2] == "s/shift#1/agent#0"


def test_past_midnight_shift_unit():
    # Unit: a 22:00 shift of 9 hours on Mondays runs to 07:00 on Tuesday (wall clock, past
    # midnight); no instance starts on any other day.
    sc = _scenario([{"start": "22:00", "hours": 9, "days": ["Mon"], "agents": 1}], days=2)
    _, roster = _roster(sc)
    assert _windows_of(roster, 0) == [(22 * H, 31 * H)]
    assert roster.paid_start_s.tolist() == [22 * H]
    assert roster.paid_end_s.tolist() == [31 * H]


def test_night_shift_from_the_day_before_the_horizon_is_on_duty_at_start_unit():
    # Unit: shift instances that started the local day before the horizon cover 00:00 UTC.
    sc = _scenario([{"start": "22:00", "hours": 9, "days": "all", "agents": 1}], days=1)
    _, roster = _roster(sc)
    windows = _windows_of(roster, 0)
    assert windows[0] == (0.0, 7 * H)  # the Sunday 22:00 shift, clipped at 0
    assert agents_on_duty(roster, np.array([0.0, 3 * H, 8 * H])).tolist() == [1, 1, 0]


def test_weekday_selectors_unit():
    # Unit: days: weekdays starts Monday–Friday only (local dates of the site).
    sc = _scenario([{"start": "09:00", "hours": 8, "days": "weekdays", "agents": 1}], days=7)
    timeline, roster = _roster(sc)
    starts = [
        (timeline.start_utc + dt.timedelta(seconds=float(s))).date()
        for s in roster.paid_start_s
        if s < timeline.horizon_s  # later instances run in the drain
    ]
    assert [d.weekday() for d in starts] == [0, 1, 2, 3, 4]


def test_holiday_agents_on_the_site_holiday_unit():
    # Unit: on the site's public holiday (2026-01-19, MLK day, US) the crew is holiday_agents;
    # 0 switches the shift off. The roster has max(agents, holiday_agents) people.
    def paid_by_date(holiday_agents: int) -> dict[dt.date, int]:
        sc = _scenario(
            [{"start": "09:00", "hours": 8, "agents": 5, "holiday_agents": holiday_agents}],
            start="2026-01-18",
            days=3,
            zone="America/New_York",
            holidays="US",
        )
        timeline, roster = _roster(sc)
        return {
            (timeline.start_utc + dt.timedelta(seconds=float(s))).date(): int(n)
            for s, n in zip(roster.paid_start_s, roster.paid_agents, strict=True)
            if s >= 0
        }

    crews = paid_by_date(2)
    assert crews[dt.date(2026, 1, 18)] == 5
    assert crews[dt.date(2026, 1, 19)] == 2
    assert crews[dt.date(2026, 1, 20)] == 5
    off = paid_by_date(0)
    assert dt.date(2026, 1, 19) not in off
    assert off[dt.date(2026, 1, 20)] == 5
    sc = _scenario(
        [{"start": "09:00", "hours": 8, "agents": 2, "holiday_agents": 4}],
        start="2026-01-18",
        days=3,
        holidays="US",
    )
    _, roster = _roster(sc)
    assert roster.n_agents == 4
    on_holiday = agents_on_duty(roster, np.array([1 * DAY + 10 * H, 2 * DAY + 10 * H]))
    assert on_holiday.tolist() == [4, 2]


def test_holiday_without_holiday_agents_keeps_the_crew_unit():
    # Unit: holiday_agents defaults to agents.
    sc = _scenario(
        [{"start": "09:00", "hours": 8, "agents": 3}], start="2026-01-19", days=1, holidays="US"
    )
    timeline, roster = _roster(sc)
    in_horizon = (roster.paid_start_s >= 0) & (roster.paid_start_s < timeline.horizon_s)
    assert roster.paid_agents[in_horizon].tolist() == [3]


def test_channels_and_languages_of_agents_unit():
    # Unit: an agent serves its shift's channels (absent = all) and languages (absent = all).
    sc = _scenario(
        [
            {"start": "00:00", "hours": 8, "agents": 1, "channels": ["chat"]},
            {"start": "08:00", "hours": 8, "agents": 1, "languages": ["de"]},
        ],
        extra_demand=({"channel": "chat", "region": "here", "per_hour": 1, "language": "de"},),
    )
    langs = scenario_languages(sc)
    assert langs == ["de", "en"]
    _, roster = _roster(sc)
    assert roster.agent_channels.tolist() == [[False, True], [True, True]]
    assert roster.agent_languages.tolist() == [[True, True], [True, False]]
    assert agents_on_duty(roster, np.array([1 * H, 9 * H]), channel=0).tolist() == [0, 1]


def test_windows_are_sorted_and_never_overlap_per_agent_unit():
    # Unit: the engine relies on sorted windows, disjoint and not touching for one agent.
    sc = _scenario(
        [
            {"start": "06:00", "hours": 10, "days": "all", "agents": 3},
            {"start": "20:00", "hours": 12, "days": "weekdays", "agents": 2},
        ],
        days=7,
        shrinkage=0.3,
    )
    _, roster = _roster(sc)
    assert np.all(np.diff(roster.window_start_s) >= 0)
    for agent in range(roster.n_agents):
        windows = _windows_of(roster, agent)
        for (_, end), (start, _) in itertools.pairwise(windows):
            assert start > end

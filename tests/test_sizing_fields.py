"""Scenario fields for the optimizer: auto crews, bounds, candidate shifts (docs/optimizer.md)."""

from __future__ import annotations

import copy

import pytest

from coverage.errors import ScenarioError
from coverage.scenario.model import dump_scenario_yaml, parse_scenario, scenario_from_text
from coverage.scenario.sizing import unsized_shift_paths

SHIFTS = ["plans", "day", "sites", "berlin", "shifts"]


def _site(raw: dict) -> dict:
    return raw["plans"]["day"]["sites"]["berlin"]


def test_auto_and_bounds_parse_and_round_trip_unit(tiny_raw):
    # Unit: auto → bounds [0, none], {min, max} kept; the YAML dump writes them back as given.
    raw = copy.deepcopy(tiny_raw)
    shift = _site(raw)["shifts"][0]
    _site(raw)["shifts"] = [
        {**shift, "agents": "auto"},
        {**shift, "agents": {"min": 2, "max": 9}},
        {**shift, "agents": 4},
    ]
    scenario = parse_scenario(raw)
    crews = scenario.plans["day"].sites["berlin"].shifts
    assert [(s.agents, s.sizing and (s.sizing.min, s.sizing.max)) for s in crews] == [
        (0, (0, None)),
        (2, (2, 9)),
        (4, None),
    ]
    assert unsized_shift_paths(scenario) == [
        "plans.day.sites.berlin.shifts[0].agents",
        "plans.day.sites.berlin.shifts[1].agents",
    ]
    assert scenario_from_text(dump_scenario_yaml(scenario)) == scenario
    assert "agents: auto" in dump_scenario_yaml(scenario)


def test_candidate_shifts_expand_after_the_sites_shifts_in_order_unit(tiny_raw):
    # Unit: one shift per (day pattern, start, length), appended in that order, all auto.
    raw = copy.deepcopy(tiny_raw)
    _site(raw)["candidate_shifts"] = [
        {"starts": ["06:00", "14:00"], "hours": [8, 10], "day_patterns": ["weekdays", "weekends"]}
    ]
    shifts = parse_scenario(raw).plans["day"].sites["berlin"].shifts
    assert len(shifts) == 1 + 8
    assert [(s.start, s.hours, s.days) for s in shifts[1:4]] == [
        ("06:00", 8.0, (0, 1, 2, 3, 4)),
        ("06:00", 10.0, (0, 1, 2, 3, 4)),
        ("14:00", 8.0, (0, 1, 2, 3, 4)),
    ]
    assert shifts[-1].days == (5, 6)
    assert all(s.sizing is not None for s in shifts[1:])


@pytest.mark.parametrize(
    ("where", "value", "pattern"),
    [
        (["shifts", 0, "agents"], {"min": 5, "max": 2}, r"shifts\[0\]\.agents: min \(5\)"),
        (["shifts", 0, "agents"], {"min": -1}, r"shifts\[0\]\.agents\.min: must be a whole number"),
        (["shifts", 0, "agents"], {"most": 3}, r"shifts\[0\]\.agents\.most: unknown key"),
        (["shifts", 0, "agents"], "lots", r"shifts\[0\]\.agents: 'lots' is not a number of agents"),
        (["shifts", 0, "sizing"], {"min": 1}, r"shifts\[0\]\.sizing: not a field"),
        (["candidate_shifts"], [{"starts": ["25:00"], "hours": [8]}],
         r"candidate_shifts\[0\]\.starts\[0\]: '25:00' is not a time of day"),
        (["candidate_shifts"], [{"starts": ["08:00"], "hours": [30]}],
         r"candidate_shifts\[0\]\.hours\[0\]: 30 is not a shift length"),
        (["candidate_shifts"], [{"starts": ["08:00"], "hours": [8], "channels": ["fax"]}],
         r"candidate_shifts\[0\]\.channels\[0\]: 'fax' is not a channel"),
    ],
    ids=["min-above-max", "negative-min", "unknown-key", "text", "sizing-key", "bad-start",
         "long-hours", "unknown-channel"],
)  # fmt: skip
def test_bad_sizing_fields_raise_with_path_unit(tiny_raw, where, value, pattern):
    # Unit: a ScenarioError whose path points into the file as written.
    raw = copy.deepcopy(tiny_raw)
    node = _site(raw)
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    with pytest.raises(ScenarioError, match=r"^plans\.day\.sites\.berlin\." + pattern):
        parse_scenario(raw)


def test_auto_crew_with_holiday_agents_is_refused_unit(tiny_raw):
    # Unit: an auto crew works holidays at its size; only 0 (off) may be given.
    raw = copy.deepcopy(tiny_raw)
    _site(raw)["shifts"][0].update({"agents": "auto", "holiday_agents": 2})
    with pytest.raises(ScenarioError, match=r"shifts\[0\]\.holiday_agents: an auto crew"):
        parse_scenario(raw)
    _site(raw)["shifts"][0]["holiday_agents"] = 0
    assert parse_scenario(raw).plans["day"].sites["berlin"].shifts[0].holiday_agents == 0

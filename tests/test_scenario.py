"""Tests for coverage.scenario.model: defaults, YAML round trip, and every kind of bad input.

All tests here are kind 1 (unit: edge cases and errors). Error tests match the field path of the
one ScenarioError that a bad file raises (docs/contributing.md, "Errors").
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from coverage.errors import ScenarioError
from coverage.scenario.model import (
    DEFAULT_START,
    Scenario,
    dump_scenario_yaml,
    load_scenario,
    parse_scenario,
    scenario_from_text,
    scenario_to_dict,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIFT0 = ["plans", "day", "sites", "berlin", "shifts", 0]


def _set(raw: dict[str, Any], path: list[str | int], value: Any) -> None:
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


# ---------------------------------------------------------------------------------------------
# Defaults (unit)


def test_defaults_of_a_minimal_scenario_unit(tiny_scenario: Scenario):
    # Unit: every default documented in the models and in docs/scenario-format.md.
    sc = tiny_scenario
    phone = sc.channels["phone"]
    assert phone.mode == "realtime"
    assert phone.concurrency == 1
    assert phone.priority == 1
    assert phone.short_abandon_s == pytest.approx(0.0, abs=0)
    assert sc.warmup_hours == pytest.approx(0.0, abs=0)
    assert sc.currency == "USD"
    assert sc.segments == {}
    assert sc.automation == {}
    region = sc.regions["here"]
    assert region.holidays is None
    assert region.holiday_factor == pytest.approx(1.0, abs=0)
    assert region.language is None
    site = sc.plans["day"].sites["berlin"]
    assert site.shrinkage == pytest.approx(0.0, abs=0)
    assert site.night_premium is None
    for premium in (site.weekend_premium, site.holiday_premium, site.overtime_premium):
        assert premium == pytest.approx(0.0, abs=0)
    assert site.seat_cost_per_month == pytest.approx(0.0, abs=0)
    assert site.holidays is None
    shift = site.shifts[0]
    assert shift.days == tuple(range(7))  # days: all
    assert shift.channels is None
    assert shift.languages is None
    assert shift.holiday_agents is None
    assert sc.plans["day"].automation is None
    assert sc.automation_for("day") == {}


def test_default_target_and_horizon_start_unit(tiny_raw: dict[str, Any]):
    # Unit: target defaults to 80 % within 20 s; horizon {hours: N} starts on 2026-01-05 (Monday).
    del tiny_raw["channels"]["phone"]["target"]
    tiny_raw["horizon"] = {"hours": 30}
    sc = parse_scenario(tiny_raw)
    assert sc.channels["phone"].target.answer_within_s == pytest.approx(20.0, abs=0)
    assert sc.channels["phone"].target.share == pytest.approx(0.8, abs=0)
    assert sc.horizon.start == DEFAULT_START
    assert DEFAULT_START.weekday() == 0
    assert sc.horizon.length_s == pytest.approx(30 * 3600.0, abs=0)


def test_unit_conversion_to_seconds_unit(tiny_scenario: Scenario):
    # Unit: scenario.py converts once; downstream sees seconds.
    shift = tiny_scenario.plans["day"].sites["berlin"].shifts[0]
    assert shift.start_s == pytest.approx(8 * 3600.0, abs=0)
    assert shift.duration_s == pytest.approx(10 * 3600.0, abs=0)
    assert tiny_scenario.horizon.length_s == pytest.approx(86400.0, abs=0)


def test_days_selectors_and_aliases_unit(tiny_raw: dict[str, Any]):
    # Unit: days selectors, `deterministic` as an alias of `fixed`, a flat per_hour as 24 rates.
    shifts = tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"]
    shifts[0]["days"] = "weekdays"
    shifts.append({"start": "10:00", "hours": 4, "days": "weekends", "agents": 1})
    shifts.append({"start": "10:00", "hours": 4, "days": ["Sun", "Mon", "Mon"], "agents": 1})
    tiny_raw["channels"]["email"]["handle_time"]["dist"] = "deterministic"
    sc = parse_scenario(tiny_raw)
    days = [s.days for s in sc.plans["day"].sites["berlin"].shifts]
    assert days == [(0, 1, 2, 3, 4), (5, 6), (0, 6)]
    assert sc.channels["email"].handle_time.family == "fixed"
    assert sc.demand[0].rates_by_local_hour() == (30.0,) * 24


def test_plan_automation_replaces_top_level_unit(tiny_raw: dict[str, Any]):
    # Unit: plans.<name>.automation replaces the top-level block for that plan only.
    tiny_raw["automation"] = {"phone": {"deflection": 0.3, "bot_time_s": 60}}
    tiny_raw["plans"]["day"]["automation"] = {}
    sc = parse_scenario(tiny_raw)
    assert sc.automation_for("day") == {}
    assert sc.automation_for("round-the-clock")["phone"].deflection == pytest.approx(0.3, abs=0)


# ---------------------------------------------------------------------------------------------
# Round trip (unit)


@pytest.mark.parametrize(
    "source", ["tiny", "global-saas.yaml", "erlang-a-example.yaml"], ids=lambda s: s
)
def test_dump_then_load_gives_an_equal_scenario_unit(
    source: str, tmp_path: Path, tiny_raw: dict[str, Any]
):
    # Unit: dump_scenario_yaml → file → load_scenario equals the original (file folder aside).
    file = SCENARIOS / source
    original = parse_scenario(tiny_raw) if source == "tiny" else load_scenario(file)
    path = tmp_path / "copy.yaml"
    path.write_text(dump_scenario_yaml(original), encoding="utf-8")
    back = load_scenario(path)
    assert back.base_dir == str(tmp_path.resolve())
    assert back.model_copy(update={"base_dir": original.base_dir}) == original
    assert scenario_to_dict(back) == scenario_to_dict(original)


def test_round_trip_keeps_clock_times_as_text_unit(tiny_raw: dict[str, Any]):
    # Unit: "20:00" must come back as text, not as the YAML 1.1 sexagesimal number 1200.
    _set(tiny_raw, [*SHIFT0, "start"], "20:00")
    sc = parse_scenario(tiny_raw)
    assert (
        yaml.safe_load(dump_scenario_yaml(sc))["plans"]["day"]["sites"]["berlin"]["shifts"][0][
            "start"
        ]
        == "20:00"
    )


# ---------------------------------------------------------------------------------------------
# Bad input: one ScenarioError naming the field path (unit)

BAD_INPUTS: list[tuple[str, list[str | int], Any, str]] = [
    # (id, path to change, new value, regex the error must match: path, then the message)
    ("unknown-top-level-key", ["replicatons"], 3, r"^replicatons: unknown field"),
    (
        "unknown-nested-key",
        ["channels", "phone", "patiense"],
        {"dist": "exponential", "mean_s": 60},
        r"^channels\.phone\.patiense: unknown field",
    ),
    (
        "wrong-type-agents-text",
        [*SHIFT0, "agents"],
        "four",
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.agents: 'four' is not a number of agents",
    ),
    (
        "wrong-type-agents-fraction",
        [*SHIFT0, "agents"],
        4.5,
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.agents: .*integer",
    ),
    (
        "wrong-type-agents-bool",
        [*SHIFT0, "agents"],
        True,
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.agents: .*integer",
    ),
    ("negative-rate", ["demand", 0, "per_hour"], -3, r"^demand\[0\]\.per_hour: .*>= 0.*-3"),
    (
        "negative-rate-in-profile",
        ["demand", 0, "per_hour"],
        [5.0] * 23 + [-1.0],
        r"^demand\[0\]\.per_hour\[23\]: .*>= 0",
    ),
    ("nan-rate", ["demand", 0, "per_hour"], float("nan"), r"^demand\[0\]\.per_hour: .*finite"),
    (
        "per-hour-23-values",
        ["demand", 0, "per_hour"],
        [5.0] * 23,
        r"^demand\[0\]\.per_hour: needs 24 hourly rates.*got 23",
    ),
    (
        "share-above-one",
        ["channels", "phone", "target", "share"],
        1.2,
        r"^channels\.phone\.target\.share: .*less than or equal to 1",
    ),
    (
        "share-below-zero",
        ["automation"],
        {"phone": {"deflection": -0.1}},
        r"^automation\.phone\.deflection: .*greater than or equal to 0",
    ),
    (
        "shrinkage-one",
        ["plans", "day", "sites", "berlin", "shrinkage"],
        1.0,
        r"^plans\.day\.sites\.berlin\.shrinkage: .*less than 1",
    ),
    (
        "unknown-time-zone-region",
        ["regions", "here", "time_zone"],
        "Mars/Olympus",
        r"^regions\.here\.time_zone: 'Mars/Olympus' is not an IANA time zone",
    ),
    (
        "unknown-time-zone-site",
        ["plans", "day", "sites", "berlin", "time_zone"],
        "Europe/Atlantis",
        r"^plans\.day\.sites\.berlin\.time_zone: .*not an IANA time zone",
    ),
    (
        "start-25-00",
        [*SHIFT0, "start"],
        "25:00",
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.start: '25:00' is not a time of day",
    ),
    (
        "start-unquoted-20-00-read-as-int",
        [*SHIFT0, "start"],
        1200,  # what yaml.safe_load makes of an unquoted 20:00
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.start: 20:00 \(unquoted, which YAML reads "
        r"as the number 1200\) is not a time of day: write it in quotes as \"20:00\"$",
    ),
    (
        "night-premium-bad-clock",
        ["plans", "day", "sites", "berlin", "night_premium"],
        {"from": "22:00", "to": "6:0", "rate": 0.1},
        r"^plans\.day\.sites\.berlin\.night_premium\.to: '6:0' is not a time of day",
    ),
    (
        "shift-hours-over-24",
        [*SHIFT0, "hours"],
        25,
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.hours: .*less than or equal to 24",
    ),
    (
        "shift-bad-weekday",
        [*SHIFT0, "days"],
        ["Mon", "Funday"],
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.days\[1\]: 'Funday' is not a weekday",
    ),
    (
        "shift-bad-days-word",
        [*SHIFT0, "days"],
        "sometimes",
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.days: 'sometimes' is not all",
    ),
    (
        "demand-channel-not-defined",
        ["demand", 0, "channel"],
        "chat",
        r"^demand\[0\]\.channel: 'chat' is not defined under channels",
    ),
    (
        "demand-region-not-defined",
        ["demand", 1, "region"],
        "mars",
        r"^demand\[1\]\.region: 'mars' is not defined under regions",
    ),
    (
        "segment-not-defined",
        ["demand", 0, "segment"],
        "vip",
        r"^demand\[0\]\.segment: 'vip' is not defined under segments",
    ),
    (
        "shift-channel-not-defined",
        [*SHIFT0, "channels"],
        ["phone", "fax"],
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.channels\[1\]: 'fax' is not a channel",
    ),
    (
        "automation-of-unknown-channel",
        ["automation"],
        {"sms": {"deflection": 0.2}},
        r"^automation\.sms: 'sms' is not a channel",
    ),
    (
        "plan-automation-of-unknown-channel",
        ["plans", "day", "automation"],
        {"sms": {"deflection": 0.2}},
        r"^plans\.day\.automation\.sms: 'sms' is not a channel",
    ),
    ("plan-with-no-sites", ["plans", "day", "sites"], {}, r"^plans\.day\.sites: .*at least 1"),
    (
        "site-with-no-shifts",
        ["plans", "day", "sites", "berlin", "shifts"],
        [],
        r"^plans\.day\.sites\.berlin\.shifts: .*at least 1",
    ),
    ("no-plans", ["plans"], {}, r"^plans: .*at least 1"),
    ("empty-demand", ["demand"], [], r"^demand: .*at least 1"),
    (
        "async-channel-with-patience",
        ["channels", "email", "patience"],
        {"dist": "exponential", "mean_s": 600},
        r"^channels\.email\.patience: an async channel never abandons",
    ),
    (
        "lognormal-without-sigma",
        ["channels", "phone", "handle_time"],
        {"dist": "lognormal", "mean_s": 300},
        r"^channels\.phone\.handle_time\.sigma: lognormal needs sigma",
    ),
    (
        "sigma-on-exponential",
        ["channels", "phone", "handle_time"],
        {"dist": "exponential", "mean_s": 300, "sigma": 0.5},
        r"^channels\.phone\.handle_time\.sigma: sigma is for dist: lognormal",
    ),
    (
        "empirical-without-samples",
        ["channels", "phone", "handle_time"],
        {"dist": "empirical", "samples_s": []},
        r"^channels\.phone\.handle_time\.samples_s: an empirical distribution needs samples_s",
    ),
    (
        "unknown-distribution",
        ["channels", "phone", "handle_time", "dist"],
        "weibull",
        r"^channels\.phone\.handle_time\.dist: .*'exponential'",
    ),
    (
        "zero-mean-handle-time",
        ["channels", "phone", "handle_time", "mean_s"],
        0,
        r"^channels\.phone\.handle_time\.mean_s: .*greater than 0",
    ),
    (
        "concurrency-zero",
        ["channels", "phone", "concurrency"],
        0,
        r"^channels\.phone\.concurrency: .*greater than or equal to 1",
    ),
    (
        "unknown-mode",
        ["channels", "phone", "mode"],
        "sync",
        r"^channels\.phone\.mode: .*'realtime' or 'async'",
    ),
    (
        "weekday-factors-length-6",
        ["demand", 0, "weekday_factors"],
        [1.0] * 6,
        r"^demand\[0\]\.weekday_factors: needs 7 factors",
    ),
    (
        "per-hour-and-replay",
        ["demand", 0, "replay"],
        "log.csv",
        r"^demand\[0\]\.per_hour: give exactly one of per_hour, replay or fit",
    ),
    ("warmup-equals-horizon", ["warmup_hours"], 24, r"^warmup_hours: must be shorter"),
    ("warmup-beyond-horizon", ["warmup_hours"], 30, r"^warmup_hours: must be shorter"),
    (
        "horizon-days-and-hours",
        ["horizon"],
        {"days": 1, "hours": 3},
        r"^horizon\.days: give exactly one of days or hours",
    ),
    (
        "horizon-impossible-date",
        ["horizon", "start"],
        "2026-02-30",
        r"^horizon\.start: '2026-02-30' is not a date",
    ),
    (
        "unknown-holiday-calendar",
        ["regions", "here", "holidays"],
        "XX",
        r"^regions\.here\.holidays: 'XX' is not a holiday calendar",
    ),
    ("bad-scenario-name", ["name"], "Tiny Scenario", r"^name: .*pattern"),
    (
        "negative-holiday-agents",
        [*SHIFT0, "holiday_agents"],
        -1,
        r"^plans\.day\.sites\.berlin\.shifts\[0\]\.holiday_agents: .*greater than or equal to 0",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "pattern"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_raises_scenario_error_with_path_unit(path, value, pattern, tiny_raw):
    # Unit: one ScenarioError whose text starts with the field path of the bad value.
    _set(tiny_raw, path, copy.deepcopy(value))
    with pytest.raises(ScenarioError, match=pattern) as info:
        parse_scenario(tiny_raw)
    expected_path = pattern[1:].split(":")[0].replace("\\", "")
    assert info.value.path == expected_path


def test_there_are_at_least_twenty_kinds_of_bad_input_unit():
    # Unit: the brief asks for at least 20 distinct kinds; keep it that way.
    assert len({case[0] for case in BAD_INPUTS}) >= 20


def test_missing_required_field_unit(tiny_raw: dict[str, Any]):
    # Unit: a required field that is absent names itself.
    del tiny_raw["name"]
    with pytest.raises(ScenarioError, match=r"^name: is required"):
        parse_scenario(tiny_raw)


def test_channel_name_not_matching_pattern_names_the_key_unit(tiny_raw: dict[str, Any]):
    # Unit: a bad mapping key is reported at that key. pydantic puts a "[key]" marker into the
    # location; the path must read like the file (channels.Phone!), without that marker.
    tiny_raw["channels"]["Phone!"] = tiny_raw["channels"].pop("phone")
    with pytest.raises(ScenarioError, match=r"^channels\.Phone!: .*pattern") as info:
        parse_scenario(tiny_raw)
    assert info.value.path == "channels.Phone!"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("- a\n- b\n", r"^bad\.yaml: the top level must be a mapping"),
        ("", r"^bad\.yaml: the top level must be a mapping"),
        ("name: [unclosed\n", r"^bad\.yaml: line 2: not valid YAML"),
        (b"\xff\xfe not utf-8", r"^bad\.yaml: not UTF-8"),
    ],
    ids=["list", "empty", "broken-yaml", "not-utf8"],
)
def test_unreadable_text_names_the_file_unit(text: str | bytes, pattern: str):
    # Unit: text that is not a scenario mapping at all.
    with pytest.raises(ScenarioError, match=pattern):
        scenario_from_text(text, file="bad.yaml")


def test_unquoted_clock_in_a_real_yaml_file_unit(tmp_path: Path, tiny_raw: dict[str, Any]):
    # Unit: YAML 1.1 reads an unquoted 20:00 as 1200; the error says so and names the file.
    text = dump_scenario_yaml(parse_scenario(tiny_raw)).replace("start: 08:00", "start: 20:00")
    assert "start: 20:00" in text
    path = tmp_path / "unquoted.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ScenarioError,
        match=r"unquoted\.yaml: plans\.day\.sites\.berlin\.shifts\[0\]\.start: 20:00 \(unquoted",
    ) as info:
        load_scenario(path)
    assert info.value.file == str(path)


def test_missing_file_and_folder_unit(tmp_path: Path):
    # Unit: a path that is not a scenario file.
    with pytest.raises(ScenarioError, match=r"nope\.yaml: no such file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match=r"is a folder"):
        load_scenario(tmp_path)


def test_scenario_is_frozen_unit(tiny_scenario: Scenario):
    # Unit: scenario models are frozen (pure pipeline stages cannot mutate them).
    with pytest.raises(ValueError, match=r"frozen"):
        tiny_scenario.channels["phone"].concurrency = 2  # type: ignore[misc]


def test_time_zone_check_accepts_exactly_the_zones_zoneinfo_lists():
    # Unit: the check looks in tzdata's one-file list before zoneinfo's folder scan (0.02 s of
    # CPU per process); it accepts and refuses exactly what the scan alone did.
    from zoneinfo import available_timezones

    from coverage.scenario import fields

    zones = available_timezones()
    others = ["posixrules", "localtime", "Factory", "Mars/Base", "../etc/passwd", "utc",
              "right/UTC", "posix/UTC", "", "Europe", "America/"]  # fmt: skip
    for name in [*sorted(zones), *others]:
        try:
            fields.check_time_zone(name)
            accepted = True
        except ValueError:
            accepted = False
        assert accepted == (name in zones and name not in fields.NOT_A_PLACE_ZONES), name

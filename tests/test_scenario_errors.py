"""Errors that help (issue 14): suggestions for misspelled keys, unused shift languages,
forgiving `days`, and time-of-day errors that echo what the file says. Unit tests on
`parse_scenario`, plus one CLI run (exit 2, one line)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from coverage.errors import ScenarioError
from coverage.scenario.fields import known_keys, parse_days, unknown_key_message
from coverage.scenario.model import Scenario, parse_scenario

SITE = ["plans", "day", "sites", "berlin"]


@pytest.mark.parametrize(
    ("path", "rename", "expected"),
    [
        (
            SITE,
            ("hourly_cost", "hourly_rate"),
            r"^plans\.day\.sites\.berlin\.hourly_rate: unknown "
            r"field; did you mean hourly_cost\?$",
        ),
        (
            [],
            ("replications", "replication"),
            r"^replication: unknown field; did you mean "
            r"replications\?$",
        ),
        (
            ["demand", 0],
            ("per_hour", "perhour"),
            r"^demand\[0\]\.perhour: unknown field; did you "
            r"mean per_hour\?$",
        ),
        (
            ["channels", "phone", "handle_time"],
            ("mean_s", "mean"),
            r"^channels\.phone\."
            r"handle_time\.mean: unknown field; did you mean mean_s\?$",
        ),
        (
            ["plans", "round-the-clock", "sites", "berlin", "night_premium"],
            ("from", "form"),
            r"^plans\.round-the-clock\.sites\.berlin\.night_premium\.form: unknown field; did "
            r"you mean from\?$",
        ),
    ],
)
def test_misspelled_key_suggests_the_closest_valid_one_unit(tiny_raw, path, rename, expected):
    # Unit: a misspelled key names itself and the closest valid key of the same mapping, even
    # when the key it replaces is required (pydantic reports that as missing first).
    node = tiny_raw
    for key in path:
        node = node[key]
    old, new = rename
    node[new] = node.pop(old)
    with pytest.raises(ScenarioError, match=expected):
        parse_scenario(tiny_raw)


def test_unknown_key_without_a_close_match_lists_the_valid_keys_unit(tiny_raw):
    # Unit: nothing close: the message lists what the mapping accepts.
    tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]["zzz"] = 1
    with pytest.raises(
        ScenarioError,
        match=r"shifts\[0\]\.zzz: unknown field \(valid here: "
        r"start, hours, days, agents, channels, languages, holiday_agents",
    ):
        parse_scenario(tiny_raw)
    assert unknown_key_message("qqq", []) == "unknown field (see docs/scenario-format.md)"


def test_known_keys_walks_dicts_lists_and_aliases_unit():
    # Unit: the key list at a location follows the annotations (dict values, list items,
    # optional models) and shows aliases as written in files.
    assert "hourly_cost" in known_keys(Scenario, ("plans", "p", "sites", "s"))
    assert "start" in known_keys(Scenario, ("plans", "p", "sites", "s", "shifts", 0))
    assert known_keys(Scenario, ("plans", "p", "sites", "s", "night_premium")) == [
        "from",
        "to",
        "rate",
    ]
    assert "base_dir" not in known_keys(Scenario, ())
    assert known_keys(Scenario, ("name",)) == []


def test_shift_language_nobody_needs_is_an_error_naming_known_languages_unit(tiny_raw):
    # Unit: a language on a shift that no region, demand entry or segment uses is a typo.
    tiny_raw["regions"]["here"]["language"] = "de"
    tiny_raw["demand"][1]["language"] = "en"
    shift = tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]
    shift["languages"] = ["de", "fr"]
    with pytest.raises(
        ScenarioError,
        match=r"^plans\.day\.sites\.berlin\.shifts\[0\]\.languages\[1\]: 'fr' is a language no "
        r"region, demand entry or segment uses \(known: de, en\)$",
    ):
        parse_scenario(tiny_raw)
    shift["languages"] = ["en", "de"]
    assert parse_scenario(tiny_raw).plans["day"].sites["berlin"].shifts[0].languages == ["en", "de"]


def test_shift_language_is_free_when_a_log_may_name_it_unit(tiny_raw, tmp_path: Path):
    # Unit: a contact log's `language` column is only read at run time, so a scenario with a
    # log entry may staff any language.
    log = tmp_path / "log.csv"
    log.write_text("timestamp,channel,language\n2026-01-05T10:00:00+00:00,phone,fr\n")
    tiny_raw["demand"].append({"replay": "log.csv"})
    tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]["languages"] = ["fr"]
    parse_scenario(tiny_raw, base_dir=str(tmp_path))


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("MON-FRI", (0, 1, 2, 3, 4)),
        ("Weekdays", (0, 1, 2, 3, 4)),
        ("WEEKENDS", (5, 6)),
        ("sat-sun", (5, 6)),
        ("fri-mon", (0, 4, 5, 6)),
        ("Tuesday", (1,)),
        ("All", tuple(range(7))),
        (["mon", "TUE", "Wed", "monday"], (0, 1, 2)),
    ],
)
def test_days_accepts_ranges_and_any_capitalisation_unit(tiny_raw, days, expected):
    # Unit: `days` written as a range or in any capitalisation gives the same weekdays.
    assert parse_days(days) == expected
    tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]["days"] = days
    assert parse_scenario(tiny_raw).plans["day"].sites["berlin"].shifts[0].days == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (
            "mon-xyz",
            r"shifts\[0\]\.days: 'mon-xyz' is not all, weekdays, weekends, a range such "
            r"as mon-fri, or a list such as \[Mon, Tue\]",
        ),
        (["Mon", "Funday"], r"shifts\[0\]\.days\[1\]: 'Funday' is not a weekday"),
        ([], r"shifts\[0\]\.days: \[\] is not all"),
    ],
)
def test_bad_days_name_the_value_unit(tiny_raw, days, expected):
    tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]["days"] = days
    with pytest.raises(ScenarioError, match=expected):
        parse_scenario(tiny_raw)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("25:00", r"'25:00' is not a time of day$"),
        ("8am", r"'8am' is not a time of day: write \"HH:MM\""),
        (
            1200,
            r"20:00 \(unquoted, which YAML reads as the number 1200\) is not a time of day: "
            r"write it in quotes as \"20:00\"",
        ),
        (510, r"8:30 \(unquoted, which YAML reads as the number 510\)"),
    ],
)
def test_wrong_time_of_day_echoes_what_was_written_unit(tiny_raw, start, expected):
    # Unit: the message repeats the file's text; YAML's base-60 reading of 20:00 is undone.
    tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]["start"] = start
    with pytest.raises(ScenarioError, match=r"shifts\[0\]\.start: " + expected):
        parse_scenario(tiny_raw)


def test_misspelled_key_through_the_cli_functional(cli, tiny_raw, tmp_path: Path):
    # Functional (CLI contract): exit 2, one line naming file, path and suggestion.
    site = tiny_raw["plans"]["day"]["sites"]["berlin"]
    site["hourly_rate"] = site.pop("hourly_cost")
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(tiny_raw, sort_keys=False), encoding="utf-8")
    proc = subprocess.run(
        [*cli, "validate", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {path}: plans.day.sites.berlin.hourly_rate: unknown field; did you mean "
        "hourly_cost?"
    ]


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("capacity", "sites", "bogota", "headcount", "constrained-int"),
         "capacity.sites.bogota.headcount"),
        (("x", "function-after[check(), constrained-float]"), "x"),
        (("y", "literal['auto']"), "y"),
        (("plans", "a", "sites", "b", "shifts", 0, "agents", "AgentBounds", "min"),
         "plans.a.sites.b.shifts[0].agents.min"),
        (("headcount", "dict[str,constrained-int]", "one"), "headcount.one"),
        (("plans", "Single-Site", "[key]"), "plans.Single-Site"),
        (("channels", "int", "mode"), "channels.int.mode"),
    ],
)  # fmt: skip
def test_loc_to_path_drops_pydantic_tags_unit(loc, path):
    # Unit: validator names, container and union member tags, and "[key]" are pydantic's; file
    # keys (even odd ones) stay.
    from coverage.scenario.fields import _loc_to_path

    assert _loc_to_path(loc) == path

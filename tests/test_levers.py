"""Unit tests of coverage.app.levers: each what-if lever changes exactly what it says, through the
same validation as a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage.app import levers
from coverage.app.levers import Levers, apply_levers
from coverage.errors import ScenarioError
from coverage.scenario.model import dump_scenario_yaml, parse_scenario, scenario_from_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bot_raw(tiny_raw):
    """The tiny scenario with a phone bot at top level and an override in one plan."""
    tiny_raw["automation"] = {"phone": {"deflection": 0.1, "bot_time_s": 30, "cost_per_contact": 1}}
    tiny_raw["plans"]["day"]["automation"] = {}
    tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"].append(
        {"start": "12:00", "hours": 6, "agents": 3, "holiday_agents": 1}
    )
    tiny_raw["demand"][0]["per_hour"] = [float(h) for h in range(24)]
    return tiny_raw


def test_no_levers_gives_an_equal_scenario(tiny_scenario):
    # unit: the dict round trip loses nothing
    assert apply_levers(tiny_scenario, Levers()) == tiny_scenario


def test_volume_scales_only_that_channel(bot_raw):
    sc = parse_scenario(bot_raw)
    out = levers.scale_volume(sc, "phone", 1.5)
    assert out.demand[0].per_hour == pytest.approx(tuple(1.5 * h for h in range(24)), rel=1e-12)
    assert out.demand[1].per_hour == pytest.approx(6.0, rel=1e-12)  # email untouched
    assert sc.demand[0].per_hour[2] == pytest.approx(2.0, rel=1e-12)  # input unchanged
    flat = levers.scale_volume(sc, "email", 0.5)
    assert flat.demand[1].per_hour == pytest.approx(3.0, rel=1e-12)


def test_volume_refuses_contact_logs(tiny_raw):
    tiny_raw["demand"].append({"replay": "logs/contacts.csv", "time_zone": "UTC"})
    sc = parse_scenario(tiny_raw)
    assert levers.has_log_demand(sc)
    with pytest.raises(ScenarioError, match=r"levers\.volume\.phone: demand\[2\] is a contact log"):
        levers.scale_volume(sc, "phone", 2.0)
    assert levers.scale_volume(sc, "phone", 1.0) == sc  # 1× is no change


def test_deflection_in_every_block_in_force(bot_raw):
    sc = parse_scenario(bot_raw)
    out = levers.set_deflection(sc, "phone", 0.4)
    assert out.automation["phone"].deflection == pytest.approx(0.4, abs=1e-12)
    assert out.automation["phone"].bot_time_s == pytest.approx(30.0, abs=1e-12)  # kept
    # plan "day" switched its bot off; the lever turns a bot on there too (free, instant)
    assert out.automation_for("day")["phone"].deflection == pytest.approx(0.4, abs=1e-12)
    assert out.automation_for("day")["phone"].cost_per_contact == pytest.approx(0.0, abs=1e-12)
    # share 0 on a channel without a bot adds none
    assert "email" not in levers.set_deflection(sc, "email", 0.0).automation


def test_agents_multiplier_then_exact_shift_numbers(bot_raw):
    sc = parse_scenario(bot_raw)
    out = apply_levers(
        sc,
        Levers(
            agents_multiplier={("day", "berlin"): 1.5},
            shift_agents={("day", "berlin", 0): 9},
        ),
    )
    shifts = out.plans["day"].sites["berlin"].shifts
    assert shifts[0].agents == 9  # exact number wins
    assert shifts[1].agents == 5  # 3 × 1.5 = 4.5, rounded half up
    assert shifts[1].holiday_agents == 2  # 1 × 1.5 = 1.5 → 2
    assert out.plans["round-the-clock"] == sc.plans["round-the-clock"]


def test_hourly_cost_and_night_premium(tiny_scenario):
    out = apply_levers(
        tiny_scenario,
        Levers(
            hourly_cost={("day", "berlin"): 31.5},
            night_premium={("day", "berlin"): 0.2, ("round-the-clock", "berlin"): 0.3},
        ),
    )
    day = out.plans["day"].sites["berlin"]
    assert day.hourly_cost == pytest.approx(31.5, abs=1e-12)
    assert (day.night_premium.from_, day.night_premium.to) == ("22:00", "06:00")  # new window
    assert day.night_premium.rate == pytest.approx(0.2, abs=1e-12)
    rtc = out.plans["round-the-clock"].sites["berlin"].night_premium
    assert rtc.rate == pytest.approx(0.3, abs=1e-12)
    zero = levers.set_night_premium(tiny_scenario, "day", "berlin", 0.0)
    assert zero.plans["day"].sites["berlin"].night_premium is None


def test_patience_multiplier_and_mean(tiny_scenario):
    out = levers.scale_patience(tiny_scenario, "phone", 2.0)
    assert out.channels["phone"].patience.mean_s == pytest.approx(400.0, rel=1e-12)
    out = levers.set_patience_mean(out, "phone", 90.0)
    assert out.channels["phone"].patience.mean_s == pytest.approx(90.0, rel=1e-12)
    with pytest.raises(ScenarioError, match=r"levers\.patience_multiplier\.email: .*no patience"):
        levers.scale_patience(tiny_scenario, "email", 2.0)


def test_replications_and_seed_go_through_the_file_checks(tiny_scenario):
    out = apply_levers(tiny_scenario, Levers(replications=7, seed=99))
    assert (out.replications, out.seed) == (7, 99)
    with pytest.raises(ScenarioError, match=r"^replications: "):
        levers.set_replications(tiny_scenario, 0)


@pytest.mark.parametrize(
    ("lever", "path"),
    [
        (Levers(volume={"fax": 2.0}), r"levers\.volume\.fax: 'fax' is not a channel"),
        (Levers(volume={"phone": -1.0}), r"levers\.volume\.phone: must be between"),
        (Levers(deflection={"phone": 1.5}), r"levers\.deflection\.phone: must be between"),
        (Levers(hourly_cost={("day", "paris"): 1.0}), r"levers\.hourly_cost\.day\.paris: "),
        (Levers(agents_multiplier={("night", "berlin"): 1.0}), r"no plan 'night'"),
        (Levers(shift_agents={("day", "berlin", 5): 1}), r"shift_agents\.day\.berlin\[5\]"),
        (Levers(shift_agents={("day", "berlin", 0): -2}), r"whole number of agents"),
    ],
)
def test_bad_levers_name_their_path(tiny_scenario, lever, path):
    with pytest.raises(ScenarioError, match=path):
        apply_levers(tiny_scenario, lever)


def test_edited_scenario_round_trips_through_yaml(bot_raw):
    sc = apply_levers(
        parse_scenario(bot_raw), Levers(volume={"phone": 1.3}, deflection={"phone": 0.3})
    )
    assert scenario_from_text(dump_scenario_yaml(sc)) == sc


def test_shift_table_and_changes(tiny_scenario):
    table = levers.shift_table(tiny_scenario)
    assert list(table["plan"]) == ["day", "round-the-clock"]
    assert list(table["days"]) == ["all", "all"]
    edited = table.copy()
    edited.loc[1, "agents"] = 6
    assert levers.shift_agents_changes(table, edited) == {("round-the-clock", "berlin", 0): 6}

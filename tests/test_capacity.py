"""Tests for the capacity block, the monthly plan and its outputs (coverage.capacity).

The months' needs come from a hand roster that a simulation shows meets its target (taken as the
sized roster), so these tests do not depend on the optimizer. Kinds: unit (1), validation
against hand-computed values (2), functional (4).
"""

from __future__ import annotations

import copy
import json
import subprocess
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coverage.capacity.needs import need_from_run, scaled_scenario, weekly_paid_hours
from coverage.capacity.plan import plan_capacity, salary_per_person_month
from coverage.capacity.report import capacity_dict, capacity_table
from coverage.capacity.service import scale_plan, shortfall_service
from coverage.errors import ScenarioError
from coverage.scenario.capacity import WEEKS_PER_MONTH
from coverage.scenario.model import Scenario, parse_scenario
from coverage.simulation.replications import run_scenario

# One 24/7 crew of 5 for 30 calls/h of 300 s, 200 s patience (2.5 Erlang): Erlang A gives 91.6%
# in 20 s with 5 agents and 80.4% with 4, so the crew of 5 is the smallest meeting 85% — a
# tight, "sized" roster (the simulation below checks it meets the target).
ROUND_THE_CLOCK: dict[str, Any] = {
    "name": "cap-tiny",
    "horizon": {"start": "2026-01-05", "days": 2},
    "replications": 4,
    "seed": 5,
    "channels": {
        "phone": {
            "handle_time": {"dist": "exponential", "mean_s": 300},
            "patience": {"dist": "exponential", "mean_s": 200},
            "target": {"answer_within_s": 20, "share": 0.85},
        }
    },
    "regions": {"here": {"time_zone": "Europe/Berlin"}},
    "demand": [{"channel": "phone", "region": "here", "per_hour": 30}],
    "plans": {
        "one": {
            "sites": {
                "berlin": {
                    "time_zone": "Europe/Berlin",
                    "hourly_cost": 20.0,
                    "seat_cost_per_month": 45.0,
                    "shifts": [{"start": "00:00", "hours": 24, "days": "all", "agents": 5}],
                }
            }
        }
    },
    "capacity": {
        "start": "2026-01",
        "months": 6,
        "sites": {
            "berlin": {
                "headcount": 4,
                "attrition_per_month": 0.0,
                "max_hires_per_month": 4,
                "cost_per_hire": 3000.0,
                "hours_per_week": 42.0,
            }
        },
    },
}


@pytest.fixture
def cap_raw() -> dict[str, Any]:
    return copy.deepcopy(ROUND_THE_CLOCK)


@pytest.fixture
def cap_scenario(cap_raw: dict[str, Any]) -> Scenario:
    return parse_scenario(cap_raw)


# ---------------------------------------------------------------------------------------------
# The capacity block


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (
            ["sites", "berlin", "attrition_per_month"],
            -0.01,
            r"capacity\.sites\.berlin\.attrition_per_month",
        ),
        (
            ["sites", "berlin", "proficiency"],
            [0.5, 1.2],
            r"capacity\.sites\.berlin\.proficiency\[1\]",
        ),
        (
            ["sites", "berlin", "proficiency"],
            [0.0, 1.0],
            r"capacity\.sites\.berlin\.proficiency\[0\]",
        ),
        (
            ["sites", "berlin", "hiring_lead_months"],
            6,
            r"capacity\.sites\.berlin\.hiring_lead_months",
        ),
        (
            ["sites", "berlin", "hiring_lead_months"],
            5.5,
            r"capacity\.sites\.berlin\.hiring_lead_months",
        ),
        (["start"], "2026-13", r"capacity\.start"),
        (["start"], 202601, r"capacity\.start"),
        (["seasonality"], [1.0] * 11, r"capacity\.seasonality"),
        (["months"], 0, r"capacity\.months"),
        (["sites", "berlin", "headcount"], 2.5, r"capacity\.sites\.berlin\.headcount"),
        (["sites", "berlin", "hours_per_week"], 0, r"capacity\.sites\.berlin\.hours_per_week"),
        (
            ["sites", "berlin", "max_hires_per_month"],
            -1,
            r"capacity\.sites\.berlin\.max_hires_per_month",
        ),
        (["sites", "berlin", "training_week"], 2, r"capacity\.sites\.berlin\.training_week"),
    ],
)
def test_bad_capacity_input_names_the_field_unit(cap_raw, path, value, where):
    # Unit: each bad value raises one ScenarioError whose path locates the field.
    node = cap_raw["capacity"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ScenarioError, match=where):
        parse_scenario(cap_raw)


@pytest.mark.parametrize(
    ("headcount", "path"),
    [
        (-3, "capacity.sites.berlin.headcount"),  # was "….headcount.constrained-int"
        ("many", "capacity.sites.berlin.headcount"),
        ({"one": -1}, "capacity.sites.berlin.headcount.one"),
        ({"one": 2.5}, "capacity.sites.berlin.headcount.one"),
    ],
)
def test_union_field_error_path_has_no_pydantic_parts_unit(cap_raw, headcount, path):
    # Unit: `headcount` is a number or a number per plan (a union); pydantic names the union's
    # members in the error location (`constrained-int`, `dict[str,constrained-int]`), the path
    # the file reads does not.
    cap_raw["capacity"]["sites"]["berlin"]["headcount"] = headcount
    with pytest.raises(ScenarioError) as info:
        parse_scenario(cap_raw)
    assert info.value.path == path


def test_capacity_sites_must_match_the_plans_unit(cap_raw):
    # Unit: a plan's site without an entry, and an entry naming no site, are both errors.
    cap_raw["capacity"]["sites"]["austin"] = {"headcount": 3}
    with pytest.raises(ScenarioError, match=r"capacity\.sites\.austin: 'austin' is not a site"):
        parse_scenario(cap_raw)
    del cap_raw["capacity"]["sites"]["austin"]
    cap_raw["capacity"]["sites"] = {"lisbon": {"headcount": 3}}
    with pytest.raises(ScenarioError, match=r"capacity\.sites: site 'berlin' of plan 'one'"):
        parse_scenario(cap_raw)


def test_demand_factors_compound_growth_and_seasonality_validation(cap_raw):
    # Validation (hand-computed): month m of a plan starting in November has (1.04)^m ×
    # seasonality[calendar month]; December is 1.3, January 0.9.
    cap_raw["capacity"].update(
        start="2026-11",
        months=3,
        demand_growth_per_month=0.04,
        seasonality=[0.9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.1, 1.3],
    )
    capacity = parse_scenario(cap_raw).capacity
    assert capacity is not None
    assert capacity.month_labels() == ["2026-11", "2026-12", "2027-01"]
    np.testing.assert_allclose(
        capacity.demand_factors(), [1.1, 1.04 * 1.3, 1.04**2 * 0.9], rtol=1e-12
    )


def test_bad_capacity_input_exits_2_with_the_path_functional(cap_raw, tmp_path, cli):
    # Functional: the CLI prints one line naming the file and the field, exit 2, no traceback.
    import yaml

    cap_raw["capacity"]["sites"]["berlin"]["proficiency"] = [0.5, 1.5]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cap_raw), encoding="utf-8")
    done = subprocess.run([*cli, "capacity", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.yaml: capacity.sites.berlin.proficiency[1]" in lines[0]


def test_scenario_without_capacity_block_is_exit_2_functional(tmp_path, cli, tiny_raw):
    import yaml

    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(tiny_raw), encoding="utf-8")
    done = subprocess.run([*cli, "capacity", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "plain.yaml: capacity: this scenario has no capacity block" in done.stderr


# ---------------------------------------------------------------------------------------------
# Needs, costs, service


def test_required_fte_is_paid_hours_over_hours_per_week_validation(cap_scenario):
    # Validation (hand-computed): 5 agents × 24 h × 7 days = 840 paid hours a week; at 42 h
    # per FTE that is 20 FTE.
    plan = cap_scenario.plans["one"]
    assert weekly_paid_hours(plan) == {"berlin": pytest.approx(840.0, abs=1e-9)}
    run = run_scenario(scaled_scenario(cap_scenario, 1.0), engine="fast")
    need = need_from_run(cap_scenario, "one", run, demand_factor=1.0)
    assert need.required_fte_by_site["berlin"] == pytest.approx(20.0, abs=1e-9)
    # 30 calls/h, exactly in expectation; a month is 730.5 h → 21,915 contacts
    assert need.contacts_per_month == pytest.approx(30 * 730.5, rel=0.1)


def test_scaled_scenario_multiplies_every_rate_unit(cap_scenario):
    scaled = scaled_scenario(cap_scenario, 1.25)
    assert scaled.capacity is None
    assert scaled.demand[0].rates_by_local_hour() == pytest.approx((37.5,) * 24, abs=1e-12)


def test_scale_plan_keeps_fractions_through_shrinkage_unit(cap_scenario):
    # Unit: 0.9 of a crew of 5 with no shrinkage is 4.5 agents available: shrinkage 0.1.
    plan = scale_plan(cap_scenario.plans["one"], {"berlin": 0.9})
    site = plan.sites["berlin"]
    assert site.shifts[0].agents == 5
    assert site.shrinkage == pytest.approx(0.1, abs=1e-12)
    empty = scale_plan(cap_scenario.plans["one"], {"berlin": 0.0}).sites["berlin"]
    assert empty.shifts[0].agents == 0


def _needs(scenario: Scenario, months: int):
    run = run_scenario(scaled_scenario(scenario, 1.0), engine="fast")
    need = need_from_run(scenario, "one", run, demand_factor=1.0)
    return need, {"one": [need] * months}


def test_hiring_limit_below_need_gives_shortfall_months_with_service_below_target_functional(
    cap_scenario,
):
    # Functional: the roster needs 20 FTE; 4 are on staff and at most 4 can start a month,
    # so months 0..2 fall short (8, 12, 16 productive FTE: 2, 3, 4 agents on duty instead of
    # 5); the simulated service with the staff available is below the 85% target in every
    # shortfall month (Erlang A with 4 agents: 80.4%), while the full roster meets it.
    need, needs = _needs(cap_scenario, 6)
    assert need.meets_targets
    assert need.service_level_by_channel["phone"] >= 0.85
    result = plan_capacity(cap_scenario, needs)
    plan = result.plans["one"]
    berlin = plan.sites["berlin"]
    assert berlin.hires.tolist() == [4, 4, 4, 4, 0, 0]
    assert plan.shortfall_months() == [0, 1, 2]
    np.testing.assert_allclose(berlin.shortfall_fte, [12, 8, 4, 0, 0, 0], atol=1e-9)
    checked = shortfall_service(cap_scenario, result, replications=4, seed=5, engine="fast")
    service = checked.plans["one"].service_in_shortfall
    assert sorted(service) == [0, 1, 2]
    for m in service:
        assert service[m]["phone"] < 0.85
    # fewer agents, worse service: 2 agents (month 0) < 3 (month 1) < 4 (month 2)
    assert service[0]["phone"] < service[1]["phone"] < service[2]["phone"]


def test_month_costs_hand_computed_validation(cap_scenario):
    # Validation (hand-computed): salary = 42 h × 4.348 weeks × 20/h per person paid; seats
    # 45 per person paid; hiring 3000 per hire; no premiums (the site has none).
    need, needs = _needs(cap_scenario, 6)
    result = plan_capacity(cap_scenario, needs)
    plan = result.plans["one"]
    salary = salary_per_person_month(42.0, 20.0)
    assert salary == pytest.approx(42 * 20 * 365.25 / 12 / 7, rel=1e-12)
    paid = np.array([8, 12, 16, 20, 20, 20])
    hires = np.array([4, 4, 4, 4, 0, 0])
    expected = paid * salary + paid * 45.0 + hires * 3000.0 + need.automation_per_month
    np.testing.assert_allclose(plan.cost_by_month, expected, rtol=1e-12)
    assert plan.total_cost == pytest.approx(expected.sum(), rel=1e-12)
    assert pytest.approx(4.348, abs=1e-3) == WEEKS_PER_MONTH


def test_json_and_table_hold_the_contract_functional(cap_scenario):
    # Functional: every contract field, balance exact in the JSON, one row per plan × month ×
    # site in the table, and JSON that survives a round trip.
    _, needs = _needs(cap_scenario, 6)
    result = plan_capacity(cap_scenario, needs)
    data = json.loads(json.dumps(capacity_dict(result, scenario="cap-tiny")))
    months = data["plans"]["one"]["months"]
    assert [m["month"] for m in months] == [f"2026-0{i}" for i in range(1, 7)]
    for month in months:
        assert isinstance(month["cost"], float)
        site = month["sites"]["berlin"]
        for key in (
            "headcount_start",
            "hires",
            "leavers",
            "headcount_end",
            "trainees",
            "productive_fte",
            "required_fte",
            "shortfall_fte",
        ):
            assert key in site
        assert site["headcount_end"] == site["headcount_start"] + site["hires"] - site["leavers"]
    assert data["plans"]["one"]["total_cost"] == pytest.approx(
        sum(m["cost"] for m in months), abs=0.05
    )
    table = capacity_table(result)
    assert isinstance(table, pd.DataFrame)
    assert len(table) == 6
    assert list(table[["plan", "month", "site"]].iloc[0]) == ["one", "2026-01", "berlin"]


def test_headcount_per_plan_unit(cap_raw):
    # Unit: a headcount per plan name; a missing plan or an unknown one names the field.
    cap_raw["capacity"]["sites"]["berlin"]["headcount"] = {"one": 7}
    site = parse_scenario(cap_raw).capacity.sites["berlin"]
    assert site.headcount_for("one") == 7
    assert site.for_plan("one").headcount == 7
    cap_raw["capacity"]["sites"]["berlin"]["headcount"] = {"two": 7}
    with pytest.raises(ScenarioError, match=r"capacity\.sites\.berlin\.headcount: no headcount"):
        parse_scenario(cap_raw)
    cap_raw["capacity"]["sites"]["berlin"]["headcount"] = {"one": 7, "two": 3}
    with pytest.raises(ScenarioError, match=r"capacity\.sites\.berlin\.headcount\.two: plan"):
        parse_scenario(cap_raw)


# ---------------------------------------------------------------------------------------------
# The requirement step (levels, interpolation) and the optimizer end to end


def test_levels_span_the_factors_unit():
    from coverage.capacity.requirement import _level_factors

    factors = [1.04**m for m in range(12)]
    assert _level_factors(factors, None) == sorted(round(f, 9) for f in factors)
    three = _level_factors(factors, 3)
    assert three[0] == pytest.approx(1.0, abs=1e-9)
    assert three[-1] == pytest.approx(1.04**11, abs=1e-9)
    assert three[1] == pytest.approx((1.0 + 1.04**11) / 2, abs=1e-9)
    assert _level_factors([1.0, 1.0, 1.1], 3) == [1.0, 1.1]  # equal months share a sizing


def test_interpolation_is_linear_in_the_factor_validation(cap_scenario):
    # Validation (hand-computed): halfway between levels 1.0 and 1.2, required FTE, premium
    # share, automation and contacts are the means; the roster is the upper level's.
    from dataclasses import replace

    from coverage.capacity.requirement import _interpolate

    low, _ = _needs(cap_scenario, 1)
    high = replace(
        low,
        demand_factor=1.2,
        required_fte_by_site={"berlin": 30.0},
        automation_per_month=100.0,
        contacts_per_month=low.contacts_per_month * 1.2,
    )
    mid = _interpolate(replace(low, automation_per_month=50.0), high, 1.1)
    assert mid.required_fte_by_site["berlin"] == pytest.approx(25.0, abs=1e-9)
    assert mid.automation_per_month == pytest.approx(75.0, abs=1e-9)
    assert mid.contacts_per_month == pytest.approx(low.contacts_per_month * 1.1, rel=1e-9)
    assert mid.roster_fte_by_site == {"berlin": 30.0}
    assert mid.plan is high.plan


def test_capacity_with_the_optimizer_end_to_end_functional(cap_raw):
    # Functional: months sized by the optimizer (the crew is opened to sizing), 10% growth a
    # month; required FTE never falls as demand grows (within one agent of sizing noise), the
    # balance holds and every site-month is in the JSON.
    pytest.importorskip("coverage.optimize.sizing")
    from coverage.capacity.cli import run_capacity

    cap_raw["capacity"].update(months=3, demand_growth_per_month=0.1)
    scenario = parse_scenario(cap_raw)
    result = run_capacity(scenario, replications=2, service_replications=2)
    berlin = result.plans["one"].sites["berlin"]
    required = berlin.required_fte
    assert np.all(np.diff(required) >= -168 / 42 - 1e-9)  # one agent 24/7 = 4 FTE at 42 h
    assert required[0] > 0
    np.testing.assert_array_equal(
        berlin.headcount_end, berlin.headcount_start + berlin.hires - berlin.leavers
    )
    data = capacity_dict(result, scenario=scenario.name)
    assert len(data["plans"]["one"]["months"]) == 3


def test_capacity_cli_writes_its_files_and_a_seed_fixes_the_json_functional(tmp_path, cli):
    # Functional: `coverage-sim capacity --json --out` exits 0, prints only JSON, writes the
    # table (one row per plan × month × site) and the JSON atomically; a second run with the
    # same seed prints the same bytes.
    pytest.importorskip("coverage.optimize.sizing")
    from conftest import ROOT

    tiny = ROOT / "tests" / "data" / "capacity" / "tiny-capacity.yaml"
    args = [*cli, "capacity", str(tiny), "--json", "--workers", "1", "--levels", "2"]
    args += ["--replications", "2", "--service-replications", "2"]
    first = subprocess.run([*args, "--out", str(tmp_path)], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert [m["month"] for m in data["plans"]["one"]["months"]] == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    table = pd.read_parquet(tmp_path / "capacity.parquet")
    assert len(table) == 3
    assert (tmp_path / "capacity.csv").is_file()
    assert json.loads((tmp_path / "capacity.json").read_text()) == data
    assert not list(tmp_path.glob(".*tmp-*"))
    assert "sizing demand level" in first.stderr
    second = subprocess.run(args, capture_output=True, text=True)
    assert second.stdout == first.stdout

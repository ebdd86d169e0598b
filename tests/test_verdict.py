"""Verdicts, explanations and the shared display formatting."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from coverage.formatting import (
    format_duration_s,
    format_money,
    format_money_delta,
    format_share,
    format_target,
)
from coverage.results.explain import explain, hour_label
from coverage.results.report import comparison_text
from coverage.results.verdict import channel_verdicts, recommendation, recommended_plan
from coverage.scenario.model import parse_scenario
from coverage.simulation.replications import run_scenario


def test_formatting_in_human_units_unit() -> None:
    # Unit: the examples — seconds as hours, targets as whole hours, money rounded.
    assert format_duration_s(24954.7) == "6.9 h"
    assert format_duration_s(26280.0) == "7.3 h"
    assert format_duration_s(86400.0) == "24 h"
    assert format_duration_s(45.0) == "45 s"
    assert format_duration_s(2.46) == "2.5 s"
    assert format_duration_s(1800.0) == "30 min"
    assert format_duration_s(None) == "—"
    assert format_target(86400, 0.9) == "90% within 24 h"
    assert format_money(790283, "USD") == "USD 790,283"
    assert format_money(10064.089870161657, "EUR") == "EUR 10,064"
    assert format_money(4.2071, "USD", cents=True) == "USD 4.21"
    assert format_money_delta(-869.4, "USD") == "-USD 869"
    assert format_share(0.9199) == "92.0%"
    assert hour_label(27) == "Tue 03:00 UTC"


def _two_plans(tiny_raw: dict[str, Any], agents_b: int) -> dict[str, Any]:
    raw = copy.deepcopy(tiny_raw)
    plan = raw["plans"]["round-the-clock"]
    plan["sites"]["berlin"]["shifts"][0]["agents"] = 7
    raw["plans"] = {"full": plan, "cut": copy.deepcopy(plan)}
    raw["plans"]["cut"]["sites"]["berlin"]["shifts"][0]["agents"] = agents_b
    raw["replications"] = 4
    return raw


def test_verdict_meets_when_staffed_and_misses_when_agents_are_cut_functional(
    tiny_raw: dict[str, Any],
) -> None:
    # Functional: 30 calls/h × 300 s = 2.5 Erlang of phone plus 0.67 of email (served after
    # phone); 7 agents around the clock answer nearly every call within 20 s → meets; 3 agents
    # (ρ > 0.8 on phone alone) are far below 80 % → misses, so the verdict cannot flip on noise.
    result = run_scenario(parse_scenario(_two_plans(tiny_raw, agents_b=3)), workers=1)
    full = {v.channel: v for v in channel_verdicts(result, "full")}
    cut = {v.channel: v for v in channel_verdicts(result, "cut")}
    assert full["phone"].word == "meets"
    assert cut["phone"].word == "misses"
    assert cut["phone"].target == "80% within 20 s"
    assert cut["phone"].interval is not None
    lo, hi = cut["phone"].interval
    assert lo <= cut["phone"].service_level <= hi
    assert recommended_plan(result) == "full"
    assert recommendation(result).startswith("Pick full: it meets every target sustainably at USD")
    text = comparison_text(result)
    assert "✗ phone misses 80% within 20 s:" in text
    assert "✓ phone meets 80% within 20 s:" in text
    assert "why full over cut" in text


def test_explanation_names_the_cost_gap_and_the_hours_that_differ_functional(
    tiny_raw: dict[str, Any],
) -> None:
    # Functional: the "cut" plan has 2 of the 7 agents: its labour is exactly 2/7 (same hours,
    # same rates), and the hours that differ most are phone hours.
    result = run_scenario(parse_scenario(_two_plans(tiny_raw, agents_b=2)), workers=1)
    lines = explain(result, "full", "cut")
    full, cut = result.plans["full"].cost, result.plans["cut"].cost
    assert cut.labor == pytest.approx(full.labor * 2 / 7, rel=1e-9)
    gap = full.per_month - cut.per_month
    assert lines[0].startswith(f"Cost: cut costs {format_money(gap, 'USD')} a month less")
    assert any(line.startswith("Service, phone:") for line in lines)
    hours = next(line for line in lines if line.startswith("Hours that differ most:"))
    assert "phone" in hours

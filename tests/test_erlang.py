"""Tests for coverage.erlang.

Most tests are kind 2, validation against published values or theory; the others are kind 1
(unit: edge cases and errors) or kind 4 (functional invariants). Each test says which.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
from scipy import stats

from coverage.erlang import (
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    erlang_summary,
    required_agents,
)

CASES_PATH = Path(__file__).resolve().parent / "data" / "public_cases.json"

# JSON metric name -> erlang_summary key. "sl_alt" (answered within T / arrivals not
# abandoned within T) is shown in the cases for reference only and is not computed here.
METRIC_KEYS = {
    "p_wait": "p_wait",
    "p_abandon": "abandon_rate",
    "asa_s": "asa_s",
    "mean_wait_all_s": "mean_wait_all_s",
    "sl": "service_level",
    "occupancy": "occupancy",
}

# The analytic cases of tests/data/public_cases.json, written out once more so that a change to
# either copy is caught: (per_hour, aht_s, agents, concurrency, patience_s, target_s, expected).
PUBLISHED_CASES = {
    "PUB-ERLC-C14": (
        200.0,
        180.0,
        14,
        1,
        None,
        20.0,
        {
            "p_wait": 0.174132,
            "asa_s": 7.83594,
            "mean_wait_all_s": 7.83594,
            "sl": 0.88835,
            "occupancy": 0.714286,
        },
    ),
    "PUB-ERLC-C13": (
        200.0,
        180.0,
        13,
        1,
        None,
        20.0,
        {
            "p_wait": 0.28527,
            "asa_s": 17.1162,
            "mean_wait_all_s": 17.1162,
            "sl": 0.795595,
            "occupancy": 0.769231,
        },
    ),
    "PUB-ERLC-C15": (
        200.0,
        180.0,
        15,
        1,
        None,
        20.0,
        {
            "p_wait": 0.102042,
            "asa_s": 3.67353,
            "mean_wait_all_s": 3.67353,
            "sl": 0.941453,
            "occupancy": 0.666667,
        },
    ),
    "PUB-ERLA-C14": (
        200.0,
        180.0,
        14,
        1,
        300.0,
        20.0,
        {
            "p_wait": 0.14526,
            "p_abandon": 0.0139837,
            "asa_s": 3.87848,
            "mean_wait_all_s": 4.19512,
            "sl": 0.916792,
            "occupancy": 0.704297,
        },
    ),
    "PUB-CHAT-K2": (
        90.0,
        480.0,
        8,
        2,
        None,
        60.0,
        {
            "p_wait": 0.204574,
            "asa_s": 24.5489,
            "mean_wait_all_s": 24.5489,
            "sl": 0.87592,
            "occupancy": 0.75,
        },
    ),
}

# The case values are exact analytic figures printed to 6 significant digits; the brief asks
# for agreement to 4 significant digits, so rel=1e-4 leaves room only for that rounding.
CASE_REL_TOL = 1e-4


def _analytic_json_cases() -> list[dict]:
    """Cases a closed formula answers: flat Poisson rate, exponential service, constant agents."""
    cases = json.loads(CASES_PATH.read_text(encoding="utf-8"))
    return [
        case
        for case in cases
        if "rate_per_hour" in case["model"]["arrival"]
        and case["model"]["service"]["dist"] == "exponential"
        and case["model"]["patience"]["dist"] in {"none", "exponential"}
        and "agents" in case["model"]
    ]


def _json_params() -> list:
    # the file ships in tests/data: a missing file fails at collection, it never skips
    return [pytest.param(case, id=case["id"]) for case in _analytic_json_cases()]


def _assert_matches(figures: dict, expected: dict, case_id: str) -> None:
    for metric, value in expected.items():
        if metric in METRIC_KEYS:
            got = figures[METRIC_KEYS[metric]]
            assert got == pytest.approx(value, rel=CASE_REL_TOL), f"{case_id} {metric}"


@pytest.mark.parametrize("case_id", sorted(PUBLISHED_CASES))
def test_published_cases_hard_coded(case_id):
    # Validation against published values: exact Erlang C / Erlang A answers of
    # tests/data/public_cases.json (written out here as well).
    per_hour, aht_s, agents, concurrency, patience_s, target_s, expected = PUBLISHED_CASES[case_id]
    figures = erlang_summary(
        per_hour,
        aht_s,
        agents=agents,
        concurrency=concurrency,
        patience_s=patience_s,
        target_s=target_s,
    )
    _assert_matches(figures, expected, case_id)


@pytest.mark.parametrize("case", _json_params())
def test_published_cases_from_json(case):
    # Validation against published values: every Erlang C / Erlang A case of the JSON file.
    model = case["model"]
    patience = model["patience"]
    figures = erlang_summary(
        model["arrival"]["rate_per_hour"],
        model["service"]["mean_s"],
        agents=model["agents"],
        concurrency=model["concurrency"],
        target_s=case["sl_threshold_s"],
        patience_s=patience["mean_s"] if patience["dist"] == "exponential" else None,
    )
    _assert_matches(figures, case["expected"], case["id"])


def test_json_file_holds_the_analytic_cases():
    # Unit: guards against the JSON test passing on nothing.
    ids = {case["id"] for case in _analytic_json_cases()}
    assert set(PUBLISHED_CASES) <= ids


def test_erlang_c_worked_example():
    # Validation against published values: 100 calls / 30 min, AHT 180 s, 14 agents gives
    # P(wait) 0.1741, SL(20 s) 0.8884, ASA 7.8 s, occupancy 0.714 (docs/domain.md).
    # Tolerances are half a unit in the last published digit.
    figures = erlang_summary(200.0, 180.0, agents=14, target_s=20.0)
    assert erlang_c(servers=14, offered_load_erl=10.0) == pytest.approx(0.1741, abs=5e-5)
    assert figures["p_wait"] == pytest.approx(0.1741, abs=5e-5)
    assert figures["service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert figures["asa_s"] == pytest.approx(7.8, abs=0.05)
    assert figures["occupancy"] == pytest.approx(0.714, abs=5e-4)
    assert figures["abandon_rate"] == 0.0


def test_erlang_a_worked_example():
    # Validation against published values: the same example with 5-minute mean patience has
    # P(wait) ~ 0.1453 and P(abandon) ~ 0.0140 (docs/domain.md); half-unit tolerances.
    figures = erlang_summary(200.0, 180.0, agents=14, patience_s=300.0)
    assert figures["p_wait"] == pytest.approx(0.1453, abs=5e-5)
    assert figures["abandon_rate"] == pytest.approx(0.0140, abs=5e-5)


@pytest.mark.parametrize("load_erl", [0.05, 0.5, 0.9, 0.999])
def test_erlang_c_single_agent_equals_utilisation(load_erl):
    # Validation against theory: M/M/1 has P(wait) = rho, ASA = rho/(1-rho)·AHT and
    # SL = 1 - rho·exp(-(1-rho)·T/AHT) (Gross et al. 2008). Exact identities.
    aht_s = 300.0
    assert erlang_c(servers=1, offered_load_erl=load_erl) == pytest.approx(load_erl, rel=1e-12)
    figures = erlang_c_metrics(1, load_erl * 3600.0 / aht_s, aht_s, target_s=20.0)
    assert figures["asa_s"] == pytest.approx(load_erl / (1 - load_erl) * aht_s, rel=1e-9)
    expected_sl = 1 - load_erl * math.exp(-(1 - load_erl) * 20.0 / aht_s)
    assert figures["service_level"] == pytest.approx(expected_sl, rel=1e-12)


@pytest.mark.parametrize(("servers", "load_erl"), [(3, 2.0), (14, 10.0), (500, 480.0)])
def test_erlang_b_and_c_match_closed_forms(servers, load_erl):
    # Validation against theory: B = Poisson pmf(c) / cdf(c), and C = B / (1 - rho·(1 - B))
    # (Gross et al. 2008); identical up to floating point, also for hundreds of servers.
    blocking = stats.poisson.pmf(servers, load_erl) / stats.poisson.cdf(servers, load_erl)
    assert erlang_b(servers, load_erl) == pytest.approx(blocking, rel=1e-9)
    wait = blocking / (1 - load_erl / servers * (1 - blocking))
    assert erlang_c(servers, load_erl) == pytest.approx(wait, rel=1e-9)


@pytest.mark.parametrize(
    ("beta", "published"), [(0.5, 0.50), (1.0, 0.22), (1.5, 0.085), (2.0, 0.027)]
)
def test_erlang_c_halfin_whitt_limit(beta, published):
    # Validation against theory: with c = R + beta·sqrt(R), P(wait) -> 1/(1 + beta·Phi/phi)
    # (Halfin & Whitt 1981), quoted as 0.50/0.22/0.085/0.027 in docs/domain.md. At
    # R = 10,000 the exact value is within O(1/sqrt(R)) ~ 1% of the limit, and the quoted
    # figures are rounded to 2 digits, so rel=0.03.
    load_erl = 10_000.0
    p_wait = erlang_c(int(load_erl + beta * math.sqrt(load_erl)), load_erl)
    limit = 1 / (1 + beta * stats.norm.cdf(beta) / stats.norm.pdf(beta))
    assert p_wait == pytest.approx(limit, rel=0.03)
    assert p_wait == pytest.approx(published, rel=0.03)


def test_erlang_a_with_huge_patience_is_erlang_c():
    # Validation against theory: as mean patience -> infinity, M/M/c+M -> M/M/c
    # (Garnett et al. 2002). With patience 1e9 s the difference is ~1e-8.
    erlang_a = erlang_summary(200.0, 180.0, agents=14, patience_s=1e9)
    erlang_c_figures = erlang_summary(200.0, 180.0, agents=14)
    for key in ("p_wait", "service_level", "asa_s", "mean_wait_all_s", "occupancy"):
        assert erlang_a[key] == pytest.approx(erlang_c_figures[key], rel=1e-6), key
    assert erlang_a["abandon_rate"] == pytest.approx(0.0, abs=1e-7)


def test_erlang_a_with_tiny_patience_is_erlang_b():
    # Validation against theory: as mean patience -> 0 a caller who finds all servers busy
    # leaves at once, so M/M/c+M -> M/M/c/c and P(abandon) -> Erlang B (Gross et al. 2008).
    # With patience 1e-6 s the difference is ~1e-7 relative.
    figures = erlang_a_metrics(14, 200.0, 180.0, 1e-6, target_s=20.0)
    assert figures["abandon_rate"] == pytest.approx(erlang_b(14, 10.0), rel=1e-6)


@pytest.mark.parametrize(("servers", "patience_s"), [(14, 300.0), (8, 60.0), (40, 1200.0)])
def test_erlang_a_internal_identities(servers, patience_s):
    # Validation against theory: P(abandon) = theta·E[wait] (Garnett et al. 2002) ties the
    # tagged-caller figure to Little's law; occupancy = a·(1 - P(abandon)) / c is the carried
    # load; with T = 0 the service level is P(no wait). Exact up to truncation (1e-16).
    per_hour, aht_s = 200.0, 180.0
    figures = erlang_a_metrics(servers, per_hour, aht_s, patience_s, target_s=20.0)
    assert figures["abandon_rate"] == pytest.approx(
        figures["mean_wait_all_s"] / patience_s, rel=1e-9
    )
    load_erl = per_hour * aht_s / 3600.0
    assert figures["occupancy"] == pytest.approx(
        load_erl * (1 - figures["abandon_rate"]) / servers, rel=1e-9
    )
    at_zero = erlang_a_metrics(servers, per_hour, aht_s, patience_s, target_s=0.0)
    assert at_zero["service_level"] == pytest.approx(1 - at_zero["p_wait"], rel=1e-12)


def test_concurrency_is_more_servers():
    # Validation against theory: K slots per agent make M/M/(c·K); PUB-CHAT-K2 is M/M/16.
    chat = erlang_summary(90.0, 480.0, agents=8, concurrency=2, target_s=60.0)
    single = erlang_summary(90.0, 480.0, agents=16, target_s=60.0)
    assert chat["agents"] == 8
    for key in ("p_wait", "service_level", "asa_s", "occupancy"):
        assert chat[key] == pytest.approx(single[key], rel=1e-12), key


@pytest.mark.parametrize("patience_s", [None, 300.0])
def test_required_agents_is_minimal(patience_s):
    # Functional: the answer meets the target and one agent fewer does not.
    for target_share in (0.5, 0.8, 0.9, 0.95, 0.99):
        agents = required_agents(200.0, 180.0, target_share=target_share, patience_s=patience_s)
        meets = erlang_summary(200.0, 180.0, agents=agents, patience_s=patience_s)
        assert meets["service_level"] >= target_share
        if agents > 1:
            short = erlang_summary(200.0, 180.0, agents=agents - 1, patience_s=patience_s)
            assert short["service_level"] is None or short["service_level"] < target_share


def test_required_agents_worked_example():
    # Validation against published values: 80/20 needs 14 agents in the domain.md example
    # (13 agents give 0.7956, 14 give 0.8884). Exact integer.
    assert required_agents(200.0, 180.0, target_share=0.8, target_s=20.0) == 14
    summary = erlang_summary(200.0, 180.0, target_share=0.8)
    assert summary["agents"] == 14
    assert summary["service_level"] == pytest.approx(0.8884, abs=5e-5)


@pytest.mark.slow
@pytest.mark.parametrize("patience_s", [None, 300.0])
def test_required_agents_monotonic(patience_s):
    # Functional: more demand or a stricter target never needs fewer agents, and adding
    # agents never lowers the service level or raises the occupancy.
    by_rate = [
        required_agents(per_hour, 180.0, target_share=0.8, patience_s=patience_s)
        for per_hour in (10.0, 50.0, 200.0, 1000.0, 5000.0)
    ]
    assert by_rate == sorted(by_rate)
    by_target = [
        required_agents(200.0, 180.0, target_share=share, patience_s=patience_s)
        for share in (0.3, 0.6, 0.8, 0.9, 0.99, 0.999)
    ]
    assert by_target == sorted(by_target)
    levels = [
        erlang_summary(200.0, 180.0, agents=agents, patience_s=patience_s)
        for agents in range(11, 30)
    ]
    service = [level["service_level"] for level in levels]
    occupancy = [level["occupancy"] for level in levels]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(service))
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(occupancy))
    assert all(0.0 <= value <= 1.0 for value in service + occupancy)


def test_erlang_c_unstable_queue_has_no_service_level():
    # Unit: agents·concurrency <= load makes M/M/c unstable; undefined figures are None.
    figures = erlang_summary(200.0, 180.0, agents=10)
    assert figures["p_wait"] == 1.0
    assert figures["occupancy"] == 1.0
    assert figures["service_level"] is None
    assert figures["asa_s"] is None
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(3, 0.0) == 0.0


def test_erlang_a_overloaded_is_finite():
    # Unit: with abandonment an overloaded queue still has a steady state.
    figures = erlang_summary(200.0, 180.0, agents=5, patience_s=300.0)
    assert 0.0 < figures["service_level"] < 1.0
    assert 0.0 < figures["abandon_rate"] < 1.0
    assert figures["occupancy"] <= 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"agents": 14, "target_share": 0.8},
        {},
        {"agents": 0},
        {"agents": 14, "concurrency": 0},
        {"agents": 2.5},
        {"agents": 14, "patience_s": 0.0},
        {"agents": 14, "patience_s": -5.0},
        {"agents": 14, "target_s": -1.0},
        {"target_share": 0.0},
        {"target_share": 1.0},
        {"target_share": 1.5},
    ],
)
def test_erlang_summary_rejects_bad_arguments(kwargs):
    # Unit: exactly one of agents / target_share, and positive counts and times.
    with pytest.raises(ValueError, match=r"agents|target_share|concurrency|patience_s|target_s"):
        erlang_summary(200.0, 180.0, **kwargs)


@pytest.mark.parametrize(
    ("per_hour", "aht_s"), [(0.0, 180.0), (-1.0, 180.0), (200.0, 0.0), (200.0, float("nan"))]
)
def test_rejects_non_positive_rates_and_times(per_hour, aht_s):
    # Unit: rates and handle times must be positive.
    with pytest.raises(ValueError, match=r"per_hour|aht_s"):
        erlang_summary(per_hour, aht_s, agents=14)
    with pytest.raises(ValueError, match=r"per_hour|aht_s"):
        required_agents(per_hour, aht_s, target_share=0.8)


def test_erlang_b_rejects_bad_arguments():
    # Unit: servers is a positive integer and the load is not negative.
    with pytest.raises(ValueError, match="servers"):
        erlang_b(0, 1.0)
    with pytest.raises(ValueError, match="offered_load_erl"):
        erlang_c(3, -1.0)

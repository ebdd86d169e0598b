"""Two validation runs with more power than the 20-replication public cases.

Kind 3 (simulation vs analytic / vs an independent simulator):

* **High power, Erlang A.** PUB-ERLA-C14 (M/M/14+M: 200 calls/h, 180 s, patience 300 s) with
  400 replications instead of 20. The standard error SE_400 of each metric's mean is computed
  here from the replications; the test requires |mean − exact| ≤ 4·SE_400 **and** 4·SE_400 below
  one standard error of the usual 20-replication check (the case's tolerance / 4). So a bias
  as small as one SE of the ordinary check would fail, while a correct simulator passes with
  probability ~0.9999 per metric.
* **Non-Markovian, against Ciw.** M/D/13 (Poisson 200/h, every service exactly 180 s, no
  abandonment): no closed form is used; the Ciw discrete-event library simulates the same queue
  and the means over replications must agree within 4 combined standard errors. ASA of M/D/c
  is far from the Erlang C (M/M/c) value, and the test checks that too, so an engine that drew
  exponential times for `fixed` would fail.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import ciw
import numpy as np
import pytest

from coverage.erlang import erlang_c_metrics
from coverage.scenario.model import parse_scenario
from coverage.simulation.replications import run_scenario

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "check_public_cases", ROOT / "scripts" / "check_public_cases.py"
)
assert _spec is not None
assert _spec.loader is not None
checker = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("check_public_cases", checker)
_spec.loader.exec_module(checker)

METRICS = {  # case metric -> per-replication column
    "sl": "service_level",
    "p_wait": "p_wait",
    "p_abandon": "abandon_rate",
    "asa_s": "asa_s",
    "mean_wait_all_s": "mean_wait_all_s",
    "occupancy": "occupancy",
}


def _mean_and_se(values: np.ndarray) -> tuple[float, float]:
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


@pytest.mark.slow
def test_erlang_a_with_400_replications_has_bias_below_one_standard_error_validation():
    case = next(c for c in checker.load_cases() if c["id"] == "PUB-ERLA-C14")
    reps = 400
    scenario = parse_scenario(checker.case_scenario(case, seed=5))
    per_rep = run_scenario(scenario, replications=reps, seed=5).plans["only"].per_replication
    assert len(per_rep) == reps
    report = []
    for metric, column in METRICS.items():
        mean, se = _mean_and_se(per_rep[column].to_numpy(dtype=float))
        exact = case["expected"][metric]
        se_20 = case["tolerance"][metric] / 4  # the case file's tolerance is 4 SE of 20 reps
        report.append(f"{metric}: {mean:.5g} vs {exact:.5g} (z = {(mean - exact) / se:+.2f})")
        assert 4 * se < se_20, f"{metric}: 400 replications resolve only {4 * se:.3g}"
        assert abs(mean - exact) <= 4 * se, "; ".join(report)


def _ciw_md_c(
    per_hour: float, service_s: float, servers: int, *, warmup_s: float, horizon_s: float,
    reps: int, threshold_s: float,
) -> dict[str, np.ndarray]:
    """Per-replication service level, P(wait) and ASA of an M/D/c queue simulated by Ciw.

    Arrivals keep coming after the horizon, but in a first-come-first-served queue a
    customer's wait depends only on earlier arrivals, so the customers that arrived in
    [warm-up, horizon) are measured exactly as the simulator measures them.
    """
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=per_hour / 3600.0)],
        service_distributions=[ciw.dists.Deterministic(value=service_s)],
        number_of_servers=[servers],
    )
    out: dict[str, list[float]] = {"service_level": [], "p_wait": [], "asa_s": []}
    for rep in range(reps):
        ciw.seed(1000 + rep)
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(horizon_s + 4 * 3600.0)
        waits = np.array([r.waiting_time for r in sim.get_all_records()
                          if warmup_s <= r.arrival_date < horizon_s])
        out["service_level"].append(float((waits <= threshold_s).mean()))
        out["p_wait"].append(float((waits > 1e-9).mean()))
        out["asa_s"].append(float(waits.mean()))
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.slow
def test_md_c_matches_ciw_validation():
    per_hour, service_s, servers, threshold_s = 200.0, 180.0, 13, 20.0
    warmup_h, horizon_h, reps = 2.0, 26.0, 40
    raw = {
        "name": "md-c",
        "horizon": {"hours": horizon_h},
        "warmup_hours": warmup_h,
        "channels": {"voice": {
            "handle_time": {"dist": "fixed", "mean_s": service_s},
            "target": {"answer_within_s": threshold_s, "share": 0.8},
        }},
        "regions": {"everywhere": {"time_zone": "UTC"}},
        "demand": [{"channel": "voice", "region": "everywhere", "per_hour": per_hour}],
        "plans": {"only": {"sites": {"hq": {
            "time_zone": "UTC", "hourly_cost": 20.0,
            "shifts": [{"start": "00:00", "hours": 24, "agents": servers}],
        }}}},
    }
    ours = run_scenario(parse_scenario(raw), replications=reps, seed=9).plans["only"]
    theirs = _ciw_md_c(per_hour, service_s, servers, warmup_s=warmup_h * 3600,
                       horizon_s=horizon_h * 3600, reps=reps, threshold_s=threshold_s)
    markov = erlang_c_metrics(servers, per_hour, service_s, target_s=threshold_s)
    for column in ("service_level", "p_wait", "asa_s"):
        a_mean, a_se = _mean_and_se(ours.per_replication[column].to_numpy(dtype=float))
        b_mean, b_se = _mean_and_se(theirs[column])
        tolerance = 4 * math.hypot(a_se, b_se)
        assert abs(a_mean - b_mean) <= tolerance, (column, a_mean, b_mean, tolerance)
    # the check has the power to tell deterministic from exponential service (ASA ~10 s vs 17 s)
    asa_mean, asa_se = _mean_and_se(ours.per_replication["asa_s"].to_numpy(dtype=float))
    assert markov["asa_s"] - asa_mean > 8 * asa_se

"""The optimizer (docs/optimizer.md): hand-computed optima, premiums, minimality, frontier, errors.

Kinds of test (STYLE §8): validation against a formula computed here, independently of
`coverage.erlang`; functional checks of the search's guarantees; unit tests of bad input.
"""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from coverage.cli import main
from coverage.optimize.columns import sized_plan
from coverage.optimize.judge import judge
from coverage.optimize.search import HOUR_MARGIN_SE, MARGIN_SE
from coverage.optimize.sizing import size_plans
from coverage.scenario.model import load_scenario, parse_scenario
from coverage.simulation.evaluate import Evaluation, evaluate_roster, prepare_plan
from coverage.units import HOURS_PER_MONTH

RATE_PER_HOUR, AHT_S, PATIENCE_S, TARGET_S, SHARE = 60.0, 300.0, 120.0, 20.0, 0.78


def erlang_a_service_level(agents: int, per_hour: float, aht_s: float, patience_s: float,
                           target_s: float) -> float:  # fmt: skip
    """P(answered within T) for M/M/c+M, computed here without `coverage.erlang`.

    Stationary law of the birth-death chain (PASTA), then for an arrival that finds j waiting
    ahead the chance to reach an agent by T: its position falls at rate c·mu + k·theta (k ahead)
    and it abandons at rate theta; the absorbing chain is solved by uniformization (a Poisson
    mixture of powers of the jump matrix), not by a matrix exponential.
    """
    lam, mu, theta, c = per_hour / 3600.0, 1.0 / aht_s, 1.0 / patience_s, agents
    size = c + 400
    log_p = np.zeros(size)
    for n in range(1, size):
        death = min(n, c) * mu + max(n - c, 0) * theta
        log_p[n] = log_p[n - 1] + math.log(lam / death)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    level = float(p[:c].sum())
    rate = c * mu + size * theta  # uniformization rate >= every exit rate below
    steps = int(rate * target_s + 12 * math.sqrt(rate * target_s) + 50)
    poisson = np.exp(
        np.arange(steps) * math.log(rate * target_s)
        - rate * target_s
        - np.array([math.lgamma(k + 1) for k in range(steps)])
    )
    n_ahead = size - c
    # state k = contacts ahead (0..n_ahead-1); served probability accumulates in `served`
    prob = p[c:].copy()  # mass starting with j ahead, weighted by the stationary law
    served_by_t = 0.0
    served_cum = 0.0
    k = np.arange(n_ahead)
    move = (c * mu + k * theta) / rate
    leave = theta / rate
    for step in range(steps):
        served_by_t += poisson[step] * served_cum
        advanced = prob * move
        served_cum += advanced[0]
        prob = prob * (1.0 - move - leave)
        prob[:-1] += advanced[1:]
    tail = 1.0 - poisson.sum()
    return level + served_by_t + tail * served_cum


def fewest_agents(share: float) -> int:
    n = 1
    while erlang_a_service_level(n, RATE_PER_HOUR, AHT_S, PATIENCE_S, TARGET_S) < share:
        n += 1
    return n


def flat_raw(shifts: list[dict], sites: dict | None = None) -> dict:
    return {
        "name": "flat",
        "horizon": {"start": "2026-01-05", "days": 28},  # 4 weeks: each hour of week pools 4
        "replications": 10,
        "seed": 3,
        "channels": {
            "phone": {
                "handle_time": {"dist": "exponential", "mean_s": AHT_S},
                "patience": {"dist": "exponential", "mean_s": PATIENCE_S},
                "target": {"answer_within_s": TARGET_S, "share": SHARE, "scope": "hour"},
            }
        },
        "regions": {"here": {"time_zone": "UTC"}},
        "demand": [{"channel": "phone", "region": "here", "per_hour": RATE_PER_HOUR}],
        "plans": {
            "sized": {
                "sites": sites
                or {"hq": {"time_zone": "UTC", "hourly_cost": 20.0, "shifts": shifts}}
            }
        },
    }


THREE_SLOTS = [{"start": s, "hours": 8, "agents": "auto"} for s in ("00:00", "08:00", "16:00")]


def test_independent_erlang_a_matches_known_identities():
    # Validation: with patience → ∞ the formula tends to Erlang C's SL = 1 − C·e^{−(c·mu−lam)T};
    # M/M/1 with load 0.5: C = 0.5 (Gross et al. 2008). Tolerance 1e-3: patience 1e7 s, not ∞.
    level = erlang_a_service_level(1, 6.0, 300.0, 1e7, 20.0)
    exact = 1.0 - 0.5 * math.exp(-(1 / 300 - 6 / 3600) * 20.0)
    assert level == pytest.approx(exact, abs=1e-3)


def test_three_flat_slots_get_exactly_the_erlang_a_minimum():
    # Validation: flat demand, scope hour: every 8-hour slot needs the Erlang A minimum. The
    # target sits 4.5 points above SL(n-1) and 6 below SL(n); each hour's standard error over 10
    # replications of 4 weeks is about 1.7 points, so with the search's margin (an hour's mean
    # must reach the share on the optimizer's seed) n-1 misses and n meets in every hour.
    need = fewest_agents(SHARE)
    below = erlang_a_service_level(need - 1, RATE_PER_HOUR, AHT_S, PATIENCE_S, TARGET_S)
    above = erlang_a_service_level(need, RATE_PER_HOUR, AHT_S, PATIENCE_S, TARGET_S)
    assert below < SHARE - 0.04, below
    assert above > SHARE + 0.06, above
    result = size_plans(parse_scenario(flat_raw(THREE_SLOTS)))
    plan = result.plans["sized"]
    assert [n for _, _, n in plan.crews] == [need, need, need]
    assert plan.meets
    assert plan.confirmed


def test_premiums_are_avoided_by_covering_each_block_from_the_site_in_daytime():
    # Validation against a hand-computed optimum: sites 8 h apart (UTC and UTC+8, no DST), the
    # same pay and a 10% night premium 22:00-06:00; candidate 8-hour shifts at local 00, 08, 16.
    # UTC 00-08 is 08-16 in Shanghai (no premium), UTC 08-16 is day in London-UTC, UTC 16-24 is
    # 16-24 local at the UTC site (2 h premium) or 00-08 in Shanghai (6 h): the optimum takes
    # Shanghai 08:00, UTC 08:00 and UTC 16:00, each with the Erlang A minimum.
    candidates = [{"starts": ["00:00", "08:00", "16:00"], "hours": [8]}]
    night = {"from": "22:00", "to": "06:00", "rate": 0.1}
    sites = {
        name: {"time_zone": tz, "hourly_cost": 20.0, "night_premium": night,
               "candidate_shifts": candidates}
        for name, tz in (("west", "UTC"), ("east", "Asia/Shanghai"))
    }  # fmt: skip
    scenario = parse_scenario(flat_raw([], sites=sites))
    result = size_plans(scenario)
    plan = result.plans["sized"]
    need = fewest_agents(SHARE)
    chosen = {(site, j): n for site, j, n in plan.crews if n}
    assert chosen == {("west", 1): need, ("west", 2): need, ("east", 1): need}
    paid_hours = 28 * 8.0  # per agent and shift over the four weeks
    window_cost = 3 * need * paid_hours * 20.0 + need * 28 * 2.0 * 20.0 * 0.1
    assert plan.planned_per_month == pytest.approx(window_cost * HOURS_PER_MONTH / 672.0, rel=1e-9)
    # run's cost adds only paid overtime (agents finishing a contact after their shift)
    overtime_h = sum(s["overtime_hours"] for s in plan.cost["by_site"].values())
    extra = plan.cost["per_month"] - plan.planned_per_month
    assert 0 <= extra <= overtime_h * 20.0 * 1.1 * HOURS_PER_MONTH / (28 * 24.0) + 1e-6


MIXED = {
    "name": "mixed",
    "horizon": {"start": "2026-01-05", "days": 3},
    "replications": 10,
    "seed": 11,
    "channels": {
        "phone": {
            "handle_time": {"dist": "lognormal", "mean_s": 300, "sigma": 0.8},
            "patience": {"dist": "exponential", "mean_s": 150},
            "target": {"answer_within_s": 30, "share": 0.8},
            "max_abandon_rate": 0.08,
        },
        "chat": {
            "handle_time": {"dist": "exponential", "mean_s": 600},
            "patience": {"dist": "exponential", "mean_s": 300},
            "concurrency": 2,
            "target": {"answer_within_s": 60, "share": 0.75},
        },
        "email": {
            "mode": "async",
            "handle_time": {"dist": "exponential", "mean_s": 400},
            "target": {"answer_within_s": 14400, "share": 0.9},
        },
    },
    "regions": {"eu": {"time_zone": "Europe/Berlin"}},
    "demand": [
        {"channel": "phone", "region": "eu", "per_hour": [4] * 7 + [30] * 12 + [8] * 5},
        {"channel": "chat", "region": "eu", "per_hour": [2] * 7 + [16] * 12 + [4] * 5},
        {"channel": "email", "region": "eu", "per_hour": 6},
    ],
    "plans": {
        "one": {
            "sites": {
                "berlin": {
                    "time_zone": "Europe/Berlin",
                    "hourly_cost": 25.0,
                    "night_premium": {"from": "22:00", "to": "06:00", "rate": 0.25},
                    "shrinkage": 0.2,
                    "shifts": [
                        {"start": "07:00", "hours": 12, "agents": "auto", "channels": ["phone"]},
                        {
                            "start": "07:00",
                            "hours": 12,
                            "agents": {"min": 1, "max": 40},
                            "channels": ["chat", "email"],
                        },
                        {"start": "19:00", "hours": 12, "agents": "auto"},
                    ],
                }
            }
        }
    },
}


@pytest.fixture(scope="module")
def mixed_result():
    return size_plans(parse_scenario(MIXED))


def test_removing_any_one_agent_misses_a_target(mixed_result):
    # Functional: on the optimizer's seed and by its criterion, every crew is minimal.
    scenario = parse_scenario(MIXED)
    plan = mixed_result.plans["one"]
    assert plan.meets, plan.failures
    prepared = prepare_plan(scenario, "one", replications=10, seed=11)
    where = [(s, j) for s, j, _ in plan.crews]
    agents = np.array([n for _, _, n in plan.crews])
    ok = evaluate_roster(prepared, sized_plan(scenario.plans["one"], where, agents))
    assert not judge(scenario, ok, margin_se=MARGIN_SE, hour_margin_se=HOUR_MARGIN_SE)
    lower = [0, 1, 0]
    for k in range(len(agents)):
        if agents[k] <= lower[k]:
            continue
        fewer = agents.copy()
        fewer[k] -= 1
        evaluation = evaluate_roster(prepared, sized_plan(scenario.plans["one"], where, fewer))
        missed = judge(scenario, evaluation, margin_se=MARGIN_SE, hour_margin_se=HOUR_MARGIN_SE)
        assert missed, f"shift {k} could lose one"


def test_sized_plan_meets_on_an_independent_seed(mixed_result):
    # Functional: the contract's definition (no margin) holds on seed + 1.
    plan = mixed_result.plans["one"]
    assert mixed_result.confirm_seed == mixed_result.seed + 1
    assert plan.confirmed, plan.confirm_failures
    for figures in plan.channels.values():
        assert figures["confirm_service_level"] >= figures["target_share"]


def test_frontier_cost_never_falls_as_the_share_rises(tmp_path, capsys):
    # Functional: frontier.csv has the contract's columns, and cost per month rises with share.
    path = tmp_path / "flat.yaml"
    raw = flat_raw(THREE_SLOTS)
    path.write_text(yaml.safe_dump(raw))
    code = main(["optimize", str(path), "--out", str(tmp_path / "out"), "--json",
                 "--frontier", "phone=0.5,0.7,0.78,0.9"])  # fmt: skip
    assert code == 0
    frame = pd.read_csv(tmp_path / "out" / "frontier.csv")
    required = {"plan", "channel", "target_share", "per_month", "service_level", "meets_targets"}
    assert required <= set(frame.columns)
    assert list(frame["target_share"]) == [0.5, 0.7, 0.78, 0.9]
    assert frame["per_month"].is_monotonic_increasing
    assert frame["meets_targets"].all()
    assert json.loads(capsys.readouterr().out)["frontier"][0]["target_share"] == 0.5
    written = load_scenario(tmp_path / "out" / "optimized.yaml")
    assert main(["run", str(tmp_path / "out" / "optimized.yaml"), "--replications", "1"]) == 0
    assert [s.agents for s in written.plans["sized"].sites["hq"].shifts] == [7, 7, 7]


def test_bounds_too_tight_exit_3_with_best_plan_and_failing_hours(tmp_path, capsys):
    # Functional: max 5 agents per slot cannot reach 79%: exit 3, files written, hours named.
    path = tmp_path / "tight.yaml"
    shifts = [{**s, "agents": {"min": 1, "max": 5}} for s in THREE_SLOTS]
    raw = flat_raw(shifts)
    raw["replications"] = 5
    path.write_text(yaml.safe_dump(raw))
    assert main(["optimize", str(path), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "cannot meet: sized: phone" in err
    written = load_scenario(tmp_path / "out" / "optimized.yaml")
    assert [s.agents for s in written.plans["sized"].sites["hq"].shifts] == [5, 5, 5]
    data = json.loads((tmp_path / "out" / "optimize.json").read_text())
    assert data["meets_targets"] is False
    assert data["plans"]["sized"]["failures"]


@pytest.mark.parametrize(
    ("change", "args", "pattern"),
    [
        ({"agents": {"min": 5, "max": 2}}, [], r"shifts\[0\]\.agents: min \(5\) is above max"),
        ({"share": 0.0}, [], r"channels\.phone\.target\.share: must be above 0"),
        ({"share": 1.5}, [], r"channels\.phone\.target\.share: .*less than or equal to 1"),
        ({}, ["--plan", "nope"], r"--plan: no plan 'nope'"),
        ({}, ["--frontier", "phone=0.5,1.2"], r"--frontier: target share 1.2 is outside"),
        ({}, ["--frontier", "fax=0.5"], r"--frontier: no channel 'fax'"),
    ],
    ids=["min-above-max", "share-zero", "share-above-one", "unknown-plan", "frontier-share",
         "frontier-channel"],
)  # fmt: skip
def test_bad_optimize_input_exits_2_with_one_line(tmp_path, capsys, change, args, pattern):
    # Unit: exit 2, one line on stderr naming the field, no traceback, no output files.
    raw = flat_raw([dict(s) for s in THREE_SLOTS])
    if "agents" in change:
        raw["plans"]["sized"]["sites"]["hq"]["shifts"][0]["agents"] = change["agents"]
    if "share" in change:
        raw["channels"]["phone"]["target"]["share"] = change["share"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    code = main(["optimize", str(path), "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error: ")
    assert re.search(pattern, err), err
    assert not (tmp_path / "out").exists()


def test_run_refuses_auto_with_exit_2(tmp_path, capsys):
    # Unit: `run` on a file with auto says to run optimize first (exit 2, one line).
    path = tmp_path / "auto.yaml"
    path.write_text(yaml.safe_dump(flat_raw(THREE_SLOTS)))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "shifts[0].agents: still auto" in err
    assert "coverage-sim optimize" in err


def test_documented_paths_exist():
    # Unit: the sized scenario points at its hand plans, which exist.
    folder = Path(__file__).resolve().parents[1] / "scenarios" / "sized"
    scenario = load_scenario(folder / "global-saas-sized.yaml")
    assert scenario.hand_plans == "../global-saas.yaml"
    assert (folder / scenario.hand_plans).is_file()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_search_leaves_no_file(tmp_path, cli, sig):
    # Functional: a signal during the search (after its first progress line, 2 workers) ends
    # the command with 130 and the interrupt line; --out holds no file, not even a temp file.
    path = tmp_path / "flat.yaml"
    path.write_text(yaml.safe_dump(flat_raw(THREE_SLOTS)))
    out = tmp_path / "out"
    child = subprocess.Popen(
        [*cli, "optimize", str(path), "--out", str(out), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stderr is not None
    first = child.stderr.readline()
    assert first.startswith("optimize ["), first
    child.send_signal(sig)
    _, rest = child.communicate(timeout=120)
    assert child.returncode == 130, rest
    assert rest.strip().splitlines()[-1] == "interrupted: no partial output was written"
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("replications", "phrase"),
    [(1, "below 78.0% ("), (3, "below 78.0% − 2 SE (")],
    ids=["one-replication-no-se", "three-replications-se"],
)
def test_hour_failure_names_the_standard_error_only_when_there_is_one(replications, phrase):
    # Unit: an hour seen in one replication is judged against the share itself, so its failure
    # line must not promise "− 2 SE"; with several replications it does.
    scenario = parse_scenario(flat_raw(THREE_SLOTS))
    shape = (replications, 1, 168)
    base = np.full(shape, 10, dtype=np.int64)
    within = np.full(shape, 10, dtype=np.int64)
    within[:, 0, 5] = [5, 6, 4][:replications]  # hour 5 misses badly in every replication
    empty = np.zeros((replications, 1))
    evaluation = Evaluation(
        within=within, base=base, abandoned=np.zeros(shape, dtype=np.int64),
        work_s=empty, backlog_start=empty, backlog_end=empty, roster=None,
    )  # fmt: skip
    failures = [f for f in judge(scenario, evaluation) if f.kind == "hour"]
    assert [f.hours for f in failures] == [(5,)]
    assert phrase in failures[0].describe()

"""The optimizer against its contract (docs/optimizer.md), after an independent review.

Each test failed before its fix: a plan named twice was sized and written twice; optimized.yaml
kept the file's seed, so `run` on it gave other figures than optimize reported; the hour scope
was never judged with one replication; the analytic LP relaxation was called a "bound".
Kinds (STYLE §8): unit tests of the judge on hand-made counts (hand-computed standard errors);
functional CLI runs on a two-day, one-channel scenario.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from coverage.cli import main
from coverage.optimize.judge import judge
from coverage.scenario.model import load_scenario, parse_scenario

HOURS = 168


def _raw(scope: str = "window") -> dict[str, Any]:
    site = {
        "time_zone": "UTC",
        "hourly_cost": 20.0,
        "shifts": [{"start": "00:00", "hours": 24, "days": "all", "agents": "auto"}],
    }
    return {
        "name": "contract",
        "horizon": {"start": "2026-01-05", "days": 2},
        "replications": 4,
        "seed": 3,
        "channels": {
            "phone": {
                "handle_time": {"dist": "exponential", "mean_s": 300},
                "patience": {"dist": "exponential", "mean_s": 120},
                "target": {"answer_within_s": 20, "share": 0.7, "scope": scope},
            }
        },
        "regions": {"here": {"time_zone": "UTC"}},
        "demand": [{"channel": "phone", "region": "here", "per_hour": 20}],
        "plans": {"solo": {"sites": {"hq": site}}, "other": {"sites": {"hq": site}}},
    }


def _evaluation(within: np.ndarray, base: np.ndarray) -> Any:
    """An Evaluation's counts (replications, 1 channel, 168 hours); judge reads only these."""
    counts = SimpleNamespace(within=within[:, None, :], base=base[:, None, :])
    counts.abandoned = np.zeros_like(counts.base)

    def rate(top: np.ndarray) -> np.ndarray:
        total = counts.base.sum(axis=2)
        return np.where(total > 0, top.sum(axis=2) / np.maximum(total, 1), np.nan)

    counts.service_level = lambda: rate(counts.within)
    counts.abandon_rate = lambda: rate(counts.abandoned)
    return counts


def test_hour_scope_is_judged_with_one_replication_unit():
    # Unit: one replication, every hour 90 of 100 within target except hour 5 (5 of 10): the
    # window meets 70% (15,035 / 16,710 = 90.0%), hour 5 (50%) must fail: with one replication
    # there is no standard error, so the hour's mean is compared with the share itself.
    scenario = parse_scenario(_raw("hour"))
    base = np.full((1, HOURS), 100)
    within = np.full((1, HOURS), 90)
    base[0, 5], within[0, 5] = 10, 5
    failures = judge(scenario, _evaluation(within, base))
    assert [(f.kind, f.hours, f.value) for f in failures] == [("hour", (5,), 0.5)]
    # the same counts under a window target meet
    assert judge(parse_scenario(_raw("window")), _evaluation(within, base)) == []


def test_hour_with_demand_in_one_of_three_replications_is_judged_unit():
    # Unit: hour 7 has contacts only in replication 0 (SL 50%); it was left out before.
    scenario = parse_scenario(_raw("hour"))
    base = np.full((3, HOURS), 100)
    within = np.full((3, HOURS), 90)
    base[:, 7], within[:, 7] = 0, 0
    base[0, 7], within[0, 7] = 4, 2
    failures = judge(scenario, _evaluation(within, base))
    assert [(f.kind, f.hours) for f in failures] == [("hour", (7,))]


def test_hour_scope_keeps_the_two_standard_error_allowance_validation():
    # Validation, hand-computed: hour 5 at 75%, 80%, 70% over three replications: mean 75%,
    # sample sd 5 points, SE = 5 / √3 = 2.887 points; 75% ≥ 80% − 2 × 2.887% = 74.23%: meets a
    # share of 0.80. At 0.81 the limit is 75.23% > 75%: it misses.
    raw = _raw("hour")
    base = np.full((3, HOURS), 100)
    within = np.full((3, HOURS), 95)
    within[:, 5] = [75, 80, 70]
    assert 0.80 - 2 * 0.05 / math.sqrt(3) <= 0.75
    raw["channels"]["phone"]["target"]["share"] = 0.80
    assert judge(parse_scenario(raw), _evaluation(within, base)) == []
    raw["channels"]["phone"]["target"]["share"] = 0.81
    failures = judge(parse_scenario(raw), _evaluation(within, base))
    assert [(f.kind, f.hours) for f in failures] == [("hour", (5,))]


@pytest.fixture(scope="module")
def optimized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`optimize --plan solo --plan solo --seed 9 --replications 2 --frontier phone=0.5,0.8`."""
    folder = tmp_path_factory.mktemp("opt")
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(_raw(), sort_keys=False))
    out = folder / "out"
    args = ["optimize", str(path), "--plan", "solo", "--plan", "solo", "--seed", "9",
            "--replications", "2", "--frontier", "phone=0.5,0.8", "--out", str(out),
            "--workers", "1"]  # fmt: skip
    code = main(args)
    return {"code": code, "out": out}


def test_plan_named_twice_is_sized_and_written_once_functional(optimized, capsys):
    # Functional: --plan solo --plan solo is one plan: one frontier row per share, one entry.
    out: Path = optimized["out"]
    assert optimized["code"] == 0
    frame = pd.read_csv(out / "frontier.csv")
    assert list(zip(frame["plan"], frame["target_share"], strict=True)) == [
        ("solo", 0.5),
        ("solo", 0.8),
    ]
    data = json.loads((out / "optimize.json").read_text())
    assert [(r["plan"], r["target_share"]) for r in data["frontier"]] == [
        ("solo", 0.5),
        ("solo", 0.8),
    ]
    assert list(data["plans"]) == ["solo"]


def test_run_on_optimized_yaml_reproduces_the_optimizers_figures_functional(optimized, capsys):
    # Functional: optimized.yaml holds the sizing's seed (9) and replications (2), so `run` on
    # it without flags gives exactly the figures optimize.json reports for that seed.
    out: Path = optimized["out"]
    written = load_scenario(out / "optimized.yaml")
    assert (written.seed, written.replications) == (9, 2)
    data = json.loads((out / "optimize.json").read_text())
    capsys.readouterr()
    assert main(["run", str(out / "optimized.yaml"), "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)["plans"]["solo"]
    sized = data["plans"]["solo"]
    assert ran["channels"]["phone"]["service_level"] == sized["channels"]["phone"]["service_level"]
    assert ran["channels"]["phone"]["abandon_rate"] == sized["channels"]["phone"]["abandon_rate"]
    assert ran["cost"]["per_month"] == sized["cost"]["per_month"]


def test_lp_relaxation_is_not_called_a_bound_functional(optimized):
    # Functional: the analytic program's LP relaxation bounds no reported cost; the JSON and
    # the docs name it for what it is.
    data = json.loads((optimized["out"] / "optimize.json").read_text())
    search = data["plans"]["solo"]["search"]
    assert not [key for key in search if "bound" in key]
    assert search["analytic_lp_relaxation_per_month"] >= 0
    docs = " ".join(
        (Path(__file__).resolve().parents[1] / "docs" / "optimizer.md").read_text().split()
    )
    assert docs.count("LP bound") == docs.count('"LP bound"')  # only the former name, quoted
    assert "not a lower bound on the sized plan's cost" in docs


def test_lp_relaxation_is_priced_without_the_uncovered_penalty_unit():
    # Unit: one shift of cost 100 per agent covering hours 0-1 (1 productive agent-hour each);
    # 2 agents needed in hours 0, 1 and 2, and no shift covers hour 2. The relaxation takes 2
    # agents (crew cost 200) and leaves hour 2's 2 agents uncovered at the penalty (20 × the
    # dearest agent-hour, 100 / 2 = 50: 2 000). The old "bound" was 2 200; the crew cost is 200.
    from coverage.optimize.milp import PENALTY_FACTOR, ShiftColumn, solve
    from coverage.optimize.requirement import Requirement

    column = ShiftColumn(
        site=0, lower=0, upper=10, cost=100.0, cover=np.array([1.0, 1.0, 0.0]),
        duty=np.array([True, True, False]), channels=np.array([True]),
    )  # fmt: skip
    need = Requirement(
        realtime_agents=np.array([[2.0, 2.0, 2.0]]),
        async_work_hours=np.zeros((1, 3)),
        async_lag_hours=np.zeros(1, dtype=np.int64),
    )
    relaxed = solve([column], np.zeros(1), need, integral=False)
    assert relaxed.crew_cost == pytest.approx(200.0, rel=1e-9)
    assert relaxed.objective == pytest.approx(200.0 + PENALTY_FACTOR * 50.0 * 2, rel=1e-9)
    assert relaxed.uncovered[0].tolist() == pytest.approx([0.0, 0.0, 2.0])

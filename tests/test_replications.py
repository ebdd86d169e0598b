"""Tests for coverage.simulation.replications: conservation, determinism, common random numbers,
workers.

All tests are kind 4 (functional invariants, docs/reliability.md, "Checks the engine must pass"):
conservation in every replication, same seed → byte-identical JSON, identical plans →
identical metrics, and a process pool that changes nothing.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coverage.errors import ScenarioError
from coverage.results.report import result_dict, result_json
from coverage.scenario.model import Scenario, load_scenario, parse_scenario
from coverage.simulation.replications import RunResult, run_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
COUNTS = ("deflected", "answered", "abandoned", "unfinished")


@pytest.fixture(scope="module")
def default_scenario() -> Scenario:
    return load_scenario(SCENARIOS / "global-saas.yaml")


@pytest.fixture(scope="module")
def default_run(default_scenario: Scenario) -> RunResult:
    # 2 replications of the default scenario (both plans), in this process
    return run_scenario(default_scenario, replications=2, seed=7, workers=1)


def test_conservation_in_every_replication_and_channel_functional(default_run: RunResult):
    # Functional: offered = deflected + answered + abandoned + unfinished, per replication,
    # plan and channel, on the default scenario; and something happens in each channel.
    sc = default_run.scenario
    for name, plan in default_run.plans.items():
        rows = plan.per_replication
        assert sorted(rows["rep"].unique().tolist()) == [0, 1], name
        assert set(rows["channel"]) == set(sc.channels), name
        for _, row in rows.iterrows():
            total = sum(int(row[key]) for key in COUNTS)
            assert int(row["offered"]) == total, (name, row["rep"], row["channel"])
            assert row["offered"] > 0
            assert row["short_abandoned"] <= row["abandoned"]
            assert row["answered_within_target"] <= row["answered"]
    # the bot deflects chat contacts only (the only channel with automation)
    for plan in default_run.plans.values():
        assert plan.channels["chat"].deflected > 0
        assert plan.channels["phone"].deflected == 0


def test_invariants_of_the_default_run_functional(default_run: RunResult):
    # Functional: shares within [0, 1], waits ≥ 0, occupancy ≤ 1, costs add up.
    for plan in default_run.plans.values():
        for fig in plan.channels.values():
            for key in ("service_level", "abandon_rate", "p_wait", "occupancy"):
                assert getattr(fig, key) is None or 0.0 <= getattr(fig, key) <= 1.0, key
            for key in ("asa_s", "mean_wait_all_s", "frt_p50_s", "frt_p90_s", "frt_max_s"):
                assert getattr(fig, key) is None or getattr(fig, key) >= 0.0, key
            assert fig.frt_p50_s <= fig.frt_p90_s <= fig.frt_max_s
        cost = plan.cost
        parts = cost.labor + cost.premiums + cost.automation + cost.seats
        assert cost.total == pytest.approx(parts, rel=1e-9)
        assert cost.paid_hours == pytest.approx(
            sum(s.paid_hours for s in cost.by_site.values()), rel=1e-9
        )


def test_same_seed_gives_byte_identical_json_functional(
    default_scenario: Scenario, default_run: RunResult
):
    # Functional: determinism by seed: a second in-process run gives the same bytes.
    again = run_scenario(default_scenario, replications=2, seed=7, workers=1)
    assert result_json(again) == result_json(default_run)
    assert "timing" not in result_dict(again)
    other = run_scenario(default_scenario, replications=2, seed=8, workers=1, plans=["single-site"])
    single = result_dict(default_run)["plans"]["single-site"]
    assert result_dict(other)["plans"]["single-site"] != single


def test_workers_two_gives_the_same_json_as_one_functional(
    default_scenario: Scenario, default_run: RunResult
):
    # Functional: replications in a process pool give the same result as serially.
    pooled = run_scenario(default_scenario, replications=2, seed=7, workers=2)
    assert result_json(pooled) == result_json(default_run)


def test_threads_give_the_same_json_as_one_and_run_side_by_side_functional(
    default_scenario: Scenario, default_run: RunResult, monkeypatch
):
    # Functional: replications in threads (the app's way: no fork in its server) give the same
    # bytes; two replications really are in the engine at once (a barrier inside the engine call
    # times out otherwise); and every compiled kernel releases the GIL (nogil), which is what
    # lets those two use two cores.
    import threading

    from coverage.simulation import fast_engine

    threaded = run_scenario(default_scenario, replications=2, seed=7, workers=1, threads=2)
    assert result_json(threaded) == result_json(default_run)
    barrier = threading.Barrier(2, timeout=30)
    simulate = fast_engine.simulate

    def meet_then_simulate(inp):
        barrier.wait()  # both threads must be inside a replication at the same time
        return simulate(inp)

    monkeypatch.setattr(fast_engine, "simulate", meet_then_simulate)
    met = run_scenario(default_scenario, replications=2, seed=7, workers=1, threads=2)
    assert result_json(met) == result_json(default_run)
    assert all(getattr(k, "targetoptions", {}).get("nogil") for k in _kernels())


def _kernels():
    from coverage.results import hourly, tally
    from coverage.simulation import fast_engine, input_kernels

    found = []
    for module in (fast_engine, tally, hourly, input_kernels):
        found += [v for v in vars(module).values() if hasattr(v, "targetoptions")]
    assert len(found) >= 8
    return found


def test_plans_see_the_same_contacts_functional(default_run: RunResult):
    # Functional (common random numbers): replication r offers the same contacts to every plan.
    a, b = (plan.per_replication for plan in default_run.plans.values())
    key = ["rep", "channel"]
    merged = a[[*key, "offered"]].merge(b[[*key, "offered"]], on=key, suffixes=("_a", "_b"))
    assert len(merged) == 2 * len(default_run.scenario.channels)
    assert np.array_equal(merged["offered_a"], merged["offered_b"])


def _twin_plans(tiny_raw: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(tiny_raw)
    raw["plans"]["copy"] = copy.deepcopy(raw["plans"]["round-the-clock"])
    raw["automation"] = {"phone": {"deflection": 0.2, "bot_time_s": 30, "cost_per_contact": 0.1}}
    raw["demand"][0]["busyness_cv"] = 0.2
    return raw


def test_two_identical_plans_give_identical_metrics_functional(tiny_raw):
    # Functional (common random numbers): two plans with the same content get exactly the same
    # figures, replication by replication, although they are simulated separately.
    result = run_scenario(parse_scenario(_twin_plans(tiny_raw)), replications=4, seed=21)
    original, twin = result.plans["round-the-clock"], result.plans["copy"]
    assert original.channels == twin.channels
    assert original.cost == twin.cost
    assert original.occupancy == twin.occupancy
    assert original.per_replication.equals(twin.per_replication)
    assert original.hourly.equals(twin.hourly)


def test_adding_a_plan_does_not_change_the_others_functional(tiny_raw):
    # Functional: a plan's figures depend only on (scenario demand, seed), not on which other
    # plans run alongside it.
    sc = parse_scenario(_twin_plans(tiny_raw))
    both = run_scenario(sc, replications=3, seed=5)
    alone = run_scenario(sc, replications=3, seed=5, plans=["round-the-clock"])
    assert alone.plans["round-the-clock"].channels == both.plans["round-the-clock"].channels


def test_more_agents_never_lower_service_level_functional(tiny_raw):
    # Functional: with the same contacts (common random numbers), doubling the crew of the
    # 24/7 plan does not lower any channel's service level or raise its abandon rate.
    raw = tiny_raw
    bigger = copy.deepcopy(raw["plans"]["round-the-clock"])
    bigger["sites"]["berlin"]["shifts"][0]["agents"] = 8
    raw["plans"]["bigger"] = bigger
    result = run_scenario(parse_scenario(raw), replications=3, seed=2)
    small, large = result.plans["round-the-clock"].channels, result.plans["bigger"].channels
    for channel in small:
        assert large[channel].service_level >= small[channel].service_level - 1e-12
        assert large[channel].abandon_rate <= small[channel].abandon_rate + 1e-12


def test_bad_run_arguments_unit(tiny_scenario: Scenario):
    # Unit: an unknown plan or engine is bad input, reported as ScenarioError.
    with pytest.raises(ScenarioError, match=r"^--plan: no plan 'nope'"):
        run_scenario(tiny_scenario, replications=1, plans=["nope"])
    with pytest.raises(ScenarioError, match=r"^--engine: unknown engine"):
        run_scenario(tiny_scenario, replications=1, engine="warp")

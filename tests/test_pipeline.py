"""Tests for coverage.simulation.pipeline: the one per-replication function.

Kinds (docs/contributing.md): unit (plan selection, errors, timing bookkeeping) and functional (the
pipeline is the one `run_scenario` uses: its figures are the run's per-replication rows, every
plan sees the same contacts, and a replication depends only on (seed, r)).
"""

from __future__ import annotations

import numpy as np
import pytest

from coverage.errors import ScenarioError
from coverage.results.figures import ChannelFigures
from coverage.scenario.model import Scenario
from coverage.simulation.pipeline import (
    engine_function,
    prepare_run,
    simulate_plan,
    simulate_replication,
)
from coverage.simulation.replications import run_scenario
from coverage.simulation.simpy_engine import simulate as simpy_simulate


def test_prepare_run_keeps_the_requested_plans_in_order(tiny_scenario: Scenario):
    # unit: default every plan in file order; a subset in the order asked
    assert list(prepare_run(tiny_scenario).rosters) == ["day", "round-the-clock"]
    assert list(prepare_run(tiny_scenario, ["round-the-clock"]).rosters) == ["round-the-clock"]


def test_unknown_plan_and_engine_are_scenario_errors(tiny_scenario: Scenario):
    # unit: bad input names the option and the known values
    with pytest.raises(ScenarioError, match=r"--plan: no plan 'night' \(plans: day, round"):
        prepare_run(tiny_scenario, ["night"])
    with pytest.raises(ScenarioError, match=r"--engine: unknown engine 'turbo'"):
        engine_function("turbo")


def test_every_plan_sees_the_same_contacts(tiny_scenario: Scenario):
    # functional: common random numbers — one draw per replication, shared by the plans
    reps = list(simulate_replication(prepare_run(tiny_scenario), seed=5, replication=0))
    assert [r.plan for r in reps] == ["day", "round-the-clock"]
    assert reps[0].contacts is reps[1].contacts
    assert reps[0].draw_s > 0.0
    assert reps[1].draw_s == 0.0  # the draw is counted once per replication


def test_replication_depends_only_on_seed_and_index(tiny_scenario: Scenario):
    # functional: replication 1 alone equals replication 1 of a longer sequence
    setup = prepare_run(tiny_scenario, ["day"])
    (alone,) = simulate_replication(setup, seed=5, replication=1, engine="simpy")
    (again,) = simulate_replication(setup, seed=5, replication=1, engine=simpy_simulate)
    np.testing.assert_array_equal(alone.contacts.arrived_at_s, again.contacts.arrived_at_s)
    assert alone.figures == again.figures
    assert alone.cost == again.cost


def test_simulate_plan_on_given_contacts_matches_the_replication(tiny_scenario: Scenario):
    # functional: the inner step on the replication's contacts gives the same figures
    setup = prepare_run(tiny_scenario)
    for rep in simulate_replication(setup, seed=5, replication=0, engine="simpy"):
        alone = simulate_plan(setup, rep.plan, rep.contacts, replication=0, engine="simpy")
        assert alone.figures == rep.figures
        assert alone.cost == rep.cost
        assert alone.hourly.equals(rep.hourly)


def test_run_scenario_reports_the_pipeline_figures(tiny_scenario: Scenario):
    # functional: run_scenario's per-replication rows are the pipeline's figures, exactly
    result = run_scenario(tiny_scenario, replications=2, seed=5, engine="simpy")
    setup = prepare_run(tiny_scenario)
    for r in range(2):
        for rep in simulate_replication(setup, seed=5, replication=r, engine="simpy"):
            frame = result.plans[rep.plan].per_replication
            for name in tiny_scenario.channels:
                row = frame[(frame["rep"] == r) & (frame["channel"] == name)].iloc[0]
                for key in ("offered", "answered", "abandoned", "answered_within_target"):
                    assert int(row[key]) == getattr(rep.figures.channels[name], key), (
                        rep.plan,
                        r,
                        name,
                        key,
                    )
            costs = result.plans[rep.plan].cost_per_replication
            assert costs.loc[costs["rep"] == r, "total"].iloc[0] == pytest.approx(
                rep.cost.total, rel=1e-12
            )


def test_public_api_exports_the_typed_results_and_the_pipeline():
    # unit: the lazy package exports resolve (and stay lazy until used)
    import coverage

    for name in coverage.__all__:
        assert getattr(coverage, name) is not None, name
    assert coverage.simulate_replication is simulate_replication
    assert coverage.ChannelFigures is ChannelFigures

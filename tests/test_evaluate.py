"""The in-process evaluation API (coverage.simulation.evaluate): same figures as `run`, CRN."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coverage.optimize.columns import positions, sized_plan
from coverage.scenario.model import load_scenario
from coverage.simulation.evaluate import evaluate_roster, evaluation_pool, prepare_plan
from coverage.simulation.replications import run_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ROOT / "scenarios" / "global-saas.yaml")


@pytest.mark.parametrize("plan", ["follow-the-sun", "single-site"])
def test_evaluation_counts_equal_the_run_figures(scenario, plan):
    # Functional: for every replication and channel, service level and abandon rate counted
    # from the engine output equal `run`'s (same seed, same contacts): exact, no tolerance
    # beyond float rounding of the two divisions (1e-12).
    result = run_scenario(scenario, replications=2, seed=5, plans=[plan])
    evaluation = evaluate_roster(prepare_plan(scenario, plan, replications=2, seed=5),
                                 scenario.plans[plan])  # fmt: skip
    per_rep = result.plans[plan].per_replication
    for c, name in enumerate(scenario.channels):
        rows = per_rep[per_rep["channel"] == name].sort_values("rep")
        np.testing.assert_allclose(evaluation.service_level()[:, c], rows["service_level"],
                                   rtol=0, atol=1e-12)  # fmt: skip
        np.testing.assert_allclose(evaluation.abandon_rate()[:, c], rows["abandon_rate"],
                                   rtol=0, atol=1e-12)  # fmt: skip
        base = rows["offered"] - rows["deflected"] - rows["short_abandoned"]
        assert list(evaluation.base[:, c].sum(axis=1)) == list(base)


def test_candidates_share_the_drawn_contacts(scenario):
    # Functional (common random numbers): the contacts are drawn once and reused; evaluating
    # the same roster twice gives identical counts; three more phone agents raise the phone
    # service level (same contacts, so the difference is the agents').
    prepared = prepare_plan(scenario, "single-site", replications=2, seed=5)
    contacts = [p.contacts for p in prepared.replications]
    plan = scenario.plans["single-site"]
    where = positions(plan)
    crews = np.array([s.agents for site in plan.sites.values() for s in site.shifts])
    first = evaluate_roster(prepared, sized_plan(plan, where, crews))
    again = evaluate_roster(prepared, sized_plan(plan, where, crews))
    assert np.array_equal(first.within, again.within)
    assert all(a is b for a, b in zip(contacts, [p.contacts for p in prepared.replications],
                                      strict=True))  # fmt: skip
    more = crews.copy()
    more[0] += 3  # the weekday day phone crew
    bigger = evaluate_roster(prepared, sized_plan(plan, where, more))
    assert bigger.service_level()[:, 0].mean() > first.service_level()[:, 0].mean()


def test_a_worker_pool_gives_the_same_counts(scenario):
    # Functional: replications spread over forked workers give exactly the serial counts.
    prepared = prepare_plan(scenario, "follow-the-sun", replications=3, seed=5)
    plan = scenario.plans["follow-the-sun"]
    serial = evaluate_roster(prepared, plan)
    with evaluation_pool(prepared, 2) as pool:
        assert pool is not None
        pooled = evaluate_roster(prepared, plan, pool=pool)
    for name in ("within", "base", "abandoned"):
        assert np.array_equal(getattr(serial, name), getattr(pooled, name)), name


def test_workload_and_backlog_equal_run_sustainability(scenario):
    # Functional: per crew group, workload hours and backlog at the window's start and end
    # counted from the engine output equal `run`'s sustainability figures (same contacts).
    from coverage.results.sustainability import crew_groups

    plan = scenario.plans["single-site"]
    result = run_scenario(scenario, replications=2, seed=5, plans=["single-site"])
    evaluation = evaluate_roster(prepare_plan(scenario, "single-site", replications=2, seed=5),
                                 plan)  # fmt: skip
    groups = crew_groups(scenario, plan)
    entries = result.plans["single-site"].sustainability
    assert len(groups) == len(entries)
    for group, entry in zip(groups, entries, strict=True):
        c = list(group.channels)
        work_h = evaluation.work_s[:, c].sum(axis=1).mean() / 3600.0
        assert work_h == pytest.approx(entry.workload_hours, rel=1e-12)
        assert evaluation.backlog_start[:, c].sum(axis=1).mean() == entry.backlog_start
        assert evaluation.backlog_end[:, c].sum(axis=1).mean() == entry.backlog_end

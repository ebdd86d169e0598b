"""Tests for coverage.capacity.cohorts and coverage.capacity.hiring (the hiring planner).

The planner is a pure function of the required productive FTE by month, so these tests feed
requirements directly (no sizing, no simulation). Kinds: unit (1), validation against
hand-computed values (2), functional invariants (4).
"""

from __future__ import annotations

import numpy as np
import pytest

from coverage.capacity.cohorts import (
    cohort_matrix,
    productive_weights,
    training_months,
    training_shares,
)
from coverage.capacity.hiring import SiteHiringPlan, plan_hiring
from coverage.scenario.capacity import WEEKS_PER_MONTH, CapacitySite

COST = 5000.0  # one paid person per month [currency]


def _site(**kw) -> CapacitySite:
    base = {"headcount": 20}
    base.update(kw)
    return CapacitySite.model_validate(base)


def _plan(site: CapacitySite, required: list[float] | np.ndarray) -> SiteHiringPlan:
    required = np.asarray(required, dtype=float)
    return plan_hiring(site, required, cost_per_person_by_month=np.full(len(required), COST))


def _assert_balance(plan: SiteHiringPlan, headcount: int) -> None:
    # Functional: whole people; end = start + hires − leavers; next start = this end; exact.
    for key in ("headcount_start", "hires", "leavers", "headcount_end"):
        assert getattr(plan, key).dtype.kind == "i"
    assert plan.headcount_start[0] == headcount
    np.testing.assert_array_equal(
        plan.headcount_end, plan.headcount_start + plan.hires - plan.leavers
    )
    np.testing.assert_array_equal(plan.headcount_start[1:], plan.headcount_end[:-1])
    assert np.all(plan.headcount_end >= 0)
    # the FTE are those of these whole people: never more than the people paid that month
    assert np.all(plan.productive_fte + plan.trainees <= plan.paid + 1e-9)


# ---------------------------------------------------------------------------------------------
# Cohorts


def test_ramp_up_hand_computed_validation():
    # Validation (hand-computed): 6 weeks of training = 6 / 4.348 = 1.3799 months. A hire counts
    # 0 in its first month; in its second month trains 0.3799 of it and works 0.6201 at 0.5;
    # in the third month 0.3799 at 0.5 then 0.6201 at 0.75; in the fourth 0.3799 at 0.75 and
    # 0.6201 at 1.0; then 1.0 (the last value held). Exact up to float rounding.
    t = 6 / WEEKS_PER_MONTH
    assert training_months(6) == pytest.approx(t, rel=1e-12)
    w = productive_weights(6, training_weeks=6, proficiency=[0.5, 0.75, 1.0])
    f = 2 - t  # share of the second month after training
    expected = [0.0, f * 0.5, (1 - f) * 0.5 + f * 0.75, (1 - f) * 0.75 + f * 1.0, 1.0, 1.0]
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-12)


def test_whole_month_training_then_curve_unit():
    # Unit: training of exactly one month (4.348 weeks) → 0, then the curve month by month.
    w = productive_weights(5, training_weeks=WEEKS_PER_MONTH, proficiency=[0.25, 0.5, 0.9])
    np.testing.assert_allclose(w, [0.0, 0.25, 0.5, 0.9, 0.9], rtol=0, atol=1e-9)
    shares = training_shares(3, training_weeks=WEEKS_PER_MONTH)
    np.testing.assert_allclose(shares, [1.0, 0.0, 0.0], rtol=0, atol=1e-9)


def test_cohort_matrix_applies_survival_unit():
    # Unit: A[m, j] = (1 − a)^(m − j) w[m − j], zero above the diagonal.
    w = np.array([0.0, 0.5, 1.0])
    a = 0.1
    got = cohort_matrix(w, a)
    expected = np.array([[0.0, 0, 0], [0.9 * 0.5, 0.0, 0], [0.81 * 1.0, 0.9 * 0.5, 0.0]])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# The hiring plan


def test_ramp_up_a_hire_counts_zero_in_training_then_follows_the_curve_validation():
    # Validation: one needed hire (requirement 21 from month 2 on, 20 on staff, no attrition,
    # training of exactly one month, proficiency 0.5, 1.0). The plan starts them in month 0
    # (earliest start); their productive FTE is 0 in month 0 (training), 0.5 in month 1, then 1.
    site = _site(training_weeks=WEEKS_PER_MONTH, proficiency=[0.5, 1.0])
    plan = _plan(site, [20, 20, 21, 21, 21, 21])
    assert plan.hires.tolist() == [1, 0, 0, 0, 0, 0]
    np.testing.assert_allclose(plan.productive_fte - 20, [0, 0.5, 1, 1, 1, 1], atol=1e-9)
    np.testing.assert_allclose(plan.trainees, [1, 0, 0, 0, 0, 0], atol=1e-9)
    assert plan.shortfall_fte.tolist() == [0.0] * 6
    _assert_balance(plan, 20)


def test_zero_growth_zero_attrition_hires_until_met_then_none_functional():
    # Functional: flat requirement 30 with 20 on staff, no attrition: hire the 10 missing in the
    # earliest month the lead time allows (month 2), short until their training ends, then
    # nothing more — and never a leaver.
    site = _site(hiring_lead_months=2, training_weeks=2)
    plan = _plan(site, [30.0] * 12)
    assert plan.hires.tolist() == [0, 0, 10] + [0] * 9
    assert plan.leavers.tolist() == [0] * 12
    met = np.flatnonzero(plan.shortfall_fte == 0)
    assert met.tolist() == list(range(3, 12))
    # before the hires can work, the shortfall is the whole gap (and training eats month 2)
    np.testing.assert_allclose(plan.shortfall_fte[:2], [10, 10], atol=1e-9)
    assert plan.shortfall_fte[2] == pytest.approx(10 * 2 / WEEKS_PER_MONTH, abs=1e-9)
    _assert_balance(plan, 20)


@pytest.mark.slow
def test_steady_state_hires_equal_attrition_times_headcount_validation():
    # Validation: flat requirement, attrition a = 4%/month, staff already at the requirement.
    # In steady state hires replace leavers, and leavers are the whole number nearest to a ×
    # the people paid, cumulatively. Over months 6..19 (away from both ends) the hires must
    # match a × Σ paid within 1 person + the headcount drift over the window.
    a = 0.04
    site = _site(headcount=100, attrition_per_month=a, training_weeks=2, proficiency=[0.8, 1.0])
    plan = _plan(site, [100.0] * 24)
    window = slice(6, 20)
    expected = a * plan.paid[window].sum()
    drift = abs(int(plan.headcount_end[19]) - int(plan.headcount_start[6]))
    assert abs(plan.hires[window].sum() - expected) <= 1 + drift
    # and per month: about a × headcount, i.e. 4 of ~104 (ramp-up keeps a few extra on staff)
    assert np.mean(plan.hires[window]) == pytest.approx(a * np.mean(plan.paid[window]), rel=0.1)
    assert drift <= 3
    _assert_balance(plan, 100)


def test_leavers_are_rounded_expected_attrition_validation():
    # Validation: cumulative leavers are the whole number nearest to a × cumulative paid
    # (the rounding rule, |error| ≤ ½ person), for a growing requirement with a hiring limit.
    a = 0.03
    site = _site(
        headcount=57,
        attrition_per_month=a,
        hiring_lead_months=1.5,
        training_weeks=6,
        proficiency=[0.5, 0.75, 1.0],
        cost_per_hire=4000,
        max_hires_per_month=6,
    )
    plan = _plan(site, 55 * 1.04 ** np.arange(12))
    gap = np.cumsum(plan.leavers) - a * np.cumsum(plan.paid)
    assert np.all(np.abs(gap) <= 0.5 + 1e-6)
    _assert_balance(plan, 57)


def test_productive_fte_is_that_of_the_whole_people_validation():
    # Validation (hand-computed): 20 people, 10% attrition, no need to hire. Cumulative
    # leavers = round(0.1 × cumulative paid): 2 (of 20), 4 (3.8), 5 (5.4), 7 (6.9), so the
    # months start with 20, 18, 16, 15 people, all fully productive: productive FTE 20, 18, 16,
    # 15 — not the expectation 20 × 0.9^m = 20, 18, 16.2, 14.58 (16.2 FTE from 16 people).
    plan = _plan(_site(headcount=20, attrition_per_month=0.1), [0.0] * 4)
    assert plan.hires.tolist() == [0, 0, 0, 0]
    assert plan.headcount_start.tolist() == [20, 18, 16, 15]
    np.testing.assert_allclose(plan.productive_fte, [20, 18, 16, 15], atol=1e-12)
    _assert_balance(plan, 20)


def test_whole_people_split_pro_rata_between_trainees_and_staff_validation():
    # Validation (hand-computed): 10 people, 10% attrition, a need of 13 FTE in month 1 and
    # training of exactly one month (4.348 weeks): 9 expected staff left, so 5 hires in month 0
    # (4.5 expected survivors). Month 0: 15 paid, 5 trainees, 10 productive. Month 1: expected
    # paid 9 + 4.5 = 13.5; whole: 15 − 2 leavers (round(1.5), half up) = 13 people, all past
    # training, so 13 productive FTE (the expectation said 13.5 from 13 people), 0 short.
    site = _site(headcount=10, attrition_per_month=0.1, training_weeks=WEEKS_PER_MONTH)
    plan = _plan(site, [10.0, 13.0])
    assert plan.hires.tolist() == [5, 0]
    assert plan.paid.tolist() == [15, 13]
    np.testing.assert_allclose(plan.trainees, [5, 0], atol=1e-9)
    np.testing.assert_allclose(plan.productive_fte, [10, 13], atol=1e-9)
    np.testing.assert_allclose(plan.shortfall_fte, [0, 0], atol=1e-9)
    _assert_balance(plan, 10)


def test_hiring_limit_below_need_produces_shortfall_months_functional():
    # Functional: the requirement jumps by 30 FTE; at most 4 hires a month can start, so the
    # plan hires the limit every month it can and is short until the hires catch up.
    site = _site(max_hires_per_month=4)
    plan = _plan(site, [50.0] * 12)
    assert plan.hires.max() <= 4
    assert plan.hires[:8].tolist() == [4] * 7 + [2]
    short = np.flatnonzero(plan.shortfall_fte > 0)
    assert short.tolist() == list(range(7))
    _assert_balance(plan, 20)


def test_balance_holds_for_many_random_sites_functional():
    # Functional: the balance is exact in every month for sites drawn at random (seeded).
    rng = np.random.default_rng(16)
    for _ in range(12):
        site = _site(
            headcount=int(rng.integers(0, 80)),
            attrition_per_month=float(rng.uniform(0, 0.08)),
            hiring_lead_months=float(rng.uniform(0, 3)),
            training_weeks=float(rng.uniform(0, 10)),
            proficiency=[float(p) for p in np.sort(rng.uniform(0.2, 1.0, 3))],
            cost_per_hire=float(rng.uniform(0, 6000)),
            max_hires_per_month=int(rng.integers(1, 12)),
        )
        required = rng.uniform(10, 90) * (1 + rng.uniform(-0.02, 0.05)) ** np.arange(12)
        plan = _plan(site, required)
        _assert_balance(plan, site.headcount)
        np.testing.assert_allclose(
            plan.shortfall_fte, np.maximum(plan.required_fte - plan.productive_fte, 0), atol=1e-9
        )

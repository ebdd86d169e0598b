"""The least-cost hiring plan for one site: a small mixed-integer program (scipy.optimize.milp).

Given the productive FTE a site needs each month, choose whole hires per month that meet it at
least cost. Variables per month m: hires ``H[m]`` (integer; 0 before the earliest start month
the lead time allows; at most ``max_hires_per_month``) and a shortfall ``S[m] ≥ 0`` [FTE].
Leavers come from every cohort pro rata, so in expectation each cohort keeps (1 − a) of its
people at each month end, and with ``w`` the ramp-up weights (`coverage.capacity.cohorts`):

    paid[m]       = N0 (1 − a)^m + Σ_{j ≤ m} H[j] (1 − a)^(m − j)            (expected)
    productive[m] = N0 (1 − a)^m + Σ_{j ≤ m} H[j] (1 − a)^(m − j) w[m − j]
    productive[m] + S[m] ≥ required[m]

minimising Σ_m cost_per_person[m]·paid[m] + cost_per_hire·H[m] + penalty·S[m].

**Whole people.** Expected headcount is fractional. The output keeps hires whole (the MILP's)
and makes leavers whole by rounding attrition on the running total: cumulative leavers =
round(a × cumulative people paid) (`whole_leavers`), never more than half a person from the
expectation. Headcounts are then whole and ``headcount_end = headcount_start + hires − leavers``
holds exactly; salaries are priced on these whole headcounts. Trainees and productive FTE are
those of the whole people: each month's people paid (start + hires) shared among the cohorts in
proportion to the expected survivors of each (leavers leave pro rata), i.e. the expected values
above × whole paid ÷ expected paid. So ``trainees + productive_fte ≤ headcount_start + hires``
in every month (a reported 16 people never hold 16.2 productive FTE); the shortfall is measured
against these, so rounding attrition up shows as a (small) shortfall where it bites.

The penalty of one FTE-month short is ``SHORTFALL_PENALTY_PERSON_MONTHS`` (10) times the dearest
month of one paid person. So the plan hires ahead of need (a month of salary early is cheaper than
a tenth of an FTE-month short) and a shortfall is left where no hire can reach in time (lead
time, training, the hiring limit) — but it does not keep ten extra people for a year to fill a
tenth of an FTE for one month of ramp-up (a penalty "infinitely" high would). Nobody is laid
off: when the need falls, attrition brings the headcount down.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from coverage.capacity.cohorts import cohort_matrix, productive_weights, training_shares
from coverage.scenario.capacity import CapacitySite

SHORTFALL_PENALTY_PERSON_MONTHS = 10.0  # one FTE-month short costs 10 months of one person


@dataclass(frozen=True)
class SiteHiringPlan:
    """One site's months: hires, leavers, headcount, trainees and productive FTE."""

    headcount_start: np.ndarray  # [people], int, shape (months,)
    hires: np.ndarray  # [people], int
    leavers: np.ndarray  # [people], int
    headcount_end: np.ndarray  # [people], int; = start + hires − leavers
    trainees: np.ndarray  # [FTE]: expected people in training, averaged over the month
    productive_fte: np.ndarray  # [FTE]
    required_fte: np.ndarray  # [FTE]
    shortfall_fte: np.ndarray  # [FTE]: max(0, required − productive)
    mip_gap: float = 0.0  # the solver's proven relative gap to the optimum [–]

    @property
    def paid(self) -> np.ndarray:
        """People paid in each month (start headcount + hires) [people]."""
        return self.headcount_start + self.hires


def plan_hiring(
    site: CapacitySite,
    required_fte_by_month: np.ndarray,
    *,
    cost_per_person_by_month: np.ndarray,
    node_limit: int = 2000,
) -> SiteHiringPlan:
    """The least-cost hiring plan meeting `required_fte_by_month` where hiring can.

    Parameters
    ----------
    site : CapacitySite
        Starting headcount, attrition, lead time, training, proficiency, hiring limit.
    required_fte_by_month : np.ndarray
        Productive FTE needed in each month [FTE], shape (months,).
    cost_per_person_by_month : np.ndarray
        What one paid person costs in each month (salary, premiums, seat) [currency/month].
    node_limit : int
        Branch-and-bound nodes at most. A node limit, not a time limit, so the plan does not
        depend on the machine's speed; a 12-month plan is solved to optimality in well under
        a second, a 36-month one may stop at a proven gap of under 1% (`mip_gap`).

    Returns
    -------
    SiteHiringPlan
        Whole hires, leavers and headcounts; expected trainees and productive FTE.
    """
    if isinstance(site.headcount, dict):
        raise ValueError("a headcount per plan: pass site.for_plan(plan)")
    headcount = site.headcount
    required = np.asarray(required_fte_by_month, dtype=float)
    cost_person = np.asarray(cost_per_person_by_month, dtype=float)
    months = len(required)
    a = site.attrition_per_month
    weights = productive_weights(
        months, training_weeks=site.training_weeks, proficiency=site.proficiency
    )
    cohorts = cohort_matrix(weights, a)  # productive[m] = staff0[m] + (cohorts @ H)[m]
    paid = cohort_matrix(np.ones(months), a)  # expected paid[m] = paid0[m] + (paid @ H)[m]
    staff0 = headcount * (1.0 - a) ** np.arange(months)

    # x = [H (months), S (months)]
    penalty = SHORTFALL_PENALTY_PERSON_MONTHS * max(float(cost_person.max()), 1.0)
    c = np.concatenate([cost_person @ paid + site.cost_per_hire, np.full(months, penalty)])
    meet = LinearConstraint(np.hstack([cohorts, np.eye(months)]), required - staff0, np.inf)
    hire_max = np.full(
        months, np.inf if site.max_hires_per_month is None else site.max_hires_per_month
    )
    hire_max[: site.earliest_start_month] = 0.0
    bounds = Bounds(np.zeros(2 * months), np.concatenate([hire_max, np.full(months, np.inf)]))
    integrality = np.concatenate([np.ones(months), np.zeros(months)])
    res = milp(
        c,
        constraints=[meet],
        integrality=integrality,
        bounds=bounds,
        options={"node_limit": node_limit, "mip_rel_gap": 1e-4},
    )
    if res.x is None:
        raise RuntimeError(f"hiring MILP found no solution: {res.message}")
    hires = np.rint(res.x[:months]).astype(np.int64)
    gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    return replace(_plan_from(site, headcount, required, hires, cohorts, staff0), mip_gap=gap)


def whole_leavers(headcount: int, hires: np.ndarray, attrition_per_month: float) -> np.ndarray:
    """Leavers in whole people: cumulative leavers = round(a × cumulative people paid).

    Rounding is half up on the running total, so attrition is never more than half a person
    from its expectation over any prefix of the plan, and headcounts stay whole.
    """
    leavers = np.zeros(len(hires), dtype=np.int64)
    head, expected, left = int(headcount), 0.0, 0
    for m, hired in enumerate(hires):
        paid = head + int(hired)
        expected += attrition_per_month * paid
        total = int(np.floor(expected + 0.5 + 1e-9))
        leavers[m] = max(0, min(paid, total - left))
        left += int(leavers[m])
        head = paid - int(leavers[m])
    return leavers


def _plan_from(
    site: CapacitySite,
    headcount: int,
    required: np.ndarray,
    hires: np.ndarray,
    cohorts: np.ndarray,
    staff0: np.ndarray,
) -> SiteHiringPlan:
    """Every figure from whole hires (the balance is exact in integers)."""
    months = len(required)
    leavers = whole_leavers(headcount, hires, site.attrition_per_month)
    change = hires - leavers
    start = headcount + np.concatenate([[0], np.cumsum(change)[:-1]]).astype(np.int64)
    end = start + change
    paid = start + hires
    expected_leavers = np.cumsum(site.attrition_per_month * paid)
    gap = np.cumsum(leavers) - expected_leavers
    if np.any(np.abs(gap) > 0.5 + 1e-6) or np.any(end < 0):
        raise RuntimeError("leavers break the rounding rule")
    # expected people per cohort, rescaled to the whole people paid (leavers pro rata)
    expected_paid = staff0 + cohort_matrix(np.ones(months), site.attrition_per_month) @ hires
    whole_share = np.divide(
        paid, expected_paid, out=np.zeros(months), where=expected_paid > 1e-12
    )
    productive = (staff0 + cohorts @ hires) * whole_share
    in_training = training_shares(months, training_weeks=site.training_weeks)
    trainees = (cohort_matrix(in_training, site.attrition_per_month) @ hires) * whole_share
    shortfall = np.maximum(required - productive, 0.0)
    shortfall[shortfall < 1e-9] = 0.0
    return SiteHiringPlan(
        headcount_start=start,
        hires=hires,
        leavers=leavers,
        headcount_end=end,
        trainees=trainees,
        productive_fte=productive,
        required_fte=required,
        shortfall_fte=shortfall,
    )

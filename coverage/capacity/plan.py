"""A capacity plan: hiring per site from each month's need, and what every month costs.

Pure: given each plan's needs by month (`coverage.capacity.needs.MonthNeed`, one per month), it
plans hiring per site (`coverage.capacity.hiring.plan_hiring`) and prices every month:

* **salaries**: everyone paid that month (headcount at the start + hires; trainees included) ×
  ``hours_per_week`` × 4.348 weeks × the site's ``hourly_cost``; **training** is the trainees'
  part of it (shown, not added twice);
* **premiums**: salaries × the premium share (premiums ÷ labour) of that month's sized roster;
* **hiring**: hires × ``cost_per_hire``; **seats**: people paid × ``seat_cost_per_month`` (a
  help-desk licence per person, not per peak seat as in a week's run);
* **automation**: the sized week's bot cost × 4.348 (plan level, not per site).

The month's cost is the sum; the plan's total is the sum over months; cost per contact is the
total ÷ the contacts offered over the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coverage.capacity.hiring import SiteHiringPlan, plan_hiring
from coverage.capacity.needs import MonthNeed
from coverage.scenario.capacity import WEEKS_PER_MONTH
from coverage.scenario.model import Scenario

# A month counts as short (highlighted, simulated) when a site misses by at least half an FTE;
# below that the gap is whole hires against fractional ramp-up, not missing people.
SHORTFALL_MONTH_FTE = 0.5


@dataclass(frozen=True)
class PlanCapacity:
    """One plan over the months: hiring per site, costs, needs, service where it falls short."""

    sites: dict[str, SiteHiringPlan]
    site_costs: dict[str, dict[str, np.ndarray]]  # site → part → by month [currency]
    automation_by_month: np.ndarray  # [currency]
    cost_by_month: np.ndarray  # [currency]
    contacts_by_month: np.ndarray  # [contacts]
    needs: list[MonthNeed]
    # month index → channel → simulated service level with the staff available (shortfall months)
    service_in_shortfall: dict[int, dict[str, float | None]] = field(default_factory=dict)

    @property
    def total_cost(self) -> float:
        """Cost over the whole plan [currency]."""
        return float(self.cost_by_month.sum())

    @property
    def cost_per_contact(self) -> float | None:
        """Total cost ÷ contacts offered over the plan [currency/contact]."""
        contacts = float(self.contacts_by_month.sum())
        return self.total_cost / contacts if contacts > 0 else None

    def shortfall_months(self) -> list[int]:
        """Month indexes in which some site is short by half an FTE or more [0-based]."""
        short = np.zeros(len(self.cost_by_month), dtype=bool)
        for site in self.sites.values():
            short |= site.shortfall_fte >= SHORTFALL_MONTH_FTE
        return [int(m) for m in np.flatnonzero(short)]


@dataclass(frozen=True)
class CapacityResult:
    """Every plan's capacity plan over the same months."""

    months: list[str]  # "YYYY-MM"
    demand_factors: list[float]
    currency: str
    plans: dict[str, PlanCapacity]


def salary_per_person_month(hours_per_week: float, hourly_cost: float) -> float:
    """What one person costs in pay per month [currency/month]."""
    return hours_per_week * WEEKS_PER_MONTH * hourly_cost


def plan_one(scenario: Scenario, name: str, needs: list[MonthNeed]) -> PlanCapacity:
    """Hire and price one plan, given its need in each month."""
    capacity = scenario.capacity
    assert capacity is not None
    assert len(needs) == capacity.months
    plan = scenario.plans[name]
    sites: dict[str, SiteHiringPlan] = {}
    costs: dict[str, dict[str, np.ndarray]] = {}
    for site_name, site in plan.sites.items():
        people = capacity.sites[site_name].for_plan(name)
        salary = salary_per_person_month(people.hours_per_week, site.hourly_cost)
        premium = np.array([n.premium_share_by_site.get(site_name, 0.0) for n in needs])
        required = np.array([n.required_fte_by_site.get(site_name, 0.0) for n in needs])
        per_person = salary * (1.0 + premium) + site.seat_cost_per_month
        hiring = plan_hiring(people, required, cost_per_person_by_month=per_person)
        sites[site_name] = hiring
        salaries = hiring.paid * salary
        costs[site_name] = {
            "salaries": salaries,
            "training": hiring.trainees * salary,
            "premiums": salaries * premium,
            "hiring": hiring.hires * people.cost_per_hire,
            "seats": hiring.paid * site.seat_cost_per_month,
        }
    automation = np.array([n.automation_per_month for n in needs])
    month_cost = automation.copy()
    for parts in costs.values():
        month_cost += parts["salaries"] + parts["premiums"] + parts["hiring"] + parts["seats"]
    return PlanCapacity(
        sites=sites,
        site_costs=costs,
        automation_by_month=automation,
        cost_by_month=month_cost,
        contacts_by_month=np.array([n.contacts_per_month for n in needs]),
        needs=needs,
    )


def plan_capacity(scenario: Scenario, needs: dict[str, list[MonthNeed]]) -> CapacityResult:
    """Hire and price every plan in `needs` (plan → its need in each month)."""
    capacity = scenario.capacity
    assert capacity is not None
    return CapacityResult(
        months=capacity.month_labels(),
        demand_factors=capacity.demand_factors(),
        currency=scenario.currency,
        plans={name: plan_one(scenario, name, plan_needs) for name, plan_needs in needs.items()},
    )


def site_cost(plan: PlanCapacity, site: str) -> np.ndarray:
    """A site's cost by month (salaries + premiums + hiring + seats) [currency]."""
    parts = plan.site_costs[site]
    return parts["salaries"] + parts["premiums"] + parts["hiring"] + parts["seats"]

"""What a plan needs in one month, read from a roster sized for that month's demand.

A month is represented by the scenario's week with every demand rate multiplied by the month's
factor (growth × seasonality). Given a roster for that week (the optimizer's, see
`coverage.capacity.requirement`) and its simulation, a site's **required FTE** is the roster's
paid hours in a regular week divided by the site's ``hours_per_week``: a crew of 10 on a 9-hour
weekday shift is 450 paid hours a week, 11.25 FTE at 40 hours. The same week gives the site's
premium share (premiums ÷ labour), the plan's automation cost and the contacts offered; a month
holds 365.25/12/7 = 4.348 such weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coverage.scenario.capacity import WEEKS_PER_MONTH
from coverage.scenario.model import Plan, Scenario, parse_scenario, scenario_to_dict
from coverage.units import HOURS_PER_MONTH


@dataclass(frozen=True)
class MonthNeed:
    """One plan in one month: the sized roster and what it implies."""

    demand_factor: float  # the month's demand ÷ the scenario's [–]
    required_fte_by_site: dict[str, float]  # [FTE]
    premium_share_by_site: dict[str, float]  # premiums ÷ labour of the sized week [–]
    automation_per_month: float  # bot cost [currency/month]
    contacts_per_month: float  # offered, all channels [contacts/month]
    service_level_by_channel: dict[str, float | None]  # of the sized roster [0–1]
    meets_targets: bool  # the sized roster meets every channel's target
    plan: Plan  # the sized roster (integer crews)


def scaled_scenario(scenario: Scenario, factor: float) -> Scenario:
    """The scenario with every demand rate multiplied by `factor` (and no capacity block)."""
    data = scenario_to_dict(scenario)
    data.pop("capacity", None)
    for entry in data["demand"]:
        rates = entry["per_hour"]
        entry["per_hour"] = (
            [float(r) * factor for r in rates] if isinstance(rates, list) else float(rates) * factor
        )
    return parse_scenario(data, base_dir=scenario.base_dir)


def with_plan(scenario: Scenario, name: str, plan: Plan) -> Scenario:
    """The scenario holding only plan `name`, replaced by `plan`."""
    return scenario.model_copy(update={"plans": {name: plan}})


def weekly_paid_hours(plan: Plan) -> dict[str, float]:
    """Paid hours of each site's crews in a regular week (no holidays) [h/week]."""
    return {
        name: float(sum(s.agents * s.hours * len(s.days) for s in site.shifts))
        for name, site in plan.sites.items()
    }


def need_from_run(
    scenario: Scenario, name: str, run: Any, *, demand_factor: float, plan: Plan | None = None
) -> MonthNeed:
    """Read a month's need from a simulated, sized roster.

    Parameters
    ----------
    scenario : Scenario
        The scenario with the capacity block (for hours per FTE).
    name : str
        The plan.
    run : RunResult
        A simulation of the sized roster on the month's scaled week.
    demand_factor : float
        The month's demand ÷ the scenario's.
    plan : Plan, optional
        The sized roster; default the run's own plan.
    """
    assert scenario.capacity is not None
    sized = plan if plan is not None else run.scenario.plans[name]
    result = run.plans[name]
    hours = weekly_paid_hours(sized)
    required = {
        site: hours[site] / scenario.capacity.sites[site].hours_per_week for site in sized.sites
    }
    premium_share = {}
    for site, figures in result.cost["by_site"].items():
        labor = figures["labor"]
        premium_share[site] = figures["premiums"] / labor if labor > 0 else 0.0
    months_per_window = HOURS_PER_MONTH / (run.timeline.window_s / 3600.0)
    offered = sum(ch["offered"] for ch in result.channels.values())
    service = {ch: fig["service_level"] for ch, fig in result.channels.items()}
    meets = all(
        fig["service_level"] is not None
        and fig["service_level"] >= run.scenario.channels[ch].target.share
        for ch, fig in result.channels.items()
        if fig["offered"] > 0
    )
    return MonthNeed(
        demand_factor=demand_factor,
        required_fte_by_site=required,
        premium_share_by_site=premium_share,
        automation_per_month=result.cost["automation"] * months_per_window,
        contacts_per_month=offered * months_per_window,
        service_level_by_channel=service,
        meets_targets=meets,
        plan=sized,
    )


def weeks_per_month() -> float:
    """Weeks in the cost month (365.25/12 days) [weeks]."""
    return WEEKS_PER_MONTH

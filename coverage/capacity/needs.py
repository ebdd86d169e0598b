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

from coverage.results.figures import to_dict
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
    # FTE of `plan` per site when it was sized for another demand level (interpolated months)
    sized_fte_by_site: dict[str, float] | None = None

    @property
    def roster_fte_by_site(self) -> dict[str, float]:
        """FTE of the roster in `plan` per site [FTE]."""
        return self.sized_fte_by_site or self.required_fte_by_site


def scaled_scenario(scenario: Scenario, factor: float, *, auto_crews: bool = False) -> Scenario:
    """The scenario with every demand rate multiplied by `factor` (and no capacity block).

    With `auto_crews`, every crew of fixed size becomes ``agents: auto`` (its shift is kept as
    the pattern to size; a holiday crew other than 0 is dropped, since an auto crew works
    holidays at its size); crews with ``{min, max}`` bounds keep them.
    """
    data = scenario_to_dict(scenario)
    if auto_crews:
        for plan in data["plans"].values():
            for site in plan["sites"].values():
                for shift in site["shifts"]:
                    if isinstance(shift.get("agents"), int):
                        shift["agents"] = "auto"
                        if shift.get("holiday_agents") not in (None, 0):
                            del shift["holiday_agents"]
    data.pop("capacity", None)
    data.pop("hand_plans", None)  # the optimizer's comparison with hand plans: not needed here
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


def expected_contacts(scenario: Scenario) -> tuple[float, float]:
    """Expected contacts offered per replication and the measured window [contacts, h]."""
    from coverage.calendar import build_timeline
    from coverage.demand.arrivals import expected_per_minute

    timeline = build_timeline(scenario)
    first = int(timeline.warmup_s // 60)  # the window starts at the warm-up (whole minutes)
    total = sum(
        float(expected_per_minute(entry, scenario, timeline)[first:].sum())
        for entry in scenario.demand
    )
    return total, timeline.window_s / 3600.0


def month_need(
    scenario: Scenario,
    sized: Plan,
    *,
    cost: dict[str, Any],
    service_level_by_channel: dict[str, float | None],
    meets_targets: bool,
    window_hours: float,
    contacts_per_window: float,
    demand_factor: float,
) -> MonthNeed:
    """A month's need from its sized roster and that roster's simulated week.

    Parameters
    ----------
    scenario : Scenario
        The scenario with the capacity block (for hours per FTE).
    sized : Plan
        The roster sized for the month's demand (integer crews).
    cost : dict
        The sized roster's cost as `coverage-sim run` reports it (``automation``, ``by_site``
        with ``labor`` and ``premiums``) over the measured window.
    service_level_by_channel, meets_targets
        The sized roster's simulated service and whether it meets every target.
    window_hours : float
        Length of the measured window [h].
    contacts_per_window : float
        Contacts offered in the window at the month's demand [contacts].
    demand_factor : float
        The month's demand ÷ the scenario's.
    """
    assert scenario.capacity is not None
    hours = weekly_paid_hours(sized)
    required = {
        site: hours[site] / scenario.capacity.sites[site].hours_per_week for site in sized.sites
    }
    premium_share = {}
    for site, figures in cost["by_site"].items():
        labor = figures["labor"]
        premium_share[site] = figures["premiums"] / labor if labor > 0 else 0.0
    months_per_window = HOURS_PER_MONTH / window_hours
    return MonthNeed(
        demand_factor=demand_factor,
        required_fte_by_site=required,
        premium_share_by_site=premium_share,
        automation_per_month=cost["automation"] * months_per_window,
        contacts_per_month=contacts_per_window * months_per_window,
        service_level_by_channel=dict(service_level_by_channel),
        meets_targets=meets_targets,
        plan=sized,
    )


def need_from_run(scenario: Scenario, name: str, run: Any, *, demand_factor: float) -> MonthNeed:
    """A month's need from a simulation (`RunResult`) of a roster taken as sized."""
    result = run.plans[name]
    meets = all(
        fig.service_level is not None
        and fig.service_level >= run.scenario.channels[ch].target.share
        for ch, fig in result.channels.items()
        if fig.offered > 0
    )
    return month_need(
        scenario,
        run.scenario.plans[name],
        cost=to_dict(result.cost),  # the JSON form, as month_need takes it
        service_level_by_channel={ch: f.service_level for ch, f in result.channels.items()},
        meets_targets=meets,
        window_hours=run.timeline.window_s / 3600.0,
        contacts_per_window=sum(ch.offered for ch in result.channels.values()),
        demand_factor=demand_factor,
    )

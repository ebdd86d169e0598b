"""Service in the months a plan falls short: simulate the staff actually available.

In a shortfall month a site has ``productive_fte`` of the ``required_fte`` its sized roster
needs. We keep the sized crews but make only that share of their time available (through the
site's shrinkage, `scale_plan`) and simulate the month's week with the scenario's seed, to report
the service level each channel would get with the staff the hiring plan actually delivers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from coverage.capacity.needs import scaled_scenario, with_plan
from coverage.capacity.plan import CapacityResult
from coverage.scenario.model import Plan, Scenario, Shift


def scale_plan(plan: Plan, ratio_by_site: dict[str, float]) -> Plan:
    """`plan` with each site's available agent time multiplied by its ratio (0–1).

    The crews stay as sized; the site's shrinkage rises so that available time is
    ``(1 − shrinkage) × ratio`` of paid time, which keeps fractions exact (22 of 24 FTE on a
    crew of 6 is 5.5 agents available, not 6 after rounding). A ratio of 0 empties the crews.
    """
    sites = {}
    for name, site in plan.sites.items():
        ratio = min(1.0, max(0.0, ratio_by_site.get(name, 1.0)))
        shifts: list[Shift] = []
        for shift in site.shifts:
            update: dict[str, object] = {}
            if "sizing" in Shift.model_fields:  # a sized crew is a plain number from here on
                update["sizing"] = None
            if ratio <= 0:
                update.update(agents=0, holiday_agents=None)
            shifts.append(shift.model_copy(update=update))
        shrinkage = 1.0 - (1.0 - site.shrinkage) * ratio if ratio > 0 else site.shrinkage
        sites[name] = site.model_copy(update={"shifts": shifts, "shrinkage": shrinkage})
    return plan.model_copy(update={"sites": sites})


def shortfall_service(
    scenario: Scenario,
    result: CapacityResult,
    *,
    replications: int,
    seed: int,
    engine: str,
    progress: Callable[[str], None] | None = None,
) -> CapacityResult:
    """`result` with the simulated service level per channel in every shortfall month."""
    from coverage.simulation.replications import run_scenario

    plans = {}
    for name, plan in result.plans.items():
        service: dict[int, dict[str, float | None]] = {}
        for m in plan.shortfall_months():
            need = plan.needs[m]
            ratios = {}
            for site, hiring in plan.sites.items():
                roster_fte = need.roster_fte_by_site.get(site, 0.0)
                available = float(hiring.productive_fte[m])
                ratios[site] = min(1.0, available / roster_fte) if roster_fte > 0 else 1.0
            if progress:
                progress(f"{name} {result.months[m]}: simulating the staff available")
            month = with_plan(
                scaled_scenario(scenario, need.demand_factor), name, scale_plan(need.plan, ratios)
            )
            run = run_scenario(month, replications=replications, seed=seed, engine=engine)
            channels = run.plans[name].channels
            service[m] = {ch: fig.service_level for ch, fig in channels.items()}
        plans[name] = replace(plan, service_in_shortfall=service)
    return replace(result, plans=plans)

"""Service in the months a plan falls short: simulate the staff actually available.

In a shortfall month a site has ``productive_fte`` of the ``required_fte`` its sized roster
needs. We scale every crew of that site by the ratio (rounded to the nearest whole agent, at
least 0) and simulate the month's week with that roster, on the same seeded contacts as the sizing
(common random numbers), to report the service level each channel would get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from coverage.capacity.needs import scaled_scenario, with_plan
from coverage.capacity.plan import CapacityResult
from coverage.scenario.model import Plan, Scenario, Shift


def _scaled_crew(agents: int | None, ratio: float) -> int | None:
    return None if agents is None else int(agents * ratio + 0.5)


def scale_plan(plan: Plan, ratio_by_site: dict[str, float]) -> Plan:
    """`plan` with each site's crews multiplied by its ratio (whole agents, rounded)."""
    sites = {}
    for name, site in plan.sites.items():
        ratio = ratio_by_site.get(name, 1.0)
        shifts: list[Shift] = []
        for shift in site.shifts:
            update: dict[str, object] = {
                "agents": _scaled_crew(shift.agents, ratio),
                "holiday_agents": _scaled_crew(shift.holiday_agents, ratio),
            }
            if "sizing" in Shift.model_fields:  # a sized crew is a plain number from here on
                update["sizing"] = None
            shifts.append(shift.model_copy(update=update))
        sites[name] = site.model_copy(update={"shifts": shifts})
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
                required = float(hiring.required_fte[m])
                ratios[site] = (
                    min(1.0, float(hiring.productive_fte[m]) / required) if required > 0 else 1.0
                )
            if progress:
                progress(f"{name} {result.months[m]}: simulating the staff available")
            month = with_plan(
                scaled_scenario(scenario, need.demand_factor), name, scale_plan(need.plan, ratios)
            )
            run = run_scenario(month, replications=replications, seed=seed, engine=engine)
            channels = run.plans[name].channels
            service[m] = {ch: fig["service_level"] for ch, fig in channels.items()}
        plans[name] = replace(plan, service_in_shortfall=service)
    return replace(result, plans=plans)

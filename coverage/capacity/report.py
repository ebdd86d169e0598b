"""A capacity plan as JSON, as a table (one row per plan × month × site) and as text.

The JSON holds the contract of docs/capacity.md: ``{"plans": {plan: {"months": [{"month",
"cost", "sites": {site: {"headcount_start", "hires", "leavers", "headcount_end", "trainees",
"productive_fte", "required_fte", "shortfall_fte", ...}}}], "total_cost"}}}``, with more fields
beside them. Headcounts, hires and leavers are whole people, so ``headcount_end = headcount_start
+ hires − leavers`` holds exactly; FTE figures are rounded to 4 decimals and money to cents.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from coverage.capacity.plan import CapacityResult, PlanCapacity, site_cost


def _money(x: float) -> float:
    return round(float(x), 2)


def _fte(x: float) -> float:
    return round(float(x), 4)


def _site_month(plan: PlanCapacity, site: str, m: int) -> dict[str, Any]:
    h = plan.sites[site]
    parts = plan.site_costs[site]
    return {
        "headcount_start": int(h.headcount_start[m]),
        "hires": int(h.hires[m]),
        "leavers": int(h.leavers[m]),
        "headcount_end": int(h.headcount_end[m]),
        "trainees": _fte(h.trainees[m]),
        "productive_fte": _fte(h.productive_fte[m]),
        "required_fte": _fte(h.required_fte[m]),
        "shortfall_fte": _fte(h.shortfall_fte[m]),
        "cost": _money(site_cost(plan, site)[m]),
        **{part: _money(values[m]) for part, values in parts.items()},
    }


def _years(result: CapacityResult, plan: PlanCapacity) -> dict[str, float]:
    years: dict[str, float] = {}
    for label, cost in zip(result.months, plan.cost_by_month, strict=True):
        years[label[:4]] = years.get(label[:4], 0.0) + float(cost)
    return {year: _money(total) for year, total in years.items()}


def plan_dict(result: CapacityResult, plan: PlanCapacity) -> dict[str, Any]:
    """One plan's months and summaries as plain data."""
    short = set(plan.shortfall_months())
    months = []
    for m, label in enumerate(result.months):
        need = plan.needs[m]
        service = plan.service_in_shortfall.get(m)
        months.append(
            {
                "month": label,
                "cost": _money(plan.cost_by_month[m]),
                "demand_factor": round(result.demand_factors[m], 6),
                "contacts": round(float(plan.contacts_by_month[m]), 1),
                "automation": _money(plan.automation_by_month[m]),
                "shortfall": m in short,
                "sized_meets_targets": need.meets_targets,
                "service_level": None
                if service is None
                else {ch: None if v is None else round(v, 4) for ch, v in service.items()},
                "sites": {site: _site_month(plan, site, m) for site in plan.sites},
            }
        )
    per_contact = plan.cost_per_contact
    return {
        "months": months,
        "total_cost": _money(plan.total_cost),
        "cost_by_year": _years(result, plan),
        "contacts": round(float(plan.contacts_by_month.sum()), 1),
        "cost_per_contact": None if per_contact is None else round(per_contact, 4),
        "hires": {site: int(h.hires.sum()) for site, h in plan.sites.items()},
        "shortfall_months": [result.months[m] for m in sorted(short)],
    }


def capacity_dict(result: CapacityResult, *, scenario: str) -> dict[str, Any]:
    """The whole result as plain data (the `--json` output)."""
    plans = {name: plan_dict(result, plan) for name, plan in result.plans.items()}
    base = next(iter(plans))
    return {
        "scenario": scenario,
        "currency": result.currency,
        "months": result.months,
        "plans": plans,
        "difference_vs": {
            "base": base,
            "total_cost": {
                name: _money(p["total_cost"] - plans[base]["total_cost"])
                for name, p in plans.items()
            },
        },
    }


def capacity_json(result: CapacityResult, *, scenario: str) -> str:
    """The result as JSON text (stable key order; a seed gives the same text)."""
    return json.dumps(capacity_dict(result, scenario=scenario), indent=2)


def capacity_table(result: CapacityResult) -> pd.DataFrame:
    """One row per plan × month × site, with the plan-level month figures repeated."""
    rows = []
    channels: set[str] = set()
    for plan in result.plans.values():
        for service in plan.service_in_shortfall.values():
            channels |= set(service)
    for name, plan in result.plans.items():
        short = set(plan.shortfall_months())
        for m, label in enumerate(result.months):
            service = plan.service_in_shortfall.get(m, {})
            for site in plan.sites:
                row: dict[str, Any] = {"plan": name, "month": label, "site": site}
                row.update(_site_month(plan, site, m))
                row["site_cost"] = row.pop("cost")
                row["automation"] = _money(plan.automation_by_month[m])
                row["month_cost"] = _money(plan.cost_by_month[m])
                row["demand_factor"] = result.demand_factors[m]
                row["plan_shortfall"] = m in short
                for ch in sorted(channels):
                    row[f"service_level_{ch}"] = service.get(ch)
                rows.append(row)
    return pd.DataFrame(rows)


def capacity_text(result: CapacityResult, *, scenario: str) -> str:
    """A readable summary: per plan a month table, then totals and the difference."""
    lines = [
        f"{scenario}: capacity plan {result.months[0]} .. {result.months[-1]} "
        f"({len(result.months)} months, {result.currency})",
        "required and productive in FTE, summed over sites; paid = headcount at the month's "
        "start + hires; shortfall = sum over sites of max(0, required - productive); "
        "< = a site short by half an FTE or more",
    ]
    for name, plan in result.plans.items():
        short_months = set(plan.shortfall_months())
        lines.append("")
        lines.append(name)
        lines.append(
            f"  {'month':<8}{'demand':>8}{'required':>10}{'productive':>11}{'paid':>10}"
            f"{'hires':>7}{'leavers':>8}{'shortfall':>10}{'cost':>13}"
        )
        for m, label in enumerate(result.months):
            sites = plan.sites.values()
            req = sum(float(h.required_fte[m]) for h in sites)
            prod = sum(float(h.productive_fte[m]) for h in sites)
            head = sum(int(h.headcount_start[m] + h.hires[m]) for h in sites)
            hires = sum(int(h.hires[m]) for h in sites)
            leavers = sum(int(h.leavers[m]) for h in sites)
            short = sum(float(h.shortfall_fte[m]) for h in sites)
            mark = "  <" if m in short_months else ""
            lines.append(
                f"  {label:<8}{result.demand_factors[m]:>8.3f}{req:>10.1f}{prod:>11.1f}"
                f"{head:>10}{hires:>7}{leavers:>8}{short:>10.1f}{plan.cost_by_month[m]:>13,.0f}"
                f"{mark}"
            )
            service = plan.service_in_shortfall.get(m)
            if service:
                shown = ", ".join(
                    f"{ch} {'—' if v is None else f'{v:.1%}'}" for ch, v in service.items()
                )
                lines.append(f"  {'':<8}service with the staff available: {shown}")
        per_contact = plan.cost_per_contact
        hires_by_site = ", ".join(f"{s} {int(h.hires.sum())}" for s, h in plan.sites.items())
        lines.append(f"  hires by site: {hires_by_site}")
        lines.append(
            f"  total {plan.total_cost:,.0f}; per contact "
            f"{'—' if per_contact is None else f'{per_contact:.2f}'}; "
            f"shortfall months: {len(plan.shortfall_months())}"
        )
    names = list(result.plans)
    if len(names) > 1:
        base = result.plans[names[0]].total_cost
        lines.append("")
        for name in names[1:]:
            diff = result.plans[name].total_cost - base
            lines.append(f"{name} vs {names[0]}: {diff:+,.0f} over the plan")
    return "\n".join(lines)

"""The optimizer's result as JSON (`optimize.json`, `--json`) and as text for people.

The JSON holds no timing, so a seed gives the same bytes; search effort (simulations, solver
time, wall and CPU time) goes to stderr and to `SizingResult`.
"""

from __future__ import annotations

import json
from typing import Any

from coverage.optimize.sizing import SizingResult
from coverage.results.report import _clean
from coverage.scenario.fields import WEEKDAYS


def _crews(result: SizingResult, plan: str) -> list[dict[str, Any]]:
    sized = result.scenario.plans[plan]
    rows = []
    for site, j, agents in result.plans[plan].crews:
        shift = sized.sites[site].shifts[j]
        rows.append(
            {
                "site": site,
                "shift": j,
                "start": shift.start,
                "hours": shift.hours,
                "days": [WEEKDAYS[d] for d in shift.days],
                "channels": shift.channels,
                "agents": agents,
            }
        )
    return rows


def result_dict(
    result: SizingResult, *, frontier: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Everything `optimize` found, as plain data."""
    plans: dict[str, Any] = {}
    for name, p in result.plans.items():
        entry: dict[str, Any] = {
            "meets_targets": p.meets,
            "confirmed_on_independent_seed": p.confirmed,
            "failures": list(p.failures),
            "confirm_failures": list(p.confirm_failures),
            "agents": sum(n for _, _, n in p.crews),
            "crews": _crews(result, name),
            "cost": p.cost,
            "confirm_cost": {k: p.confirm_cost[k] for k in ("per_month", "per_contact")},
            "channels": p.channels,
            "search": {
                "analytic_lp_relaxation_per_month": p.lp_relaxation_per_month,
                "planned_per_month": p.planned_per_month,
                "raise_rounds": p.raise_rounds,
                "rosters_simulated": p.evaluations,
                "mip_gap": p.mip_gap,
                "stopped_by": p.stop,
            },
        }
        hand = result.hand.get(name)
        if hand is not None:
            saving = hand["cost"]["per_month"] - p.cost["per_month"]
            entry["hand"] = {
                "agents": hand["agents"],
                "per_month": hand["cost"]["per_month"],
                "per_contact": hand["cost"]["per_contact"],
                "service_level": hand["channels"],
                "saving_per_month": saving,
                "saving_share": saving / hand["cost"]["per_month"],
            }
        plans[name] = entry
    data: dict[str, Any] = {
        "scenario": result.scenario.name,
        "replications": result.replications,
        "seed": result.seed,
        "confirm_seed": result.confirm_seed,
        "meets_targets": result.meets,
        "plans": plans,
    }
    if frontier is not None:
        data["frontier"] = frontier
    return _clean(data)


def result_json(result: SizingResult, *, frontier: list[dict[str, Any]] | None = None) -> str:
    """`result_dict` as indented JSON."""
    return json.dumps(result_dict(result, frontier=frontier), indent=2)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:.1%}"


def summary_text(result: SizingResult, *, frontier: list[dict[str, Any]] | None = None) -> str:
    """The comparison at equal service, per plan, for people."""
    currency = result.scenario.currency
    lines = [
        f"{result.scenario.name}: plans sized to their targets "
        f"(seed {result.seed}, {result.replications} replications; "
        f"confirmed on independent seed {result.confirm_seed})",
        "",
    ]
    names = list(result.plans)
    width = max(14, *(len(n) for n in names))
    lines.append(
        f"{'plan':<{width}} {'agents':>7} {'per month':>13} {'per contact':>12} "
        f"{'meets':>6} {'confirmed':>10}"
    )
    for name in names:
        p = result.plans[name]
        lines.append(
            f"{name:<{width}} {sum(n for _, _, n in p.crews):>7} "
            f"{p.cost['per_month']:>13,.0f} {p.cost['per_contact'] or 0:>12.2f} "
            f"{'yes' if p.meets else 'NO':>6} {'yes' if p.confirmed else 'NO':>10}"
        )
    lines += ["", "service level (optimizer's seed / independent seed) vs target:"]
    for name in names:
        p = result.plans[name]
        parts = [
            f"{c} {_pct(f['service_level'])}/{_pct(f['confirm_service_level'])} "
            f"(≥{f['target_share']:.0%}{', hourly' if f['scope'] == 'hour' else ''})"
            for c, f in p.channels.items()
        ]
        lines.append(f"  {name}: " + "; ".join(parts))
    if len(names) == 2:
        a, b = (result.plans[n].cost["per_month"] for n in names)
        cheaper, dearer = (names[0], names[1]) if a <= b else (names[1], names[0])
        lines += [
            "",
            f"at equal service, {cheaper} costs {currency} {abs(b - a):,.0f} a month less than "
            f"{dearer} ({abs(b - a) / max(a, b):.1%})",
        ]
    if result.hand:
        lines += ["", "against the hand-written plans (same seed):"]
        for name in names:
            hand = result.hand.get(name)
            if hand is None:
                continue
            hand_month = hand["cost"]["per_month"]
            saving = hand_month - result.plans[name].cost["per_month"]
            lines.append(
                f"  {name}: hand {currency} {hand_month:,.0f}/month ({hand['agents']} agents) → "
                f"sized {result.plans[name].cost['per_month']:,.0f}: saves {saving:,.0f} "
                f"({saving / hand_month:.1%})"
            )
    for name in names:
        p = result.plans[name]
        lines.append(
            f"\n{name}: search — {p.evaluations} rosters simulated, {p.raise_rounds} raise rounds, "
            f"program cost {p.planned_per_month:,.0f}/month (the analytic program's LP "
            f"relaxation: {p.lp_relaxation_per_month:,.0f}, not a bound on it); stopped: {p.stop}"
        )
        for failure in p.failures:
            lines.append(f"  fails: {failure}")
        for failure in p.confirm_failures:
            lines.append(f"  fails on the independent seed: {failure}")
    if frontier:
        lines += ["", "frontier (cheapest plan at each target share):"]
        for row in frontier:
            lines.append(
                f"  {row['plan']:<{width}} {row['channel']} ≥{row['target_share']:.0%}: "
                f"{row['per_month']:>12,.0f}/month, service level {_pct(row['service_level'])}"
                f"{'' if row['meets_targets'] else ' (cannot meet)'}"
            )
    return "\n".join(lines)

"""The per-month requirement: size a representative week of each month with the optimizer.

This is the only place the capacity planner calls the optimizer (`coverage.optimize`). For month
m the scenario's week is taken with every demand rate × the month's factor (growth ×
seasonality) and every crew open to sizing (a fixed crew becomes ``auto``: the plan's shifts are
the pattern, the month's demand decides their size; ``{min, max}`` bounds are kept);
``size_plans`` chooses the cheapest crews meeting every target, and the sized roster's paid
hours per week ÷ ``hours_per_week`` is the productive FTE each site needs
(`coverage.capacity.needs`).

**Reuse.** Months with the same factor share one sizing. With ``levels`` set, only that many
demand levels are sized — the smallest and largest factor and evenly spaced ones between — and
each month's required FTE, premium share and cost figures are interpolated linearly in the
factor between the two levels around it; its roster for the shortfall simulation is the upper
level's. docs/capacity.md shows how far this is from sizing every month.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from coverage.capacity.needs import MonthNeed, expected_contacts, month_need, scaled_scenario
from coverage.scenario.model import Scenario
from coverage.settings import DEFAULT_ENGINE
from coverage.simulation.workers import worker_pool

Progress = Callable[[str], None]


def _level_factors(factors: Sequence[float], levels: int | None) -> list[float]:
    distinct = sorted({round(f, 9) for f in factors})
    if levels is None or len(distinct) <= levels:
        return distinct
    if levels < 2:
        raise ValueError("interpolation needs at least 2 demand levels")
    return [float(x) for x in np.linspace(distinct[0], distinct[-1], levels)]


def _interpolate(low: MonthNeed, high: MonthNeed, factor: float) -> MonthNeed:
    """The need at `factor`, between the needs sized at two demand levels."""
    span = high.demand_factor - low.demand_factor
    t = 0.0 if span <= 0 else (factor - low.demand_factor) / span

    def mix(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
        return {k: (1 - t) * a.get(k, 0.0) + t * b.get(k, 0.0) for k in a.keys() | b.keys()}

    return MonthNeed(
        demand_factor=factor,
        required_fte_by_site=mix(low.required_fte_by_site, high.required_fte_by_site),
        premium_share_by_site=mix(low.premium_share_by_site, high.premium_share_by_site),
        automation_per_month=(1 - t) * low.automation_per_month + t * high.automation_per_month,
        contacts_per_month=(1 - t) * low.contacts_per_month + t * high.contacts_per_month,
        service_level_by_channel=high.service_level_by_channel,
        meets_targets=high.meets_targets,
        plan=high.plan,
        sized_fte_by_site=high.required_fte_by_site,
    )


def _size_level(
    scenario: Scenario,
    factor: float,
    plans: Sequence[str],
    replications: int | None,
    seed: int | None,
    engine: str,
) -> dict[str, MonthNeed]:
    """Size one demand level: plan → need (the single call into the optimizer)."""
    from coverage.optimize.sizing import size_plans

    base_contacts, window_hours = expected_contacts(scenario)
    month = scaled_scenario(scenario, factor, auto_crews=True)
    sizing = size_plans(month, list(plans), replications=replications, seed=seed, engine=engine)
    out = {}
    for name in plans:
        found = sizing.plans[name]
        out[name] = month_need(
            scenario,
            sizing.scenario.plans[name],
            cost=found.cost,
            service_level_by_channel={
                ch: fig["service_level"] for ch, fig in found.channels.items()
            },
            meets_targets=found.meets,
            window_hours=window_hours,
            contacts_per_window=base_contacts * factor,
            demand_factor=factor,
        )
    return out


def _size_level_job(args: tuple[Any, ...]) -> dict[str, MonthNeed]:
    return _size_level(*args)


def size_levels(
    scenario: Scenario,
    factors: Sequence[float],
    *,
    plans: Sequence[str],
    replications: int | None,
    seed: int | None,
    engine: str = DEFAULT_ENGINE,
    workers: int = 1,
    progress: Progress | None = None,
) -> dict[str, dict[float, MonthNeed]]:
    """Size the scenario's week at each demand factor: plan → factor → need.

    With ``workers > 1`` the levels are sized in that many forked processes, one level per
    task; each level depends only on its own factor and the seed, so the result is the same.
    """
    jobs = [(scenario, f, list(plans), replications, seed, engine) for f in factors]
    results: list[dict[str, MonthNeed]] = []
    if workers > 1 and len(jobs) > 1:
        with worker_pool(min(workers, len(jobs)), engine=engine) as pool:
            pending = [pool.submit(_size_level_job, job) for job in jobs]
            for i, waiting in enumerate(pending, start=1):
                results.append(waiting.result())
                if progress:
                    progress(f"sized demand level {i}/{len(jobs)} (x{factors[i - 1]:.3f})")
    else:
        for i, factor in enumerate(factors, start=1):
            if progress:
                progress(f"sizing demand level {i}/{len(jobs)} (x{factor:.3f})")
            results.append(_size_level(*jobs[i - 1]))
    return {
        name: {f: level[name] for f, level in zip(factors, results, strict=True)} for name in plans
    }


def size_months(
    scenario: Scenario,
    *,
    plans: Sequence[str],
    replications: int | None = None,
    seed: int | None = None,
    engine: str = DEFAULT_ENGINE,
    levels: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> dict[str, list[MonthNeed]]:
    """Each plan's need in each month of the capacity plan (plan → one need per month).

    Parameters
    ----------
    levels : int, optional
        Size at most this many demand levels and interpolate between them (default: size
        every distinct month exactly).
    workers : int
        Processes sizing levels side by side (the result does not depend on it).
    """
    assert scenario.capacity is not None
    factors = scenario.capacity.demand_factors()
    level_factors = _level_factors(factors, levels)
    sized = size_levels(
        scenario,
        level_factors,
        plans=plans,
        replications=replications,
        seed=seed,
        engine=engine,
        workers=workers,
        progress=progress,
    )
    out: dict[str, list[MonthNeed]] = {}
    for name in plans:
        by_level = sized[name]
        needs = []
        for factor in factors:
            key = round(factor, 9)
            if key in by_level:
                needs.append(by_level[key])
                continue
            upper = min((f for f in level_factors if f >= key), default=level_factors[-1])
            lower = max((f for f in level_factors if f <= key), default=level_factors[0])
            needs.append(_interpolate(by_level[lower], by_level[upper], factor))
        out[name] = needs
    return out

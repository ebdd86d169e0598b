"""A plan's shifts as columns of the sizing program, and sized plans built back from numbers.

Each shift's cost per agent is computed by `coverage.results.costs.plan_costs` itself on the
plan reduced to that one shift with one agent (no contacts, so no overtime): labour and premiums
are linear in the crew, so the program's roster cost is exactly `run`'s cost without overtime.
"""

from __future__ import annotations

import math

import numpy as np

from coverage.demand.automation import BotOutcome
from coverage.optimize.milp import ShiftColumn
from coverage.results.costs import plan_costs
from coverage.scenario.model import Plan
from coverage.simulation.dispatch import EngineOutput
from coverage.simulation.evaluate import PreparedPlan
from coverage.simulation.roster import build_roster
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR

Position = tuple[str, int]  # (site name, shift index within the site)


def _no_contacts() -> tuple[EngineOutput, BotOutcome]:
    f, i, b = np.zeros(0), np.zeros(0, np.int32), np.zeros(0, bool)
    out = EngineOutput(
        outcome=np.zeros(0, np.int8),
        started_at_s=f,
        ended_at_s=f,
        left_at_s=f,
        agent=i,
        overtime_agent=i,
        overtime_start_s=f,
        overtime_end_s=f,
        overtime_paid=b,
    )
    return out, BotOutcome(bot=b, deflected=b, joined_at_s=f, bot_cost=f)


def positions(plan: Plan) -> list[Position]:
    """Every shift of the plan, in file order."""
    return [(s, j) for s, site in plan.sites.items() for j in range(len(site.shifts))]


def shift_columns(
    prepared: PreparedPlan, max_agents: int
) -> tuple[list[ShiftColumn], np.ndarray, list[Position]]:
    """The plan's shifts as program columns, seat cost per peak agent by site, and positions."""
    scenario, timeline = prepared.scenario, prepared.timeline
    plan = scenario.plans[prepared.plan]
    n_hours = math.ceil(timeline.horizon_s / SECONDS_PER_HOUR)
    hour_lo = np.arange(n_hours) * SECONDS_PER_HOUR
    hour_hi = np.minimum(hour_lo + SECONDS_PER_HOUR, timeline.horizon_s)
    in_window = hour_hi > timeline.warmup_s
    channel_names = list(scenario.channels)
    out, bot = _no_contacts()
    no_arrivals = np.zeros(0)
    columns = []
    seat_cost = np.zeros(len(plan.sites))
    window_hours = timeline.window_s / SECONDS_PER_HOUR
    where = positions(plan)
    for s_idx, (site_name, site) in enumerate(plan.sites.items()):
        seat_cost[s_idx] = site.seat_cost_per_month * window_hours / HOURS_PER_MONTH
        for shift in site.shifts:
            one = shift.model_copy(update={"agents": 1, "sizing": None})
            alone = Plan(
                automation=None, sites={site_name: site.model_copy(update={"shifts": [one]})}
            )
            roster = build_roster(scenario, alone, timeline, prepared.languages)
            cost = plan_costs(alone, roster, out, bot, no_arrivals, timeline)
            overlap = (
                np.clip(
                    np.minimum(roster.paid_end_s[:, None], hour_hi)
                    - np.maximum(roster.paid_start_s[:, None], hour_lo),
                    0.0,
                    None,
                )
                * roster.paid_agents[:, None]
            )
            on_duty = overlap.sum(axis=0) / SECONDS_PER_HOUR
            if shift.sizing is None:
                lower = upper = shift.agents
            else:
                lower = shift.sizing.min
                upper = shift.sizing.max if shift.sizing.max is not None else max_agents
            chans = np.zeros(len(channel_names), dtype=bool)
            for name in shift.channels or channel_names:
                chans[channel_names.index(name)] = True
            columns.append(
                ShiftColumn(
                    site=s_idx,
                    lower=lower,
                    upper=upper,
                    cost=float(cost.labor + cost.premiums),
                    cover=on_duty * (1.0 - site.shrinkage),
                    duty=(on_duty > 0) & in_window,
                    channels=chans,
                )
            )
    return columns, seat_cost, where


def sized_plan(plan: Plan, where: list[Position], agents: np.ndarray) -> Plan:
    """`plan` with shift k of `where` crewed by agents[k] (bounds dropped: a fixed plan)."""
    crews: dict[Position, int] = {pos: int(n) for pos, n in zip(where, agents, strict=True)}
    sites = {}
    for name, site in plan.sites.items():
        shifts = [
            s.model_copy(update={"agents": crews[(name, j)], "sizing": None})
            for j, s in enumerate(site.shifts)
        ]
        sites[name] = site.model_copy(update={"shifts": shifts})
    return plan.model_copy(update={"sites": sites})

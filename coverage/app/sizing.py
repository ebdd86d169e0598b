"""The app's "Size plans to targets" page, without Streamlit: inputs, tables and the chart.

The page sizes the scenario chosen in the sidebar (levers applied): every crew becomes `auto`
(`auto_everywhere`), `coverage.optimize.sizing.size_plans` sizes it with the chosen scenario as
the hand plans, and `coverage.optimize.frontier.frontier` adds the cost-vs-service curve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from coverage.optimize.frontier import frontier
from coverage.optimize.sizing import SizingResult, size_plans
from coverage.scenario.fields import WEEKDAYS
from coverage.scenario.model import (
    Scenario,
    dump_scenario_yaml,
    scenario_from_text,
    scenario_to_dict,
)

APP_MAX_SIZING_REPLICATIONS = 20  # each trim step simulates every replication


def auto_everywhere(scenario: Scenario) -> Scenario:
    """`scenario` with every crew `auto` (a crew off on holidays stays off on holidays)."""
    import yaml

    data = scenario_to_dict(scenario)
    for plan in data["plans"].values():
        for site in plan["sites"].values():
            for shift in site["shifts"]:
                shift["agents"] = "auto"
                if shift.get("holiday_agents") not in (None, 0):
                    del shift["holiday_agents"]
    return scenario_from_text(yaml.safe_dump(data, sort_keys=False), base_dir=scenario.base_dir)


def size_in_app(
    hand: Scenario,
    *,
    replications: int,
    frontier_channel: str | None,
    shares: list[float],
    progress: Callable[[str], None],
) -> tuple[SizingResult, list[dict[str, Any]]]:
    """Size every plan of `hand` (crews made auto), and the frontier of one channel.

    The app's budget is checked first on one evaluation pass (`replications` runs of the hand
    plans): a search repeats such passes, so a scenario whose single pass is already over the
    budget (too many contacts, agents or seconds) is refused before any sizing starts.
    """
    from coverage.app.boundary import check_app_work  # this module stays free of Streamlit

    check_app_work(hand, runs=replications)
    sized_input = auto_everywhere(hand)
    result = size_plans(
        sized_input, replications=replications, seed=hand.seed, progress=progress, hand=hand
    )
    rows: list[dict[str, Any]] = []
    if frontier_channel and shares:
        rows = frontier(
            sized_input,
            frontier_channel,
            shares,
            replications=replications,
            seed=hand.seed,
            progress=progress,
        )
    return result, rows


def summary_table(result: SizingResult) -> pd.DataFrame:
    """One row per plan: hand vs sized cost, agents, saving, and whether the sized plan meets."""
    rows = []
    for name, plan in result.plans.items():
        hand = result.hand.get(name, {})
        hand_month = hand.get("cost", {}).get("per_month")
        row: dict[str, Any] = {
            "plan": name,
            "hand agents": hand.get("agents"),
            "sized agents": sum(n for _, _, n in plan.crews),
            "hand per month": hand_month,
            "sized per month": plan.cost["per_month"],
            "saving per month": None if hand_month is None else hand_month - plan.cost["per_month"],
            "meets targets": plan.meets,
            "meets on independent seed": plan.confirmed,
        }
        for channel, figures in plan.channels.items():
            row[f"{channel} hand"] = hand.get("channels", {}).get(channel)
            row[f"{channel} sized"] = figures["service_level"]
        rows.append(row)
    return pd.DataFrame(rows)


def crews_table(result: SizingResult, hand: Scenario) -> pd.DataFrame:
    """Agents per shift, hand vs sized, in file order."""
    rows = []
    for name, plan in result.plans.items():
        for site, j, agents in plan.crews:
            shift = result.scenario.plans[name].sites[site].shifts[j]
            hand_shift = hand.plans[name].sites[site].shifts[j] if name in hand.plans else None
            rows.append(
                {
                    "plan": name,
                    "site": site,
                    "start": shift.start,
                    "hours": shift.hours,
                    "days": ",".join(WEEKDAYS[d] for d in shift.days),
                    "channels": ", ".join(shift.channels or ["all"]),
                    "hand agents": None if hand_shift is None else hand_shift.agents,
                    "sized agents": agents,
                }
            )
    return pd.DataFrame(rows)


def frontier_figure(rows: list[dict[str, Any]], currency: str) -> go.Figure:
    """Cost per month against the channel's service level, one curve per plan."""
    fig = go.Figure()
    frame = pd.DataFrame(rows)
    for plan, part in frame.groupby("plan", sort=False):
        fig.add_trace(
            go.Scatter(
                x=part["service_level"],
                y=part["per_month"],
                mode="lines+markers+text",
                name=str(plan),
                text=[f"≥{s:.0%}" for s in part["target_share"]],
                textposition="top center",
            )
        )
    channel = frame["channel"].iloc[0] if len(frame) else ""
    fig.update_layout(
        title=f"Cheapest plan at each {channel} target",
        xaxis_title=f"{channel} service level",
        yaxis_title=f"cost per month [{currency}]",
        xaxis_tickformat=".0%",
    )
    return fig


def optimized_download(result: SizingResult) -> str:
    """The sized scenario as YAML, for `coverage-sim run` or the app."""
    return (
        f"# Sized by the app's Size plans page (seed {result.seed}, {result.replications} "
        "replications): every crew is the optimizer's number.\n"
        + dump_scenario_yaml(result.scenario)
    )

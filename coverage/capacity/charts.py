"""Plotly figures of a capacity plan: people by month, cost by month, shortfall months shaded.

Pure functions from a `CapacityResult` to figures (the app draws them; tests inspect them).
"""

from __future__ import annotations

import plotly.graph_objects as go

from coverage.capacity.plan import CapacityResult, PlanCapacity

SHORTFALL_FILL = "rgba(214, 39, 40, 0.12)"


def _shade_shortfall(fig: go.Figure, months: list[str], plan: PlanCapacity) -> None:
    """Shade every month in which some site of `plan` falls short."""
    for i, m in enumerate(plan.shortfall_months()):
        label = {"annotation_text": "short", "annotation_position": "top left"} if i == 0 else {}
        fig.add_vrect(
            x0=m - 0.5, x1=m + 0.5, fillcolor=SHORTFALL_FILL, line_width=0, layer="below", **label
        )
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(months))), ticktext=months)


def people_figure(result: CapacityResult, name: str) -> go.Figure:
    """One plan: hires (bars), people paid, required and productive FTE (lines), by month."""
    plan = result.plans[name]
    x = list(range(len(result.months)))
    sites = plan.sites.values()
    hires = sum(s.hires for s in sites)
    paid = sum(s.paid for s in sites)
    required = sum(s.required_fte for s in sites)
    productive = sum(s.productive_fte for s in sites)
    fig = go.Figure()
    fig.add_bar(x=x, y=hires, name="hires", marker_color="#9ecae1")
    fig.add_scatter(x=x, y=paid, name="headcount (paid)", mode="lines+markers")
    fig.add_scatter(x=x, y=required, name="required FTE", mode="lines", line={"dash": "dash"})
    fig.add_scatter(x=x, y=productive, name="productive FTE", mode="lines")
    _shade_shortfall(fig, result.months, plan)
    fig.update_layout(
        title=f"{name}: people by month (shaded: short of the requirement)",
        yaxis_title="people / FTE",
        legend={"orientation": "h"},
        margin={"t": 60},
    )
    return fig


def cost_figure(result: CapacityResult) -> go.Figure:
    """Cost by month, one line per plan; months where a plan falls short are marked."""
    fig = go.Figure()
    x = list(range(len(result.months)))
    for name, plan in result.plans.items():
        short = set(plan.shortfall_months())
        fig.add_scatter(
            x=x,
            y=plan.cost_by_month,
            name=name,
            mode="lines+markers",
            marker={
                "symbol": ["x" if m in short else "circle" for m in x],
                "size": [11 if m in short else 6 for m in x],
            },
        )
    fig.update_xaxes(tickmode="array", tickvals=x, ticktext=result.months)
    fig.update_layout(
        title="Cost by month per plan (x: a month the plan falls short)",
        yaxis_title=f"cost [{result.currency}/month]",
        legend={"orientation": "h"},
        margin={"t": 60},
    )
    return fig

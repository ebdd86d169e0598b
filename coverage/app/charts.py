"""Charts of a run, for the app: plotly figures built from report tables (the tables the app
shows beside them are `coverage.app.tables`).

Every axis names its unit and, for time, its time zone. Hour-of-week grids come from
`coverage.results.report.hourly_table` (UTC hour of week, Mon 00:00 = 0). To show them in a local
time zone, each UTC hour of week is placed at its first occurrence in the measured window and that
instant is read on the local clock; over a one-week horizon that is exact, daylight saving
included (a local hour skipped by DST stays empty, a repeated one pools both UTC hours).

Rates on the grids are pooled from counts, not averaged: service level = answered within
target / (offered − deflected − short abandoned) and mean wait = total wait of answered /
answered, over the cells pooled (channels, regions, UTC hours). Intervals are 95% over
replications (`coverage.results.metrics.ci95`); a delta between plans is the interval of the
per-replication difference, which common random numbers make tight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from coverage.app.tables import ci_bounds, pct
from coverage.formatting import format_duration_s, format_target
from coverage.scenario.model import WEEKDAYS, Scenario
from coverage.simulation.replications import RunResult
from coverage.units import SECONDS_PER_HOUR

HOURS_PER_WEEK = 168
ALL_CHANNELS = "all channels"
PLAN_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
SUMMED = ("offered", "deflected", "short_abandoned", "answered_within_target", "answered")


# ---------------------------------------------------------------------------------------------
# time zones and hours of the week


def time_zone_choices(scenario: Scenario) -> list[str]:
    """UTC, then the time zones of the scenario's sites and regions (each once)."""
    zones = ["UTC"]
    zones += [s.time_zone for p in scenario.plans.values() for s in p.sites.values()]
    zones += [r.time_zone for r in scenario.regions.values()]
    return list(dict.fromkeys(zones))


def _first_hours(start_utc: dt.datetime, warmup_s: float) -> tuple[int, int]:
    return start_utc.weekday() * 24 + start_utc.hour, int(warmup_s // SECONDS_PER_HOUR)


def local_hour_of_week(
    hour_of_week: Sequence[int] | np.ndarray,
    *,
    start_utc: dt.datetime,
    warmup_s: float,
    time_zone: str,
) -> np.ndarray:
    """Local hour of week (Mon 00:00 = 0) in `time_zone` of each UTC hour of week.

    The UTC hour is taken at its first occurrence at or after the warm-up hour.
    """
    how = np.asarray(hour_of_week, dtype=np.int64)
    if time_zone == "UTC":
        return how
    offset_h, k0 = _first_hours(start_utc, warmup_s)
    k = k0 + np.mod(how - offset_h - k0, HOURS_PER_WEEK)
    local = (pd.Timestamp(start_utc) + pd.to_timedelta(k, unit="h")).tz_convert(time_zone)
    return np.asarray(local.day_of_week * 24 + local.hour, dtype=np.int64)


def hour_of_week_occurrences(
    start_utc: dt.datetime, warmup_s: float, horizon_s: float
) -> np.ndarray:
    """How many times each UTC hour of week (168) begins in the window [warmup, horizon)."""
    offset_h, k0 = _first_hours(start_utc, warmup_s)
    k = np.arange(k0, int(np.ceil(horizon_s / SECONDS_PER_HOUR)))
    return np.bincount((k + offset_h) % HOURS_PER_WEEK, minlength=HOURS_PER_WEEK)


def _week_ticks() -> tuple[list[int], list[str]]:
    values = list(range(0, HOURS_PER_WEEK, 12))
    return values, [f"{WEEKDAYS[v // 24]} {v % 24:02d}:00" for v in values]


def _zone_label(time_zone: str) -> str:
    return "UTC" if time_zone == "UTC" else f"local time, {time_zone}"


def _localize(
    frame: pd.DataFrame, result: RunResult, time_zone: str, *, column: str = "hour_of_week"
) -> pd.DataFrame:
    tl = result.timeline
    out = frame.copy()
    out["local_how"] = local_hour_of_week(
        out[column], start_utc=tl.start_utc, warmup_s=tl.warmup_s, time_zone=time_zone
    )
    return out


# ---------------------------------------------------------------------------------------------
# hour-of-week heatmap


def _heat_colors(value: str, channel: Any) -> tuple[dict[str, Any], str]:
    """Color axis with yellow at the channel's target: below it orange to red, above it green."""
    red, orange, yellow, green, dark = "#a50026", "#f46d43", "#fee08b", "#66bd63", "#1a9850"
    if value == "service_level":
        p = channel.target.share if channel is not None else 0.8
        scale = [[0, red], [0.75 * p, orange], [p, yellow], [p + 0.5 * (1 - p), green], [1, dark]]
        note = f"target {100 * p:g}%" if channel is not None else "80%"
        bar = {"title": {"text": f"service level [%]<br>yellow: {note}"}}
        return {"colorscale": scale, "cmin": 0, "cmax": 100, "colorbar": bar}, "Service level"
    what = "Mean wait of answered contacts"
    if channel is None:
        return {
            "colorscale": "RdYlGn_r",
            "cmin": 0,
            "colorbar": {"title": {"text": "mean wait [s]"}},
        }, what
    limit_s = channel.target.answer_within_s
    scale = [[0, dark], [1 / 6, green], [1 / 3, yellow], [2 / 3, orange], [1, red]]
    bar = {"title": {"text": f"mean wait [s]<br>yellow: target {format_duration_s(limit_s)}"}}
    return {"colorscale": scale, "cmin": 0, "cmax": 3 * limit_s, "colorbar": bar}, what


def heatmap_figure(
    hourly: pd.DataFrame,
    result: RunResult,
    *,
    value: str = "service_level",
    channel: str = ALL_CHANNELS,
    time_zone: str = "UTC",
) -> go.Figure:
    """Weekday × hour grid per plan of service level [%] or mean wait of answered [s].

    `hourly` is `coverage.results.report.hourly_table(result)`.
    """
    assert value in ("service_level", "asa_s"), value
    data = hourly if channel == ALL_CHANNELS else hourly[hourly["channel"] == channel]
    data = _localize(
        data.assign(wait_s=data["asa_s"].fillna(0.0) * data["answered"]), result, time_zone
    )
    plans = list(result.plans)
    fig = make_subplots(
        rows=1, cols=len(plans), shared_yaxes=True, subplot_titles=plans, horizontal_spacing=0.03
    )
    for i, plan in enumerate(plans):
        cells = data[data["plan"] == plan].groupby("local_how")[[*SUMMED, "wait_s"]].sum()
        base = cells["offered"] - cells["deflected"] - cells["short_abandoned"]
        if value == "service_level":
            z_by_how = 100 * cells["answered_within_target"] / base.where(base > 0)
        else:
            z_by_how = cells["wait_s"] / cells["answered"].where(cells["answered"] > 0)
        grid = np.full((7, 24), np.nan)
        offered = np.zeros((7, 24))
        how = z_by_how.index.to_numpy()
        grid[how // 24, how % 24] = z_by_how.to_numpy()
        offered[how // 24, how % 24] = cells["offered"].to_numpy()
        fig.add_trace(
            go.Heatmap(
                z=grid,
                x=list(range(24)),
                y=list(WEEKDAYS),
                customdata=offered,
                coloraxis="coloraxis",
                hovertemplate="%{y} %{x}:00<br>%{z:.0f}<br>offered %{customdata:.1f} per run"
                "<extra>" + plan + "</extra>",
            ),
            row=1,
            col=i + 1,
        )
        fig.update_xaxes(
            title_text=f"hour of day ({_zone_label(time_zone)})", row=1, col=i + 1, dtick=3
        )
    fig.update_yaxes(
        title_text=f"weekday ({_zone_label(time_zone)})", autorange="reversed", row=1, col=1
    )
    axis, what = _heat_colors(value, result.scenario.channels.get(channel))
    fig.update_layout(
        coloraxis=axis,
        title=f"{what} by hour of week — {channel} — {_zone_label(time_zone)}",
        height=360,
        margin={"t": 80},
    )
    return fig


# ---------------------------------------------------------------------------------------------
# demand vs agents on duty


def demand_agents_figure(
    hourly: pd.DataFrame,
    agents: pd.DataFrame,
    result: RunResult,
    *,
    channel: str,
    time_zone: str = "UTC",
) -> go.Figure:
    """Contacts reaching agents per hour, the workload they make, and each plan's agents on duty.

    Workload [agents] = contacts offered to agents per hour × mean handle time [h] ÷ concurrency:
    the agents kept busy on average. Where a plan's agents fall below it, contacts queue. The two
    y axes share one scale, so each demand bar reaches the workload line.
    """
    tl = result.timeline
    ch = result.scenario.channels[channel]
    first_plan = next(iter(result.plans))
    occ = hour_of_week_occurrences(tl.start_utc, tl.warmup_s, tl.horizon_s)
    mine = hourly[(hourly["plan"] == first_plan) & (hourly["channel"] == channel)]
    per_how = mine.groupby("hour_of_week")[["offered", "deflected"]].sum()
    demand = pd.DataFrame({"hour_of_week": np.arange(HOURS_PER_WEEK)})
    to_agents = (per_how["offered"] - per_how["deflected"]).reindex(range(HOURS_PER_WEEK))
    demand["per_hour"] = to_agents.fillna(0.0).to_numpy() / np.maximum(occ, 1)
    demand = _localize(demand[occ > 0], result, time_zone).groupby("local_how").mean()
    workload = demand["per_hour"] * ch.handle_time.expected_s / SECONDS_PER_HOUR / ch.concurrency
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=demand.index,
            y=demand["per_hour"],
            name="contacts to agents [per hour]",
            marker_color="rgba(150,150,150,0.45)",
        ),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=demand.index,
            y=workload,
            name="workload [agents busy]",
            mode="lines",
            line={"color": "black", "dash": "dash"},
        ),
        secondary_y=False,
    )
    mine_agents = _localize(agents[agents["channel"] == channel], result, time_zone)
    top = 1.1 * max(
        1.0, float(np.nanmax(workload, initial=0.0)), float(mine_agents["agents_on_duty"].max())
    )
    for i, plan in enumerate(result.plans):
        line = mine_agents[mine_agents["plan"] == plan].groupby("local_how")["agents_on_duty"]
        line = line.mean()
        fig.add_trace(
            go.Scatter(
                x=line.index,
                y=line.to_numpy(),
                name=f"{plan}: agents on duty",
                mode="lines",
                line={"shape": "hv", "color": PLAN_COLORS[i % 6]},
            ),
            secondary_y=False,
        )
    values, labels = _week_ticks()
    fig.update_xaxes(
        title_text=f"hour of week ({_zone_label(time_zone)})",
        tickvals=values,
        ticktext=labels,
        range=[-0.5, HOURS_PER_WEEK - 0.5],
    )
    fig.update_yaxes(
        title_text="agents on duty after shrinkage [agents]", secondary_y=False, range=[0, top]
    )
    # both axes on one scale: a bar's top meets the workload line it makes
    contacts_per_agent_hour = SECONDS_PER_HOUR * ch.concurrency / ch.handle_time.expected_s
    fig.update_yaxes(
        title_text="contacts to agents [contacts/h]",
        secondary_y=True,
        range=[0, top * contacts_per_agent_hour],
        showgrid=False,
    )
    fig.update_layout(
        title=f"Demand vs agents on duty — {channel}",
        height=420,
        legend={"orientation": "h", "y": -0.25},
        bargap=0,
    )
    return fig


# ---------------------------------------------------------------------------------------------
# cost


def cost_breakdown_figure(components: pd.DataFrame, currency: str) -> go.Figure:
    """Stacked bars per plan: labor by site, premiums, automation, seats [currency/month]."""
    fig = go.Figure()
    for component, part in components.groupby("component", sort=False):
        fig.add_trace(
            go.Bar(
                x=part["plan"],
                y=part["per_month"],
                name=str(component),
                hovertemplate="%{x}<br>%{y:,.0f} " + currency + "/month",
            )
        )
    fig.update_layout(barmode="stack", title="Cost breakdown per month", height=400)
    fig.update_xaxes(title_text="plan")
    fig.update_yaxes(title_text=f"cost [{currency}/month]")
    return fig


def cost_vs_service_figure(result: RunResult) -> go.Figure:
    """Per channel: each plan's cost per month vs its service level, with 95% intervals."""
    sc = result.scenario
    channels = list(sc.channels)
    n_cols = min(2, len(channels))
    n_rows = -(-len(channels) // n_cols)
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        subplot_titles=channels,
        shared_yaxes="all",
        horizontal_spacing=0.08,
        vertical_spacing=0.25 if n_rows > 1 else 0.1,
    )
    for i, (pname, plan) in enumerate(result.plans.items()):
        month = plan.cost_per_replication["per_month"]
        m_ci = ci_bounds(month) or [month.mean()] * 2
        for j, cname in enumerate(channels):
            sl = plan.channels[cname].service_level
            if sl is None:
                continue
            s_ci = plan.channels[cname].ci95.service_level or [sl, sl]
            fig.add_trace(
                go.Scatter(
                    x=[plan.cost.per_month],
                    y=[100 * sl],
                    mode="markers",
                    name=pname,
                    legendgroup=pname,
                    showlegend=j == 0,
                    marker={"size": 12, "color": PLAN_COLORS[i % 6]},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": [m_ci[1] - plan.cost.per_month],
                        "arrayminus": [plan.cost.per_month - m_ci[0]],
                    },
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": [100 * (s_ci[1] - sl)],
                        "arrayminus": [100 * (sl - s_ci[0])],
                    },
                    hovertemplate=f"{pname}<br>%{{x:,.0f}} {sc.currency}/month<br>"
                    "service level %{y:.1f}%<extra>" + cname + "</extra>",
                ),
                row=j // n_cols + 1,
                col=j % n_cols + 1,
            )
    for j, cname in enumerate(channels):
        where = {"row": j // n_cols + 1, "col": j % n_cols + 1}
        fig.add_hline(
            y=100 * sc.channels[cname].target.share, line_dash="dot", line_color="gray", **where
        )
        fig.update_xaxes(title_text=f"cost [{sc.currency}/month]", nticks=4, **where)
        if where["col"] == 1:
            fig.update_yaxes(title_text="service level [%]", **where)
    fig.update_layout(
        title="Cost vs service level (plan total cost; 95% intervals; dotted: target)",
        height=170 + 230 * n_rows,
    )
    return fig


# ---------------------------------------------------------------------------------------------
# chance of missing the target


def p_miss_figure(result: RunResult) -> go.Figure:
    """Per channel and plan: share of replications whose service level misses the target [%]."""
    sc = result.scenario
    labels = [
        f"{c} ({format_target(ch.target.answer_within_s, ch.target.share)})"
        for c, ch in sc.channels.items()
    ]
    fig = go.Figure()
    for i, (pname, plan) in enumerate(result.plans.items()):
        values = [pct(plan.channels[c].p_miss_target) for c in sc.channels]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=values,
                name=pname,
                marker_color=PLAN_COLORS[i % 6],
                text=["—" if v is None else f"{v:.0f}%" for v in values],
                textposition="outside",
                hovertemplate="%{x}<br>%{y:.0f}% of replications<extra>" + pname + "</extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        height=380,
        title=f"Chance of missing each channel's target ({result.replications} replications)",
    )
    fig.update_xaxes(title_text="channel (target)")
    fig.update_yaxes(title_text="replications missing the target [%]", range=[0, 100])
    return fig

"""What the app's pages show beyond the charts: verdict cards, sustainability, crew groups,
language and segment views, cost by premium type — as plain data, formatted for people.

The pages only draw these (docs/app.md); the figures come from the same library functions the
CLI prints (`coverage.results.verdict`, `.sustainability`, `.explain`, `.report`), formatted by
`coverage.formatting`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from coverage.calendar import utc_hour_of_week
from coverage.formatting import format_duration_s, format_money, format_share
from coverage.results.breakdowns import breakdown_table, language_gaps_table, uncovered_hours
from coverage.results.verdict import channel_verdicts
from coverage.simulation.replications import RunResult
from coverage.simulation.roster import Roster
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR, SECONDS_PER_MINUTE

# one colour per cost component, the same on every page and for every plan
COST_COLORS = {
    "labor": "#4c78a8",
    "night premium": "#1f3b73",
    "weekend premium": "#f58518",
    "holiday premium": "#e45756",
    "overtime premium": "#b279a2",
    "premiums": "#9d755d",
    "automation": "#54a24b",
    "seats": "#bab0ac",
}
VERDICT_COLORS = {"meets": "green", "borderline": "orange", "misses": "red", "no contacts": "gray"}


def window_start_utc(result: RunResult) -> dt.datetime:
    """The first instant of the measured window (after burn-in weeks and warm-up), in UTC."""
    return result.timeline.start_utc + dt.timedelta(seconds=result.timeline.warmup_s)


def burn_in_note(result: RunResult) -> str:
    """ " after 1 burn-in week" when the run had burn-in weeks (docs/steady-state.md), else ""."""
    weeks = result.scenario.burn_in_weeks
    return f" after {weeks} burn-in week{'s' if weeks > 1 else ''}" if weeks else ""


@dataclass(frozen=True)
class Card:
    """One channel's verdict for one plan, ready to draw."""

    channel: str
    value: str  # "94.6%"
    status: str  # meets | borderline | misses | no contacts
    detail: str  # "target 80% within 20 s · 95% CI 92.6%–96.6%"

    @property
    def color(self) -> str:
        """Streamlit colour name for the status."""
        return VERDICT_COLORS[self.status]


def verdict_cards(result: RunResult, plan: str) -> list[Card]:
    """The plan's channels against their targets, in scenario order."""
    cards = []
    for v in channel_verdicts(result, plan):
        status = v.word if not (v.meets and v.borderline) else "borderline"
        if v.meets is False and v.borderline:
            status = "misses"
        ci = ""
        if v.interval is not None:
            lo, hi = max(v.interval[0], 0.0), min(v.interval[1], 1.0)
            ci = f" · 95% CI {format_share(lo)}–{format_share(hi)}"
        level = v.service_level
        value = "100%" if level is not None and level >= 0.9995 else format_share(level)
        cards.append(Card(v.channel, value, status, f"target {v.target}{ci}"))
    return cards


def crew_group_table(result: RunResult) -> pd.DataFrame:
    """Per plan and crew group: load against available time (the crew-group occupancy), backlog
    and the sustainability flag; hours and ratios formatted for people."""
    rows = []
    for pname, plan in result.plans.items():
        for e in plan.sustainability:
            rows.append(
                {
                    "plan": pname,
                    "channels": "/".join(e.channels),
                    "sites": e.site,
                    "workload": f"{e.workload_hours:,.0f} h",
                    "available": f"{e.available_hours:,.0f} h",
                    "load ÷ available": "—" if e.ratio is None else f"{e.ratio:.2f}×",
                    "backlog start → end": f"{e.backlog_start:,.0f} → {e.backlog_end:,.0f}",
                    "sustainable": "yes" if e.sustainable else "NO",
                }
            )
    return pd.DataFrame(rows)


def breakdown_view(result: RunResult, by: str) -> pd.DataFrame:
    """Service by language or segment, all channels together: one row per plan × label."""
    table = breakdown_table(result, by)
    table = table[table["channel"] == "all"]
    return pd.DataFrame(
        {
            "plan": table["plan"],
            by: table[by],
            "offered / replication": table["offered"].round(1),
            "service level": [format_share(v) for v in table["service_level"]],
            "abandoned": [format_share(v) for v in table["abandon_rate"]],
            "mean first response": [format_duration_s(v) for v in table["asa_s"]],
        }
    )


def language_gap_view(result: RunResult) -> pd.DataFrame:
    """Per plan and language: hours of the window with demand but no speaker on duty."""
    gaps = language_gaps_table(result)
    if gaps.empty:
        return pd.DataFrame(columns=["plan", "language", "hours without a speaker"])
    rows = [
        {
            "plan": plan,
            "language": language,
            "hours without a speaker": round(uncovered_hours(gaps, plan, language), 1),
        }
        for plan in result.plans
        for language in sorted(set(gaps["language"]))
    ]
    return pd.DataFrame(rows)


def crew_group_names(result: RunResult) -> list[str]:
    """Distinct channel sets of the crew groups over all plans ("email/social"), in order."""
    names: list[str] = []
    for plan in result.plans.values():
        for e in plan.sustainability:
            name = "/".join(e.channels)
            if name not in names:
                names.append(name)
    return names


def crew_load_figure(result: RunResult, group: str) -> go.Figure:
    """The full load of every channel a crew group serves, stacked per channel, against the
    agents on duty of the crews serving those channels in each plan (UTC hour of week).

    Load [agents busy] = contacts to agents per hour × mean handle time [h] ÷ concurrency, per
    channel, averaged over the weeks of the window; agents = mean available agents (after
    shrinkage) serving any of the group's channels.
    """
    sc = result.scenario
    names = group.split("/")
    tl = result.timeline
    minutes = np.arange(tl.warmup_s, tl.horizon_s, SECONDS_PER_MINUTE) + SECONDS_PER_MINUTE / 2
    how = utc_hour_of_week(minutes, tl.start_utc)
    weeks = np.bincount(how, minlength=168) / 60.0  # hours of the window on each hour of week
    fig = go.Figure()
    first = next(iter(result.plans.values()))
    for name in names:
        c = list(sc.channels).index(name)
        ch = sc.channels[name]
        h = first.hourly[first.hourly["channel"] == c]
        per_how = (
            h.groupby("hour_of_week")["offered"].sum()
            - h.groupby("hour_of_week")["deflected"].sum()
        )
        per_how = per_how.reindex(range(168), fill_value=0.0) / result.replications
        per_hour = per_how.to_numpy() / np.maximum(weeks, 1e-9)
        load = per_hour * ch.handle_time.expected_s / SECONDS_PER_HOUR / ch.concurrency
        fig.add_trace(go.Bar(x=list(range(168)), y=load, name=f"{name} load [agents busy]"))
    idx = [list(sc.channels).index(n) for n in names]
    for i, pname in enumerate(result.plans):
        roster = result.rosters[pname]
        if not roster.n_agents:
            continue
        serving = np.asarray(roster.agent_channels[:, idx].any(axis=1), dtype=bool)
        on = _on_duty(roster, serving, minutes)
        line = pd.Series(on).groupby(how).mean().reindex(range(168))
        fig.add_trace(
            go.Scatter(
                x=list(range(168)),
                y=line.to_numpy(),
                name=f"{pname}: agents on duty",
                mode="lines",
                line={"shape": "hv", "color": _PLAN_LINE[i % len(_PLAN_LINE)]},
            )
        )
    fig.update_layout(
        barmode="stack",
        bargap=0,
        title=f"Load of every channel the {group} crews serve vs their agents on duty (UTC)",
        height=420,
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_xaxes(
        title_text="hour of week (UTC)",
        tickvals=list(range(0, 168, 24)),
        ticktext=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    )
    fig.update_yaxes(title_text="agents [busy or on duty]")
    return fig


_PLAN_LINE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def _on_duty(roster: Roster, agents: np.ndarray, at_s: np.ndarray) -> np.ndarray:
    keep = agents[roster.window_agent]
    starts = np.sort(roster.window_start_s[keep])
    ends = np.sort(roster.window_end_s[keep])
    return np.searchsorted(starts, at_s, side="right") - np.searchsorted(ends, at_s, side="right")


# ---------------------------------------------------------------------------------------------
# cost by premium type, with one colour per component

COST_PARTS = (
    ("labor", "labor"),
    ("night premium", "night_premium"),
    ("weekend premium", "weekend_premium"),
    ("holiday premium", "holiday_premium"),
    ("overtime premium", "overtime_premium"),
)


def cost_parts(result: RunResult) -> pd.DataFrame:
    """Per plan and component (labor, each premium type, automation, seats) [currency/month]."""
    to_month = HOURS_PER_MONTH / (result.timeline.window_s / SECONDS_PER_HOUR)
    rows = []
    for pname, plan in result.plans.items():
        sites = plan.cost.by_site.values()
        for label, key in COST_PARTS:
            value = sum(getattr(site, key) for site in sites)
            rows.append({"plan": pname, "component": label, "per_month": value * to_month})
        for key in ("automation", "seats"):
            value = getattr(plan.cost, key) * to_month
            rows.append({"plan": pname, "component": key, "per_month": value})
    return pd.DataFrame(rows)


def cost_type_table(result: RunResult) -> pd.DataFrame:
    """Cost a month split by component and premium type: one row per component, one column per
    plan (transposed, so it fits the page however many components there are), money for people."""
    cur = result.scenario.currency
    parts = cost_parts(result)
    components = list(dict.fromkeys(parts["component"]))
    columns: dict[str, list[str]] = {"component": [*components, "total a month", "per contact"]}
    for pname, plan in result.plans.items():
        mine = parts[parts["plan"] == pname].set_index("component")["per_month"]
        columns[pname] = [
            *(format_money(float(mine[c]), cur) for c in components),
            format_money(plan.cost.per_month, cur),
            format_money(plan.cost.per_contact, cur, cents=True),
        ]
    return pd.DataFrame(columns)


def cost_parts_figure(result: RunResult) -> go.Figure:
    """Stacked bars per plan, one fixed colour per component on every page [currency/month]."""
    cur = result.scenario.currency
    parts = cost_parts(result)
    fig = go.Figure()
    for component, part in parts.groupby("component", sort=False):
        fig.add_trace(
            go.Bar(
                x=part["plan"],
                y=part["per_month"],
                name=str(component),
                marker_color=COST_COLORS[str(component)],
                hovertemplate="%{x}<br>%{y:,.0f} " + cur + " a month",
            )
        )
    fig.update_layout(barmode="stack", title="Cost a month by component", height=400)
    fig.update_yaxes(title_text=f"{cur} a month", tickformat=",.0f")
    return fig

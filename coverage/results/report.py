"""Report: a run's results as the JSON contract, flat tables and a plan-comparison table."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from coverage.calendar import utc_hour_of_week
from coverage.formatting import (
    format_count,
    format_duration_s,
    format_hours,
    format_money,
    format_money_delta,
    format_points,
    format_share,
    format_target,
)
from coverage.results.breakdowns import breakdown_table, language_gaps_table, uncovered_hours
from coverage.results.explain import explanation_lines
from coverage.results.figures import (
    COUNT_FIELDS,
    ChannelFigures,
    PlanCost,
    channel_row,
    cost_row,
    labelled_fields,
    to_dict,
)
from coverage.results.hourly import HOURS_PER_WEEK
from coverage.results.metrics import (
    breakdown_labels,
)
from coverage.results.verdict import verdict_lines
from coverage.simulation.replications import RunResult
from coverage.simulation.roster import agents_on_duty
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR, SECONDS_PER_MINUTE


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def result_dict(result: RunResult, *, timing: bool = False) -> dict[str, Any]:
    """The JSON result contract (see docs/results.md), as plain data.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    timing : bool
        Add ``timing`` (draw_s, simulate_s, metrics_s, total_s [s]); absent otherwise, so a seed
        gives identical data.

    Returns
    -------
    dict
        scenario, replications, seed and per plan the channel figures, cost and occupancy in the
        field order of `coverage.results.figures`; NaN and infinities as None.
    """
    out: dict[str, Any] = {
        "scenario": result.scenario.name,
        "replications": result.replications,
        "seed": result.seed,
        "plans": {
            name: {
                "channels": {c: to_dict(fig) for c, fig in plan.channels.items()},
                "cost": to_dict(plan.cost),
                "occupancy": plan.occupancy,
                "sustainability": [to_dict(group) for group in plan.sustainability],
            }
            for name, plan in result.plans.items()
        },
    }
    if timing:
        out["timing"] = {k: round(v, 4) for k, v in result.timing.items()}
    return _clean(out)


def result_json(result: RunResult, *, timing: bool = False) -> str:
    """The JSON result as text: a seed gives byte-identical text (without timing).

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    timing : bool
        Add the timing block.

    Returns
    -------
    str
        `result_dict` as JSON, indented by 2.
    """
    return json.dumps(result_dict(result, timing=timing), indent=2, allow_nan=False)


def channels_table(result: RunResult) -> pd.DataFrame:
    """One row per plan × channel with the JSON fields (``channels.csv``).

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    pandas.DataFrame
        plan, channel, then `ChannelFigures` fields (ci95 as ``*_ci95_lo`` / ``*_ci95_hi``).
    """
    rows = [
        {"plan": pname, "channel": cname, **channel_row(fig)}
        for pname, plan in result.plans.items()
        for cname, fig in plan.channels.items()
    ]
    return pd.DataFrame(rows)


def costs_table(result: RunResult) -> pd.DataFrame:
    """Costs for finance: per plan, one row per site and a row "all sites" with the plan's totals.

    Columns: plan, site, currency, the `PlanCost` fields (a site's ``total`` = labor + premiums +
    seats, bots being plan-wide; ``automation`` and ``per_contact`` only on the plan's row), then
    the `SiteCost` fields the plan's row lacks (overtime_hours, peak_agents; site rows only).

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    pandas.DataFrame
        Money in the scenario's currency over the measured window (means over replications),
        ``per_month`` × 730.5 / window hours [currency/month]; hours [h].
    """
    to_month = HOURS_PER_MONTH / (result.timeline.window_s / SECONDS_PER_HOUR)
    plan_columns = list(cost_row(next(iter(result.plans.values())).cost))
    rows = []
    for pname, plan in result.plans.items():
        for site, fig in plan.cost.by_site.items():
            site_total = fig.labor + fig.premiums + fig.seats  # bots are plan-wide
            rows.append(
                {
                    "plan": pname,
                    "site": site,
                    **dict.fromkeys(plan_columns),
                    "total": site_total,
                    "per_month": site_total * to_month,
                    **to_dict(fig),
                }
            )
        rows.append({"plan": pname, "site": "all sites", **cost_row(plan.cost)})
    frame = pd.DataFrame(rows)
    frame.insert(2, "currency", result.scenario.currency)
    return frame


def agents_by_hour_of_week(result: RunResult, plan: str) -> pd.DataFrame:
    """Mean available agents (after shrinkage) per channel and UTC hour of week in the window.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    plan : str
        The plan.

    Returns
    -------
    pandas.DataFrame
        hour_of_week (Monday 00:00 UTC = 0), agents_on_duty [agents, mean over the hour's
        minutes], channel.
    """
    tl = result.timeline
    minutes = np.arange(tl.warmup_s, tl.horizon_s, SECONDS_PER_MINUTE) + SECONDS_PER_MINUTE / 2
    how = utc_hour_of_week(minutes, tl.start_utc)
    roster = result.rosters[plan]
    minutes_in_hour = np.bincount(how, minlength=HOURS_PER_WEEK)
    hours = np.flatnonzero(minutes_in_hour).astype(how.dtype)  # the window's, ascending
    frames = []
    for c, name in enumerate(result.scenario.channels):
        on = agents_on_duty(roster, minutes, channel=c)
        # mean over the hour's minutes (whole counts: the float sums are exact)
        agent_minutes = np.bincount(how, weights=on, minlength=HOURS_PER_WEEK)
        frames.append(
            pd.DataFrame(
                {
                    "hour_of_week": hours,
                    "agents_on_duty": agent_minutes[hours] / minutes_in_hour[hours],
                    "channel": name,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# hourly.csv (docs/results.md): unfinished contacts are followed per channel only
HOURLY_COLUMNS = [
    "plan",
    "channel",
    "region",
    "hour_of_week",
    *(name for name in COUNT_FIELDS if name != "unfinished"),
    "service_level",
    "asa_s",
    "agents_on_duty",
    "hours_in_window",
    "plan_staff_cost",
]


def hourly_table(result: RunResult) -> pd.DataFrame:
    """Per plan, channel, region and UTC hour of week (``hourly.csv``): a row for every hour of the
    week that the measured window contains, hours without demand included (counts 0, rates empty).

    Aggregation over weeks: counts are means per replication summed over every occurrence of
    that hour of the week in the window (`hours_in_window` of them, e.g. 2 in a two-week window);
    service_level and asa_s pool those occurrences; agents_on_duty is the mean available agents
    serving the channel over them; plan_staff_cost is the plan's rostered staff cost (labor and
    premiums, all sites, overtime and seats left out) in those hours — a plan-wide figure repeated
    on each channel and region row of the hour, so sum it over the hours of one channel and region,
    never over all rows.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    pandas.DataFrame
        Columns ``HOURLY_COLUMNS``: counts [contacts per replication], service_level [0–1], asa_s
        [s], agents_on_duty [agents], hours_in_window [h], plan_staff_cost [currency].
    """
    from coverage.results.costs import staff_cost_by_hour_of_week

    sc = result.scenario
    channels = list(sc.channels)
    regions = list(sc.regions)
    n = result.replications
    tl = result.timeline
    minutes = np.arange(tl.warmup_s, tl.horizon_s, SECONDS_PER_MINUTE) + SECONDS_PER_MINUTE / 2
    in_window = np.bincount(utc_hour_of_week(minutes, tl.start_utc), minlength=168) / 60.0
    hours = np.flatnonzero(in_window > 0)
    # every (channel, region, hour of the window), channel slowest: the rows of each plan
    c_row, r_row, how_row = (
        a.ravel()
        for a in np.meshgrid(range(len(channels)), range(len(regions)), hours, indexing="ij")
    )
    group_row = (c_row * len(regions) + r_row) * HOURS_PER_WEEK + how_row
    counts = [*COUNT_FIELDS, "wait_answered_s"]
    frames = []
    for pname, plan in result.plans.items():
        # the summed counts of each row, 0 where no contact came (hours without demand)
        h = plan.hourly
        group = (
            h["channel"].to_numpy() * len(regions) + h["region"].to_numpy()
        ) * HOURS_PER_WEEK + h["hour_of_week"].to_numpy()
        dense = {
            key: np.zeros(len(channels) * len(regions) * HOURS_PER_WEEK, h[key].dtype)
            for key in counts
        }
        for key in counts:
            dense[key][group] = h[key].to_numpy()
        col = {key: dense[key][group_row] for key in counts}
        base = col["offered"] - col["deflected"] - col["short_abandoned"]
        service_level = np.where(
            base > 0, col["answered_within_target"] / np.maximum(base, 1), np.nan
        )
        asa_s = np.where(
            col["answered"] > 0, col["wait_answered_s"] / np.maximum(col["answered"], 1), np.nan
        )
        agents = agents_by_hour_of_week(result, pname)
        on_duty = np.full((len(channels), HOURS_PER_WEEK), np.nan)
        on_duty[
            [channels.index(c) for c in agents["channel"]], agents["hour_of_week"].to_numpy()
        ] = agents["agents_on_duty"].to_numpy()
        cost = staff_cost_by_hour_of_week(sc.plans[pname], result.rosters[pname], tl)
        frame = {
            "plan": pname,
            "channel": [channels[i] for i in c_row],
            "region": [regions[i] for i in r_row],
            "hour_of_week": how_row,
            **{key: col[key] / n for key in COUNT_FIELDS if key != "unfinished"},
            "service_level": service_level,
            "asa_s": asa_s,
            "agents_on_duty": on_duty[c_row, how_row],
            "hours_in_window": in_window[how_row],
            "plan_staff_cost": cost[how_row],
        }
        frames.append(pd.DataFrame(frame, columns=HOURLY_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "pct":
        return format_share(value)
    if kind == "pp":
        return format_points(value)
    if kind == "s":
        return format_duration_s(value)
    if kind == "ds":
        return ("+" if value >= 0 else "") + format_duration_s(value)
    if kind == "dn":
        return f"{value:+,.0f}"
    return format_count(value)


def comparison_text(result: RunResult) -> str:
    """A plain-text comparison of the plans, channel by channel, then costs.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    str
        What ``coverage-sim run`` prints: the labelled `ChannelFigures` and `PlanCost` fields per
        plan, and with two plans their difference.
    """
    sc = result.scenario
    burn_in = sc.burn_in_weeks
    lines = [
        f"{sc.name}: {result.replications} replications, seed {result.seed}, "
        f"{format_duration_s(result.timeline.window_s)} measured"
        + (f" after {burn_in} burn-in week(s)" if burn_in else "")
        + f", engine {result.engine}",
        "",
        *verdict_lines(result),
        *explanation_lines(result),
    ]
    plans = list(result.plans)
    width = max(14, *(len(p) + 2 for p in plans))
    delta = len(plans) == 2  # a second-minus-first column when two plans are compared
    header = f"{'':<24}" + "".join(f"{p:>{width}}" for p in plans)
    if delta:
        header += f"{'difference':>{width}}"
    for cname, channel in sc.channels.items():
        lines += [
            "",
            f"{cname} (target "
            f"{format_target(channel.target.answer_within_s, channel.target.share)})",
            header,
        ]
        for key, label, kind in labelled_fields(ChannelFigures):
            raw = [getattr(result.plans[p].channels[cname], key) for p in plans]
            vals = [_fmt(v, kind) for v in raw]
            if delta:
                both = None if None in raw else raw[1] - raw[0]
                vals.append(_fmt(both, {"pct": "pp", "s": "ds"}.get(kind, "dn")))
            lines.append(f"  {label:<22}" + "".join(f"{v:>{width}}" for v in vals))
    lines += breakdown_lines(result, header, width, delta)
    lines += ["", f"cost ({sc.currency}, measured window; per month × 730.5 h / window)", header]
    for key, label, _ in labelled_fields(PlanCost):
        raw = [getattr(result.plans[p].cost, key) for p in plans]
        if delta:
            raw.append(None if None in raw else raw[1] - raw[0])
        vals = []
        for i, v in enumerate(raw):
            if key == "paid_hours":
                vals.append(
                    ("+" if i == len(plans) and v is not None and v >= 0 else "") + format_hours(v)
                )
            elif i == len(plans):
                vals.append(format_money_delta(v, sc.currency, cents=key == "per_contact"))
            else:
                vals.append(format_money(v, sc.currency, cents=key == "per_contact"))
        lines.append(f"  {label:<22}" + "".join(f"{v:>{width}}" for v in vals))
    lines += sustainability_lines(result)
    return "\n".join(lines)


def sustainability_lines(result: RunResult) -> list[str]:
    """Per plan and crew group: workload against available time and the backlog trend.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    list of str
        Lines of the comparison text: workload and available hours [h], their ratio, and the
        backlog at the start and end of the window [contacts].
    """
    out = ["", "sustainability (crew groups: shifts sharing a channel, pooled across sites)"]
    for pname, plan in result.plans.items():
        for e in plan.sustainability:
            ratio = "—" if e.ratio is None else f"{e.ratio:.2f}×"
            flag = "ok" if e.sustainable else "NOT SUSTAINABLE"
            out.append(
                f"  {pname}: {'/'.join(e.channels)} at {e.site}: workload "
                f"{format_hours(e.workload_hours)} / available "
                f"{format_hours(e.available_hours)} = {ratio}; "
                f"backlog {format_count(e.backlog_start)} → "
                f"{format_count(e.backlog_end)}  {flag}"
            )
    return out


# --- breakdowns by language, segment and region ----------------------------------------------


def breakdown_lines(result: RunResult, header: str, width: int, delta: bool) -> list[str]:
    """The comparison text's sections by language and by segment (all channels together).

    Shown only when the scenario has two or more languages, or segments; the language section
    ends with `uncovered_hours`.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    header : str
        The table header line (plan names).
    width : int
        Column width [characters].
    delta : bool
        Add the second-minus-first column (exactly two plans).

    Returns
    -------
    list of str
        Lines of text.
    """
    sc = result.scenario
    plans = list(result.plans)
    labels = breakdown_labels(sc)
    out: list[str] = []
    for by in ("language", "segment"):
        named = [v for i, v in labels.get(by, {}).items() if i >= 0]
        if (by == "language" and len(named) < 2) or not named:
            continue
        table = breakdown_table(result, by)
        table = table[table["channel"] == "all"].set_index(["plan", by])
        gaps = language_gaps_table(result) if by == "language" else None
        out += ["", f"by {by} (all channels)", header]
        for label in [*named, "-"]:
            if not any((p, label) in table.index for p in plans):
                continue
            out.append(f"  {label}" if label != "-" else f"  (no {by})")
            rows = [
                ("offered / replication", "offered", "n"),
                ("service level", "service_level", "pct"),
                ("abandon rate", "abandon_rate", "pct"),
                ("ASA", "asa_s", "s"),
            ]
            for text, key, kind in rows:
                raw = [
                    table.loc[(p, label), key] if (p, label) in table.index else None for p in plans
                ]
                raw = [None if v is None or pd.isna(v) else float(v) for v in raw]
                vals = [_fmt(v, kind) for v in raw]
                if delta:  # exactly two plans
                    first, second = raw[0], raw[1]
                    both = None if first is None or second is None else second - first
                    vals.append(_fmt(both, {"pct": "pp", "s": "ds"}.get(kind, "dn")))
                out.append(f"    {text:<20}" + "".join(f"{v:>{width}}" for v in vals))
            if gaps is not None and label != "-":
                hours = [uncovered_hours(gaps, p, label) for p in plans]
                vals = [f"{v:,.1f}" for v in hours]
                if delta:
                    vals.append(f"{hours[1] - hours[0]:+,.1f}")
                out.append(f"    {'hours uncovered':<20}" + "".join(f"{v:>{width}}" for v in vals))
    return out

"""Sweep results as tables and a report: which variants meet every target, and at what cost.

`summary_rows` flattens one variant's JSON result into one row per plan × channel (the JSON
contract's fields, ``ci95`` as ``*_ci95_lo``/``*_ci95_hi`` as in
:func:`coverage.results.figures.channel_row`, the plan's ``cost.*`` as ``cost_*``). A (variant,
plan)
**meets its targets** when every channel's service level is at least the channel's target share;
a channel without eligible contacts (service level null) cannot miss. The best variants of a plan
are those that meet their targets, cheapest per month first; when none does, the closest ones
(largest worst-channel margin, service level minus target share) are shown instead.

**Distinct configurations.** A plan's ranking counts each of its configurations once: variants
that differ only in another plan's settings (override paths under ``plans.<other plan>.``) give
that plan the same result, so only the first is ranked and ``identical`` says how many more it
stands for. A variant is **named by its settings** (``name``: the overrides that matter for the
plan, shortened — ``austin.shifts[7].agents=12, automation.chat.deflection=0.15``), not only by
its hash; a setting a variant does not override is left out of its name and shows as an empty cell,
never ``<NA>``.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from coverage.formatting import format_money, format_share, format_target
from coverage.results.figures import channel_figures_from_dict, channel_row

ID_COLUMNS = ("variant", "source", "scenario", "currency", "seed", "replications")


def summary_rows(meta: Mapping[str, Any], result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per plan × channel of a variant's JSON result.

    `meta` holds the variant's ``variant``, ``source``, ``scenario``, ``currency``, ``seed``,
    ``replications``, ``overrides`` (field path → value) and ``targets`` (channel →
    (answer_within_s, share)).
    """
    rows = []
    for plan_name, plan in result["plans"].items():
        cost = {f"cost_{k}": v for k, v in plan["cost"].items() if k != "by_site"}
        for channel, figures in plan["channels"].items():
            within_s, share = meta["targets"][channel]
            rows.append(
                {
                    **{k: meta[k] for k in ID_COLUMNS},
                    "overrides": meta["overrides"],
                    "plan": plan_name,
                    "channel": channel,
                    "target_answer_within_s": within_s,
                    "target_share": share,
                    **channel_row(channel_figures_from_dict(figures)),
                    "plan_occupancy": plan["occupancy"],
                    **cost,
                }
            )
    return rows


def _override_column(values: list[Any]) -> pd.Series:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="Int64")
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.Series(
        [v if v is None or isinstance(v, str) else json.dumps(v, sort_keys=True) for v in values],
        dtype=object,
    )


def summary_frame(rows: list[dict[str, Any]], override_paths: Sequence[str]) -> pd.DataFrame:
    """The summary table: id columns, one column per override path, then plan × channel data.

    An override column holds numbers when every value is a number, else text (JSON for
    mappings and lists); a variant without that override has a null.
    An override of a field that already has a column (``currency``) is that column: it holds
    each variant's value already.
    """
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "overrides"} for r in rows])
    added = [path for path in override_paths if path not in frame.columns]
    for offset, path in enumerate(added):
        values = [r["overrides"].get(path) for r in rows]
        frame.insert(len(ID_COLUMNS) + offset, path, _override_column(values))
    return frame


def relevant_columns(plan: str, override_columns: Sequence[str]) -> list[str]:
    """The override paths that can change `plan`'s result (not another plan's settings)."""
    return [c for c in override_columns if not (c.startswith("plans.") and c.split(".")[1] != plan)]


def setting_label(path: str) -> str:
    """A short name for an override path: ``plans.P.sites.austin.shifts[7].agents`` →
    ``austin.shifts[7].agents``; ``plans.P.x`` → ``x``; other paths as they are."""
    parts = path.split(".")
    if parts[0] == "plans" and len(parts) > 2:
        rest = parts[2:]
        return ".".join(rest[1:] if rest[0] == "sites" and len(rest) > 1 else rest)
    return path


def variant_name(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    """A variant named by its settings (the given override columns it sets)."""
    parts = [f"{setting_label(c)}={row[c]}" for c in columns if c in row and not _missing(row[c])]
    return ", ".join(parts) or "(base scenario)"


def best_variants(summary: pd.DataFrame, override_columns: Sequence[str] = ()) -> pd.DataFrame:
    """One row per plan × distinct configuration, ranked within each plan.

    Columns: plan, rank, variant, name (its settings that matter for the plan), identical (other
    variants with the same configuration for this plan, not ranked again), meets_targets,
    cost_per_month, currency, worst_margin (lowest service level minus target share over
    channels [0–1]), ``sl_<channel>`` per channel, the overrides. Meeting variants come first,
    cheapest first; then the others, closest first.
    """
    order = {v: i for i, v in enumerate(dict.fromkeys(summary["variant"]))}
    channels = list(dict.fromkeys(summary["channel"]))
    records = []
    for (plan, variant), rows in summary.groupby(["plan", "variant"], sort=False):
        sl = rows["service_level"].astype("float64")
        margins = (sl - rows["target_share"].astype("float64")).dropna()
        record: dict[str, Any] = {
            "plan": plan,
            "variant": variant,
            "meets_targets": bool((margins >= 0).all()),
            "cost_per_month": float(rows["cost_per_month"].iloc[0]),
            "currency": str(rows["currency"].iloc[0]),
            "worst_margin": float(margins.min()) if len(margins) else math.nan,
        }
        by_channel = dict(zip(rows["channel"], sl, strict=True))
        record.update({f"sl_{c}": by_channel.get(c, math.nan) for c in channels})
        record.update({c: rows[c].iloc[0] for c in override_columns if c in rows})
        record["_order"] = order[variant]
        records.append(record)
    table = pd.DataFrame(records)
    table["_meets"] = ~table["meets_targets"]
    table["_cost"] = np.where(table["meets_targets"], table["cost_per_month"], 0.0)
    table["_margin"] = np.where(table["meets_targets"], 0.0, -table["worst_margin"].fillna(-1.0))
    plan_order = {p: i for i, p in enumerate(dict.fromkeys(summary["plan"]))}
    table["_plan"] = table["plan"].map(plan_order)
    # costs rank within one currency (never converted): a plan's variants priced in several
    # currencies are ranked currency by currency
    table = table.sort_values(
        ["_plan", "_meets", "currency", "_cost", "_margin", "_order"], kind="stable"
    )
    present = [c for c in override_columns if c in table.columns]
    if present:  # one row per distinct configuration of each plan
        keys = [
            tuple(
                "" if _missing(row[c]) else str(row[c])
                for c in relevant_columns(str(row["plan"]), present)
            )
            for _, row in table.iterrows()
        ]
        table["_key"] = keys
        table["identical"] = (
            table.groupby(["plan", "_key"], sort=False)["variant"].transform("size") - 1
        )
        table = table.drop_duplicates(["plan", "_key"], keep="first").drop(columns="_key")
    else:
        table["identical"] = 0
    table.insert(
        2,
        "name",
        [
            variant_name(row, relevant_columns(str(row["plan"]), present))
            for _, row in table.iterrows()
        ],
    )
    table.insert(1, "rank", table.groupby("plan", sort=False).cumcount() + 1)
    identical = table.pop("identical")
    table.insert(4, "identical", identical)
    return table.drop(columns=["_order", "_meets", "_cost", "_margin", "_plan"]).reset_index(
        drop=True
    )


def _pct(value: Any) -> str:
    return format_share(None if value is None or pd.isna(value) else float(value))


def varying_columns(summary: pd.DataFrame, override_columns: Sequence[str]) -> list[str]:
    """The override columns whose value differs between variants (all of them if none does)."""
    present = [c for c in override_columns if c in summary.columns]
    varying = [c for c in present if summary[c].astype(str).nunique() > 1]
    return varying or present


def _overrides_text(row: Mapping[str, Any], override_columns: Sequence[str]) -> str:
    parts = [f"{c}={row[c]}" for c in override_columns if c in row and not _missing(row[c])]
    return ", ".join(parts) or "(no overrides)"


def _currencies(summary: pd.DataFrame) -> tuple[str, str | None]:
    """The cost label and, when variants use different currencies, a warning line.

    Costs are never converted: with one currency the column says which; with several, each
    cost carries its own and the report says they are not comparable.
    """
    names = list(dict.fromkeys(str(c) for c in summary["currency"]))
    if len(names) == 1:
        return names[0], None
    return "mixed currencies, not converted", (
        f"costs are in {len(names)} currencies ({', '.join(names)}) and are not converted: "
        "compare costs only between variants in the same currency"
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def report_text(
    summary: pd.DataFrame, override_columns: Sequence[str] = (), *, top: int = 5
) -> str:
    """The best `top` variants of each plan as a plain-text table."""
    override_columns = varying_columns(summary, override_columns)
    best = best_variants(summary, override_columns)
    channels = list(dict.fromkeys(summary["channel"]))
    currency, mixed = _currencies(summary)
    n_variants = summary["variant"].nunique()
    lines = [
        f"{n_variants} variants × {summary['plan'].nunique()} plans; a variant meets the "
        "targets when every channel's service level is at least its target share",
    ]
    if mixed:
        lines.append(mixed)
    targets = summary.drop_duplicates("channel").set_index("channel")
    lines.append(
        "targets: "
        + ", ".join(
            f"{c} "
            + format_target(
                float(targets.loc[c, "target_answer_within_s"]),
                float(targets.loc[c, "target_share"]),
            )
            for c in channels
        )
    )
    cost_label = "cost/month" if mixed else f"cost/month ({currency})"
    header = f"  {'#':>3}  {'variant':<16}  {cost_label:>20}  {'worst margin':>12}"
    header += "".join(f"  {c[:9]:>9}" for c in channels) + "  settings"
    for plan, rows in best.groupby("plan", sort=False):
        meeting = int(rows["meets_targets"].sum())
        merged = int(rows["identical"].sum())
        if merged:
            lines += [
                "",
                f"{plan}: {len(rows)} distinct configurations ({merged} variants differ from "
                "them only in another plan's settings and are not ranked again)",
            ]
        if meeting:
            lines += ["", f"{plan}: {meeting} of {len(rows)} variants meet every target; cheapest:"]
            shown = rows[rows["meets_targets"]].head(top)
        else:
            lines += ["", f"{plan}: no variant meets every target; closest (by worst margin):"]
            shown = rows.head(top)
        lines.append(header)
        for _, row in shown.iterrows():
            margin = row["worst_margin"]
            margin_text = "—" if pd.isna(margin) else f"{100 * margin:+.1f} pts"
            cost = f"{row['cost_per_month']:,.0f}" + (f" {row['currency']}" if mixed else "")
            line = f"  {row['rank']:>3}  {row['variant']:<16}  {cost:>20}"
            line += f"  {margin_text:>12}" + "".join(
                f"  {_pct(row[f'sl_{c}']):>9}" for c in channels
            )
            lines.append(line + "  " + str(row["name"]))
    winners = best[best["meets_targets"]]
    if len(winners):
        lines.append("")
    for money, group in winners.groupby("currency", sort=False):  # never one money across two
        top_row = group.sort_values("cost_per_month", kind="stable").iloc[0]
        lines.append(
            f"cheapest meeting every target{f' in {money}' if mixed else ''}: plan "
            f"{top_row['plan']}, variant {top_row['variant']} at "
            f"{format_money(top_row['cost_per_month'], str(money))} a month ({top_row['name']})"
        )
    return "\n".join(lines)


def report_html(
    summary: pd.DataFrame, override_columns: Sequence[str] = (), *, top: int = 5, title: str = ""
) -> str:
    """A self-contained HTML page (plotly.js inline): cost vs service level of every variant."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    override_columns = varying_columns(summary, override_columns)
    best = best_variants(summary, override_columns)
    every = best_variants(summary)  # every variant (not only distinct configurations)
    meets = {(r.plan, r.variant): r.meets_targets for r in every.itertuples()}
    channels = list(dict.fromkeys(summary["channel"]))
    plans = list(dict.fromkeys(summary["plan"]))
    currency, mixed = _currencies(summary)
    titles = []
    for c in channels:
        shares = summary.loc[summary["channel"] == c, "target_share"].unique()
        titles.append(f"{c} (target {shares[0]:.0%})" if len(shares) == 1 else c)
    fig = make_subplots(rows=1, cols=len(channels), shared_yaxes=True, subplot_titles=titles)
    palette = qualitative.Plotly
    for p, plan in enumerate(plans):
        for c, channel in enumerate(channels):
            rows = summary[(summary["plan"] == plan) & (summary["channel"] == channel)]
            ok = [bool(meets[(plan, v)]) for v in rows["variant"]]
            hover = [
                html.escape(
                    f"variant {r['variant']} · plan {plan}\n{channel} service level "
                    f"{_pct(r['service_level'])} (target {r['target_share']:.0%})\n"
                    f"cost a month {format_money(r['cost_per_month'], str(r['currency']))}\n"
                    f"{_overrides_text(r, override_columns)}\n"
                    f"meets every target: {'yes' if m else 'no'}"
                ).replace("\n", "<br>")
                for (_, r), m in zip(rows.iterrows(), ok, strict=True)
            ]
            fig.add_trace(
                go.Scatter(
                    x=rows["service_level"].astype("float64").tolist(),
                    y=rows["cost_per_month"].astype("float64").tolist(),
                    mode="markers",
                    name=plan,
                    legendgroup=plan,
                    showlegend=c == 0,
                    marker={
                        "color": palette[p % len(palette)],
                        "size": 9,
                        "symbol": ["circle" if m else "x-open" for m in ok],
                    },
                    text=hover,
                    hovertemplate="%{text}<extra></extra>",
                ),
                row=1,
                col=c + 1,
            )
        for c, channel in enumerate(channels):
            shares = summary.loc[summary["channel"] == channel, "target_share"].unique()
            if len(shares) == 1 and p == 0:
                fig.add_vline(x=float(shares[0]), line_dash="dash", line_color="grey", col=c + 1)
    fig.update_xaxes(tickformat=".0%", title_text="service level")
    fig.update_yaxes(title_text=f"cost per month ({currency})", col=1)
    fig.update_layout(
        height=480,
        margin={"t": 60, "l": 70, "r": 20, "b": 60},
        legend_title_text="plan (● meets every target, ✕ misses one)",
    )
    chart = fig.to_html(full_html=False, include_plotlyjs=True, div_id="cost-vs-service")
    table = best.groupby("plan", sort=False).head(top).copy()
    table["cost_per_month"] = [
        format_money(v, c) for v, c in zip(table["cost_per_month"], table["currency"], strict=True)
    ]
    table["worst_margin"] = table["worst_margin"].map(
        lambda v: "—" if pd.isna(v) else f"{100 * v:+.1f} pts"
    )
    for col in (f"sl_{c}" for c in channels):
        table[col] = table[col].map(_pct)
    for col in override_columns:  # a setting a variant does not make is an empty cell
        if col in table:
            table[col] = [("" if _missing(v) else str(v)) for v in table[col].astype(object)]
    heading = html.escape(title or "Sweep report")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{heading}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;"
        "padding:4px 8px;text-align:right}</style></head><body>"
        f"<h1>{heading}</h1><p>Cost per month against each channel's service level, one point "
        "per variant and plan. A variant meets the targets when every channel's service level "
        "is at least its target share (dashed line).</p>"
        + (f"<p><strong>{html.escape(mixed)}</strong></p>" if mixed else "")
        + f"{chart}<h2>Best variants per plan</h2><p>Meeting every target, cheapest first; "
        f"then the closest misses.</p>{table.to_html(index=False, escape=True)}</body></html>\n"
    )

"""Tables of a run for the app: headline figures, costs and plan differences with 95% intervals,
and the Excel download.

Intervals are 95% over replications (`coverage.results.metrics.ci95`); a delta between plans is
the interval of the per-replication difference, which common random numbers make tight. Counts
are means per replication over the measured window.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from coverage.results.metrics import ci95
from coverage.simulation.replications import RunResult
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR


def ci_bounds(values: Sequence[Any] | pd.Series, scale: float = 1.0) -> list[float] | None:
    """95% interval over replications of `values` (NaN/None left out), times `scale`."""
    bounds = ci95([None if pd.isna(v) else float(v) for v in values])
    return None if bounds is None else [b * scale for b in bounds]


def fmt_interval(bounds: Sequence[float] | None, digits: int = 1) -> str:
    """An interval for display: "low – high" with `digits` decimals, or a dash."""
    return "—" if bounds is None else f"{bounds[0]:.{digits}f} – {bounds[1]:.{digits}f}"


def pct(value: Any) -> float | None:
    """A share [0–1] in percent [%] (None stays None)."""
    return None if value is None else 100.0 * value


def pct_interval(bounds: Sequence[float] | None) -> str:
    """A share's interval in % for display, clipped to 0–100 (the t interval may overshoot)."""
    return fmt_interval(None if bounds is None else [min(max(100 * b, 0.0), 100.0) for b in bounds])


def headline_table(result: RunResult) -> pd.DataFrame:
    """Per plan × channel: volumes, service level, abandonment, FRT p50/p90, P(miss target).

    Counts are means per replication over the measured window; each figure comes with its 95%
    interval over replications.
    """
    rows = []
    for pname, plan in result.plans.items():
        reps = plan.per_replication
        for cname, fig in plan.channels.items():
            r = reps[reps["channel"] == cname]
            ci = fig.ci95
            rows.append(
                {
                    "plan": pname,
                    "channel": cname,
                    "offered [contacts]": fig.offered,
                    "deflected by bot [contacts]": fig.deflected,
                    "to agents [contacts]": fig.offered - fig.deflected,
                    "service level [%]": pct(fig.service_level),
                    "service level 95% CI [%]": pct_interval(ci.service_level),
                    "abandoned [%]": pct(fig.abandon_rate),
                    "abandoned 95% CI [%]": pct_interval(ci.abandon_rate),
                    "FRT p50 [s]": fig.frt_p50_s,
                    "FRT p50 95% CI [s]": fmt_interval(ci_bounds(r["frt_p50_s"]), 0),
                    "FRT p90 [s]": fig.frt_p90_s,
                    "FRT p90 95% CI [s]": fmt_interval(ci_bounds(r["frt_p90_s"]), 0),
                    "P(miss target) [%]": pct(fig.p_miss_target),
                }
            )
    return pd.DataFrame(rows)


def cost_table(result: RunResult, baseline: str | None = None) -> pd.DataFrame:
    """Per plan: cost per month and per contact with 95% intervals, the difference from
    `baseline` (default: the first plan; paired interval), and the window's components."""
    baseline = baseline or next(iter(result.plans))
    base_month = result.plans[baseline].cost_per_replication.set_index("rep")["per_month"]
    rows = []
    for pname, plan in result.plans.items():
        per_rep = plan.cost_per_replication.set_index("rep")
        per_contact = per_rep["per_contact"]  # total / offered of each replication
        diff = per_rep["per_month"] - base_month
        c = plan.cost
        rows.append(
            {
                "plan": pname,
                "cost per month": c.per_month,
                "cost per month 95% CI": fmt_interval(ci_bounds(per_rep["per_month"]), 0),
                f"Δ per month vs {baseline}": float(diff.mean()),
                f"Δ per month vs {baseline} 95% CI": fmt_interval(ci_bounds(diff), 0),
                "cost per contact": c.per_contact,
                "cost per contact 95% CI": fmt_interval(ci_bounds(per_contact), 2),
                "labor (window)": c.labor,
                "premiums (window)": c.premiums,
                "automation (window)": c.automation,
                "seats (window)": c.seats,
                "paid hours (window) [h]": c.paid_hours,
            }
        )
    return pd.DataFrame(rows)


def delta_table(result: RunResult, baseline: str | None = None) -> pd.DataFrame:
    """Each other plan minus `baseline` (default: the first plan), per channel.

    The interval is that of the per-replication difference (paired: same random numbers).
    """
    plans = list(result.plans)
    baseline = baseline or plans[0]
    figures = (
        ("service level [pp]", "service_level", 100.0),
        ("abandoned [pp]", "abandon_rate", 100.0),
        ("FRT p50 [s]", "frt_p50_s", 1.0),
        ("FRT p90 [s]", "frt_p90_s", 1.0),
    )

    def by_channel(plan: str) -> dict[str, pd.DataFrame]:
        """The plan's per-replication rows of each channel, indexed by replication."""
        table = result.plans[plan].per_replication
        return {c: rows.set_index("rep") for c, rows in table.groupby("channel", sort=False)}

    base = by_channel(baseline)
    rows = []
    for other in plans:
        if other == baseline:
            continue
        them = by_channel(other)
        for cname in result.scenario.channels:
            row: dict[str, Any] = {"comparison": f"{other} − {baseline}", "channel": cname}
            for title, key, scale in figures:
                # aligned on the replication (paired: same random numbers)
                diff = them[cname][key].astype(float) - base[cname][key].astype(float)
                diff = diff.dropna()
                row[title] = scale * float(diff.mean()) if len(diff) else None
                row[f"{title} 95% CI"] = fmt_interval(ci_bounds(diff, scale), 1)
            rows.append(row)
    return pd.DataFrame(rows)


def agents_table(result: RunResult) -> pd.DataFrame:
    """Mean available agents per plan, channel and UTC hour of week (all 168 hours)."""
    from coverage.results.report import agents_by_hour_of_week

    frames = [agents_by_hour_of_week(result, p).assign(plan=p) for p in result.plans]
    return pd.concat(frames, ignore_index=True)


def cost_components(result: RunResult) -> pd.DataFrame:
    """Per plan and component (labor by site, premiums, automation, seats): cost per month."""
    to_month = HOURS_PER_MONTH / (result.timeline.window_s / SECONDS_PER_HOUR)
    rows = []
    for pname, plan in result.plans.items():
        for site, figures in plan.cost.by_site.items():
            rows.append(
                {
                    "plan": pname,
                    "component": f"labor: {site}",
                    "per_month": figures.labor * to_month,
                }
            )
        for key in ("premiums", "automation", "seats"):
            rows.append(
                {"plan": pname, "component": key, "per_month": getattr(plan.cost, key) * to_month}
            )
    return pd.DataFrame(rows)


def excel_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An .xlsx workbook (openpyxl) with one sheet per table; no text cell is a live formula."""
    from coverage.outputs import neutralize_formulas

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in sheets.items():
            neutralize_formulas(table).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()

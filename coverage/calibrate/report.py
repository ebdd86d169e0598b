"""A calibration as JSON-ready data, tables and the text `coverage-sim calibrate` prints."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from coverage.calibrate.fit import DistributionFit
from coverage.calibrate.run import Calibration, hour_table, summarize
from coverage.calibrate.search import figures, pooled
from coverage.scenario.model import WEEKDAYS


def plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, floats rounded to 6 decimals, nan to None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    return value


def fit_dict(fit: DistributionFit) -> dict[str, Any]:
    """A fitted duration: the chosen distribution, its quality and the candidates."""
    chosen = dict(fit.distribution) if fit.distribution else None
    if chosen and "samples_s" in chosen:
        chosen = {"dist": "empirical", "mean_s": fit.mean_s, "n_samples": len(chosen["samples_s"])}
    return {
        "chosen": chosen,
        "mean_s": fit.mean_s,
        "distance": fit.distance,
        "distance_limit": fit.threshold,
        "n": fit.n,
        "candidates": fit.candidates,
    }


def calibration_dict(cal: Calibration) -> dict[str, Any]:
    """Everything `calibrate --json` prints."""
    period = cal.period
    peak = np.unravel_index(np.nanargmax(cal.staffing), cal.staffing.shape)
    data = {
        "file": period.file,
        "channel": period.channel,
        "time_zone": period.time_zone,
        "first_date": period.first_date.isoformat(),
        "days": period.days,
        "contacts": len(period.arrival_s),
        "skipped_rows": period.skipped,
        "handle_time": fit_dict(cal.handle),
        "patience": {
            **fit_dict(cal.patience),
            "abandoned_only_mean_s": cal.naive_patience_mean_s,
            "kaplan_meier_median_s": cal.km_median_s,
            "kaplan_meier_survival": {f"{t:g}": s for t, s in cal.km_survival.items()},
        },
        "arrivals": {
            "per_day": len(period.arrival_s) / max(period.n_hours / 24, 1e-9),
            "busyness_cv": cal.busyness_cv,
        },
        "staffing": {
            "peak_agents_seen": float(cal.staffing[peak]),
            "peak_at": f"{WEEKDAYS[int(peak[0])]} {int(peak[1]):02d}:00",
            "most_in_one_hour": int(period.present_by_hour.max()),
        },
        "availability": cal.availability,
        "search": [{"availability": a, "loss": v} for a, v in cal.search],
        "target_s": cal.target_s,
        "replications": len(cal.simulated),
        "seed": cal.seed,
        "observed": figures(cal.observed, cal.target_s),
        "simulated": summarize(cal.simulated, cal.target_s),
        "by_hour": calibration_tables(cal)[0].to_dict("records"),
    }
    return plain(data)


def calibration_tables(cal: Calibration) -> tuple[pd.DataFrame, pd.DataFrame]:
    """By local hour (observed vs simulated), and staffing per weekday × hour (long)."""
    hours = hour_table(
        cal.period,
        {"observed": cal.observed, "simulated": pooled(cal.simulated)},
        cal.target_s,
    )
    staffing = pd.DataFrame(
        {
            "weekday": np.repeat(WEEKDAYS, 24),
            "local_hour": np.tile(np.arange(24), 7),
            "agents_seen": cal.staffing.ravel(),
            "available_agents": cal.staffing.ravel() * cal.availability,
            "per_hour": cal.per_hour.ravel(),
        }
    )
    return hours, staffing


def percent_text(value: Any) -> str:
    """A share as "12.3%" ("—" when None)."""
    return "—" if value is None else f"{100 * value:.1f}%"


def seconds_text(value: Any) -> str:
    """Seconds as "12.3 s" ("—" when None)."""
    return "—" if value is None else f"{value:.1f} s"


def _fit_line(fit: DistributionFit) -> str:
    d = fit.distribution
    if d is None:
        return "never abandons (no abandonment in the log)"
    if d["dist"] == "empirical":
        return f"empirical ({len(d['samples_s'])} quantiles), mean {fit.mean_s:,.0f} s"
    shape = f", sigma {d['sigma']:.2f}" if "sigma" in d else ""
    return f"{d['dist']}, mean {d['mean_s']:,.0f} s{shape}"


def _quality(fit: DistributionFit, what: str) -> str:
    others = ", ".join(f"{k} {v['distance']:.3f}" for k, v in fit.candidates.items())
    return f"{what} {fit.distance:.3f} (limit {fit.threshold:.3f}; candidates: {others})"


def calibration_text(cal: Calibration) -> str:
    """The plain text `coverage-sim calibrate` prints."""
    data = calibration_dict(cal)
    p = cal.period
    lines = [
        f"{p.file}: {p.channel}, {len(p.arrival_s):,} contacts, {p.first_date} for {p.days} "
        f"days, local time {p.time_zone}"
        + (f" ({p.skipped:,} bad rows skipped)" if p.skipped else ""),
        "",
        f"handle time    {_fit_line(cal.handle)}",
        f"               {_quality(cal.handle, 'KS distance')}",
        f"patience       {_fit_line(cal.patience)}",
    ]
    if cal.patience.distribution is not None:
        lines += [
            f"               {_quality(cal.patience, 'gap to Kaplan-Meier')}",
            f"               Kaplan-Meier median {seconds_text(cal.km_median_s)}; abandoned waits "
            f"only (ignores censoring, biased low): mean {seconds_text(cal.naive_patience_mean_s)}",
        ]
    staffing = data["staffing"]
    lines += [
        f"arrivals       {data['arrivals']['per_day']:,.1f} per day, busyness CV "
        f"{cal.busyness_cv:.3f}",
        f"staffing       up to {staffing['peak_agents_seen']:.1f} agents seen on average "
        f"({staffing['peak_at']})",
        f"availability   {cal.availability:.3f} of the agents seen are answering this queue "
        f"({len(cal.search)} simulations of {len(cal.simulated)} replications searched)",
        "",
        f"{'':<22}{'observed':>12}{'simulated':>12}   95% interval",
    ]
    obs, sim = data["observed"], data["simulated"]
    for key, label, fmt in (
        ("offered", "offered", lambda v: f"{v:,.0f}"),
        ("abandon_rate", "abandon rate", percent_text),
        ("asa_s", "ASA", seconds_text),
        ("service_level", f"service level ({cal.target_s:g} s)", percent_text),
    ):
        bounds = sim.get("interval95", {}).get(key)
        shown = f"[{fmt(bounds[0])}, {fmt(bounds[1])}]" if bounds else ""
        lines.append(f"{label:<22}{fmt(obs[key]):>12}{fmt(sim[key]):>12}   {shown}")
    lines += [
        "",
        "by local hour  offered   abandon obs   sim     ASA obs     sim   SL obs    sim",
    ]
    for row in data["by_hour"]:
        lines.append(
            f"{row['local_hour']:02d}         {row['observed_offered']:>9,}"
            f"{percent_text(row['observed_abandon_rate']):>12}{percent_text(row['simulated_abandon_rate']):>7}"
            f"{seconds_text(row['observed_asa_s']):>10}{seconds_text(row['simulated_asa_s']):>8}"
            f"{percent_text(row['observed_service_level']):>9}{percent_text(row['simulated_service_level']):>7}"
        )
    return "\n".join(lines)

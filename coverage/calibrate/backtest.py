"""The backtest: calibrate on period A, predict period B, compare with what B observed.

The prediction for B is :func:`coverage.calibrate.run.predict` on B's
:class:`~coverage.calibrate.outcomes.Period` — B's arrival instants and the agents seen working
each hour — with the model fitted on A. B's waits and outcomes (its
:class:`~coverage.calibrate.outcomes.Observed`) are used only for the `observed` column. The
`naive` column is the same prediction without calibration: availability 1, i.e. every agent seen
in an hour answers this queue all that hour (the model one would build from the log alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from coverage.calibrate.outcomes import Observed, Period
from coverage.calibrate.report import fit_dict, percent_text, plain, seconds_text
from coverage.calibrate.run import (
    RATE_FIGURES,
    Calibration,
    calibrate_period,
    hour_table,
    predict,
    summarize,
)
from coverage.calibrate.search import Model, figures, pooled


@dataclass(frozen=True)
class BacktestResult:
    """`data` is the JSON; `overall` and `by_hour` the tables `--out` writes."""

    calibration: Calibration
    data: dict[str, Any]
    overall: pd.DataFrame
    by_hour: pd.DataFrame


def _relative(value: Any, truth: Any) -> float | None:
    if value is None or not truth:
        return None
    return (value - truth) / truth


def backtest(
    period_a: Period,
    observed_a: Observed,
    period_b: Period,
    observed_b: Observed,
    *,
    seed: int,
    replications: int,
    target_s: float,
) -> BacktestResult:
    """Calibrate on A; predict B from B's period only; compare with B's observed outcomes."""
    cal = calibrate_period(
        period_a, observed_a, seed=seed, replications=replications, target_s=target_s
    )
    model = cal.model
    naive_model = Model(model.handle_time, model.patience, 1.0)
    predicted_runs = predict(period_b, model, seed=seed, replications=replications)
    naive_runs = predict(period_b, naive_model, seed=seed, replications=replications)
    observed = figures(observed_b, target_s)
    predicted = summarize(predicted_runs, target_s)
    naive = summarize(naive_runs, target_s)
    by_hour = hour_table(
        period_b,
        {
            "observed": observed_b,
            "predicted": pooled(predicted_runs),
            "naive": pooled(naive_runs),
        },
        target_s,
    )
    errors = {
        source: {key: _relative(values[key], observed[key]) for key in RATE_FIGURES}
        for source, values in (("predicted", predicted), ("naive", naive))
    }
    data = plain(
        {
            "fit": {
                "file": period_a.file,
                "first_date": period_a.first_date.isoformat(),
                "days": period_a.days,
                "contacts": len(period_a.arrival_s),
                "handle_time": fit_dict(cal.handle),
                "patience": fit_dict(cal.patience),
                "availability": cal.availability,
            },
            "check": {
                "file": period_b.file,
                "first_date": period_b.first_date.isoformat(),
                "days": period_b.days,
                "contacts": len(period_b.arrival_s),
            },
            "channel": period_b.channel,
            "time_zone": period_b.time_zone,
            "target_s": target_s,
            "replications": replications,
            "seed": seed,
            "observed": observed,
            "predicted": predicted,
            "naive": naive,
            "relative_error": errors,
            "by_hour": by_hour.to_dict("records"),
        }
    )
    overall = pd.DataFrame(
        [
            {"source": source, **{k: data[source].get(k) for k in ("offered", *RATE_FIGURES)}}
            for source in ("observed", "predicted", "naive")
        ]
    )
    return BacktestResult(cal, data, overall, by_hour)


def backtest_text(result: BacktestResult) -> str:
    """The plain text `coverage-sim backtest` prints."""
    data = result.data
    fit, check = data["fit"], data["check"]
    lines = [
        f"fit:   {fit['file']}: {fit['contacts']:,} contacts, {fit['first_date']} for "
        f"{fit['days']} days; availability {fit['availability']:.3f}",
        f"check: {check['file']}: {check['contacts']:,} contacts, {check['first_date']} for "
        f"{check['days']} days (its arrivals and agents seen only)",
        "",
        f"{'':<22}{'observed':>10}{'predicted':>11}  {'95% interval':<18}{'naive':>9}",
    ]
    for key, label, fmt in (
        ("abandon_rate", "abandon rate", percent_text),
        ("asa_s", "ASA", seconds_text),
        ("service_level", f"service level ({data['target_s']:g} s)", percent_text),
    ):
        bounds = data["predicted"]["interval95"].get(key)
        shown = f"[{fmt(bounds[0])}, {fmt(bounds[1])}]" if bounds else ""
        lines.append(
            f"{label:<22}{fmt(data['observed'][key]):>10}{fmt(data['predicted'][key]):>11}  "
            f"{shown:<18}{fmt(data['naive'][key]):>9}"
        )
    lines += ["", "relative error    predicted      naive"]
    for key in RATE_FIGURES:
        p, n = data["relative_error"]["predicted"][key], data["relative_error"]["naive"][key]
        lines.append(f"{key:<16}{percent_text(p):>11}{percent_text(n):>11}")
    lines += ["", "by local hour  offered   abandon obs  pred  naive    ASA obs   pred  naive"]
    for row in data["by_hour"]:
        lines.append(
            f"{row['local_hour']:02d}         {row['observed_offered']:>9,}"
            f"{percent_text(row['observed_abandon_rate']):>12}{percent_text(row['predicted_abandon_rate']):>7}"
            f"{percent_text(row['naive_abandon_rate']):>7}{seconds_text(row['observed_asa_s']):>10}"
            f"{seconds_text(row['predicted_asa_s']):>8}{seconds_text(row['naive_asa_s']):>8}"
        )
    return "\n".join(lines)

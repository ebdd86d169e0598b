"""Calibrate a period of a log, predict another from its arrivals and staffing, compare.

:func:`calibrate_period` fits handle times, patience, the arrival profile and the observed
staffing, then finds the availability by simulation (`coverage.calibrate.search`).
:func:`predict` simulates a :class:`~coverage.calibrate.outcomes.Period` — arrivals and agents
present only — with a fitted model; it is given no waits and no outcomes, so a backtest cannot
use them. :func:`summarize` turns replications into a prediction with 95% intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from coverage.calibrate.fit import (
    DistributionFit,
    fit_handle_time,
    fit_patience,
    kaplan_meier,
    naive_patience_mean_s,
)
from coverage.calibrate.outcomes import NS_PER_HOUR, Observed, Period
from coverage.calibrate.search import (
    Model,
    by_hour,
    figures,
    find_availability,
    simulate_period,
)
from coverage.calibrate.staffing import staffing_table
from coverage.demand.logfit import (
    count_by_date_hour,
    estimate_busyness_cv,
    estimate_rates,
    local_exposure,
    weekday_of,
)
from coverage.scenario.model import Distribution

RATE_FIGURES = ("abandon_rate", "asa_s", "service_level")
KM_TIMES_S = (10.0, 30.0, 60.0, 120.0, 300.0)


@dataclass(frozen=True)
class Calibration:
    """A calibrated queue: the fits, the availability and how the simulation compares.

    `per_hour` (7, 24) is the fitted arrival rate per local weekday × hour [contacts/h];
    `staffing` (7, 24) the mean agents seen per local weekday × hour; `search` every
    (availability, loss) the search evaluated; `simulated` the replications at the chosen
    availability; `km_survival` the Kaplan–Meier share still waiting at `KM_TIMES_S`.
    """

    period: Period
    observed: Observed
    handle: DistributionFit
    patience: DistributionFit
    naive_patience_mean_s: float | None
    km_survival: dict[float, float]
    km_median_s: float | None
    per_hour: np.ndarray
    busyness_cv: float
    staffing: np.ndarray
    availability: float
    search: list[tuple[float, float]]
    simulated: list[Observed]
    target_s: float
    seed: int

    @property
    def model(self) -> Model:
        """The fitted model a prediction uses."""
        return model_of(self.handle, self.patience, self.availability)


def model_of(handle: DistributionFit, patience: DistributionFit, availability: float) -> Model:
    """The simulation model of fitted distributions and an availability."""
    assert handle.distribution is not None
    return Model(
        handle_time=Distribution(**handle.distribution),
        patience=None if patience.distribution is None else Distribution(**patience.distribution),
        availability=availability,
    )


def arrival_profile(period: Period) -> tuple[np.ndarray, float]:
    """Rates per local weekday × hour [contacts/h] and busyness CV (`coverage.demand.logfit`)."""
    at_ns = period.start_ns + np.round(period.arrival_s * 1e9).astype(np.int64)
    window = (period.start_ns, period.start_ns + period.n_hours * NS_PER_HOUR)
    row_date, row_hour, ordinals, exposure = local_exposure(at_ns, window, period.time_zone)
    weekday = weekday_of(ordinals)
    counts = count_by_date_hour(row_date, row_hour, len(ordinals))
    rates = estimate_rates(counts, exposure, weekday)
    return rates, estimate_busyness_cv(counts, rates, exposure, weekday)


def calibrate_period(
    period: Period, observed: Observed, *, seed: int, replications: int, target_s: float
) -> Calibration:
    """Fit everything to one period of a log with outcomes (docs/calibration.md)."""
    assert observed.handle_s is not None  # a log's outcomes carry the recorded handle times
    handle = fit_handle_time(observed.handle_s[observed.answered])
    done = observed.answered | observed.abandoned
    wait_s, abandoned = observed.wait_s[done], observed.abandoned[done]
    patience = fit_patience(wait_s, abandoned)
    km_survival: dict[float, float] = {}
    km_median = None
    if abandoned.any():
        km = kaplan_meier(wait_s, abandoned)
        km_survival = {t: float(km.sf.evaluate(t)) for t in KM_TIMES_S}
        below = np.flatnonzero(np.asarray(km.sf.probabilities) <= 0.5)
        km_median = float(km.sf.quantiles[below[0]]) if len(below) else None
    base = model_of(handle, patience, 1.0)
    availability, trail = find_availability(
        period,
        observed,
        base.handle_time,
        base.patience,
        seed=seed,
        replications=replications,
        target_s=target_s,
    )
    model = model_of(handle, patience, availability)
    simulated = simulate_period(period, model, seed=seed, replications=replications)
    per_hour, cv = arrival_profile(period)
    return Calibration(
        period=period,
        observed=observed,
        handle=handle,
        patience=patience,
        naive_patience_mean_s=naive_patience_mean_s(wait_s, abandoned),
        km_survival=km_survival,
        km_median_s=km_median,
        per_hour=per_hour,
        busyness_cv=cv,
        staffing=staffing_table(period.present_by_hour, period.weekday, period.local_hour),
        availability=availability,
        search=trail,
        simulated=simulated,
        target_s=target_s,
        seed=seed,
    )


def predict(period: Period, model: Model, *, seed: int, replications: int) -> list[Observed]:
    """Simulated outcomes of a period from its arrivals and agents present (nothing else)."""
    return simulate_period(period, model, seed=seed, replications=replications)


def summarize(runs: list[Observed], target_s: float) -> dict[str, Any]:
    """Mean over replications of each figure, and its 95% interval for one period.

    The interval is mean ± t(0.975, n−1) · s · √(1 + 1/n) over the n replications: where one
    more period simulated the same way would fall (a prediction interval), not the
    uncertainty of the mean. It leaves out the uncertainty of the fitted parameters.
    """
    rows = [figures(r, target_s) for r in runs]
    out: dict[str, Any] = {"offered": rows[0]["offered"]}
    intervals: dict[str, list[float] | None] = {}
    for key in ("answered", "abandoned", *RATE_FIGURES):
        values = np.array([r[key] for r in rows if r[key] is not None], dtype=float)
        out[key] = float(values.mean()) if len(values) else None
        if key in RATE_FIGURES:
            if len(values) > 1:
                half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1)
                half *= np.sqrt(1 + 1 / len(values))
                intervals[key] = [float(values.mean() - half), float(values.mean() + half)]
            else:
                intervals[key] = None
    out["interval95"] = intervals
    return out


def hour_table(period: Period, columns: dict[str, Observed], target_s: float) -> pd.DataFrame:
    """By local hour of day: offered, abandon_rate, asa_s, service_level of each source.

    `columns` maps a prefix (observed, simulated, …) to outcomes of the period's arrivals
    (replications pooled).
    """
    table = pd.DataFrame({"local_hour": np.arange(24)})
    for prefix, observed in columns.items():
        hours = by_hour(period, observed, target_s)
        scale = len(observed.wait_s) // max(len(period.arrival_s), 1)
        for key in ("offered", *RATE_FIGURES):
            values = hours[key]
            if key == "offered":
                values = (values // max(scale, 1)).astype(np.int64)
            table[f"{prefix}_{key}"] = values
    return table

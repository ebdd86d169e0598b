"""Fitting a demand profile to logged arrivals: rates per local weekday × hour, and busyness.

Pure estimators on arrays, shared by `fit` demand entries (`coverage.demand.logs`) and the
`coverage-sim profile` command. The model is the scenario demand model with a full 7 × 24 table:
arrivals on local date d and hour h are Poisson with mean ``G_d × rate[weekday(d), h] ×
exposure[d, h]``, where exposure is the hours of that local hour inside the observed window
(23 or 25 on DST days) and G_d a Gamma day multiplier of mean 1 and CV `busyness_cv`
(Brown et al. 2005; Avramidis, Deslauriers & L'Ecuyer 2004: Poisson arrivals with a
time-varying rate and day-to-day overdispersion).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from coverage.calendar import Timeline, is_holiday, local_minute_grid
from coverage.demand.streams import day_multiplier, horizon_minutes, poisson_arrival_times
from coverage.scenario.model import WEEKDAYS as WEEKDAY_NAMES
from coverage.scenario.model import Scenario
from coverage.units import SECONDS_PER_HOUR

NS_PER_S = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_S
NS_PER_HOUR = 3600 * NS_PER_S
NS_PER_DAY = 86400 * NS_PER_S


def local_exposure(
    at_ns: np.ndarray, window_ns: tuple[int, int], time_zone: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each row's local date and hour, and the hours of each local (date, hour) in the window.

    Parameters
    ----------
    at_ns : int64 instants [ns since 1970 UTC], or wall-clock times when `time_zone` is None
    window_ns : the observed window [start, end) on the same axis [ns]
    time_zone : IANA zone of the local clock; None: `at_ns` is already local and every date of
        the window has 24 whole hours

    Returns
    -------
    row_date, row_hour, date_ordinals, exposure_h
        `row_date` indexes `date_ordinals` (``date.toordinal()``); `exposure_h` has shape
        (n_dates, 24) [h].
    """
    lo, hi = window_ns
    if time_zone is None:
        first, last = lo // NS_PER_DAY, (hi - 1) // NS_PER_DAY
        ordinals = np.arange(first, last + 1) + dt.date(1970, 1, 1).toordinal()
        row_date = (at_ns // NS_PER_DAY - first).astype(np.int64)
        row_hour = ((at_ns % NS_PER_DAY) // NS_PER_HOUR).astype(np.int64)
        return row_date, row_hour, ordinals, np.ones((len(ordinals), 24))
    start = (lo // NS_PER_MINUTE) * NS_PER_MINUTE
    n_minutes = int(-(-(hi - start) // NS_PER_MINUTE))
    start_utc = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=start // 1000)
    grid = local_minute_grid(time_zone, start_utc, n_minutes)
    ordinals, minute_date = np.unique(grid.date_ordinal, return_inverse=True)
    exposure = np.zeros((len(ordinals), 24))
    np.add.at(exposure, (minute_date, grid.hour), 1.0 / 60.0)
    minute = np.clip((at_ns - start) // NS_PER_MINUTE, 0, n_minutes - 1)
    return minute_date[minute], grid.hour[minute].astype(np.int64), ordinals, exposure


def local_day_window_ns(at_ns: np.ndarray, time_zone: str) -> tuple[int, int]:
    """The whole local days of `time_zone` that hold every instant.

    Parameters
    ----------
    at_ns : np.ndarray
        Instants [ns since 1970 UTC], at least one.
    time_zone : str
        IANA zone whose calendar days are taken.

    Returns
    -------
    tuple of int
        Local midnight of the first instant's date, and local midnight after the last
        instant's date [ns since 1970 UTC].
    """
    zone = ZoneInfo(time_zone)
    first = dt.datetime.fromtimestamp(int(at_ns.min()) // NS_PER_S, zone).date()
    last = dt.datetime.fromtimestamp(int(at_ns.max()) // NS_PER_S, zone).date()

    def midnight_ns(day: dt.date) -> int:
        return int(dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()) * NS_PER_S

    return midnight_ns(first), midnight_ns(last + dt.timedelta(days=1))


def written_clock_window_ns(wall_ns: np.ndarray, at_ns: np.ndarray) -> tuple[int, int]:
    """The whole days of the clock the rows were written in (each row's own UTC offset).

    Parameters
    ----------
    wall_ns : np.ndarray
        Wall-clock times as written [ns, the written clock's epoch].
    at_ns : np.ndarray
        The same rows as instants [ns since 1970 UTC].

    Returns
    -------
    tuple of int
        Midnight of the first row's written date and midnight after the last row's, each on
        that row's clock [ns since 1970 UTC].
    """
    first, last = int(np.argmin(at_ns)), int(np.argmax(at_ns))
    off_first = int(wall_ns[first] - at_ns[first])
    off_last = int(wall_ns[last] - at_ns[last])
    start = (int(wall_ns[first]) // NS_PER_DAY) * NS_PER_DAY - off_first
    end = (int(wall_ns[last]) // NS_PER_DAY + 1) * NS_PER_DAY - off_last
    return start, end


def weekday_of(ordinals: np.ndarray) -> np.ndarray:
    """Weekday (Mon = 0) of date ordinals (0001-01-01, ordinal 1, was a Monday).

    Parameters
    ----------
    ordinals : numpy.ndarray
        ``date.toordinal()`` values.

    Returns
    -------
    numpy.ndarray
        Weekday of each, 0 (Monday) … 6 (Sunday).
    """
    return (np.asarray(ordinals) - 1) % 7


def count_by_date_hour(row_date: np.ndarray, row_hour: np.ndarray, n_dates: int) -> np.ndarray:
    """Arrivals per (local date, hour).

    Parameters
    ----------
    row_date, row_hour : numpy.ndarray
        Each arrival's local date index and hour (`local_exposure`).
    n_dates : int
        Number of dates of the window.

    Returns
    -------
    numpy.ndarray
        Shape (n_dates, 24) [contacts].
    """
    counts = np.zeros((n_dates, 24))
    np.add.at(counts, (row_date, row_hour), 1.0)
    return counts


def estimate_rates(counts: np.ndarray, exposure_h: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Rate per local weekday × hour: counts / exposure, pooled by weekday.

    This is the maximum-likelihood estimate of a Poisson rate per cell. A weekday the log never
    covers takes the hour-by-hour rate of all the days it does cover.

    Parameters
    ----------
    counts : numpy.ndarray
        Arrivals per (date, hour), shape (n_dates, 24) [contacts].
    exposure_h : numpy.ndarray
        Hours of each (date, hour) inside the window, same shape [h].
    weekday : numpy.ndarray
        Weekday of each date (Mon = 0), shape (n_dates,).

    Returns
    -------
    numpy.ndarray
        Shape (7, 24) [contacts/h].
    """
    num = np.zeros((7, 24))
    den = np.zeros((7, 24))
    np.add.at(num, weekday, counts)
    np.add.at(den, weekday, exposure_h)
    rates = np.divide(num, den, out=np.zeros((7, 24)), where=den > 0)
    missing = den.sum(axis=1) == 0
    if missing.any() and not missing.all():
        pooled_den = den.sum(axis=0)
        rates[missing] = np.divide(
            num.sum(axis=0), pooled_den, out=np.zeros(24), where=pooled_den > 0
        )
    return rates


def estimate_busyness_cv(
    counts: np.ndarray, rates: np.ndarray, exposure_h: np.ndarray, weekday: np.ndarray
) -> float:
    """Day-to-day overdispersion: the CV of the Gamma day multiplier G (method of moments).

    With N_d ~ Poisson(G_d Λ_d), Var N_d = Λ_d + cv² Λ_d². Λ̂_d is the mean of the W days of the
    same weekday, so E(N_d − Λ̂_d)² = f (Λ_d + cv² Λ_d²) with f = (W−1)/W, and
    cv² = [Σ (N_d − Λ̂_d)² − Σ f Λ̂_d] / Σ f Λ̂_d², over whole local days, clipped at 0.

    Parameters
    ----------
    counts : numpy.ndarray
        Arrivals per (date, hour), shape (n_dates, 24) [contacts].
    rates : numpy.ndarray
        `estimate_rates`, shape (7, 24) [contacts/h].
    exposure_h : numpy.ndarray
        Hours of each (date, hour) in the window, shape (n_dates, 24) [h].
    weekday : numpy.ndarray
        Weekday of each date (Mon = 0).

    Returns
    -------
    float
        cv [–]; 0 without two whole days of some weekday (no evidence of overdispersion).
    """
    whole = exposure_h.sum(axis=1) >= 23.0 - 1e-9  # whole local days (23 h, 25 h on DST days)
    n_d = counts.sum(axis=1)[whole]
    lam = (rates[weekday] * exposure_h).sum(axis=1)[whole]
    wd = weekday[whole]
    w = np.bincount(wd, minlength=7)[wd] if len(wd) else np.zeros(0, dtype=np.int64)
    f = np.where(w > 1, (w - 1) / np.maximum(w, 1), 0.0)
    den = float(np.sum(f * lam**2))
    if den <= 0:
        return 0.0
    cv2 = (float(np.sum(np.where(w > 1, (n_d - lam) ** 2, 0.0))) - float(np.sum(f * lam))) / den
    return math.sqrt(max(cv2, 0.0))


def profile_tables(
    at_ns: np.ndarray,
    window_ns: tuple[int, int],
    time_zone: str | None,
    keys: dict[str, np.ndarray],
    handle_s: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame, dt.date, dt.date]:
    """Fit every group of rows (by the values in `keys`, e.g. channel and region).

    Parameters
    ----------
    at_ns : numpy.ndarray
        Row instants [ns since 1970 UTC], or wall-clock times when `time_zone` is None.
    window_ns : (int, int)
        The observed window [start, end) on the same axis [ns].
    time_zone : str, optional
        IANA zone of the local clock.
    keys : dict of str to numpy.ndarray
        Group columns, one value per row.
    handle_s : numpy.ndarray
        Recorded handle time per row [s] (NaN: not recorded).

    Returns
    -------
    groups : pandas.DataFrame
        One row per group: contacts, days, per_day, busyness_cv, handle_time_mean_s,
        handle_time_log_sd (std. dev. of ln handle time), handle_time_recorded [0–1].
    table : pandas.DataFrame
        One row per (group, weekday, local_hour): per_hour [contacts/h], contacts,
        exposure_hours [h] — plot-ready.
    first_date, last_date : datetime.date
        The local dates of the window.
    """
    row_date, row_hour, ordinals, exposure = local_exposure(at_ns, window_ns, time_zone)
    weekday = weekday_of(ordinals)
    names = list(keys)
    combos = sorted(set(zip(*(keys[k].tolist() for k in names), strict=True)))
    group_rows, frames = [], []
    for combo in combos:
        rows = np.ones(len(at_ns), dtype=bool)
        for name, value in zip(names, combo, strict=True):
            rows &= keys[name] == value
        counts = count_by_date_hour(row_date[rows], row_hour[rows], len(ordinals))
        rates = estimate_rates(counts, exposure, weekday)
        by_wd = np.zeros((2, 7, 24))
        np.add.at(by_wd[0], weekday, counts)
        np.add.at(by_wd[1], weekday, exposure)
        handle = handle_s[rows][np.isfinite(handle_s[rows])]
        positive = handle[handle > 0]
        label = dict(zip(names, combo, strict=True))
        group_rows.append(
            {
                **label,
                "contacts": int(rows.sum()),
                "days": len(ordinals),
                "per_day": float(rows.sum()) / (exposure.sum() / 24.0),
                "busyness_cv": estimate_busyness_cv(counts, rates, exposure, weekday),
                "handle_time_mean_s": float(handle.mean()) if len(handle) else None,
                "handle_time_log_sd": (
                    float(np.log(positive).std(ddof=1)) if len(positive) > 1 else None
                ),
                "handle_time_recorded": len(handle) / int(rows.sum()),
            }
        )
        frames.append(
            pd.DataFrame(
                {
                    **{name: value for name, value in label.items()},
                    "weekday": np.repeat(WEEKDAY_NAMES, 24),
                    "local_hour": np.tile(np.arange(24), 7),
                    "per_hour": rates.ravel(),
                    "contacts": by_wd[0].ravel().astype(np.int64),
                    "exposure_hours": by_wd[1].ravel(),
                }
            )
        )
    first = dt.date.fromordinal(int(ordinals[0]))
    last = dt.date.fromordinal(int(ordinals[-1]))
    return pd.DataFrame(group_rows), pd.concat(frames, ignore_index=True), first, last


@dataclass(frozen=True)
class FittedGroup:
    """Fitted demand of one (channel, region) of a log.

    `cells` split the rate by (segment, language), each a (7, 24) array [contacts/h] by local
    weekday and hour; `per_hour` is their sum. `time_zone` is the clock of the profile.
    """

    channel: int
    region: int
    time_zone: str
    per_hour: np.ndarray
    busyness_cv: float
    cells: tuple[tuple[int, int, np.ndarray], ...]


def group_minutes(
    group: FittedGroup, scenario: Scenario, timeline: Timeline
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per UTC minute of the horizon: local weekday, hour, date, and expected-arrival scale.

    Parameters
    ----------
    group : FittedGroup
        A fitted (channel, region) group: its time zone and region.
    scenario : Scenario
        For the region's holidays and holiday_factor.
    timeline : Timeline
        Horizon and UTC start.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Local weekday (Mon = 0), hour, date ordinal, and the scale: the minute's length [h] times
        the holiday_factor on the region's holidays, so expected arrivals = rate [contacts/h] ×
        scale × G.
    """
    grid = local_minute_grid(group.time_zone, timeline.start_utc, timeline.n_minutes)
    _, lengths = horizon_minutes(timeline)
    n_min = len(lengths)
    scale = lengths / SECONDS_PER_HOUR
    region = list(scenario.regions.values())[group.region]
    dates = grid.date_ordinal[:n_min]
    if region.holidays and region.holiday_factor != 1.0:
        holiday = is_holiday(dates, region.holidays, timeline)
        scale = np.where(holiday, scale * region.holiday_factor, scale)
    return grid.weekday[:n_min], grid.hour[:n_min], dates, scale


def draw_fitted(
    groups: tuple[FittedGroup, ...],
    scenario: Scenario,
    timeline: Timeline,
    *,
    busy_rng: np.random.Generator,
    rng: np.random.Generator,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Fresh arrivals of fitted groups, drawn with the rules of rate entries.

    Per group, a Gamma day multiplier (`coverage.demand.streams.day_multiplier`), then per
    (segment, language) cell an exact Poisson process per UTC minute
    (`coverage.demand.streams.poisson_arrival_times`).

    Parameters
    ----------
    groups : tuple of FittedGroup
        The fitted (channel, region) groups of a `fit` entry.
    scenario : Scenario
        For the regions' holidays.
    timeline : Timeline
        Arrivals fall in [0, horizon) [s].
    busy_rng, rng : numpy.random.Generator
        The entry's busyness and arrivals streams.

    Returns
    -------
    (numpy.ndarray, dict)
        Arrival instants [s], sorted (stable), and the int16 codes ``channel``, ``region``,
        ``segment``, ``language`` of each.
    """
    starts, lengths = horizon_minutes(timeline)
    times: list[np.ndarray] = []
    cols: dict[str, list[np.ndarray]] = {
        key: [] for key in ("channel", "region", "segment", "language")
    }
    for g in groups:
        weekday, hour, dates, scale = group_minutes(g, scenario, timeline)
        busy = day_multiplier(g.busyness_cv, dates, rng=busy_rng)
        if busy is not None:
            scale = scale * busy
        for s, lang, rates in g.cells:
            times.append(
                poisson_arrival_times(rates[weekday, hour] * scale, starts, lengths, rng=rng)
            )
            n = len(times[-1])
            for key, value in (("channel", g.channel), ("region", g.region)):
                cols[key].append(np.full(n, value, np.int16))
            cols["segment"].append(np.full(n, s, np.int16))
            cols["language"].append(np.full(n, lang, np.int16))
    if not times:
        return np.zeros(0), {key: np.zeros(0, np.int16) for key in cols}
    at = np.concatenate(times)
    order = np.argsort(at, kind="stable")
    return at[order], {key: np.concatenate(v)[order] for key, v in cols.items()}

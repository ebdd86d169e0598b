"""The calendar: the horizon on a UTC timeline, and the local time of any instant anywhere.

Every instant inside the package is seconds since 00:00 UTC of the horizon's first day. Local
clocks (a region's demand hours, a site's shifts and premiums) come from `zoneinfo`, so daylight
saving changes are handled by the tz database, not by hand. A local wall time that does not exist
(skipped by a DST change) moves forward by the gap; an ambiguous one takes its first occurrence
(fold=0) — that is what `zoneinfo` does with fold=0, as the time rules of docs/model.md require.

Local quantities that change only on whole minutes (local hour, weekday, date, premium windows)
are tabulated once per UTC minute by `local_minute_grid`; every time zone's offset is a whole
number of minutes, so a piecewise-constant function of local time is exactly constant on each
UTC minute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from coverage.scenario.model import Scenario
from coverage.units import DRAIN_S, SECONDS_PER_DAY, SECONDS_PER_MINUTE, SECONDS_PER_WEEK


@dataclass(frozen=True)
class Timeline:
    """The simulated period in seconds from `start_utc`.

    Attributes
    ----------
    start_utc : datetime
        00:00 UTC of the horizon's first day.
    horizon_s : float
        Arrivals happen in [0, horizon_s) [s].
    warmup_s : float
        Measured window is [warmup_s, horizon_s) [s].
    end_s : float
        End of the drain: the roster runs until then [s].
    """

    start_utc: dt.datetime
    horizon_s: float
    warmup_s: float
    end_s: float

    @property
    def window_s(self) -> float:
        """Length of the measured window [s]."""
        return self.horizon_s - self.warmup_s

    @property
    def n_minutes(self) -> int:
        """Whole minutes from 0 to the end of the drain (rounded up)."""
        return int(np.ceil(self.end_s / SECONDS_PER_MINUTE))


def build_timeline(scenario: Scenario) -> Timeline:
    """The scenario's burn-in, horizon, warm-up and drain on the UTC timeline.

    The burn-in weeks (`Scenario.burn_in_weeks`) come before the horizon's start: the timeline
    starts that many whole weeks earlier (so UTC hours of the week are unchanged) and they are
    simulated like the rest but never measured; `warmup_hours` then counts from the horizon's
    start. The measured window is [burn-in + warm-up, burn-in + horizon).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.

    Returns
    -------
    Timeline
        ``start_utc`` (00:00 UTC of the first simulated day), ``horizon_s`` = burn-in +
        horizon length [s], ``warmup_s`` = burn-in + warm-up [s], ``end_s`` = horizon + the
        24 h drain [s], all from ``start_utc``.

    Examples
    --------
    >>> from coverage.scenario.model import load_scenario
    >>> timeline = build_timeline(load_scenario("docs/examples/minimal.yaml"))
    >>> timeline.start_utc.isoformat(), timeline.horizon_s / 3600, timeline.end_s / 3600
    ('2026-01-05T00:00:00+00:00', 168.0, 192.0)
    """
    burn_in_s = scenario.burn_in_weeks * SECONDS_PER_WEEK
    horizon_s = burn_in_s + scenario.horizon.length_s
    return Timeline(
        start_utc=scenario.horizon.start_utc - dt.timedelta(seconds=burn_in_s),
        horizon_s=horizon_s,
        warmup_s=burn_in_s + scenario.warmup_s,
        end_s=horizon_s + DRAIN_S,
    )


@dataclass(frozen=True)
class LocalMinuteGrid:
    """Local calendar of each UTC minute [0, n) of a timeline in one time zone.

    Attributes
    ----------
    hour, minute_of_day, weekday : np.ndarray
        Local hour 0–23, minute of the day 0–1439 and weekday (Mon = 0), per UTC minute.
    date_ordinal : np.ndarray
        Local date as ``date.toordinal()``, per UTC minute.
    """

    hour: np.ndarray
    minute_of_day: np.ndarray
    weekday: np.ndarray
    date_ordinal: np.ndarray


@cache
def local_minute_grid(time_zone: str, start_utc: dt.datetime, n_minutes: int) -> LocalMinuteGrid:
    """Tabulate the local clock of `time_zone` at every UTC minute from `start_utc`.

    Pure and cached: the same zone and timeline are computed once per process.

    Parameters
    ----------
    time_zone : str
        IANA time zone, e.g. ``"Europe/Berlin"``.
    start_utc : datetime
        The UTC instant of minute 0 (aware).
    n_minutes : int
        Number of UTC minutes to tabulate [min].

    Returns
    -------
    LocalMinuteGrid
        Read-only arrays of shape ``(n_minutes,)``: local hour, minute of day, weekday
        (Mon = 0) and date ordinal.

    Examples
    --------
    >>> import datetime as dt
    >>> grid = local_minute_grid("Asia/Manila", dt.datetime(2026, 1, 5, tzinfo=dt.UTC), 1440)
    >>> int(grid.hour[0]), int(grid.weekday[0])  # 00:00 UTC Monday is 08:00 Monday in Manila
    (8, 0)
    """
    utc = pd.date_range(start_utc, periods=n_minutes, freq="min")
    local = utc.tz_convert(time_zone)
    hour = np.asarray(local.hour, dtype=np.int16)
    minute = np.asarray(local.minute, dtype=np.int16)
    dates = local.tz_localize(None).normalize()
    # days since 0001-01-01 (= date.toordinal() - 1); datetime64[D] counts from 1970-01-01
    epoch_ordinal = dt.date(1970, 1, 1).toordinal()
    ordinal = np.asarray(dates.values.astype("datetime64[D]").astype(np.int64)) + epoch_ordinal
    grid = LocalMinuteGrid(
        hour=hour,
        minute_of_day=(hour * 60 + minute).astype(np.int16),
        weekday=np.asarray(local.day_of_week, dtype=np.int8),
        date_ordinal=ordinal.astype(np.int32),
    )
    for arr in (grid.hour, grid.minute_of_day, grid.weekday, grid.date_ordinal):
        arr.setflags(write=False)
    return grid


@cache
def holiday_ordinals(calendar_code: str | None, first_year: int, last_year: int) -> frozenset[int]:
    """Public holidays of a calendar as date ordinals (from the ``holidays`` package).

    Parameters
    ----------
    calendar_code : str or None
        Country code, optionally with a subdivision: ``"US"``, ``"DE-BY"``; None = no holidays.
    first_year, last_year : int
        Years to include (both ends included).

    Returns
    -------
    frozenset of int
        ``date.toordinal()`` of every holiday.

    Examples
    --------
    >>> import datetime as dt
    >>> dt.date(2026, 12, 25).toordinal() in holiday_ordinals("DE", 2026, 2026)
    True
    """
    if not calendar_code:
        return frozenset()
    import holidays

    country, _, subdiv = calendar_code.partition("-")
    table = holidays.country_holidays(
        country, subdiv=subdiv or None, years=range(first_year, last_year + 1)
    )
    return frozenset(day.toordinal() for day in table)


def holidays_for(calendar_code: str | None, timeline: Timeline) -> frozenset[int]:
    """Holidays of `calendar_code` in the years the timeline touches (two days of margin).

    Parameters
    ----------
    calendar_code : str or None
        As for `holiday_ordinals`.
    timeline : Timeline
        The run's timeline, drain included.

    Returns
    -------
    frozenset of int
        Date ordinals of the holidays.
    """
    first = (timeline.start_utc - dt.timedelta(days=2)).year
    last = (timeline.start_utc + dt.timedelta(seconds=timeline.end_s + 2 * SECONDS_PER_DAY)).year
    return holiday_ordinals(calendar_code, first, last)


def is_holiday(date_ordinals: np.ndarray, calendar_code: str, timeline: Timeline) -> np.ndarray:
    """Whether each local date (``date.toordinal()``) is a public holiday of `calendar_code`."""
    return np.isin(date_ordinals, list(holidays_for(calendar_code, timeline)))


def local_dates(time_zone: str, timeline: Timeline, *, margin_days: int = 1) -> list[dt.date]:
    """Every local date the timeline touches in `time_zone`, plus `margin_days` on each side.

    Parameters
    ----------
    time_zone : str
        IANA time zone.
    timeline : Timeline
        The run's timeline, drain included.
    margin_days : int
        Extra local days before and after [days]; 1 includes the night shift that started the
        day before the horizon.

    Returns
    -------
    list of date
        Consecutive local dates, oldest first.
    """
    tz = ZoneInfo(time_zone)
    first = timeline.start_utc.astimezone(tz).date() - dt.timedelta(days=margin_days)
    last = (timeline.start_utc + dt.timedelta(seconds=timeline.end_s)).astimezone(tz).date()
    last += dt.timedelta(days=margin_days)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def local_to_timeline_s(
    time_zone: str, day: dt.date, clock_s: float, start_utc: dt.datetime
) -> float:
    """Seconds from `start_utc` to the local wall time `day` + `clock_s` in `time_zone`.

    `clock_s` may exceed a day (a shift end past midnight): the wall clock is advanced first,
    then converted, so a 00:00 shift of 24 hours ends at the next local midnight whatever DST
    does. A non-existent local time moves forward by the DST gap; an ambiguous one takes its
    first occurrence (fold=0).

    Parameters
    ----------
    time_zone : str
        IANA time zone of the wall clock.
    day : date
        Local date.
    clock_s : float
        Wall-clock time after local midnight of `day` [s]; may exceed 86400.
    start_utc : datetime
        Origin of the timeline (aware, UTC).

    Returns
    -------
    float
        Instant on the timeline [s from `start_utc`].

    Examples
    --------
    Berlin skips 02:00–03:00 on 2026-03-29, so 02:30 that day is 03:30 CEST = 01:30 UTC:

    >>> import datetime as dt
    >>> start = dt.datetime(2026, 3, 29, tzinfo=dt.UTC)
    >>> local_to_timeline_s("Europe/Berlin", dt.date(2026, 3, 29), 2.5 * 3600, start) / 3600
    1.5
    """
    wall = dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=clock_s)
    aware = wall.replace(tzinfo=ZoneInfo(time_zone), fold=0)
    return (aware.astimezone(dt.UTC) - start_utc).total_seconds()


def utc_hour_of_week(at_s: np.ndarray, start_utc: dt.datetime) -> np.ndarray:
    """UTC hour of the week (Mon 00:00 = 0 … Sun 23:00 = 167) of instants.

    Parameters
    ----------
    at_s : np.ndarray
        Instants [s from `start_utc`].
    start_utc : datetime
        Origin of the timeline (aware, UTC).

    Returns
    -------
    np.ndarray
        Hour of the week, int16, same shape as `at_s`.

    Examples
    --------
    >>> import datetime as dt
    >>> import numpy as np
    >>> sunday = dt.datetime(2026, 1, 4, tzinfo=dt.UTC)
    >>> utc_hour_of_week(np.array([0.0, 3600.0, 86400.0]), sunday).tolist()
    [144, 145, 0]
    """
    offset_h = start_utc.weekday() * 24 + start_utc.hour
    return ((np.floor(np.asarray(at_s) / 3600.0).astype(np.int64) + offset_h) % 168).astype(
        np.int16
    )

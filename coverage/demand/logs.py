"""Contact logs: a help-desk export as demand, replayed as it happened or fitted to a profile.

A log is CSV or Parquet, one row per contact, with the columns `timestamp`, `channel` and
optionally `region`, `handle_time_s`, `language`, `segment` (docs/contact-logs.md; the rules
chosen where the contract is silent are in docs/contact-logs.md). Reading happens in three steps:

1. :func:`coverage.demand.log_reader.read_log` parses the file into a ``RawLog`` (wall-clock
   time and UTC offset as written, names as text); bad rows name the file and the line. Parsed
   logs are cached per (path, modification time, size), so replications never re-read.
2. :func:`entry_contacts` places the rows on the UTC axis (naive timestamps in the entry's
   `time_zone`) and turns names into the scenario's indices; unknown names are bad rows too.
3. `replay` uses those instants as they are; `fit` estimates rates per local weekday × hour and
   a day-to-day overdispersion per (channel, region) — :func:`estimate_rates`,
   :func:`estimate_busyness_cv` — and draws a fresh non-homogeneous Poisson process per
   replication from the streams of :func:`coverage.demand.streams.entry_rng`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from coverage.calendar import Timeline, holiday_ordinals
from coverage.demand.codes import scenario_languages
from coverage.demand.log_reader import RawLog, read_cached, read_log, resolve_log_path, utc_ns
from coverage.demand.logfit import (
    NS_PER_DAY,
    NS_PER_S,
    FittedGroup,
    count_by_date_hour,
    draw_fitted,
    estimate_busyness_cv,
    estimate_rates,
    group_minutes,
    local_day_window_ns,
    local_exposure,
    profile_tables,
    weekday_of,
    written_clock_window_ns,
)
from coverage.demand.streams import STREAM_ARRIVALS, STREAM_BUSYNESS, entry_rng
from coverage.errors import ScenarioError
from coverage.scenario.model import Demand, Scenario

# ---------------------------------------------------------------------------- the scenario


def _scenario_key(scenario: Scenario) -> tuple:
    regions = tuple(
        (name, r.time_zone, r.holidays, r.holiday_factor, r.language)
        for name, r in scenario.regions.items()
    )
    return (
        tuple(scenario.channels),
        regions,
        tuple(scenario.segments),
        tuple(scenario_languages(scenario)),
    )


@dataclass(frozen=True)
class EntryContacts:
    """The rows of one demand entry's log, on the UTC axis and as scenario indices."""

    at_utc_ns: np.ndarray  # int64, sorted
    channel: np.ndarray  # int16 indices into list(scenario.channels)
    region: np.ndarray  # int16 indices into list(scenario.regions)
    segment: np.ndarray  # int16, -1 when none
    language: np.ndarray  # int16 into scenario_languages(scenario), -1 when none
    handle_s: np.ndarray  # float64, nan when not recorded
    window_ns: tuple[int, int]  # whole days the whole log covers [UTC ns] (observation_window_ns)
    utc_written: bool = False  # every timestamp was written with a zero offset


def _indices(
    raw: RawLog, key: str, known: list[str], default: str | None, what: str, *, required: str = ""
) -> np.ndarray:
    """Indices of the names in column `key` (blank: `default`, else -1 — an error if `required`)."""
    values = getattr(raw, key)
    lookup = {name: i for i, name in enumerate(known)}
    out = np.full(len(values), -1, dtype=np.int16)
    for name in set(values.tolist()):
        rows = values == name
        if name in lookup or (name == "" and default is not None):
            chosen = name or default
            assert chosen is not None  # a blank name gets here only with a default
            out[rows] = lookup[chosen]
        elif name or required:
            problem = (
                f"{key} {required.format(key)}"
                if not name
                else f"{key} {name!r} is not {what} of the scenario "
                f"(defined: {', '.join(known) or 'none'})"
            )
            raise ScenarioError(raw.where(int(np.flatnonzero(rows)[0])), problem, file=raw.file)
    return out


def _observation_window_ns(
    raw: RawLog, at_ns: np.ndarray, time_zone: str | None
) -> tuple[int, int]:
    """The whole days a log observed [UTC ns, UTC ns): on the fit's clock when there is one.

    With `time_zone` (the demand entry's, or ``profile --time-zone``): whole local days of that
    zone, so the same contacts written with ``Z``, another offset or a tz-aware Parquet column
    give the same window. Without: whole days of the clock each timestamp was written in.
    """
    if time_zone is None:
        return written_clock_window_ns(raw.wall_ns, at_ns)
    return local_day_window_ns(at_ns, time_zone)


def _cache_args(entry: Demand, k: int, scenario: Scenario) -> tuple:
    """Resolve and parse the entry's log; the hashable key of its cached derived data."""
    text = entry.replay if entry.kind == "replay" else entry.fit
    assert text is not None
    path = resolve_log_path(text, scenario.base_dir, field=f"demand[{k}].{entry.kind}")
    read_log(path)  # parse (or take from the cache) first, so file errors come first
    stat = path.stat()
    key = (entry.channel, entry.region, entry.segment, entry.language, entry.time_zone)
    return str(path), stat.st_mtime_ns, stat.st_size, key, _scenario_key(scenario)


def entry_contacts(entry: Demand, k: int, scenario: Scenario) -> EntryContacts:
    """Read the log of a demand entry and express its rows in the scenario's terms.

    `channel` and `region` on the entry select rows (rows with a blank value take them);
    `segment` and `language` fill blanks. A row's language defaults to its region's.

    Parameters
    ----------
    entry : Demand
        A ``replay`` or ``fit`` demand entry.
    k : int
        Its index in the scenario's demand list.
    scenario : Scenario
        Channels, regions, segments and languages the rows are coded against.

    Returns
    -------
    EntryContacts
        The rows' instants [ns UTC], codes and recorded handle times [s] (NaN: not recorded).
    """
    return _entry_cached(*_cache_args(entry, k, scenario))


@lru_cache(maxsize=16)
def _entry_cached(path: str, mtime_ns: int, size: int, ekey: tuple, skey: tuple) -> EntryContacts:
    raw = read_cached(path, mtime_ns, size, False)
    channel, region, segment, language, time_zone = ekey
    channels, regions, segments, languages = skey
    region_names = [r[0] for r in regions]
    at_ns = utc_ns(raw, time_zone)
    sole_region = region_names[0] if len(region_names) == 1 else None
    blank = "is blank (fill it, or name the {} on the demand entry)"
    ch = _indices(raw, "channel", list(channels), channel, "a channel", required=blank)
    rg = _indices(raw, "region", region_names, region or sole_region, "a region", required=blank)
    sg = _indices(raw, "segment", list(segments), segment, "a segment")
    lg = _indices(raw, "language", list(languages), language, "a language")
    region_language = np.array(
        [languages.index(r[4]) if r[4] in languages else -1 for r in regions], dtype=np.int16
    )
    lg = np.where(lg < 0, region_language[rg], lg).astype(np.int16)
    keep = np.ones(len(raw), dtype=bool)
    if channel is not None:
        keep &= ch == channels.index(channel)
    if region is not None:
        keep &= rg == region_names.index(region)
    order = np.argsort(at_ns[keep], kind="stable")
    return EntryContacts(
        at_utc_ns=at_ns[keep][order],
        channel=ch[keep][order],
        region=rg[keep][order],
        segment=sg[keep][order],
        language=lg[keep][order],
        handle_s=raw.handle_s[keep][order],
        window_ns=_observation_window_ns(raw, at_ns, time_zone),
        utc_written=bool(np.all(raw.offset_s == 0.0)),  # Z, +00:00 or a UTC Parquet column
    )


def _start_ns(timeline: Timeline) -> int:
    return int(timeline.start_utc.timestamp()) * NS_PER_S


def _replay(entry: Demand, k: int, log: EntryContacts, timeline: Timeline) -> np.ndarray:
    """Rows inside [0, horizon): an error if the log's days do not overlap the horizon."""
    at_s = (log.at_utc_ns - _start_ns(timeline)) / NS_PER_S
    lo, hi = log.window_ns
    start = _start_ns(timeline)
    if hi <= start or lo >= start + int(timeline.horizon_s) * NS_PER_S:
        shown = [pd.Timestamp(v, tz="UTC").strftime("%Y-%m-%d %H:%M") for v in (lo, hi)]
        raise ScenarioError(
            f"demand[{k}].replay",
            f"the log covers {shown[0]} to {shown[1]} UTC, which does not overlap the horizon "
            f"(from {timeline.start_utc:%Y-%m-%d %H:%M} UTC for {timeline.horizon_s / 3600:g} h)",
        )
    return (at_s >= 0) & (at_s < timeline.horizon_s)


# --------------------------------------------------------------------------------- fitting


@lru_cache(maxsize=16)
def _fit_cached(path: str, mtime_ns: int, size: int, ekey: tuple, skey: tuple) -> tuple:
    log = _entry_cached(path, mtime_ns, size, ekey, skey)
    regions = skey[1]
    time_zone = ekey[4]
    groups: list[FittedGroup] = []
    pairs = sorted(set(zip(log.channel.tolist(), log.region.tolist(), strict=True)))
    for c, r in pairs:
        _, region_tz, hol_code, hol_factor, _ = regions[r]
        zone = time_zone or region_tz
        window = log.window_ns
        if time_zone is None and log.utc_written:  # UTC days say nothing: the fit's clock does
            window = local_day_window_ns(log.at_utc_ns, zone)
        row_date, row_hour, ordinals, exposure = local_exposure(log.at_utc_ns, window, zone)
        weekday = weekday_of(ordinals)
        if hol_code and hol_factor != 1.0:  # holidays are scaled in simulation: leave them out
            years = [dt.date.fromordinal(int(o)).year for o in (ordinals[0], ordinals[-1])]
            holiday = np.isin(ordinals, list(holiday_ordinals(hol_code, years[0], years[1])))
            exposure = np.where(holiday[:, None], 0.0, exposure)
        in_group = (log.channel == c) & (log.region == r)
        counted = in_group & (exposure[row_date, row_hour] > 0)
        cells = []
        total = np.zeros((len(ordinals), 24))
        keys = sorted(
            set(zip(log.segment[in_group].tolist(), log.language[in_group].tolist(), strict=True))
        )
        for s, lang in keys:
            rows = counted & (log.segment == s) & (log.language == lang)
            counts = count_by_date_hour(row_date[rows], row_hour[rows], len(ordinals))
            total += counts
            cells.append((s, lang, estimate_rates(counts, exposure, weekday)))
        rates = estimate_rates(total, exposure, weekday)
        cv = estimate_busyness_cv(total, rates, exposure, weekday)
        groups.append(FittedGroup(c, r, zone, rates, cv, tuple(cells)))
    return tuple(groups)


def fitted_groups(entry: Demand, k: int, scenario: Scenario) -> tuple[FittedGroup, ...]:
    """The fitted profile of a ``fit`` entry, per (channel, region) (cached).

    Parameters
    ----------
    entry : Demand
        A ``replay`` or ``fit`` demand entry.
    k : int
        Its index in the scenario's demand list.
    scenario : Scenario
        Channels, regions, segments and languages the rows are coded against.

    Returns
    -------
    tuple of FittedGroup
        Rates per local weekday × hour [contacts/h] per (segment, language) cell, and busyness cv.
    """
    return _fit_cached(*_cache_args(entry, k, scenario))


# ------------------------------------------------------------------------ arrivals entry points


def entry_arrivals(
    entry: Demand, k: int, scenario: Scenario, timeline: Timeline, *, seed: int, replication: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Arrivals and attributes of a ``replay`` or ``fit`` entry in one replication.

    ``replay`` gives the same contacts every replication, with recorded handle times (NaN where not
    recorded); ``fit`` draws fresh ones from the fitted profile with the entry's streams.

    Parameters
    ----------
    entry : Demand
        A ``replay`` or ``fit`` demand entry.
    k : int
        Its index in the scenario's demand list.
    scenario : Scenario
        Channels, regions, segments and languages the rows are coded against.
    timeline : Timeline
        Horizon and UTC start.
    seed, replication : int
        Key the entry's random streams (``fit`` only).

    Returns
    -------
    (numpy.ndarray, dict)
        Arrival instants [s from the horizon start] and int16 codes ``channel``, ``region``,
        ``segment``, ``language`` (and ``handle_s`` [s] for ``replay``).
    """
    if entry.kind == "replay":
        log = entry_contacts(entry, k, scenario)
        keep = _replay(entry, k, log, timeline)
        at_s = (log.at_utc_ns[keep] - _start_ns(timeline)) / NS_PER_S
        keys = ("channel", "region", "segment", "language", "handle_s")
        extra = {key: getattr(log, key)[keep] for key in keys}
        return at_s.astype(np.float64), extra
    groups = fitted_groups(entry, k, scenario)
    return draw_fitted(
        groups,
        scenario,
        timeline,
        busy_rng=entry_rng(seed, replication, k, STREAM_BUSYNESS),
        rng=entry_rng(seed, replication, k, STREAM_ARRIVALS),
    )


def expected_contacts(entry: Demand, k: int, scenario: Scenario, timeline: Timeline) -> float:
    """Contacts per replication a log entry brings.

    Parameters
    ----------
    entry : Demand
        A ``replay`` or ``fit`` demand entry.
    k : int
        Its index in the scenario's demand list.
    scenario : Scenario
        Channels, regions, segments and languages the rows are coded against.
    timeline : Timeline
        Horizon and UTC start.

    Returns
    -------
    float
        Exact for ``replay``, expected for ``fit`` [contacts].
    """
    if entry.kind == "replay":
        log = entry_contacts(entry, k, scenario)
        return float(_replay(entry, k, log, timeline).sum())
    total = 0.0
    for g in fitted_groups(entry, k, scenario):
        weekday, hour, _, scale = group_minutes(g, scenario, timeline)
        total += float((g.per_hour[weekday, hour] * scale).sum())
    return total


@dataclass(frozen=True)
class LogProfile:
    """The fitted profile of a log on its own, as `coverage-sim profile` shows it.

    `groups` and `table` are those of :func:`coverage.demand.logfit.profile_tables`, by channel and
    region; `time_zone` is the clock of the local hours (None: each timestamp's own wall clock).
    """

    file: str
    rows: int
    skipped: int
    time_zone: str | None
    first_date: dt.date
    last_date: dt.date
    groups: pd.DataFrame
    table: pd.DataFrame


def profile_log(raw: RawLog, *, time_zone: str | None = None) -> LogProfile:
    """Fit rates per (channel, region) × local weekday × hour, and the day-to-day CV.

    Parameters
    ----------
    raw : RawLog
        A parsed log.
    time_zone : str, optional
        With it, every row's hour is read on that zone's clock (naive timestamps are local to it);
        without, each timestamp's wall clock as written is its local time.

    Returns
    -------
    LogProfile
        Per group: contacts, days, busyness cv, handle-time summary; per (group, weekday, hour):
        rate [contacts/h] and exposure [h].
    """
    if time_zone is None:
        at = raw.wall_ns
        lo, hi = int(at.min()) // NS_PER_DAY, int(at.max()) // NS_PER_DAY + 1
        window = (lo * NS_PER_DAY, hi * NS_PER_DAY)
    else:
        at = utc_ns(raw, time_zone)
        window = _observation_window_ns(raw, at, time_zone)
    keys = {"channel": raw.channel, "region": raw.region}
    groups, table, first, last = profile_tables(at, window, time_zone, keys, raw.handle_s)
    return LogProfile(raw.file, len(raw), raw.skipped, time_zone, first, last, groups, table)

"""Contact logs: a help-desk export as demand, replayed as it happened or fitted to a profile.

A log is CSV or Parquet, one row per contact, with the columns `timestamp`, `channel` and
optionally `region`, `handle_time_s`, `language`, `segment` (docs/contact-logs.md; the rules
chosen where the contract is silent are in docs/contact-logs.md). Reading happens in three steps:

1. :func:`read_log` parses the file into a :class:`RawLog` (wall-clock time and UTC offset as
   written, names as text). Unparseable rows raise :class:`ScenarioError` naming the file and the
   line (CSV, the header being line 1) or row (Parquet), unless `skip_bad` counts and drops them.
   Parsed logs are cached per (path, modification time, size), so replications never re-read.
2. :func:`entry_contacts` places the rows on the UTC axis (naive timestamps in the entry's
   `time_zone`) and turns names into the scenario's indices; unknown names are bad rows too.
3. `replay` uses those instants as they are; `fit` estimates rates per local weekday × hour and
   a day-to-day overdispersion per (channel, region) — :func:`estimate_rates`,
   :func:`estimate_busyness_cv` — and draws a fresh non-homogeneous Poisson process per
   replication from the streams of :func:`coverage.demand.streams.entry_rng`.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from coverage.calendar import Timeline, holiday_ordinals
from coverage.demand.codes import scenario_languages
from coverage.demand.log_outcomes import OUTCOME_COLUMNS, outcome_columns, seconds_column
from coverage.demand.logfit import (
    NS_PER_DAY,
    NS_PER_MINUTE,
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

_BASE_COLUMNS = ("timestamp", "channel", "region", "handle_time_s", "language", "segment")
COLUMNS = _BASE_COLUMNS + OUTCOME_COLUMNS
NAME_COLUMNS = ("channel", "region", "language", "segment")
STAMP = (
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


@dataclass(frozen=True)
class RawLog:
    """A parsed log, independent of any scenario (arrays have one entry per kept row).

    Attributes
    ----------
    file : str, the file as shown in messages
    unit : "line" (CSV; the header is line 1) or "row" (Parquet; the first data row is row 1)
    line : int64, where each row is in the file
    wall_ns : int64, the timestamp's wall-clock time as written [ns since 1970-01-01, naive]
    offset_s : float64, the UTC offset written in the timestamp [s]; nan for a naive timestamp
    channel, region, language, segment : object arrays of str ('' when blank or absent)
    handle_s : float64, recorded handle time [s]; nan when blank or absent
    skipped : int, bad rows dropped (only with `skip_bad`)
    wait_s : float64, seconds queued before answer or abandonment; nan when blank or absent
    outcome, agent : object arrays of str ('' when blank or absent; outcome in lower case)
    columns : the file's columns
    """

    file: str
    unit: str
    line: np.ndarray
    wall_ns: np.ndarray
    offset_s: np.ndarray
    channel: np.ndarray
    region: np.ndarray
    language: np.ndarray
    segment: np.ndarray
    handle_s: np.ndarray
    skipped: int
    wait_s: np.ndarray
    outcome: np.ndarray
    agent: np.ndarray
    columns: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.line)

    def where(self, i: int) -> str:
        """Field path of row `i`, e.g. "line 7"."""
        return f"{self.unit} {int(self.line[i])}"


# ---------------------------------------------------------------------------------- reading


def resolve_log_path(
    text: str, base_dir: str | Path | None, *, field: str, allowed_root: str | Path | None = None
) -> Path:
    """The file a demand entry names: relative paths are relative to the scenario's folder.

    Parameters
    ----------
    text : str
        The path as written.
    base_dir : str or Path, optional
        The scenario's folder; a relative path with none (a scenario parsed from text) is an error.
    field : str
        Field path for errors, e.g. ``demand[2].replay``.
    allowed_root : str or Path, optional
        With it (the app), the file must lie inside that folder.

    Returns
    -------
    Path
        The resolved file.

    Raises
    ------
    ScenarioError
        At `field`, for a missing file or one outside `allowed_root`.
    """
    path = Path(text).expanduser()
    if not path.is_absolute():
        if base_dir is None:
            raise ScenarioError(
                field,
                f"{text!r} is relative, but the scenario has no folder (it was not read from a "
                "file): give an absolute path or parse the scenario with base_dir",
            )
        path = Path(base_dir) / path
    path = path.resolve()
    if allowed_root is not None and not path.is_relative_to(Path(allowed_root).resolve()):
        raise ScenarioError(field, f"{text!r} points outside {allowed_root}")
    if not path.is_file():
        raise ScenarioError(field, f"no such file {text!r} (looked for {path})")
    return path


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_log(path: str | Path, *, skip_bad: bool = False) -> RawLog:
    """Parse a CSV or Parquet contact log (cached per path, modification time and size).

    Parameters
    ----------
    path : str or Path
        The log file.
    skip_bad : bool
        Leave bad rows out (counted) instead of stopping at the first.

    Returns
    -------
    RawLog
        The rows' columns as text, with each row's file line.

    Raises
    ------
    ScenarioError
        Missing or unreadable file, bad header, or (without `skip_bad`) the first bad row,
        naming the file and its line.
    """
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except OSError:
        raise ScenarioError("", "no such file", file=_shown(path)) from None
    return _read_cached(str(path), stat.st_mtime_ns, stat.st_size, skip_bad)


@lru_cache(maxsize=8)
def _read_cached(path: str, mtime_ns: int, size: int, skip_bad: bool) -> RawLog:
    file = _shown(Path(path))
    if path.lower().endswith(".parquet"):
        columns, lines, unit = _parquet_columns(path, file)
    else:
        columns, lines, unit = _csv_columns(path, file)
    return _parse_columns(columns, lines, unit, file, skip_bad)


def _check_header(header: list[str], file: str, where: str) -> None:
    seen = set()
    for name in header:
        if name not in COLUMNS:
            raise ScenarioError(
                where,
                f"unknown column {name!r} (a log has {', '.join(COLUMNS)}; "
                "remove other columns from the export)",
                file=file,
            )
        if name in seen:
            raise ScenarioError(where, f"column {name!r} appears twice", file=file)
        seen.add(name)
    for name in ("timestamp", "channel"):
        if name not in seen:
            raise ScenarioError(where, f"missing column {name!r}", file=file)


def _csv_columns(path: str, file: str) -> tuple[dict[str, list[str]], np.ndarray, str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            if not header:
                raise ScenarioError("line 1", "empty file: no header row", file=file)
            _check_header(header, file, "line 1")
            cells: list[list[str]] = [[] for _ in header]
            lines: list[int] = []
            previous = reader.line_num
            for row in reader:
                first_line, previous = previous + 1, reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(header):
                    raise ScenarioError(
                        f"line {first_line}",
                        f"{len(row)} fields, but the header has {len(header)}",
                        file=file,
                    )
                for column, value in zip(cells, row, strict=True):
                    column.append(value.strip())
                lines.append(first_line)
    except UnicodeDecodeError as exc:
        raise ScenarioError("", f"not UTF-8 text (byte {exc.start})", file=file) from None
    except csv.Error as exc:
        raise ScenarioError("", f"not valid CSV: {exc}", file=file) from None
    except OSError as exc:
        raise ScenarioError("", f"cannot read: {exc.strerror}", file=file) from None
    return dict(zip(header, cells, strict=True)), np.asarray(lines, dtype=np.int64), "line"


def _parquet_columns(path: str, file: str) -> tuple[dict[str, list[str]], np.ndarray, str]:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ScenarioError("", f"not a readable Parquet file: {exc}", file=file) from None
    header = [str(c) for c in frame.columns]
    _check_header(header, file, "columns")
    # a Parquet timestamp prints as ISO 8601 ("2026-03-02 09:00:00+01:00"), naive or not
    columns = {
        name: ["" if pd.isna(v) else str(v).strip() for v in frame[name].tolist()]
        for name in header
    }
    return columns, np.arange(1, len(frame) + 1, dtype=np.int64), "row"


FIRST_LOG_YEAR, LAST_LOG_YEAR = 1678, 2261  # nanosecond timestamps hold 1677-09-21 … 2262-04-11


def _parse_stamps(values: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Wall-clock ns, written offset [s] (nan: naive), a validity mask and why a row is bad."""
    text = pd.Series(values, dtype=object).astype(str)
    parts = text.str.extract(STAMP)
    why = np.full(len(text), "", dtype=object)
    year = pd.to_numeric(parts["date"].str[:4], errors="coerce").to_numpy()
    far = (year < FIRST_LOG_YEAR) | (year > LAST_LOG_YEAR)
    why[far] = f"year outside {FIRST_LOG_YEAR}–{LAST_LOG_YEAR}"
    joined = parts["date"].astype(object) + "T" + parts["time"].astype(object).str.replace(",", ".")
    joined[far] = None  # never converted: nanosecond timestamps cannot hold them
    wall = pd.to_datetime(joined, format="ISO8601", errors="coerce").astype("datetime64[ns]")
    ok = wall.notna().to_numpy().copy()
    zone = parts["zone"].astype(object).fillna("").to_numpy(dtype=object)
    offset = np.full(len(text), np.nan)
    for i in np.flatnonzero(zone != ""):
        z = zone[i]
        if z in ("Z", "z"):
            offset[i] = 0.0
            continue
        digits = z[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
        if minutes > 18 * 60 or int(digits[2:4] or 0) > 59:
            ok[i] = False
            why[i] = f"UTC offset {z} is not between -18:00 and +18:00"
        offset[i] = (60.0 if z[0] == "+" else -60.0) * minutes
    wall_ns = np.where(ok, wall.to_numpy().astype(np.int64), 0)
    return wall_ns, offset, ok, why


def _parse_columns(
    columns: dict[str, list[str]], lines: np.ndarray, unit: str, file: str, skip_bad: bool
) -> RawLog:
    n = len(lines)
    wall_ns, offset, ok, why = _parse_stamps(columns["timestamp"])
    reason = np.full(n, "", dtype=object)
    stamps = columns["timestamp"]
    for i in np.flatnonzero(~ok):
        shown = stamps[i]
        reason[i] = (
            f"timestamp {shown!r}: {why[i]}"
            if why[i]
            else f"timestamp {shown!r} is not ISO 8601 (YYYY-MM-DDTHH:MM[:SS] with an optional "
            "offset such as +01:00 or Z)"
        )
    handle = seconds_column(columns, "handle_time_s", reason)
    wait, outcome, agent = outcome_columns(columns, reason)
    names = {}
    for key in NAME_COLUMNS:
        names[key] = np.asarray(columns.get(key, [""] * n), dtype=object)
    bad_rows = np.flatnonzero(reason != "")
    keep = np.ones(n, dtype=bool)
    if len(bad_rows):
        if not skip_bad:
            first = int(bad_rows[0])
            raise ScenarioError(f"{unit} {int(lines[first])}", str(reason[first]), file=file)
        keep[bad_rows] = False
    if not keep.any():
        raise ScenarioError("", "the log has no usable rows", file=file)
    return RawLog(
        file=file,
        unit=unit,
        line=lines[keep],
        wall_ns=wall_ns[keep],
        offset_s=offset[keep],
        channel=names["channel"][keep],
        region=names["region"][keep],
        language=names["language"][keep],
        segment=names["segment"][keep],
        handle_s=handle[keep],
        skipped=len(bad_rows),
        wait_s=wait[keep],
        outcome=outcome[keep],
        agent=agent[keep],
        columns=tuple(columns),
    )


@cache
def _zone_offset_s(time_zone: str, wall_minute: int) -> float:
    """UTC offset [s] of a local wall minute (fold=0: a skipped time moves forward by the gap)."""
    wall = dt.datetime(1970, 1, 1) + dt.timedelta(minutes=wall_minute)
    offset = wall.replace(tzinfo=ZoneInfo(time_zone), fold=0).utcoffset()
    assert offset is not None
    return offset.total_seconds()


def utc_ns(raw: RawLog, time_zone: str | None) -> np.ndarray:
    """Instants of a log's rows.

    Parameters
    ----------
    raw : RawLog
        A parsed log.
    time_zone : str, optional
        IANA zone of naive timestamps (required when the log has any).

    Returns
    -------
    numpy.ndarray
        int64 instants [ns since 1970 UTC].
    """
    naive = np.isnan(raw.offset_s)
    out = raw.wall_ns - np.where(naive, 0, raw.offset_s * NS_PER_S).astype(np.int64)
    if naive.any():
        if time_zone is None:
            i = int(np.flatnonzero(naive)[0])
            raise ScenarioError(
                raw.where(i),
                "timestamp has no UTC offset and the demand entry has no time_zone "
                "(add an offset such as +01:00, or time_zone: to the entry)",
                file=raw.file,
            )
        minutes = raw.wall_ns[naive] // NS_PER_MINUTE
        uniq, inverse = np.unique(minutes, return_inverse=True)
        offsets = np.array([_zone_offset_s(time_zone, int(m)) for m in uniq])
        out[naive] = raw.wall_ns[naive] - (offsets[inverse] * NS_PER_S).astype(np.int64)
    return out


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
    raw = _read_cached(path, mtime_ns, size, False)
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

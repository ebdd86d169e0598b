"""Reading contact logs: CSV or Parquet rows → a :class:`RawLog` (step 1 of coverage.demand.logs).

A log is one row per contact with the columns `timestamp`, `channel` and optionally `region`,
`handle_time_s`, `language`, `segment`, and the outcome columns `wait_s`, `outcome`, `agent`
(docs/contact-logs.md). :func:`read_log` parses the file into a :class:`RawLog` (wall-clock time
and UTC offset as written, names as text); unparseable rows raise :class:`ScenarioError` naming
the file and the line (CSV, the header being line 1) or row (Parquet), unless `skip_bad` counts
and drops them. Parsed logs are cached per (path, modification time, size), so replications
never re-read. :func:`utc_ns` places rows on the UTC axis (naive timestamps in a given zone).
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

from coverage.demand.log_outcomes import OUTCOME_COLUMNS, outcome_columns, seconds_column
from coverage.demand.logfit import NS_PER_MINUTE, NS_PER_S
from coverage.errors import ScenarioError

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
    return read_cached(str(path), stat.st_mtime_ns, stat.st_size, skip_bad)


@lru_cache(maxsize=8)
def read_cached(path: str, mtime_ns: int, size: int, skip_bad: bool) -> RawLog:
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

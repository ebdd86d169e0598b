"""Atomic file output: every file the CLI or a batch writes goes through here.

A file is written to ``.<name>.tmp-<pid>`` in its own folder, flushed to disk, then renamed over
the target, so a reader (or an interrupted run) sees the complete previous file or the complete
new one, never a partial one. Stale temp files of dead processes are removed at start — also when
their PID now belongs to another process (the file is older than that process).

Every CSV and Excel cell we write goes through `neutralize_formulas`: text starting with
``= + - @``, a tab or a carriage return is prefixed with ``'`` so a spreadsheet shows it as text
and never evaluates it (OWASP "CSV injection"). `check_output_folder` is called before any work.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.errors import ScenarioError

_TEMP = re.compile(r"^\..+\.tmp-(\d+)$")


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` atomically (temp file in the same folder, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 `text` to `path` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_table(
    frame: pd.DataFrame,
    folder: str | Path,
    stem: str,
    formats: tuple[str, ...] = ("csv", "parquet"),
) -> list[Path]:
    """Write `frame` as ``stem.csv`` and ``stem.parquet`` in `folder`, each atomically."""
    written = []
    for fmt in formats:
        buffer = io.BytesIO()
        if fmt == "csv":
            buffer.write(csv_bytes(frame))
        elif fmt == "parquet":
            frame.to_parquet(buffer, index=False)
        else:
            raise ValueError(f"unknown table format {fmt!r}")
        written.append(atomic_write_bytes(Path(folder) / f"{stem}.{fmt}", buffer.getvalue()))
    return written


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: Any) -> Any:
    """`value`, or ``'`` + `value` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names cannot start a formula.

    Numbers stay numbers (a negative number is not text); only strings are touched.
    """
    out = frame.rename(columns=neutralize_cell)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralize_cell)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as UTF-8 CSV, formulas neutralized (the one way this package writes CSV)."""
    return neutralize_formulas(frame).to_csv(index=False).encode("utf-8")


def check_output_folder(folder: str | Path, *, option: str = "--out") -> Path:
    """Make sure files can be written in `folder` (created if missing) before any work starts.

    Writes and removes a small probe file, so a read-only folder, a path that is a file or a
    full disk is told at once, not after the simulation.

    Raises
    ------
    ScenarioError
        Path `option`, naming the folder and the reason.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(option, f"{folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _probe_write(folder)
    except OSError as exc:
        raise ScenarioError(option, f"cannot write in {folder}: {exc.strerror or exc}") from None
    return folder


def _probe_write(folder: Path) -> None:
    """Write and sync 4 KiB in `folder` in an unnamed file (nothing is left, nothing is seen)."""
    with tempfile.TemporaryFile(dir=folder) as handle:
        handle.write(b"\0" * 4096)
        handle.flush()
        os.fsync(handle.fileno())


def remove_stale_temps(folder: str | Path) -> list[Path]:
    """Delete ``.<name>.tmp-<pid>`` files in `folder` whose process is gone."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        match = _TEMP.match(entry.name)
        if match and not _owner_alive(int(match.group(1)), entry):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed


def _owner_alive(pid: int, entry: Path) -> bool:
    """Whether the process that wrote `entry` still runs (not merely some process with its PID)."""
    if not _alive(pid):
        return False
    started = _process_start_epoch_s(pid)
    if started is None:
        return True
    try:
        written = entry.stat().st_mtime
    except FileNotFoundError:
        return True  # gone already: nothing to remove
    return written >= started - 2.0  # older than the process: its PID was reused


def _process_start_epoch_s(pid: int) -> float | None:
    """When process `pid` started [s since the epoch], from /proc (None where unknown)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: start time after boot
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a temp file of ours at start-up is left over from an earlier run
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

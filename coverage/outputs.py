"""Atomic file output: every file the CLI or a batch writes goes through here.

A file is written to ``.<name>.tmp-<pid>`` in its own folder, flushed to disk, then renamed over
the target, so a reader (or an interrupted run) sees the complete previous file or the complete
new one, never a partial one. Stale temp files of dead processes are removed at start.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pandas as pd

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
            buffer.write(frame.to_csv(index=False).encode("utf-8"))
        elif fmt == "parquet":
            frame.to_parquet(buffer, index=False)
        else:
            raise ValueError(f"unknown table format {fmt!r}")
        written.append(atomic_write_bytes(Path(folder) / f"{stem}.{fmt}", buffer.getvalue()))
    return written


def remove_stale_temps(folder: str | Path) -> list[Path]:
    """Delete ``.<name>.tmp-<pid>`` files in `folder` whose process is gone."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        match = _TEMP.match(entry.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed


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

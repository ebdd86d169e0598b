"""`coverage-sim batch` and `coverage-sim report`: sweeps from the command line (docs/batch.md).

`batch` validates every variant before anything runs (a bad override is exit 2 naming the sweep
file and the field), then runs what is not already in ``--out``. SIGTERM is handled like Ctrl-C:
the workers are stopped and the command exits at once; every file is written atomically, so an
interrupted batch leaves only complete files and a rerun finishes the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from coverage.cli import EXIT_OK, _replications, command, whole_number
from coverage.errors import ScenarioError


def _configure_batch(p: argparse.ArgumentParser) -> None:
    from coverage.settings import DEFAULT_ENGINE, ENGINES

    p.add_argument("paths", nargs="+", metavar="PATH", help="scenario files, folders, sweep files")
    p.add_argument("--out", required=True, help="output folder (reused results are kept)")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=whole_number(1), help="local processes (default: all cores)"
    )
    where.add_argument(
        "--dask", metavar="ADDR", help="local:N (a LocalCluster) or a scheduler, tcp://host:8786"
    )
    p.add_argument("--force", action="store_true", help="rerun variants whose results exist")
    p.add_argument("--seed", type=whole_number(0), help="replace every sweep's and scenario's seed")
    p.add_argument(
        "--replications",
        type=_replications,
        help="replace every replication count (≤ 10,000)",
    )
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE, help="simulation engine")
    p.add_argument("--json", action="store_true", help="print only the manifest as JSON")


class _Progress:
    """A one-line progress bar on a terminal: variants done / total and the time left."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.start = time.monotonic()
        self.first: int | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.first is None:
            self.first = done
        ran, left = done - self.first, total - done
        eta = "—"
        if ran and left:
            seconds = int((time.monotonic() - self.start) / ran * left)
            eta = f"{seconds // 60}:{seconds % 60:02d}"
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\rbatch [{bar}] {done}/{total} variants  ETA {eta}   ")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so cleanup runs (main() then exits 130)."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.json and sys.stderr.isatty() and not os.environ.get("CI")


@command("batch", _configure_batch)
def batch_command(args: argparse.Namespace) -> int:
    """Run scenario files, folders and sweeps (resumable; local pool or Dask)."""
    from coverage.sweeps.runner import run_batch

    with _sigterm_as_interrupt():
        manifest = run_batch(
            args.paths,
            args.out,
            workers=args.workers,
            dask=args.dask,
            force=args.force,
            seed=args.seed,
            replications=args.replications,
            engine=args.engine,
            progress=_Progress(sys.stderr) if _show_progress(args) else None,
        )
    if args.json:
        sys.stdout.write(json.dumps(manifest, indent=2) + "\n")
        return EXIT_OK
    counts = manifest["counts"]
    sys.stdout.write(
        f"{counts['variants']} variants from {len(manifest['inputs'])} input(s): "
        f"{counts['ran']} run, {counts['reused']} reused, "
        f"{manifest['timings']['total_s']:.1f} s ({manifest['executor']})\n"
        f"wrote {', '.join(manifest['files'])} and manifest.json in {args.out}\n"
        f"next: coverage-sim report {args.out}\n"
    )
    return EXIT_OK


def _configure_report(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="output folder of coverage-sim batch")
    p.add_argument("--top", type=whole_number(1), default=5, help="variants shown per plan")
    p.add_argument("--json", action="store_true", help="print the ranked table as JSON")


@command("report", _configure_report)
def report_command(args: argparse.Namespace) -> int:
    """Best variants by cost meeting every target; writes report.html (plotly chart)."""
    import pandas as pd

    from coverage.outputs import atomic_write_text, remove_stale_temps
    from coverage.sweeps.report import best_variants, report_html, report_text

    folder = Path(args.dir)
    summary_path = folder / "summary.parquet"
    if not summary_path.is_file():
        raise ScenarioError(
            "", "no summary.parquet here: run coverage-sim batch ... --out DIR first", file=args.dir
        )
    try:
        summary = pd.read_parquet(summary_path)
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise ScenarioError(
            "",
            f"summary.parquet is not a readable Parquet file ({type(exc).__name__}); "
            "run coverage-sim batch again to rewrite it",
            file=args.dir,
        ) from None
    if summary.empty:
        raise ScenarioError("", "summary.parquet holds no rows", file=args.dir)
    overrides: list[str] = []
    manifest_path = folder / "manifest.json"
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            columns = manifest.get("override_columns", [])
            overrides = [c for c in columns if isinstance(c, str) and c in summary.columns]
        except (OSError, ValueError, AttributeError, TypeError):
            raise ScenarioError(
                "",
                "manifest.json is not a valid manifest; run coverage-sim batch again",
                file=args.dir,
            ) from None
    remove_stale_temps(folder)
    page = report_html(summary, overrides, top=args.top, title=f"Sweep report: {folder.name}")
    atomic_write_text(folder / "report.html", page)
    if args.json:
        best = best_variants(summary, overrides)
        best = best.astype(object).where(best.notna(), None)
        sys.stdout.write(json.dumps(best.to_dict(orient="records"), indent=2) + "\n")
        return EXIT_OK
    sys.stdout.write(report_text(summary, overrides, top=args.top) + "\n")
    sys.stdout.write(f"\nwrote {folder / 'report.html'}\n")
    return EXIT_OK

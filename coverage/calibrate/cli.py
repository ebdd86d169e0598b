"""`coverage-sim calibrate` and `coverage-sim backtest` (docs/calibration.md).

`calibrate LOG --time-zone TZ` fits a log with outcomes and writes `calibrated.yaml` (in `--out DIR`
with the tables, else in the current folder);
`backtest --fit A --check B --time-zone TZ` calibrates on A and predicts B from B's arrivals and
agents present only, beside the uncalibrated prediction (availability 1). Both read logs as
`profile` does (bad rows: one line naming the file and line, exit 2; `--skip-bad-rows`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from coverage.cli import EXIT_OK, _positive_int, _seed, command
from coverage.errors import ScenarioError
from coverage.scenario.fields import check_time_zone


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-zone", required=True, help="local clock (and zone of naive stamps)")
    p.add_argument("--channel", help="calibrate this channel only (default: all rows, one queue)")
    p.add_argument("--json", action="store_true", help="print only JSON")
    p.add_argument("--out", help="write the files here (a folder)")
    p.add_argument("--seed", type=_seed, default=7, help="seed of the simulations (default 7)")
    p.add_argument("--replications", type=_positive_int, default=20, help="default 20")
    p.add_argument(
        "--target-s", type=float, default=20.0, help="service-level threshold [s] (default 20)"
    )
    p.add_argument("--skip-bad-rows", action="store_true", help="drop bad rows (and count them)")


def _configure_calibrate(p: argparse.ArgumentParser) -> None:
    p.add_argument("log", help="contact log with wait_s, outcome and agent (.csv or .parquet)")
    _common(p)


def _configure_backtest(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fit", required=True, help="log to calibrate on (period A)")
    p.add_argument("--check", required=True, help="log to predict (period B)")
    _common(p)


def _zone(text: str) -> str:
    try:
        return check_time_zone(text)
    except ValueError as exc:
        raise ScenarioError("--time-zone", str(exc)) from None


def _options(args: argparse.Namespace) -> None:
    if not 0 < args.target_s < 1e7:
        raise ScenarioError(
            "--target-s", f"must be a positive number of seconds, got {args.target_s}"
        )


def _read(path: str, args: argparse.Namespace, time_zone: str) -> Any:
    from coverage.calibrate.outcomes import read_period
    from coverage.demand.log_reader import read_log

    raw = read_log(path, skip_bad=args.skip_bad_rows)
    return read_period(raw, time_zone=time_zone, channel=args.channel, skip_bad=args.skip_bad_rows)


@command("calibrate", _configure_calibrate)
def calibrate_command(args: argparse.Namespace) -> int:
    """Fit a contact log with outcomes; print the fit; write calibrated.yaml (in --out or here)."""
    from coverage.calibrate.report import calibration_dict, calibration_tables, calibration_text
    from coverage.calibrate.run import calibrate_period
    from coverage.calibrate.scenario import calibrated_yaml
    from coverage.outputs import atomic_write_text, remove_stale_temps, write_table

    time_zone = _zone(args.time_zone)
    _options(args)
    period, observed = _read(args.log, args, time_zone)
    cal = calibrate_period(
        period, observed, seed=args.seed, replications=args.replications, target_s=args.target_s
    )
    data = calibration_dict(cal)
    out = Path(args.out or ".")
    remove_stale_temps(out)
    if args.out:
        by_hour, staffing = calibration_tables(cal)
        write_table(by_hour, out, "by_hour")
        write_table(staffing, out, "staffing")
        atomic_write_text(out / "calibration.json", json.dumps(data, indent=2) + "\n")
    atomic_write_text(out / "calibrated.yaml", calibrated_yaml(cal))
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(calibration_text(cal) + "\n")
        if args.out:
            sys.stdout.write(
                f"\nwrote calibrated.yaml, calibration.json, by_hour and staffing "
                f"(.csv/.parquet) in {args.out}\n"
            )
        else:
            sys.stdout.write("\nwrote calibrated.yaml (--out DIR writes it and the tables there)\n")
    return EXIT_OK


@command("backtest", _configure_backtest)
def backtest_command(args: argparse.Namespace) -> int:
    """Calibrate on one log, predict another from its arrivals and staffing, compare."""
    from coverage.calibrate.backtest import backtest, backtest_text
    from coverage.calibrate.charts import by_hour_figure
    from coverage.outputs import (
        atomic_write_bytes,
        atomic_write_text,
        remove_stale_temps,
        write_table,
    )

    time_zone = _zone(args.time_zone)
    _options(args)
    period_a, observed_a = _read(args.fit, args, time_zone)
    period_b, observed_b = _read(args.check, args, time_zone)
    result = backtest(
        period_a,
        observed_a,
        period_b,
        observed_b,
        seed=args.seed,
        replications=args.replications,
        target_s=args.target_s,
    )
    if args.out:
        out = Path(args.out)
        remove_stale_temps(out)
        write_table(result.by_hour, out, "by_hour")
        write_table(result.overall, out, "overall")
        atomic_write_text(out / "backtest.json", json.dumps(result.data, indent=2) + "\n")
        fig = by_hour_figure(
            result.by_hour,
            ["observed", "predicted", "naive"],
            f"Backtest: {period_b.file} predicted from {period_a.file}",
        )
        atomic_write_bytes(out / "by_hour.html", fig.to_html(include_plotlyjs=True).encode())
    if args.json:
        sys.stdout.write(json.dumps(result.data, indent=2) + "\n")
    else:
        sys.stdout.write(backtest_text(result) + "\n")
        if args.out:
            sys.stdout.write(
                f"\nwrote backtest.json, overall and by_hour (.csv/.parquet) and by_hour.html "
                f"in {args.out}\n"
            )
    return EXIT_OK

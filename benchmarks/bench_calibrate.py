"""Benchmark: `coverage-sim calibrate` on a 40,000-call month (goal: under 60 s on 2 cores).

Generates one month (31 days, March 2026, Europe/Berlin) with scripts/make_calibration_logs.py
at 3.8 × the example's demand (about 40,000 calls), then runs
``coverage-sim calibrate LOG --time-zone Europe/Berlin --json --out DIR`` (20 replications, the
default) in fresh processes and prints, per run, the wall time, the CPU time of the child
process (user + system) and the load average before the run — the machine is shared, so wall
time alone says little. Printed, never asserted (see docs/calibration.md).

    .venv/bin/python benchmarks/bench_calibrate.py [--runs 3] [--scale 3.8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "coverage-sim"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_calibration_logs", ROOT / "scripts" / "make_calibration_logs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _child_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=3.8)
    args = parser.parse_args()
    gen = _generator()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "month.csv"
        gen.write_log(gen.generate_log(dt.date(2026, 3, 1), 31, seed=5, scale=args.scale), log)
        rows = sum(1 for _ in log.open()) - 1
        print(f"log: {rows:,} calls, 31 days; cores: {os.cpu_count()}")
        for run in range(args.runs):
            load = os.getloadavg()[0]
            cpu0, wall0 = _child_cpu_s(), time.perf_counter()
            proc = subprocess.run(
                [str(CLI), "calibrate", str(log), "--time-zone", "Europe/Berlin", "--json",
                 "--out", str(Path(tmp) / "out")],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            wall, cpu = time.perf_counter() - wall0, _child_cpu_s() - cpu0
            data = json.loads(proc.stdout)
            print(
                f"run {run + 1}: wall {wall:6.1f} s  cpu {cpu:6.1f} s  load {load:4.1f}  "
                f"availability {data['availability']:.3f}  simulations {len(data['search'])}"
            )


if __name__ == "__main__":
    main()

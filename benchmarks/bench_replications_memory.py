"""Peak memory against the number of replications: it should stay flat.

Usage::

    .venv/bin/python benchmarks/bench_replications_memory.py [SCENARIO] [--reps 20 100 200]

Each count runs ``run_scenario(..., workers=1)`` in a fresh process and prints the peak resident
set (``VmHWM``) after the imports and after the run, with CPU time and the load average. A run
keeps per replication only the figures (a few hundred bytes per plan and channel) and adds each
replication's hourly counts into one dense table (`coverage.results.hourly.HourlySum`), so the
peak should not grow with the count beyond those figures. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "global-saas.yaml"


def vm_hwm_mb(field: str = "VmHWM") -> float:
    """A field of /proc/self/status in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(scenario: str, reps: int) -> None:
    """Run one count in this process and print JSON."""
    from coverage.results.hourly import warm_up as warm_up_hourly
    from coverage.scenario.model import load_scenario
    from coverage.simulation.fast_engine import warm_up
    from coverage.simulation.replications import run_scenario

    warm_up()
    warm_up_hourly()
    sc = load_scenario(scenario)
    base = vm_hwm_mb("VmRSS")
    cpu = time.process_time()
    run_scenario(sc, replications=reps, workers=1)
    out = {"base_mb": base, "peak_mb": vm_hwm_mb(), "cpu_s": time.process_time() - cpu}
    print(json.dumps(out))


def main() -> None:
    """One fresh process per count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(DEFAULT))
    parser.add_argument("--reps", type=int, nargs="+", default=[20, 100, 200])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.scenario, args.child)
        return
    print(f"{Path(args.scenario).name}: peak resident set against replications (workers=1)\n")
    print("| replications | after imports MB | peak MB | CPU s | load 1 min |")
    print("|-------------:|-----------------:|--------:|------:|-----------:|")
    for reps in args.reps:
        argv = [sys.executable, __file__, args.scenario, "--child", str(reps)]
        got = json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)
        print(
            f"| {reps} | {got['base_mb']:.0f} | {got['peak_mb']:.0f} | {got['cpu_s']:.1f} | "
            f"{os.getloadavg()[0]:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

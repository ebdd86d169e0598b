"""Benchmark: the default scenario end to end, as a user runs it (CLI, cold process).

Runs ``coverage-sim run scenarios/global-saas.yaml --json --timing`` (2 plans × 20 replications ×
1 week) in fresh processes, for each engine, and prints the wall time of each run next to the
stage timings the JSON reports. The first fast-engine run of a machine may include numba's
compilation (later processes load it from the on-disk cache); it is shown separately.
Printed, never asserted: see docs/performance.md for the numbers on the project's machine.

    .venv/bin/python benchmarks/bench_week.py [--runs 3] [--engines fast simpy]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "coverage-sim"
SCENARIO = ROOT / "scenarios" / "global-saas.yaml"


def run_once(engine: str) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [str(CLI), "run", str(SCENARIO), "--json", "--timing", "--engine", engine],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    return wall, json.loads(proc.stdout)["timing"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per engine")
    parser.add_argument("--engines", nargs="+", default=["fast", "simpy"])
    args = parser.parse_args()
    print(f"# bench_week: {SCENARIO.name}, cold process per run, {args.runs} runs per engine")
    print("| engine | run | wall s | draw s | simulate s | metrics s | in-process total s |")
    print("|---|---|--:|--:|--:|--:|--:|")
    medians = {}
    for engine in args.engines:
        walls = []
        first = run_once(engine)  # warms the numba cache and the OS file cache
        rows = [("warm-up", *first)]
        for i in range(args.runs):
            wall, timing = run_once(engine)
            walls.append(wall)
            rows.append((str(i + 1), wall, timing))
        for label, wall, t in rows:
            print(
                f"| {engine} | {label} | {wall:.2f} | {t['draw_s']:.2f} | {t['simulate_s']:.2f} "
                f"| {t['metrics_s']:.2f} | {t['total_s']:.2f} |"
            )
        medians[engine] = statistics.median(walls)
    for engine, wall in medians.items():
        print(f"median wall, {engine}: {wall:.2f} s")
    if "fast" in medians and "simpy" in medians:
        print(f"simpy / fast wall-time ratio: {medians['simpy'] / medians['fast']:.1f}x")


if __name__ == "__main__":
    main()

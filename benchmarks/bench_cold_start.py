"""Benchmark: a cold `coverage-sim run` of the default scenario, this tree against another.

Each run is a fresh process, ``python -c "from coverage.launch import main; main()" run
scenarios/global-saas.yaml --json --workers 1`` (what the ``coverage-sim`` console script does),
with the package imported from this tree or from ``--baseline`` (a source tree of another commit,
e.g. ``git worktree add /tmp/base <commit>`` or ``git archive <commit> | tar -x -C /tmp/base``;
same interpreter and packages). The two alternate run by run (A, B, A, B, …), after one
unmeasured warm-up run each (the numba cache and the OS file cache). Printed per run: wall time,
CPU time (user + system of the process, from ``RUSAGE_CHILDREN``) and the 1-minute load average;
then best and median of each, and the ratios of the bests. The JSON outputs of the two trees are
compared byte for byte. Printed, never asserted.

    .venv/bin/python benchmarks/bench_cold_start.py --baseline /tmp/base [--runs 5]
    .venv/bin/python benchmarks/bench_cold_start.py --runs 5        # this tree only
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAUNCH = "import sys; from coverage.launch import main; sys.exit(main())"


def run_once(tree: Path, scenario: Path) -> tuple[float, float, float, bytes]:
    """One cold run with the package of `tree`: wall s, CPU s, load before, stdout."""
    env = {**os.environ, "PYTHONPATH": str(tree)}  # ahead of the editable install's path
    command = [sys.executable, "-c", LAUNCH, "run", str(scenario), "--json", "--workers", "1"]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per tree")
    parser.add_argument("--baseline", type=Path, help="source tree to compare against")
    parser.add_argument("--scenario", default="scenarios/global-saas.yaml")
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    outputs = {name: run_once(tree, tree / args.scenario)[3] for name, tree in trees.items()}
    print(f"# bench_cold_start: {args.scenario} --json --workers 1, cold process per run")
    if args.baseline:
        same = outputs["baseline"] == outputs["this tree"]
        print(f"JSON output byte-identical between the trees: {same}")
    print("| round | tree | wall s | CPU s | load |")
    print("|--:|---|--:|--:|--:|")
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
    for i in range(1, args.runs + 1):
        for name, tree in trees.items():
            wall, cpu, load, _ = run_once(tree, tree / args.scenario)
            rows[name].append((wall, cpu, load))
            print(f"| {i} | {name} | {wall:.2f} | {cpu:.2f} | {load:.2f} |")
    best = {}
    for name, r in rows.items():
        walls, cpus = [w for w, _, _ in r], [c for _, c, _ in r]
        best[name] = (min(walls), min(cpus))
        print(
            f"{name}: wall best {min(walls):.2f} median {statistics.median(walls):.2f}; "
            f"CPU best {min(cpus):.2f} median {statistics.median(cpus):.2f}; "
            f"load {min(x for _, _, x in r):.2f}-{max(x for _, _, x in r):.2f}"
        )
    if args.baseline:
        (bw, bc), (tw, tc) = best["baseline"], best["this tree"]
        print(f"this tree / baseline, best of {args.runs}: wall {tw / bw:.2f}, CPU {tc / bc:.2f}")


if __name__ == "__main__":
    main()

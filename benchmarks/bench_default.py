"""The default scenario warm in one process: CPU of `run_scenario` and of the engine inside it.

Usage::

    .venv/bin/python benchmarks/bench_default.py                        # this tree, 2 processes
    .venv/bin/python benchmarks/bench_default.py --tree /path/to/other/checkout --rounds 3

Each process imports the package of one tree (this one, or each ``--tree`` in turn), runs
``run_scenario(load_scenario("scenarios/global-saas.yaml"), workers=1)`` once to load every
compiled kernel, then ``--repeats`` more times and reports the best (lowest) process CPU time
(``time.process_time``) of a run, the engine's CPU in that run (the fast engine's ``simulate``
wrapped with a timer; 2 plans × 20 replications = 40 calls) and per call, the wall time and the
1-minute load average. With several trees the processes alternate tree by tree, round by round
(A, B, A, B, ...), so a comparison of two commits sees the same machine load; the ratio is taken
from the best figures of each tree over the rounds. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "scenarios/global-saas.yaml"


def child(tree: Path, repeats: int) -> dict[str, Any]:
    """Best of `repeats` warm runs of the default scenario with the package of `tree`."""
    sys.path.insert(0, str(tree))
    from coverage.scenario.model import load_scenario
    from coverage.simulation import fast_engine
    from coverage.simulation.replications import run_scenario

    assert Path(fast_engine.__file__).resolve().is_relative_to(tree.resolve()), "wrong tree"
    simulate = fast_engine.simulate
    engine: dict[str, float] = {"cpu_s": 0.0, "calls": 0}

    def timed(inp: Any) -> Any:
        cpu = time.process_time()
        out = simulate(inp)
        engine["cpu_s"] += time.process_time() - cpu
        engine["calls"] += 1
        return out

    fast_engine.simulate = timed  # type: ignore[assignment]  # pipeline looks it up per run
    scenario = load_scenario(tree / SCENARIO)
    run_scenario(scenario, workers=1)  # loads the kernels
    best: dict[str, Any] = {}
    for _ in range(repeats):
        engine["cpu_s"], engine["calls"] = 0.0, 0
        cpu, wall = time.process_time(), time.perf_counter()
        run_scenario(scenario, workers=1)
        got = {
            "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - wall,
            "engine_cpu_s": engine["cpu_s"],
            "engine_calls": engine["calls"],
            "load": os.getloadavg()[0],
        }
        if not best or got["cpu_s"] < best["cpu_s"]:
            best = got
    return best


def main() -> None:
    """Alternate fresh processes over the trees; print one row per process and the best."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, action="append", help="a checkout (default: this)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.repeats)))
        return
    trees = args.tree or [ROOT]
    print(
        f"{SCENARIO}, run_scenario(workers=1) warm, best of {args.repeats} per process, "
        f"{args.rounds} rounds alternating trees\n"
    )
    print("| round | tree | CPU s | wall s | engine CPU s | engine ms/call | load |")
    print("|--:|---|--:|--:|--:|--:|--:|")
    rows: list[dict[str, Any]] = []
    for rnd in range(1, args.rounds + 1):
        for tree in trees:
            argv = [sys.executable, __file__, "--child", str(tree), "--repeats", str(args.repeats)]
            proc = subprocess.run(argv, check=True, capture_output=True, text=True)
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            got["tree"] = str(tree)
            rows.append(got)
            per_call = 1000 * got["engine_cpu_s"] / max(got["engine_calls"], 1)
            print(
                f"| {rnd} | {tree} | {got['cpu_s']:.3f} | {got['wall_s']:.3f} | "
                f"{got['engine_cpu_s']:.3f} | {per_call:.2f} | {got['load']:.1f} |",
                flush=True,
            )
    print("\n| tree | best CPU s | best engine CPU s | ratio to the first tree (CPU, engine) |")
    print("|---|--:|--:|--:|")
    first = [r for r in rows if r["tree"] == str(trees[0])]
    for tree in trees:
        mine = [r for r in rows if r["tree"] == str(tree)]
        cpu = min(r["cpu_s"] for r in mine)
        eng = min(r["engine_cpu_s"] for r in mine)
        ratio_cpu = cpu / min(r["cpu_s"] for r in first)
        ratio_eng = eng / min(r["engine_cpu_s"] for r in first)
        print(f"| {tree} | {cpu:.3f} | {eng:.3f} | {ratio_cpu:.2f}, {ratio_eng:.2f} |")


if __name__ == "__main__":
    main()

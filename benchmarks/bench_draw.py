"""Benchmark: drawing contacts and building engine inputs, against another source tree.

Usage::

    git worktree add --detach /tmp/cov-base <commit>       # the code to compare with
    .venv/bin/python benchmarks/bench_draw.py --against /tmp/cov-base [--rounds 3]
    .venv/bin/python benchmarks/bench_draw.py               # this tree only

Each round runs one child process per tree, alternating (this tree, the other, this tree, ...);
a child imports ``coverage`` from its tree (``PYTHONPATH``) and measures, by process CPU time
(``time.process_time``, best of 3 repeats inside the child):

- ``draw``: one replication's contacts of ``scenarios/global-saas.yaml`` (20 replications, per
  replication; with the run's precomputed draw setup when the tree has one, as a run does);
- ``input``: automation and engine input per plan and replication (2 plans × 5 replications);
- ``run``: a warm in-process ``run_scenario`` of the default scenario (2 plans × 20
  replications, 1 worker);
- ``many``: one replication's contacts of a scenario built from global-saas with 256 demand
  entries (4 channels × 64 languages spread over the 3 regions, same total demand: 256 routing
  classes), per replication over 3 replications;
- ``draw1M`` and ``input1M`` (with ``--million``): drawing one replication of the M/M/14+M
  example at 1,000,000 arrivals (`benchmarks/bench_engine.py`'s scenario), and its automation
  and engine input.

Printed per child: CPU s, wall s and the 1-minute load average; then per round the ratio other
tree / this tree of each figure, and their median. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "global-saas.yaml"
N_LANGUAGES = 64


def best_of(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, float]:
    """Best CPU and wall seconds of `repeats` calls of `fn`."""
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu), min(wall)


def many_entries(raw: dict[str, Any]) -> dict[str, Any]:
    """global-saas with its demand split into 4 channels × 64 languages (256 entries)."""
    raw = copy.deepcopy(raw)
    by_key = {(d["channel"], d["region"]): d for d in raw["demand"]}
    regions = list(raw["regions"])
    demand = []
    for (_channel, region), entry in by_key.items():
        langs = [j for j in range(N_LANGUAGES) if regions[j % len(regions)] == region]
        for j in langs:
            part = dict(entry)
            part["per_hour"] = [x / len(langs) for x in entry["per_hour"]]
            part["language"] = f"l{j:02d}"
            demand.append(part)
    raw["demand"] = demand
    return raw


def child(million: bool) -> None:
    """Measure in this process (the tree on PYTHONPATH) and print JSON."""
    import yaml

    import coverage
    from coverage.demand.arrivals import draw_contacts
    from coverage.demand.automation import apply_automation
    from coverage.results.hourly import warm_up as warm_up_hourly
    from coverage.scenario.model import parse_scenario
    from coverage.simulation.dispatch import build_engine_input
    from coverage.simulation.fast_engine import warm_up
    from coverage.simulation.pipeline import prepare_run
    from coverage.simulation.replications import run_scenario

    warm_up()
    warm_up_hourly()
    raw = yaml.safe_load(DEFAULT.read_text())
    sc = parse_scenario(raw, base_dir=str(DEFAULT.parent))
    out: dict[str, Any] = {"tree": str(Path(coverage.__file__).parents[1])}

    def draw_all(scenario: Any, reps: int) -> Callable[[], Any]:
        setup = prepare_run(scenario)
        extra = {"draws": setup.draws} if getattr(setup, "draws", None) is not None else {}

        def fn() -> Any:
            return [
                draw_contacts(scenario, setup.timeline, seed=7, replication=r, **extra)
                for r in range(reps)
            ]

        return fn

    fn = draw_all(sc, 20)
    fn()
    cpu, wall = best_of(fn)
    out["draw"] = (cpu / 20, wall / 20, os.getloadavg()[0])

    setup = prepare_run(sc)
    contacts = draw_all(sc, 5)()

    def inputs() -> None:
        for c in contacts:
            for plan, roster in setup.rosters.items():
                bot = apply_automation(c, sc, sc.automation_for(plan))
                build_engine_input(sc, c, bot, roster, setup.timeline.end_s)

    n = len(contacts) * len(setup.rosters)
    cpu, wall = best_of(inputs)
    out["input"] = (cpu / n, wall / n, os.getloadavg()[0])

    run_scenario(sc, replications=2, workers=1)
    cpu, wall = best_of(lambda: run_scenario(sc, workers=1))
    out["run"] = (cpu, wall, os.getloadavg()[0])

    many = parse_scenario(many_entries(raw), base_dir=str(DEFAULT.parent))
    fn = draw_all(many, 3)
    cpu, wall = best_of(fn)
    out["many"] = (cpu / 3, wall / 3, os.getloadavg()[0])
    if million:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_engine import erlang_scenario

        big = erlang_scenario(1_000_000)
        fn = draw_all(big, 1)
        cpu, wall = best_of(fn)
        out["draw1M"] = (cpu, wall, os.getloadavg()[0])
        big_setup = prepare_run(big)
        (c,) = fn()
        (plan, roster), *_ = big_setup.rosters.items()

        def big_input() -> None:
            bot = apply_automation(c, big, big.automation_for(plan))
            build_engine_input(big, c, bot, roster, big_setup.timeline.end_s)

        cpu, wall = best_of(big_input)
        out["input1M"] = (cpu, wall, os.getloadavg()[0])
    print(json.dumps(out))


def in_child(tree: Path, million: bool) -> dict[str, Any]:
    """One child process importing `coverage` from `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child"]
        + (["--million"] if million else []),
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another source tree to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--million", action="store_true", help="also M/M/14+M at 1M arrivals")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.million)
        return
    trees = [ROOT] + ([args.against.resolve()] if args.against else [])
    for tree in trees:  # compile (or load) each tree's kernels before timing
        in_child(tree, False)
    keys = ("draw", "input", "run", "many") + (("draw1M", "input1M") if args.million else ())
    print("CPU and wall per unit: draw, many and draw1M per replication, input and input1M per")
    print("plan-replication, run per default run (best of 3 repeats in a child); load = 1-minute")
    print("load average at the end of the child")
    print("| round | tree | " + " | ".join(f"{k} CPU s | {k} wall s" for k in keys) + " | load |")
    print("|---|---|" + "--:|--:|" * len(keys) + "--:|")
    ratios: dict[str, list[float]] = {k: [] for k in keys}
    for r in range(args.rounds):
        results = [in_child(tree, args.million) for tree in trees]
        for tree, res in zip(trees, results, strict=True):
            cells = " | ".join(f"{res[k][0]:.4f} | {res[k][1]:.4f}" for k in keys)
            print(f"| {r + 1} | {tree} | {cells} | {res['run'][2]:.1f} |")
        if len(results) == 2:
            for k in keys:
                ratios[k].append(results[1][k][0] / results[0][k][0])
    if args.against:
        for k in keys:
            per_round = ", ".join(f"{x:.2f}" for x in ratios[k])
            print(
                f"CPU ratio {k} (other / this tree): rounds {per_round}; "
                f"median {statistics.median(ratios[k]):.2f}"
            )


if __name__ == "__main__":
    main()

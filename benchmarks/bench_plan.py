"""The per-plan path of a run without its measuring pass: bot, engine input and engine, by stage.

Usage::

    .venv/bin/python benchmarks/bench_plan.py                                   # this tree
    .venv/bin/python benchmarks/bench_plan.py --tree . --tree /path/to/other --rounds 4

Each process imports the package of one tree, draws the default scenario's contacts
(``scenarios/global-saas.yaml``, ``--replications`` of them, 2 plans) once, and then runs
``simulate_replication``'s per-plan step — `coverage.simulation.pipeline.simulate_plan` on every
plan of every replication, in run order — with ``measure_plan`` replaced by a stub, so what is
timed is the automation, the engine input and the engine (the part of a run this benchmark is
about). The three stages are timed by wrapping the functions ``simulate_plan`` calls (the bot
pass, the engine input builders and the engine) with process-CPU timers. Reported per
plan-replication: the best (lowest) of ``--repeats`` passes, process CPU time
(``time.process_time``), minor page faults, wall time and the 1-minute load average. With several
trees the processes alternate tree by tree, round by round (A, B, A, B, ...), and the ratios are
taken from each tree's best figures over the rounds. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "scenarios/global-saas.yaml"
STAGES = ("bot", "input", "engine")


def child(tree: Path, replications: int, repeats: int) -> dict[str, Any]:
    """Best of `repeats` passes over every plan-replication with the package of `tree`."""
    sys.path.insert(0, str(tree))
    import inspect

    from coverage.demand.arrivals import draw_contacts
    from coverage.scenario.model import load_scenario
    from coverage.simulation import fast_engine, pipeline

    assert Path(pipeline.__file__).resolve().is_relative_to(tree.resolve()), "wrong tree"
    spent = dict.fromkeys(STAGES, 0.0)

    def timed(stage: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cpu = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[stage] += time.process_time() - cpu

        return wrapper

    pipeline.apply_automation = timed("bot", pipeline.apply_automation)  # type: ignore[attr-defined]
    for name in ("build_engine_input", "queue_input", "engine_input"):  # this tree's or the other's
        if hasattr(pipeline, name):
            setattr(pipeline, name, timed("input", getattr(pipeline, name)))
    simulate = timed("engine", fast_engine.simulate)
    pipeline.measure_plan = lambda *args, **kwargs: (None, None, None, None)  # type: ignore[assignment]
    shares = "queued" in inspect.signature(pipeline.simulate_plan).parameters
    scenario = load_scenario(tree / SCENARIO)
    setup = pipeline.prepare_run(scenario)
    timeline, seed = setup.timeline, scenario.seed
    contacts = [
        draw_contacts(scenario, timeline, seed=seed, replication=r, draws=setup.draws)
        for r in range(replications)
    ]

    def one_pass() -> None:
        for r, drawn in enumerate(contacts):
            queued: list[Any] = []
            for plan in setup.rosters:
                extra = {"queued": queued} if shares else {}
                pipeline.simulate_plan(setup, plan, drawn, replication=r, engine=simulate, **extra)

    one_pass()  # loads every kernel
    n = replications * len(setup.rosters)
    best: dict[str, Any] = {}
    for _ in range(repeats):
        for stage in STAGES:
            spent[stage] = 0.0
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        cpu, wall = time.process_time(), time.perf_counter()
        one_pass()
        got = {
            "cpu_ms": 1000 * (time.process_time() - cpu) / n,
            "wall_ms": 1000 * (time.perf_counter() - wall) / n,
            "faults": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / n,
            "load": os.getloadavg()[0],
            **{f"{stage}_ms": 1000 * spent[stage] / n for stage in STAGES},
        }
        if not best or got["cpu_ms"] < best["cpu_ms"]:
            best = got
    return best


def main() -> None:
    """Alternate fresh processes over the trees; print one row per process and the best."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, action="append", help="a checkout (default: this)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.replications, args.repeats)))
        return
    trees = args.tree or [ROOT]
    print(
        f"{SCENARIO}: simulate_plan without measure_plan, {args.replications} replications x 2 "
        f"plans, best of {args.repeats} per process, {args.rounds} rounds alternating trees; "
        "ms of CPU per plan-replication\n"
    )
    print("| round | tree | CPU ms | bot ms | input ms | engine ms | faults | wall ms | load |")
    print("|--:|---|--:|--:|--:|--:|--:|--:|--:|")
    rows: list[dict[str, Any]] = []
    for rnd in range(1, args.rounds + 1):
        for tree in trees:
            argv = [
                sys.executable, __file__, "--child", str(tree), "--repeats", str(args.repeats),
                "--replications", str(args.replications),
            ]  # fmt: skip
            proc = subprocess.run(argv, check=True, capture_output=True, text=True)
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            got["tree"] = str(tree)
            rows.append(got)
            print(
                f"| {rnd} | {tree} | {got['cpu_ms']:.2f} | {got['bot_ms']:.2f} | "
                f"{got['input_ms']:.2f} | {got['engine_ms']:.2f} | {got['faults']:.0f} | "
                f"{got['wall_ms']:.2f} | {got['load']:.1f} |",
                flush=True,
            )
    print("\n| tree | best CPU ms | best bot + input ms | best engine ms | ratio to the first |")
    print("|---|--:|--:|--:|--:|")
    first = min(r["cpu_ms"] for r in rows if r["tree"] == str(trees[0]))
    for tree in trees:
        mine = [r for r in rows if r["tree"] == str(tree)]
        cpu = min(r["cpu_ms"] for r in mine)
        before_engine = min(r["bot_ms"] + r["input_ms"] for r in mine)
        engine = min(r["engine_ms"] for r in mine)
        print(f"| {tree} | {cpu:.2f} | {before_engine:.2f} | {engine:.2f} | {cpu / first:.2f} |")


if __name__ == "__main__":
    main()

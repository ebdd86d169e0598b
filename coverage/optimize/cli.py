"""`coverage-sim optimize`: size plans to their targets (docs/optimizer.md).

Exit 0 when every plan meets its targets, 3 when one cannot (the best crews found are still
printed and written, with the channels and hours that fail), 2 on bad input. Progress goes to
stderr; `--json` prints only the result on stdout. Files are written at the end, atomically, so
an interrupted search (Ctrl-C, SIGTERM) leaves no partial file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from coverage.cli import EXIT_OK, AppendOnce, _positive_int, _replications, _seed, command
from coverage.errors import ScenarioError

EXIT_CANNOT_MEET = 3


def _configure(p: argparse.ArgumentParser) -> None:
    from coverage.settings import MAX_AGENTS_PER_PLAN

    p.add_argument("file", help="scenario YAML file with agents: auto / {min, max} shifts")
    p.add_argument("--plan", action=AppendOnce, help="size only this plan (repeatable)")
    p.add_argument("--out", help="write optimized.yaml, optimize.json (and frontier.csv) here")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.add_argument(
        "--frontier",
        metavar="CHANNEL=S1,S2,...",
        help="also size each plan at each of these target shares of CHANNEL",
    )
    p.add_argument(
        "--replications", type=_replications, help="override the scenario's (at most 10,000)"
    )
    p.add_argument("--seed", type=_seed, help="override the scenario's seed")
    p.add_argument(
        "--workers",
        type=_positive_int,
        help="processes simulating each candidate's replications (default: all cores)",
    )
    p.add_argument(
        "--max-agents",
        type=_positive_int,
        default=MAX_AGENTS_PER_PLAN,
        help="upper bound of an auto crew without max (and the plan's agent limit)",
    )


def _relocate_logs(data: dict[str, Any], base_dir: str | None, out_dir: Path) -> None:
    """Contact-log paths of `data` made relative to `out_dir` (where optimized.yaml goes)."""
    for entry in data.get("demand", []):
        for key in ("replay", "fit"):
            if entry.get(key) and base_dir is not None:
                path = Path(entry[key])
                full = path if path.is_absolute() else Path(base_dir) / path
                entry[key] = os.path.relpath(full.resolve(), out_dir.resolve())


def optimized_yaml(result: Any, source: str, out_dir: Path) -> str:
    """The sized scenario as YAML, runnable from `out_dir`."""
    import yaml

    from coverage.scenario.model import scenario_to_dict

    data = scenario_to_dict(result.scenario)
    _relocate_logs(data, result.scenario.base_dir, out_dir)
    header = (
        f"# Sized by `coverage-sim optimize {source}` (seed {result.seed}, "
        f"{result.replications} replications): every auto crew replaced by its number.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@command("optimize", _configure)
def optimize_command(args: argparse.Namespace) -> int:
    """Size plans to their targets: the cheapest crews meeting every channel's target."""
    from coverage.scenario.model import load_scenario

    scenario = load_scenario(args.file)  # before the heavy imports: a bad file is told at once
    frontier_spec = None
    try:
        from coverage.optimize.frontier import parse_frontier
        from coverage.optimize.sizing import check_sizable

        check_sizable(scenario)
        for name in args.plan or []:
            if name not in scenario.plans:
                raise ScenarioError(
                    "--plan", f"no plan {name!r} (plans: {', '.join(scenario.plans)})"
                )
        if args.frontier:
            frontier_spec = parse_frontier(args.frontier, scenario)
    except ScenarioError as exc:
        raise exc.with_file(args.file) if not exc.path.startswith("--") else exc from None

    from coverage.optimize.frontier import FRONTIER_COLUMNS, frontier
    from coverage.optimize.report import result_json, summary_text
    from coverage.optimize.sizing import size_plans
    from coverage.outputs import atomic_write_text, remove_stale_temps, write_table
    from coverage.simulation.replications import default_workers

    if args.out:
        remove_stale_temps(args.out)
    workers = args.workers or default_workers()
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"optimize [{time.perf_counter() - started:5.1f} s] {message}", file=sys.stderr)

    try:
        result = size_plans(
            scenario,
            args.plan,
            replications=args.replications,
            seed=args.seed,
            workers=workers,
            max_agents=args.max_agents,
            progress=progress,
        )
        rows = None
        if frontier_spec is not None:
            rows = frontier(
                scenario,
                frontier_spec[0],
                frontier_spec[1],
                args.plan,
                replications=result.replications,
                seed=result.seed,
                max_agents=args.max_agents,
                progress=progress,
                workers=workers,
            )
    except ScenarioError as exc:
        raise exc.with_file(args.file) if not exc.path.startswith("--") else exc from None
    text = result_json(result, frontier=rows)
    if args.out:
        import pandas as pd

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "optimized.yaml", optimized_yaml(result, args.file, out))
        atomic_write_text(out / "optimize.json", text + "\n")
        if rows is not None:
            write_table(pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS)), out, "frontier")
    if args.json:
        print(text)
    else:
        print(summary_text(result, frontier=rows))
        if args.out:
            print(f"\nwrote optimized.yaml and optimize.json in {args.out}")
    print(
        f"optimize: {result.simulations:,} plan-replications simulated, solver "
        f"{result.solver_s:.2f} s, {result.wall_s:.1f} s wall, {result.cpu_s:.1f} s CPU",
        file=sys.stderr,
    )
    if not result.meets:
        for plan in result.plans.values():
            for failure in plan.failures:
                print(f"cannot meet: {plan.plan}: {failure}", file=sys.stderr)
        return EXIT_CANNOT_MEET
    return EXIT_OK

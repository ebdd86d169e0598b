"""`coverage-sim capacity FILE`: hiring, headcount and cost by month (docs/capacity.md).

Sizes each month's week with the optimizer, plans hiring per site at least cost, simulates the
staff actually available in shortfall months, and prints a month table per plan (or, with
``--json``, only the JSON). ``--out DIR`` writes ``capacity.csv``/``.parquet`` (one row per
plan × month × site) and ``capacity.json``, each atomically. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from coverage.cli import EXIT_INTERNAL, EXIT_OK, AppendOnce, _replications, command, whole_number
from coverage.errors import ScenarioError


def _configure(p: argparse.ArgumentParser) -> None:
    from coverage.settings import DEFAULT_ENGINE, ENGINES

    p.add_argument("file", help="scenario YAML file with a capacity block")
    p.add_argument("--plan", action=AppendOnce, help="plan only this plan (repeatable)")
    p.add_argument("--out", help="write capacity.csv/.parquet and capacity.json here")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.add_argument(
        "--replications", type=_replications, help="replications per sizing (default: file)"
    )
    p.add_argument("--seed", type=whole_number(0), help="override the scenario's seed")
    p.add_argument(
        "--levels",
        type=whole_number(2),
        help="size only this many demand levels and interpolate between them (default: every "
        "distinct month)",
    )
    p.add_argument(
        "--service-replications",
        type=whole_number(1),
        default=5,
        help="replications of the shortfall-month simulations (default 5)",
    )
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE, help="simulation engine")
    p.add_argument(
        "--workers",
        type=whole_number(1),
        help="processes sizing demand levels (default: all cores)",
    )


def run_capacity(
    scenario: Any,
    *,
    plans: list[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    levels: int | None = None,
    service_replications: int = 5,
    engine: str | None = None,
    workers: int = 1,
    progress: Any = None,
) -> Any:
    """Size, plan and check one scenario: the `CapacityResult` the command prints."""
    from coverage.capacity.plan import plan_capacity
    from coverage.capacity.requirement import size_months
    from coverage.capacity.service import shortfall_service
    from coverage.settings import DEFAULT_ENGINE

    if scenario.capacity is None:
        raise ScenarioError("capacity", "this scenario has no capacity block (docs/capacity.md)")
    names = list(plans or scenario.plans)
    for name in names:
        if name not in scenario.plans:
            raise ScenarioError("--plan", f"no plan {name!r} (plans: {', '.join(scenario.plans)})")
    engine = engine or DEFAULT_ENGINE
    needs = size_months(
        scenario,
        plans=names,
        replications=replications,
        seed=seed,
        engine=engine,
        levels=levels,
        workers=workers,
        progress=progress,
    )
    result = plan_capacity(scenario, needs)
    return shortfall_service(
        scenario,
        result,
        replications=service_replications,
        seed=scenario.seed if seed is None else seed,
        engine=engine,
        progress=progress,
    )


@command("capacity", _configure)
def capacity_command(args: argparse.Namespace) -> int:
    """Hiring, headcount and cost by month for each plan (capacity block)."""
    from coverage.scenario.model import load_scenario

    scenario = load_scenario(args.file)
    from coverage.capacity.report import capacity_json, capacity_table, capacity_text
    from coverage.outputs import atomic_write_text, remove_stale_temps, write_table
    from coverage.simulation.replications import default_workers

    if args.out:
        remove_stale_temps(args.out)
    started = time.monotonic()

    def progress(text: str) -> None:
        sys.stderr.write(f"capacity [{time.monotonic() - started:6.1f} s] {text}\n")
        sys.stderr.flush()

    try:
        result = run_capacity(
            scenario,
            plans=args.plan,
            replications=args.replications,
            seed=args.seed,
            levels=args.levels,
            service_replications=args.service_replications,
            engine=args.engine,
            workers=args.workers or default_workers(),
            progress=progress,
        )
    except ScenarioError as exc:
        raise exc.with_file(args.file) if not exc.path.startswith("--") else exc from None
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("coverage.optimize"):
            raise
        sys.stderr.write(
            "error: capacity needs the optimizer (coverage.optimize), not in this build\n"
        )
        return EXIT_INTERNAL
    text = capacity_json(result, scenario=scenario.name)
    if args.out:
        out = Path(args.out)
        write_table(capacity_table(result), out, "capacity")
        atomic_write_text(out / "capacity.json", text + "\n")
    if args.json:
        sys.stdout.write(text + "\n")
    else:
        sys.stdout.write(capacity_text(result, scenario=scenario.name) + "\n")
        if args.out:
            sys.stdout.write(
                f"\nwrote capacity.csv, capacity.parquet and capacity.json in {args.out}\n"
            )
    return EXIT_OK

"""Benchmark: a 12-month capacity plan of global-saas, sized by the optimizer (goal < 5 min).

Plans ``scenarios/capacity/global-saas-capacity.yaml`` (12 months, 4% growth a month, both
plans) in this process as `coverage-sim capacity` does, and prints the wall time, the CPU time
of this process and of its worker processes (``time.process_time`` and ``resource``), the load
average before and after (the machine is shared; a loaded machine stretches wall time, not CPU
time), and the result's headline. With ``--check-month M`` it also sizes month M exactly and
prints how far the interpolated required FTE is from it, per plan and site.
Printed, never asserted: docs/capacity.md has the figures of the last run.

    .venv/bin/python benchmarks/bench_capacity.py [--levels 3] [--replications 5] [--workers 2]
        [--check-month 5] [--out DIR]

With ``--levels 0 --out DIR`` it writes exactly what ``coverage-sim capacity FILE
--replications 5 --out DIR`` writes (the same function; the worker count does not change it).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "capacity" / "global-saas-capacity.yaml"


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=3, help="demand levels sized (0: all)")
    parser.add_argument("--replications", type=int, default=5, help="replications per sizing")
    parser.add_argument("--workers", type=int, default=2, help="processes sizing levels")
    parser.add_argument("--check-month", type=int, help="size this month exactly and compare")
    parser.add_argument(
        "--out", help="also write what `coverage-sim capacity --out` writes, and capacity.txt"
    )
    args = parser.parse_args()

    from coverage.capacity.cli import run_capacity
    from coverage.capacity.requirement import size_levels
    from coverage.scenario.model import load_scenario

    scenario = load_scenario(SCENARIO)
    load_before = os.getloadavg()
    wall0, cpu0, child0 = time.perf_counter(), time.process_time(), _children_cpu_s()

    def progress(text: str) -> None:
        print(f"  [{time.perf_counter() - wall0:6.1f} s] {text}", file=sys.stderr)

    result = run_capacity(
        scenario,
        replications=args.replications,
        levels=args.levels or None,
        workers=args.workers,
        progress=progress,
    )
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    child = _children_cpu_s() - child0
    load_after = os.getloadavg()
    print(
        f"capacity plan, {len(result.months)} months, {len(result.plans)} plans, "
        f"levels {args.levels or 'all'}, {args.replications} replications per sizing, "
        f"{args.workers} workers"
    )
    print(f"  wall {wall:.1f} s; CPU {cpu:.1f} s here + {child:.1f} s in workers")
    print(
        f"  load average before {load_before[0]:.2f} / {load_before[1]:.2f}, "
        f"after {load_after[0]:.2f} / {load_after[1]:.2f} (1 / 5 min; {os.cpu_count()} cores)"
    )
    if args.out:
        from coverage.capacity.report import capacity_json, capacity_table, capacity_text
        from coverage.outputs import atomic_write_text, write_table

        out = Path(args.out)
        write_table(capacity_table(result), out, "capacity")
        atomic_write_text(out / "capacity.json", capacity_json(result, scenario=scenario.name))
        atomic_write_text(out / "capacity.txt", capacity_text(result, scenario=scenario.name))
    for name, plan in result.plans.items():
        hires = sum(int(s.hires.sum()) for s in plan.sites.values())
        print(
            f"  {name}: total {plan.total_cost:,.0f} {result.currency}, {hires} hires, "
            f"shortfall months {[result.months[m] for m in plan.shortfall_months()]}"
        )
    if args.check_month is not None:
        m = args.check_month
        factor = result.demand_factors[m]
        t0 = time.perf_counter()
        exact = size_levels(
            scenario, [factor], plans=list(result.plans), replications=args.replications, seed=None
        )
        print(
            f"month {result.months[m]} (x{factor:.4f}) sized exactly in "
            f"{time.perf_counter() - t0:.1f} s:"
        )
        for name, plan in result.plans.items():
            need = exact[name][factor]
            for site, hiring in plan.sites.items():
                interpolated = float(hiring.required_fte[m])
                sized = need.required_fte_by_site[site]
                print(
                    f"  {name} {site}: interpolated {interpolated:.1f} FTE, exact {sized:.1f} "
                    f"({interpolated - sized:+.1f}, {interpolated / sized - 1:+.1%})"
                )


if __name__ == "__main__":
    main()

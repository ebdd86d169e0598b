"""Benchmark: size the sized global-saas scenario (2 plans) — docs/optimizer.md, "Performance".

Prints, per plan and in total: wall time, process CPU time and the load average beside them (the
machine is shared: read CPU time), rosters and plan-replications simulated, solver time, the
sized cost against the hand plan and against the LP relaxation of the first analytic program, and
the independent-seed confirmation. Goal: under 60 s on 2 cores.

    .venv/bin/python benchmarks/bench_optimize.py [--replications N] [--plan NAME]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from coverage.optimize.sizing import size_plans
from coverage.scenario.model import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "sized" / "global-saas-sized.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=None)
    parser.add_argument("--plan", action="append")
    parser.add_argument("--workers", type=int, default=2, help="evaluation processes (2 cores)")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    from coverage.simulation.fast_engine import warm_up

    warm_up()  # the kernel's one-time load is not the optimizer's
    load_before = os.getloadavg()
    wall0 = time.perf_counter()
    result = size_plans(scenario, args.plan, replications=args.replications, workers=args.workers)
    wall, cpu = time.perf_counter() - wall0, result.cpu_s
    load_after = os.getloadavg()
    print(f"scenario {scenario.name}: {result.replications} replications, seed {result.seed}")
    print(
        f"total: {wall:.1f} s wall, {cpu:.1f} s CPU (with workers), "
        f"load average {load_before[0]:.1f} → "
        f"{load_after[0]:.1f} (1 min); {result.simulations:,} plan-replications simulated; "
        f"solver {result.solver_s:.2f} s"
    )
    for name, plan in result.plans.items():
        hand = result.hand.get(name)
        month = plan.cost["per_month"]
        line = (
            f"{name}: {sum(n for _, _, n in plan.crews)} agents, {month:,.0f}/month; "
            f"{plan.evaluations} rosters simulated, {plan.raise_rounds} raise rounds, "
            f"solver {plan.solver_s:.2f} s (gap {plan.mip_gap}); program cost "
            f"{plan.planned_per_month:,.0f} vs the first program's LP relaxation "
            f"{plan.lp_relaxation_per_month:,.0f} "
            f"({plan.planned_per_month / plan.lp_relaxation_per_month - 1:+.1%})"
        )
        if hand is not None:
            hand_month = hand["cost"]["per_month"]
            line += f"; hand {hand_month:,.0f}/month ({1 - month / hand_month:.1%} saved)"
        print(line)
        print(
            f"  meets on seed {result.seed}: {plan.meets}; on independent seed "
            f"{result.confirm_seed}: {plan.confirmed} {list(plan.confirm_failures)}"
        )
        for channel, figures in plan.channels.items():
            print(
                f"  {channel}: service level {figures['service_level']:.3f} / "
                f"{figures['confirm_service_level']:.3f} (target {figures['target_share']})"
            )


if __name__ == "__main__":
    main()

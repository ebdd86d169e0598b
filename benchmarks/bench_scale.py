"""Scaling benchmark: the default scenario at 1×, 10× and 100× its contacts AND agents.

Usage::

    .venv/bin/python benchmarks/bench_scale.py                      # scales 1 10 100, 2 rounds
    .venv/bin/python benchmarks/bench_scale.py --scales 1 10 --rounds 3
    .venv/bin/python benchmarks/bench_scale.py --plan follow-the-sun

`scenarios/global-saas.yaml` is read as YAML and every demand entry's ``per_hour`` and every
shift's ``agents`` (and ``holiday_agents``) is multiplied by the scale, so 100× has about 100×
the contacts and 100× the agents at the same occupancy. Each scale runs in a fresh process
(``VmHWM`` is per process): it imports the package, warms every compiled kernel on the same
scenario scaled down to 1 % (a few contacts), records the resident size, then runs one
replication through the public path (`coverage.simulation.pipeline.prepare_run` and
`simulate_replication`, fast engine, all plans unless ``--plan``) and prints

* contacts (drawn in the replication) and agents (summed over the plans' rosters);
* CPU seconds (``time.process_time``) of the whole replication (drawing, automation, engine
  input, engine, metrics, costs, hourly counts, for every plan) and of the engine calls alone,
  with wall seconds beside them;
* peak resident set (``VmHWM``) and bytes per contact: peak minus the resident size after the
  imports and the warm-up, divided by the contacts;
* the 1-minute load average when the process ended.

Scales are interleaved round by round (1, 10, 100, 1, 10, 100, ...); the ratio to 1× is taken
from the best (lowest) CPU time of each scale over the rounds, and the range of the per-round
ratios is printed beside it. Nothing is asserted; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure this tree's package, whichever is installed
DEFAULT = ROOT / "scenarios" / "global-saas.yaml"
SEED = 7


def rss_mb(field: str = "VmHWM") -> float:
    """A field of /proc/self/status (``VmHWM`` peak, ``VmRSS`` current) in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scaled(raw: dict[str, Any], scale: float) -> dict[str, Any]:
    """The scenario mapping with every demand rate and crew size multiplied by `scale`.

    Crew sizes are rounded and kept at 1 or more when they were positive.
    """
    out = copy.deepcopy(raw)
    for entry in out.get("demand", []):
        rate = entry.get("per_hour")
        if isinstance(rate, list):
            entry["per_hour"] = [float(r) * scale for r in rate]
        elif rate is not None:
            entry["per_hour"] = float(rate) * scale
    for plan in out.get("plans", {}).values():
        for site in plan.get("sites", {}).values():
            for shift in site.get("shifts", []):
                for key in ("agents", "holiday_agents"):
                    n = shift.get(key)
                    if isinstance(n, int) and n > 0:
                        shift[key] = max(1, round(n * scale))
    return out


def child(path: str, scale: float, plans: list[str] | None) -> dict[str, Any]:
    """One scale in this (fresh) process; returns the figures."""
    import yaml

    from coverage.scenario.model import parse_scenario
    from coverage.simulation import fast_engine
    from coverage.simulation.dispatch import EngineInput, EngineOutput
    from coverage.simulation.pipeline import prepare_run, simulate_replication

    raw = yaml.safe_load(Path(path).read_text())
    base_dir = str(Path(path).parent)
    engine_cpu_s = [0.0]
    engine_wall_s = [0.0]
    agents = [0]

    def timed_engine(inp: EngineInput) -> EngineOutput:
        cpu, wall = time.process_time(), time.perf_counter()
        out = fast_engine.simulate(inp)
        engine_cpu_s[0] += time.process_time() - cpu
        engine_wall_s[0] += time.perf_counter() - wall
        agents[0] += int(inp.can_serve.shape[0])
        return out

    def replication(scenario_scale: float) -> int:
        setup = prepare_run(parse_scenario(scaled(raw, scenario_scale), base_dir=base_dir), plans)
        n_contacts = 0
        for result in simulate_replication(setup, seed=SEED, replication=0, engine=timed_engine):
            n_contacts = len(result.contacts)
            del result
        return n_contacts

    replication(0.01)  # loads every compiled kernel (and warms imports) on a few contacts
    base_mb = rss_mb("VmRSS")
    engine_cpu_s[0] = engine_wall_s[0] = 0.0
    agents[0] = 0
    cpu, wall = time.process_time(), time.perf_counter()
    n_contacts = replication(scale)
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    peak_mb = rss_mb("VmHWM")
    return {
        "scale": scale,
        "contacts": n_contacts,
        "agents": agents[0],
        "cpu_s": cpu_s,
        "wall_s": wall_s,
        "engine_cpu_s": engine_cpu_s[0],
        "engine_wall_s": engine_wall_s[0],
        "base_mb": base_mb,
        "peak_mb": peak_mb,
        "bytes_per_contact": (peak_mb - base_mb) * 1024 * 1024 / max(n_contacts, 1),
        "load": os.getloadavg()[0],
    }


def main() -> None:
    """Fresh process per scale, scales interleaved round by round; print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(DEFAULT))
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0, 100.0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--plan", action="append", help="simulate only this plan (repeatable)")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.scenario, args.child, args.plan)))
        return
    print(
        f"{Path(args.scenario).name} scaled in contacts and agents; one replication, fast "
        f"engine, plans: {', '.join(args.plan) if args.plan else 'all'}; {args.rounds} rounds "
        f"interleaved; fresh process per run; package from {ROOT}\n"
    )
    print(
        "| round | scale | contacts | agents (all plans) | replication CPU s | wall s | "
        "engine CPU s | engine wall s | after imports MB | peak MB | bytes/contact | load |"
    )
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    runs: list[dict[str, Any]] = []
    for rnd in range(1, args.rounds + 1):
        for scale in args.scales:
            argv = [sys.executable, __file__, args.scenario, "--child", str(scale)]
            for plan in args.plan or []:
                argv += ["--plan", plan]
            proc = subprocess.run(argv, check=True, capture_output=True, text=True)
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            got["round"] = rnd
            runs.append(got)
            print(
                f"| {rnd} | {scale:g} | {got['contacts']:,} | {got['agents']:,} | "
                f"{got['cpu_s']:.3f} | {got['wall_s']:.3f} | {got['engine_cpu_s']:.3f} | "
                f"{got['engine_wall_s']:.3f} | {got['base_mb']:.0f} | {got['peak_mb']:.0f} | "
                f"{got['bytes_per_contact']:.0f} | {got['load']:.1f} |",
                flush=True,
            )
    base = args.scales[0]
    print(f"\nRatios to {base:g}× (best CPU of each scale over the rounds; per-round range)\n")
    print(
        "| scale | best replication CPU s | ratio | per-round | best engine CPU s | ratio | "
        "per-round | min bytes/contact |"
    )
    print("|--:|--:|--:|--:|--:|--:|--:|--:|")
    for scale in args.scales:
        mine = [r for r in runs if r["scale"] == scale]
        ref = [r for r in runs if r["scale"] == base]
        row = [f"{scale:g}"]
        for key in ("cpu_s", "engine_cpu_s"):
            best, best_ref = min(r[key] for r in mine), min(r[key] for r in ref)
            per_round = [m[key] / b[key] for m, b in zip(mine, ref, strict=True) if b[key] > 0]
            spread = f"{min(per_round):.1f}–{max(per_round):.1f}" if per_round else "-"
            row += [f"{best:.3f}", f"{best / best_ref:.1f}" if best_ref > 0 else "-", spread]
        row.append(f"{min(r['bytes_per_contact'] for r in mine):.0f}")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

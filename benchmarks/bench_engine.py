"""Engine benchmark: arrivals per second and peak memory on M/M/14+M, and the default scenario.

Usage::

    .venv/bin/python benchmarks/bench_engine.py            # 100k and 1M arrivals (~4 min)
    .venv/bin/python benchmarks/bench_engine.py --quick    # 100k only
    .venv/bin/python benchmarks/bench_engine.py --no-memory --no-week

One model, one seed: the Erlang A example of `scenarios/erlang-a-example.yaml` (200 calls/h,
exponential handle time of 180 s and patience of 300 s, 14 agents around the clock), run by

* ``simpy-idiomatic``: the model a typical SimPy user writes (a ``Resource`` of 14, a process
  per caller, ``yield req | env.timeout(patience)``), drawing from ``random.Random(seed)``;
* ``ciw`` (if importable): the same M/M/14+M with reneging;
* ``project-simpy`` and ``project-fast``: this project's engines, fed through the public path
  (scenario → `draw_contacts` → `apply_automation` → `build_roster` → `build_engine_input` →
  engine). "engine" columns time the engine call alone; "pipeline" adds drawing the contacts
  and building the input.

All speed figures come from this one process and one run, so the ratios to the idiomatic SimPy
baseline compare like with like. Peak memory is measured per model in its own subprocess
(``VmHWM``, which includes the interpreter and imported libraries; the resident size after
the imports is printed too). The project's path imports what it uses (scenario, calendar,
arrivals, roster, dispatch, the engine), not the metrics stack; for the fast engine that
baseline is taken after numba has loaded the compiled code. numba's compile time is measured
apart (cold cache in a temporary ``NUMBA_CACHE_DIR``, and first call with a warm on-disk cache),
in fresh processes. Finally the default scenario (`scenarios/global-saas.yaml`, 2 plans × 20
replications) is timed end to end with `run_scenario` for each engine with 1 and 2 workers, and
as cold ``coverage-sim run`` processes (with and without a Python bytecode cache). Nothing is
asserted; see docs/performance.md for the results.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ERLANG_A = ROOT / "scenarios" / "erlang-a-example.yaml"
GLOBAL_SAAS = ROOT / "scenarios" / "global-saas.yaml"
PER_HOUR, AHT_S, PATIENCE_S, AGENTS = 200.0, 180.0, 300.0, 14
SEED = 1
MODELS = ("simpy-idiomatic", "ciw", "project-simpy", "project-fast", "project-full")
SPEED_MODELS = ("simpy-idiomatic", "project-fast", "project-full")  # interleaved, repeated
ENGINE_MODULES = {
    "simpy": "coverage.simulation.simpy_engine",
    "fast": "coverage.simulation.fast_engine",
}


def rss_mb(field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident set size of this process [MB].

    Read from /proc: ``ru_maxrss`` would carry over the parent's peak into a child started with
    fork + exec, which made every child report the benchmark parent's size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --- the baselines -----------------------------------------------------------------------------


def run_simpy_idiomatic(n_arrivals: int, seed: int) -> dict[str, Any]:
    """M/M/c+M as a typical SimPy user writes it; returns counts and the wall time."""
    import simpy

    rnd = random.Random(seed)
    lam_per_s, mu_per_s, theta_per_s = PER_HOUR / 3600.0, 1.0 / AHT_S, 1.0 / PATIENCE_S
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    counts = {"answered": 0, "abandoned": 0}

    def caller(env: simpy.Environment):
        with agents.request() as req:
            result = yield req | env.timeout(rnd.expovariate(theta_per_s))
            if req in result:
                yield env.timeout(rnd.expovariate(mu_per_s))
                counts["answered"] += 1
            else:
                counts["abandoned"] += 1

    def source(env: simpy.Environment):
        for _ in range(n_arrivals):
            yield env.timeout(rnd.expovariate(lam_per_s))
            env.process(caller(env))

    start, cpu = time.perf_counter(), time.process_time()
    env.process(source(env))
    env.run()
    return {
        "engine_s": time.perf_counter() - start,
        "engine_cpu_s": time.process_time() - cpu,
        "arrivals": n_arrivals,
        **counts,
    }


def run_ciw(n_arrivals: int, seed: int) -> dict[str, Any] | None:
    """The same M/M/14+M in Ciw (None when Ciw is not installed)."""
    try:
        import ciw
    except ImportError:
        return None
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=PER_HOUR / 3600.0)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / AHT_S)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / PATIENCE_S)],
    )
    ciw.seed(seed)
    start, cpu = time.perf_counter(), time.process_time()
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(n_arrivals, method="Arrive")
    elapsed = time.perf_counter() - start
    elapsed_cpu = time.process_time() - cpu
    records = sim.get_all_records()
    answered = sum(1 for r in records if r.record_type == "service")
    abandoned = sum(1 for r in records if r.record_type == "renege")
    return {
        "engine_s": elapsed,
        "engine_cpu_s": elapsed_cpu,
        "arrivals": n_arrivals,
        "answered": answered,
        "abandoned": abandoned,
    }


# --- the project's engines, through the public path -------------------------------------------


def erlang_scenario(n_arrivals: int):
    """The Erlang A example with a horizon that expects `n_arrivals` arrivals, no warm-up."""
    from coverage.scenario.model import parse_scenario

    raw = yaml.safe_load(ERLANG_A.read_text())
    raw["horizon"] = {"hours": n_arrivals / PER_HOUR}
    raw["warmup_hours"] = 0
    return parse_scenario(raw, base_dir=str(ERLANG_A.parent))


def run_project(engine: str, n_arrivals: int, seed: int) -> dict[str, Any]:
    """Draw → build input → engine, timing the engine call and the whole path."""
    from coverage.calendar import build_timeline
    from coverage.demand.arrivals import draw_contacts
    from coverage.demand.automation import apply_automation
    from coverage.demand.codes import scenario_languages
    from coverage.simulation.dispatch import ABANDONED, ANSWERED, build_engine_input
    from coverage.simulation.roster import build_roster

    # the engine module itself (what `batch.engine_function` returns), without importing the
    # metrics stack (pandas' groupby, scipy.stats) that this path does not use
    simulate = importlib.import_module(ENGINE_MODULES[engine]).simulate
    scenario = erlang_scenario(n_arrivals)
    ((plan_name, plan),) = scenario.plans.items()
    start, cpu = time.perf_counter(), time.process_time()
    timeline = build_timeline(scenario)
    roster = build_roster(scenario, plan, timeline, scenario_languages(scenario))
    contacts = draw_contacts(scenario, timeline, seed=seed, replication=0)
    bot = apply_automation(contacts, scenario, scenario.automation_for(plan_name))
    inp = build_engine_input(scenario, contacts, bot, roster, timeline.end_s)
    built, built_cpu = time.perf_counter(), time.process_time()
    out = simulate(inp)
    done, done_cpu = time.perf_counter(), time.process_time()
    return {
        "engine_s": done - built,
        "engine_cpu_s": done_cpu - built_cpu,
        "pipeline_s": done - start,
        "pipeline_cpu_s": done_cpu - cpu,
        "arrivals": len(contacts),
        "answered": int((out.outcome == ANSWERED).sum()),
        "abandoned": int((out.outcome == ABANDONED).sum()),
    }


def run_full(n_arrivals: int, seed: int) -> dict[str, Any]:
    """One replication through `simulate_replication` (fast engine): draw, automation, engine,
    the measuring pass (metrics, hourly counts, backlog) and costs — what a run does per
    replication and plan."""
    from coverage.simulation.dispatch import ABANDONED, ANSWERED
    from coverage.simulation.pipeline import prepare_run, simulate_replication

    setup = prepare_run(erlang_scenario(n_arrivals))
    start, cpu = time.perf_counter(), time.process_time()
    (rep,) = simulate_replication(setup, seed=seed, replication=0, engine="fast")
    done, done_cpu = time.perf_counter(), time.process_time()
    return {
        "engine_s": done - start,
        "engine_cpu_s": done_cpu - cpu,
        "arrivals": len(rep.contacts),
        "answered": int((rep.out.outcome == ANSWERED).sum()),
        "abandoned": int((rep.out.outcome == ABANDONED).sum()),
    }


def run_model(model: str, n_arrivals: int, seed: int) -> dict[str, Any] | None:
    if model == "project-full":
        return run_full(n_arrivals, seed)
    if model == "simpy-idiomatic":
        return run_simpy_idiomatic(n_arrivals, seed)
    if model == "ciw":
        return run_ciw(n_arrivals, seed)
    return run_project(model.removeprefix("project-"), n_arrivals, seed)


# --- child processes: memory and compile time --------------------------------------------------


def child_main(model: str, n_arrivals: int) -> None:
    """Run one model in this fresh process and print its timing and peak memory as JSON."""
    if model.startswith("project-"):  # the imports the run needs, before the baseline
        import coverage.demand.arrivals
        import coverage.simulation.dispatch  # noqa: F401

        engine = "fast" if model == "project-full" else model.removeprefix("project-")
        module = importlib.import_module(ENGINE_MODULES[engine])
        if engine == "fast":
            module.simulate(run_tiny_input())  # load the compiled code (numba's LLVM) first
        if model == "project-full":  # the metrics stack and the hourly kernel
            from coverage.results.hourly import warm_up
            from coverage.simulation import pipeline  # noqa: F401

            warm_up()
    else:
        import numpy  # noqa: F401
        import simpy  # noqa: F401
    base = rss_mb("VmRSS")
    result = run_model(model, n_arrivals, SEED)
    print(json.dumps({"result": result, "base_mb": base, "peak_mb": rss_mb()}))


def in_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def compile_main() -> None:
    """Time importing the fast engine and its first (tiny) call in this fresh process."""
    start = time.perf_counter()
    import coverage.simulation.fast_engine as fe

    imported = time.perf_counter()
    fe.simulate(run_tiny_input())
    called = time.perf_counter()
    print(json.dumps({"import_s": imported - start, "first_call_s": called - imported}))


def run_tiny_input():
    from coverage.calendar import build_timeline
    from coverage.demand.arrivals import draw_contacts
    from coverage.demand.automation import apply_automation
    from coverage.demand.codes import scenario_languages
    from coverage.simulation.dispatch import build_engine_input
    from coverage.simulation.roster import build_roster

    scenario = erlang_scenario(100)
    ((plan_name, plan),) = scenario.plans.items()
    timeline = build_timeline(scenario)
    roster = build_roster(scenario, plan, timeline, scenario_languages(scenario))
    contacts = draw_contacts(scenario, timeline, seed=SEED, replication=0)
    bot = apply_automation(contacts, scenario, scenario.automation_for(plan_name))
    return build_engine_input(scenario, contacts, bot, roster, timeline.end_s)


# --- the report ---------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, {platform.system()}"


def bench_speed(sizes: list[int], rounds: int) -> None:
    print(f"\n## Arrivals per second, M/M/14+M (one process; seed {SEED})\n")
    import coverage.simulation.fast_engine as fe
    from coverage.results.hourly import warm_up as warm_up_hourly
    from coverage.results.tally import warm_up as warm_up_tally
    from coverage.simulation.input_kernels import warm_up as warm_up_inputs

    start = time.perf_counter()
    fe.simulate(run_tiny_input())  # compile, or load from the on-disk cache
    warm_up_hourly()
    warm_up_tally()
    warm_up_inputs()
    print(
        f"fast engine, engine-input, measuring and hourly kernels first call in this process "
        f"(cache load or compile): "
        f"{time.perf_counter() - start:.2f} s, reported apart from the runs below\n"
    )
    print(
        "project-full = draw + automation + engine + one measuring pass (metrics, hourly counts, "
        "backlog) + costs of one replication. CPU = time.process_time; the ratio to idiomatic "
        f"SimPy is of CPU times within the same round; {rounds} interleaved rounds, the best of "
        "each. The first project-full of a process also pays fresh pages for the measuring "
        "pass's buffers, which later replications of a run reuse (round 1 against round 2).\n"
    )
    header = (
        f"| {'model':<16} | {'arrivals':>9} | {'engine CPU s':>12} | {'wall s':>7} | "
        f"{'arrivals/CPU s':>14} | {'x idiomatic (CPU)':>17} | {'answered':>8} | "
        f"{'abandoned':>9} | {'load 1 min':>10} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for n in sizes:
        best: dict[str, dict[str, Any]] = {}
        ratios: dict[str, list[float]] = {m: [] for m in SPEED_MODELS}
        for _ in range(rounds):
            got = {m: run_model(m, n, SEED) for m in SPEED_MODELS}
            base = got["simpy-idiomatic"]
            for m, res in got.items():
                assert res is not None
                assert base is not None
                res["load"] = os.getloadavg()[0]
                ratios[m].append(base["engine_cpu_s"] / res["engine_cpu_s"])
                if m not in best or res["engine_cpu_s"] < best[m]["engine_cpu_s"]:
                    best[m] = res
        for m in SPEED_MODELS:
            res = best[m]
            print(
                f"| {m:<16} | {res['arrivals']:>9,} | {res['engine_cpu_s']:>12.2f} | "
                f"{res['engine_s']:>7.2f} | {res['arrivals'] / res['engine_cpu_s']:>14,.0f} | "
                f"{min(ratios[m]):>7.1f}–{max(ratios[m]):>6.1f}x | "
                f"{res['answered'] / res['arrivals']:>8.4f} | "
                f"{res['abandoned'] / res['arrivals']:>9.4f} | {res['load']:>10.1f} |",
                flush=True,
            )
        for m in SPEED_MODELS[1:]:
            rounds_text = ", ".join(f"{r:.1f}" for r in ratios[m])
            print(f"|   {m} at {n:,}: x idiomatic per round {rounds_text} |", flush=True)


def bench_memory(n: int) -> None:
    print(f"\n## Peak memory at {n:,} arrivals (each model in its own subprocess, VmHWM)\n")
    print("| model            | after imports MB | peak MB | engine s |")
    print("|------------------|-----------------:|--------:|---------:|")
    for model in MODELS:
        got = in_child(["--child", model, str(n)])
        if model == "project-full" and got["result"]:
            per_contact = (got["peak_mb"] - got["base_mb"]) * 2**20 / got["result"]["arrivals"]
            print(
                f"| {model:<16} | {got['base_mb']:>16.0f} | {got['peak_mb']:>7.0f} | "
                f"{got['result']['engine_s']:>8.2f} | {per_contact:.0f} bytes/contact over "
                "the imports |",
                flush=True,
            )
            continue
        if got["result"] is None:
            print(f"| {model:<16} | not installed |")
            continue
        print(
            f"| {model:<16} | {got['base_mb']:>16.0f} | {got['peak_mb']:>7.0f} | "
            f"{got['result']['engine_s']:>8.2f} |",
            flush=True,
        )


def bench_compile() -> None:
    print("\n## numba compile time (fresh processes)\n")
    with tempfile.TemporaryDirectory() as cache:
        cold = in_child(["--compile"], env={"NUMBA_CACHE_DIR": cache})
        warm_again = in_child(["--compile"], env={"NUMBA_CACHE_DIR": cache})
    warm = in_child(["--compile"])
    print(f"cold cache:  import {cold['import_s']:.2f} s, first call {cold['first_call_s']:.2f} s")
    print(
        f"warm cache:  import {warm_again['import_s']:.2f} s, "
        f"first call {warm_again['first_call_s']:.2f} s (cache written by the cold run)"
    )
    print(
        f"in-tree cache (coverage/__pycache__): import {warm['import_s']:.2f} s, "
        f"first call {warm['first_call_s']:.2f} s"
    )


def children_cpu_s() -> float:
    """CPU time of the child processes waited for so far (user + system) [s]."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_s() -> float:
    """CPU time of this process and the children it waited for (user + system) [s]."""
    return time.process_time() + children_cpu_s()


def bench_week() -> None:
    from coverage.scenario.model import load_scenario
    from coverage.simulation.replications import run_scenario

    print("\n## Default scenario: global-saas, 2 plans x 20 replications, end to end\n")
    scenario = load_scenario(GLOBAL_SAAS)
    print("CPU = this process + the pool workers it waited for (user + system).\n")
    print("| engine | workers | CPU s | wall s | simulate s (summed) | metrics s (summed) | load |")
    print("|--------|--------:|------:|-------:|--------------------:|-------------------:|-----:|")
    run_scenario(scenario, workers=1)  # warm: kernels loaded, modules imported
    for engine in ("simpy", "fast"):
        for workers in (1, 2):
            before = cpu_s()
            start = time.perf_counter()
            result = run_scenario(scenario, engine=engine, workers=workers)
            wall = time.perf_counter() - start
            print(
                f"| {engine} | {workers} | {cpu_s() - before:.2f} | {wall:.2f} | "
                f"{result.timing['simulate_s']:.2f} | {result.timing['metrics_s']:.2f} | "
                f"{os.getloadavg()[0]:.1f} |",
                flush=True,
            )
    cli = Path(sys.executable).with_name("coverage-sim")
    if not cli.exists():
        return
    print("\ncold `coverage-sim run scenarios/global-saas.yaml --json` (default engine):\n")
    print("| bytecode cache | workers | CPU s (process + workers) | wall s | load |")
    print("|----------------|--------:|--------------------------:|-------:|-----:|")
    with tempfile.TemporaryDirectory() as pyc:
        # as this environment is (PYTHONDONTWRITEBYTECODE may be set: every library is compiled
        # from source at each start), and with a bytecode cache as a normal install has
        plain = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
        cached = {**plain, "PYTHONPYCACHEPREFIX": pyc}
        cached.pop("PYTHONDONTWRITEBYTECODE", None)
        warm_up = [str(cli), "run", str(GLOBAL_SAAS), "--json", "--replications", "1"]
        subprocess.run(warm_up, check=True, capture_output=True, env=cached)
        for label, env in (("as is", plain), ("warm", cached)):
            for workers in ("1", "2", "default"):
                extra = [] if workers == "default" else ["--workers", workers]
                before = children_cpu_s()
                start = time.perf_counter()
                subprocess.run(
                    [str(cli), "run", str(GLOBAL_SAAS), "--json", *extra],
                    check=True,
                    capture_output=True,
                    env=env,
                )
                print(
                    f"| {label} | {workers} | {children_cpu_s() - before:.2f} | "
                    f"{time.perf_counter() - start:.2f} | {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 arrivals only")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--no-week", action="store_true", help="skip the default scenario")
    parser.add_argument("--no-speed", action="store_true", help="skip arrivals per second")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved speed repeats")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile timing")
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--compile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], int(args.child[1]))
        return
    if args.compile:
        compile_main()
        return
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    print(f"# bench_engine: {machine()}")
    if not args.no_compile:
        bench_compile()
    if not args.no_speed:
        bench_speed(sizes, args.rounds)
    if not args.no_memory:
        bench_memory(sizes[-1])
    if not args.no_week:
        bench_week()


if __name__ == "__main__":
    main()

"""Tests of the compiled engine (`coverage.simulation.fast_engine`) and its numba import shield
(`_jit`).

The SimPy engine (`coverage.simulation.simpy_engine`) is the reference; the fast engine must give
the same
per-contact outcomes, start times, agents (hence sites), end times, abandonment instants and
overtime rows, bit for bit, on the same drawn inputs. Kinds (docs/contributing.md, "Tests"):

* functional: engine equivalence on every bundled scenario, on random small scenarios built
  through the public pipeline, and on random synthetic engine inputs with many exact ties;
  the CLI JSON is byte-identical across engines.
* unit: the import shield (fresh process, pool worker, ``sys.modules`` restored).
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coverage.cli import main
from coverage.scenario.model import Scenario, load_scenario, parse_scenario
from coverage.simulation import fast_engine
from coverage.simulation import simpy_engine as engine
from coverage.simulation.dispatch import EngineInput, EngineOutput
from coverage.simulation.pipeline import prepare_run, simulate_replication
from coverage.simulation.replications import _replication_chunk, run_scenario
from coverage.simulation.roster import Roster

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
OUTPUT_FIELDS = (
    "outcome",
    "started_at_s",
    "ended_at_s",
    "left_at_s",
    "agent",
    "overtime_agent",
    "overtime_start_s",
    "overtime_end_s",
    "overtime_paid",
)


def reference_runs(
    scenario: Scenario, replications: int
) -> Iterator[tuple[str, Roster, EngineInput, EngineOutput]]:
    """Every plan × replication through the run's pipeline with the SimPy (reference) engine:
    label, roster, the engine's input and the reference output."""
    setup = prepare_run(scenario)
    for r in range(replications):
        for rep in simulate_replication(setup, seed=scenario.seed, replication=r, engine="simpy"):
            yield f"{rep.plan}/rep{r}", rep.roster, rep.inp, rep.out


def assert_same_outputs(
    inp: EngineInput,
    roster: Roster | None = None,
    label: str = "",
    ref: EngineOutput | None = None,
) -> None:
    """Both engines give identical outputs (exact, NaN where NaN) on `inp`; `ref` is the SimPy
    engine's output when already computed."""
    ref = engine.simulate(inp) if ref is None else ref
    fast: EngineOutput = fast_engine.simulate(inp)
    for name in OUTPUT_FIELDS:
        a, b = getattr(ref, name), getattr(fast, name)
        assert a.dtype == b.dtype, f"{label}: {name} dtype {a.dtype} vs {b.dtype}"
        np.testing.assert_array_equal(b, a, err_msg=f"{label}: {name}", strict=True)
    if roster is not None:  # the serving agent's site, as the reports see it
        site_ref = np.where(ref.agent >= 0, roster.agent_site[np.maximum(ref.agent, 0)], -1)
        site_fast = np.where(fast.agent >= 0, roster.agent_site[np.maximum(fast.agent, 0)], -1)
        np.testing.assert_array_equal(site_fast, site_ref, err_msg=f"{label}: site")


# --- functional: bundled scenarios -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_scenario_outcomes_identical(path: Path):
    # functional: two replications of every plan, contact by contact
    scenario = load_scenario(path)
    cases = 0
    for label, roster, inp, ref in reference_runs(scenario, 2):
        assert_same_outputs(inp, roster, f"{path.stem}/{label}", ref)
        cases += 1
    assert cases == 2 * len(scenario.plans)


# --- functional: random small scenarios through the public pipeline --------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Manila", "America/Chicago"]


def _duration(rng: np.random.Generator, *, patience: bool) -> dict[str, Any]:
    kind = rng.choice(["fixed", "exponential", "lognormal", "empirical"])
    if kind == "fixed":  # equal durations: completions and deadlines that coincide
        return {"dist": "fixed", "mean_s": float(rng.choice([30, 60, 120, 300, 600]))}
    if kind == "exponential":
        return {"dist": "exponential", "mean_s": float(rng.uniform(60, 600))}
    if kind == "lognormal":
        return {"dist": "lognormal", "mean_s": float(rng.uniform(60, 600)), "sigma": 0.8}
    samples = [0, 30, 60] if patience else [0, 60, 120, 300]  # zero handle/patience: same-instant
    return {"dist": "empirical", "samples_s": samples}


def random_scenario(seed: int) -> dict[str, Any]:
    """A small random scenario exercising every engine feature (as data read from YAML)."""
    rng = np.random.default_rng(seed)
    languages = ["en", "de", "es"][: int(rng.integers(1, 4))]
    channels: dict[str, Any] = {}
    for i in range(int(rng.integers(1, 4))):
        realtime = bool(rng.random() < 0.75)
        ch: dict[str, Any] = {
            "mode": "realtime" if realtime else "async",
            "handle_time": _duration(rng, patience=False),
            "concurrency": int(rng.choice([1, 1, 2, 3])),
            "priority": int(rng.integers(0, 3)),
            "target": {"answer_within_s": 60, "share": 0.8},
        }
        if realtime and rng.random() < 0.85:
            ch["patience"] = _duration(rng, patience=True)
        channels[f"ch{i}"] = ch
    regions = {
        f"r{i}": {
            "time_zone": str(rng.choice(ZONES)),
            **({"language": str(rng.choice(languages))} if rng.random() < 0.7 else {}),
        }
        for i in range(int(rng.integers(1, 3)))
    }
    segments = {}
    if rng.random() < 0.5:
        segments["vip"] = {"priority": int(rng.integers(-1, 2))} if rng.random() < 0.8 else {}
    demand = []
    for _ in range(int(rng.integers(1, 5))):
        entry: dict[str, Any] = {
            "channel": str(rng.choice(list(channels))),
            "region": str(rng.choice(list(regions))),
            "per_hour": float(rng.uniform(5, 40)),
        }
        if segments and rng.random() < 0.4:
            entry["segment"] = "vip"
        if rng.random() < 0.2:
            entry["language"] = str(rng.choice(languages))
        demand.append(entry)
    automation = {}
    if rng.random() < 0.4:
        automation[str(rng.choice(list(channels)))] = {
            "deflection": float(rng.uniform(0, 0.5)),
            "bot_time_s": float(rng.choice([0, 30, 90])),
        }
    plans = {}
    for p in range(2):
        sites = {}
        for s in range(int(rng.integers(1, 4))):
            shifts = []
            for _ in range(int(rng.integers(1, 4))):
                shift: dict[str, Any] = {
                    "start": f"{int(rng.integers(0, 24)):02d}:{int(rng.choice([0, 30])):02d}",
                    "hours": float(rng.choice([2, 4, 6, 8, 9, 12, 24])),
                    "days": str(rng.choice(["all", "weekdays", "weekends"])),
                    "agents": int(rng.integers(1, 5)),
                }
                if rng.random() < 0.5:
                    k = int(rng.integers(1, len(channels) + 1))
                    shift["channels"] = [str(c) for c in rng.permutation(list(channels))[:k]]
                if rng.random() < 0.4:
                    shift["languages"] = [str(rng.choice(languages))]
                if rng.random() < 0.2:
                    shift["holiday_agents"] = int(rng.integers(0, 3))
                shifts.append(shift)
            sites[f"site{s}"] = {
                "time_zone": str(rng.choice(ZONES)),
                "hourly_cost": 20.0,
                "shrinkage": float(rng.choice([0.0, 0.0, 0.2, 0.35, 0.5])),
                "shifts": shifts,
            }
        plans[f"plan{p}"] = {"sites": sites}
    # a shift may only list a language some contact needs (else the scenario is refused as a
    # typo): fixed after all draws, so the random stream of the other choices is unchanged
    needed = sorted({e["language"] for e in [*regions.values(), *demand] if "language" in e})
    for plan in plans.values():
        for site in plan["sites"].values():
            for shift in site["shifts"]:
                if "languages" in shift and shift["languages"][0] not in needed:
                    if needed:
                        shift["languages"] = [needed[0]]
                    else:
                        del shift["languages"]
    # short horizons, some across the 8 March 2026 US DST change
    start = str(rng.choice(["2026-01-05", "2026-03-07", "2026-12-24"]))
    return {
        "name": f"random-{seed}",
        "horizon": {"start": start, "hours": float(rng.choice([3, 6, 12, 24]))},
        "replications": 1,
        "seed": seed,
        "channels": channels,
        "regions": regions,
        "segments": segments,
        "demand": demand,
        "automation": automation,
        "plans": plans,
    }


@pytest.mark.parametrize("seed", range(60))
def test_random_scenario_outcomes_identical(seed: int):
    # functional: random channels, concurrency, priorities, patience (ties from fixed and
    # empirical draws), languages, segments, bots, sites, shifts, shrinkage and crew changes
    scenario = parse_scenario(random_scenario(seed))
    for label, roster, inp, ref in reference_runs(scenario, 1):
        assert_same_outputs(inp, roster, f"random-{seed}/{label}", ref)


# --- functional: random engine inputs on a coarse time grid (many exact ties) ---------------


def random_engine_input(
    seed: int, max_agents: int = 6, max_classes: int = 5, max_contacts: int = 89
) -> EngineInput:
    """Synthetic input where arrivals, completions, deadlines and shift edges coincide."""
    rng = np.random.default_rng(seed)
    n_agents = int(rng.integers(1, max_agents + 1))
    n_channels = int(rng.integers(1, 4))
    n_classes = int(rng.integers(1, max_classes + 1))
    class_channel = rng.integers(0, n_channels, n_classes).astype(np.int32)
    class_priority = rng.integers(0, 3, n_classes).astype(np.int64)
    can_serve = rng.random((n_agents, n_classes)) < 0.7
    step = float(rng.choice([10.0, 0.1]))  # 0.1: sums that are not exact in binary
    end_s = 400 * step
    windows = []
    for a in range(n_agents):
        t = int(rng.integers(0, 5)) * 10
        while t < 420:
            length = int(rng.integers(1, 15)) * 10
            windows.append((t * step / 10, min(t + length, 420) * step / 10, a, rng.random() < 0.7))
            t += length + int(rng.choice([0, 0, 10, 50]))  # 0: windows that touch
    windows.sort(key=lambda w: (w[0], w[2]))
    n = int(rng.integers(0, max_contacts + 1))
    joined = np.sort(rng.integers(0, 40, n)) * step
    handle = rng.choice([0.0, 10, 20, 30, 50, 100], n) * step / 10
    patience = rng.choice([0.0, 10, 20, 40, np.inf], n) * step / 10
    if step != 10.0:
        joined = joined * 10  # 0.1 * k * 10: not always k
    return EngineInput(
        contact=np.arange(n, dtype=np.int64),
        joined_at_s=joined.astype(np.float64),
        deadline_s=joined + patience,
        handle_s=handle.astype(np.float64),
        klass=rng.integers(0, n_classes, n).astype(np.int32),
        class_priority=class_priority,
        class_channel=class_channel,
        channel_concurrency=rng.integers(1, 4, n_channels).astype(np.int32),
        can_serve=can_serve,
        window_agent=np.array([w[2] for w in windows], dtype=np.int32),
        window_start_s=np.array([w[0] for w in windows], dtype=np.float64),
        window_end_s=np.array([w[1] for w in windows], dtype=np.float64),
        window_paid_end=np.array([w[3] for w in windows], dtype=bool),
        end_s=end_s,
    )


def test_random_engine_inputs_with_ties_identical():
    # functional: 300 synthetic inputs on a coarse grid, ties everywhere
    for seed in range(300):
        assert_same_outputs(random_engine_input(seed), label=f"synthetic-{seed}")


def test_many_agents_per_skill_group_identical():
    # functional: up to 60 agents in few skill groups and up to 900 contacts, so the heaps of
    # available agents are several levels deep and agents move in and out of them at ties
    for seed in range(40):
        inp = random_engine_input(1000 + seed, max_agents=60, max_classes=3, max_contacts=900)
        assert_same_outputs(inp, label=f"many-agents-{seed}")


@pytest.mark.parametrize("ring_buckets", [1, 4])
def test_completions_beyond_a_tiny_ring_identical(monkeypatch: pytest.MonkeyPatch, ring_buckets):
    # functional: with a ring of 1 or 4 buckets most completions wait in the heap beyond the
    # ring and move into it as time reaches them
    monkeypatch.setattr(fast_engine, "_RING_BUCKETS", ring_buckets)
    for seed in range(100):
        assert_same_outputs(random_engine_input(seed), label=f"ring{ring_buckets}-{seed}")
    for seed in range(15):
        inp = random_engine_input(1000 + seed, max_agents=60, max_classes=3, max_contacts=900)
        assert_same_outputs(inp, label=f"ring{ring_buckets}-many-{seed}")


def test_skill_groups_link_classes_and_groups():
    # unit: agents with identical rows share a group; the two CSR maps list the same links
    can_serve = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=bool)
    agent_group, cg_ptr, cg_idx, gc_ptr, gc_idx = fast_engine._skill_groups(can_serve)
    assert agent_group[0] == agent_group[2]
    assert agent_group[1] == agent_group[4]
    assert len(set(agent_group.tolist())) == 3
    for g in range(len(gc_ptr) - 1):
        members = np.flatnonzero(agent_group == g)
        served = gc_idx[gc_ptr[g] : gc_ptr[g + 1]].tolist()
        assert served == np.flatnonzero(can_serve[members[0]]).tolist()
        assert all((can_serve[members] == can_serve[members[0]]).all(axis=1))
    for k in range(can_serve.shape[1]):
        groups = cg_idx[cg_ptr[k] : cg_ptr[k + 1]].tolist()
        assert groups == sorted({int(agent_group[a]) for a in np.flatnonzero(can_serve[:, k])})
    no_agents = fast_engine._skill_groups(np.zeros((0, 2), dtype=bool))
    assert no_agents[0].shape == (0,)
    assert no_agents[1].tolist() == [0, 0, 0]


def test_empty_input():
    # unit: no contacts, no classes
    inp = random_engine_input(3)
    empty = EngineInput(
        **{
            **inp.__dict__,
            "contact": inp.contact[:0],
            "joined_at_s": inp.joined_at_s[:0],
            "deadline_s": inp.deadline_s[:0],
            "handle_s": inp.handle_s[:0],
            "klass": inp.klass[:0],
            "class_priority": inp.class_priority[:0],
            "class_channel": inp.class_channel[:0],
            "can_serve": inp.can_serve[:, :0],
        }
    )
    assert_same_outputs(empty, label="empty")


# --- functional: the command line -------------------------------------------------------------


def _run_json(capsys: pytest.CaptureFixture[str], engine_name: str) -> str:
    path = str(ROOT / "scenarios" / "erlang-a-example.yaml")
    argv = ["run", path, "--json", "--replications", "3", "--seed", "5", "--workers", "1"]
    assert main([*argv, "--engine", engine_name]) == 0
    return capsys.readouterr().out


def test_cli_json_identical_across_engines(capsys: pytest.CaptureFixture[str]):
    # functional: identical outcomes give byte-identical JSON
    fast = _run_json(capsys, "fast")
    simpy = _run_json(capsys, "simpy")
    assert json.loads(fast)["plans"]
    assert fast == simpy


# --- unit: the numba import shield -----------------------------------------------------------


def test_shield_restores_sys_modules_and_hides_us_from_numba():
    import coverage
    import coverage.simulation._jit
    from coverage.simulation._jit import numba

    assert sys.modules["coverage"] is coverage
    support = sys.modules["numba.misc.coverage_support"]
    assert support.coverage_available is False  # numba saw no coverage.py (there is none)
    assert numba.__name__ == "numba"


def test_fresh_process_imports_and_runs_fast_engine():
    # unit: a cold interpreter imports the engine (numba behind the shield) and simulates
    code = (
        "import sys, coverage, coverage.simulation.fast_engine as fe\n"
        "assert sys.modules['coverage'] is coverage\n"
        "from coverage.scenario.model import load_scenario\n"
        "from coverage.simulation.replications import run_scenario\n"
        f"sc = load_scenario({str(ROOT / 'scenarios' / 'erlang-a-example.yaml')!r})\n"
        "r = run_scenario(sc, replications=1, engine='fast')\n"
        "print(r.plans['fourteen-agents'].channels['voice'].offered)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 0


def test_spawned_pool_worker_imports_fast_engine(monkeypatch: pytest.MonkeyPatch):
    # unit: a worker started from scratch (spawn) runs a replication with the fast engine and
    # gets what this process gets. A spawned child re-runs the parent's __main__ by path; under
    # pytest that may be a script another test (AppTest) left there, so give it an empty one.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    scenario = load_scenario(ROOT / "scenarios" / "erlang-a-example.yaml")
    args = (prepare_run(scenario), 3, [0], "fast")
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        remote = pool.submit(_replication_chunk, args).result(timeout=120)
    local = _replication_chunk(args)
    assert remote[0][0]["fourteen-agents"].figures == local[0][0]["fourteen-agents"].figures


def test_pool_run_identical_to_serial_with_fast_engine():
    # functional: two workers (forked) give the serial result
    scenario = load_scenario(ROOT / "scenarios" / "erlang-a-example.yaml")
    serial = run_scenario(scenario, replications=4, engine="fast", workers=1)
    pooled = run_scenario(scenario, replications=4, engine="fast", workers=2)
    for name, plan in serial.plans.items():
        assert pooled.plans[name].channels == plan.channels
        assert pooled.plans[name].cost == plan.cost

"""Determinism across processes (functional, kind 4).

The same scenario and seed give byte-identical JSON from two separate processes (with different
hash seeds, so no result may depend on set or dict-of-hash ordering), with 1 or 2 worker
processes, and in-process — on the default scenario (every feature but logs); the worker count
is also checked in-process on a scenario fitted from a contact log and two others.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from coverage.results.report import result_json
from coverage.scenario.model import load_scenario
from coverage.simulation.replications import run_scenario

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--replications", "2", "--seed", "11"]


def _run(cli: list[str], file: Path, args: list[str], workers: int, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run(
        [*cli, "run", str(file), "--json", "--workers", str(workers), *args],
        capture_output=True, text=True, timeout=300, check=False, env=env, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
def test_same_seed_gives_byte_identical_json_across_processes_and_workers(
    cli: list[str],
) -> None:
    file = ROOT / "scenarios" / "global-saas.yaml"
    runs = [(1, "1"), (1, "2"), (2, "3")]  # (workers, PYTHONHASHSEED)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second, pooled = pool.map(lambda r: _run(cli, file, ARGS, *r), runs)
    assert first == second, "two processes, same seed: different JSON"
    assert first == pooled, "--workers 1 and --workers 2 give different JSON"
    data = json.loads(first)
    assert "timing" not in data
    assert (data["replications"], data["seed"]) == (2, 11)
    # and the library in this process says the same, byte for byte
    result = run_scenario(load_scenario(file), replications=2, seed=11)
    assert result_json(result) + "\n" == first


@pytest.mark.parametrize("name", ["example-log-fit", "multilingual-emea", "bpo-overnight"])
def test_worker_count_does_not_change_the_result(name: str) -> None:
    file = ROOT / "scenarios" / f"{name}.yaml"
    scenario = load_scenario(file)
    serial = result_json(run_scenario(scenario, replications=3, seed=5, workers=1))
    pooled = result_json(run_scenario(scenario, replications=3, seed=5, workers=2))
    again = result_json(run_scenario(scenario, replications=3, seed=5, workers=1))
    assert serial == pooled
    assert serial == again


def test_a_different_seed_changes_the_result() -> None:
    # guards the tests above against a result that ignores the seed altogether
    scenario = load_scenario(ROOT / "scenarios" / "global-saas.yaml")
    a = result_json(run_scenario(scenario, replications=1, seed=1))
    b = result_json(run_scenario(scenario, replications=1, seed=2))
    assert a != b

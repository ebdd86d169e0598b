"""Functional tests of the app's long-lived workers (coverage.app.workers, issue 17).

The app runs replications on spawned worker processes started once per server, never on a pool
forked from the server; the figures are the same as in the server's own process, and a worker
killed from outside costs one run in the server process, after which a new set starts.
"""

from __future__ import annotations

import json
import os
import signal
import time

from conftest import TINY

from coverage.app import boundary
from coverage.app.workers import AppWorkers
from coverage.results.report import result_json
from coverage.scenario.model import parse_scenario

READY_TIMEOUT_S = 300  # spawned workers import the package and load the kernels


def _wait_ready(workers: AppWorkers):
    deadline = time.monotonic() + READY_TIMEOUT_S
    while (pool := workers.ready()) is None:
        assert time.monotonic() < deadline, "the app's workers did not become ready"
        time.sleep(0.1)
    return pool


def _figures(result) -> str:
    return json.dumps(result_json(result), sort_keys=True)


def test_app_workers_are_spawned_give_the_same_figures_and_survive_a_killed_worker():
    sc = parse_scenario(TINY)
    first = boundary.run_in_app(sc, replications=4, seed=3, engine="fast")  # in this process
    workers = boundary.app_workers()
    pool = _wait_ready(workers)
    assert pool._mp_context.get_start_method() == "spawn"  # never a fork of the server
    pooled = boundary.run_in_app(sc, replications=4, seed=3, engine="fast")
    assert _figures(pooled) == _figures(first)

    victim = next(iter(pool._processes))
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.5)
    again = boundary.run_in_app(sc, replications=4, seed=3, engine="fast")  # falls back
    assert _figures(again) == _figures(first)
    new_pool = _wait_ready(workers)  # a new set was started after the failed run
    assert victim not in new_pool._processes
    assert _figures(boundary.run_in_app(sc, replications=4, seed=3, engine="fast")) == _figures(
        first
    )

"""Shared fixtures: a tiny scenario (as raw data and parsed), a seeded generator, paths."""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coverage.scenario.model import Scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

TINY: dict[str, Any] = {
    "name": "tiny",
    "horizon": {"start": "2026-01-05", "days": 1},
    "replications": 3,
    "seed": 11,
    "channels": {
        "phone": {
            "handle_time": {"dist": "exponential", "mean_s": 300},
            "patience": {"dist": "exponential", "mean_s": 200},
            "target": {"answer_within_s": 20, "share": 0.8},
        },
        "email": {
            "mode": "async",
            "handle_time": {"dist": "fixed", "mean_s": 400},
            "target": {"answer_within_s": 14400, "share": 0.9},
        },
    },
    "regions": {"here": {"time_zone": "Europe/Berlin"}},
    "demand": [
        {"channel": "phone", "region": "here", "per_hour": 30},
        {"channel": "email", "region": "here", "per_hour": 6},
    ],
    "plans": {
        "day": {
            "sites": {
                "berlin": {
                    "time_zone": "Europe/Berlin",
                    "hourly_cost": 20.0,
                    "shifts": [{"start": "08:00", "hours": 10, "agents": 4}],
                }
            }
        },
        "round-the-clock": {
            "sites": {
                "berlin": {
                    "time_zone": "Europe/Berlin",
                    "hourly_cost": 20.0,
                    "night_premium": {"from": "22:00", "to": "06:00", "rate": 0.1},
                    "shifts": [{"start": "00:00", "hours": 24, "agents": 4}],
                }
            }
        },
    },
}


@pytest.fixture
def tiny_raw() -> dict[str, Any]:
    """The tiny scenario as data read from YAML (a fresh copy per test)."""
    return copy.deepcopy(TINY)


@pytest.fixture
def tiny_scenario(tiny_raw: dict[str, Any]) -> Scenario:
    """The tiny scenario, parsed."""
    return parse_scenario(tiny_raw)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator for tests that draw numbers themselves."""
    return np.random.default_rng(20260126)


@pytest.fixture(scope="session")
def cli() -> list[str]:
    """The `coverage-sim` command as an argument list, used as ``[*cli, "run", file]``.

    The console script installed beside ``sys.executable`` when there is one (the real entry
    point, as users run it), else the one on PATH, else ``python -m coverage``: the tests run
    from any environment, not only from ``.venv``. Every test that runs the CLI uses this.
    """
    local = Path(sys.executable).parent / "coverage-sim"
    if local.exists():
        return [str(local)]
    found = shutil.which("coverage-sim")
    return [found] if found else [sys.executable, "-m", "coverage"]

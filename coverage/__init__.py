"""coverage planner: an open, validated staffing and 24/7 coverage planning simulator.

The import name is ``coverage`` (the distribution is ``coverage-planner``); it shadows the
coverage.py tool, so this project never depends on coverage.py or pytest-cov.

The public names below are imported lazily, so ``import coverage`` (and the command line's start)
stays quick; ``coverage.run_scenario`` loads the simulation stack on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "RunResult": "coverage.batch",
    "run_scenario": "coverage.batch",
    "ScenarioError": "coverage.errors",
    "result_dict": "coverage.report",
    "result_json": "coverage.report",
    "Scenario": "coverage.scenario",
    "load_scenario": "coverage.scenario",
    "parse_scenario": "coverage.scenario",
    "scenario_from_text": "coverage.scenario",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'coverage' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

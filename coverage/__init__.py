"""coverage planner: an open, validated staffing and 24/7 coverage planning simulator.

The import name is ``coverage`` (the distribution is ``coverage-planner``); it shadows the
coverage.py tool, so this project never depends on coverage.py or pytest-cov.

The public names below are imported lazily, so ``import coverage`` (and the command line's start)
stays quick; ``coverage.run_scenario`` loads the simulation stack on first use.
"""

from __future__ import annotations

import importlib  # no `typing` here: this runs before the CLI's Ctrl-C guard (coverage.launch)

__version__ = "0.1.0"

_EXPORTS = {
    "RunResult": "coverage.simulation.replications",
    "PlanResult": "coverage.simulation.replications",
    "run_scenario": "coverage.simulation.replications",
    "prepare_run": "coverage.simulation.pipeline",
    "simulate_replication": "coverage.simulation.pipeline",
    "ChannelFigures": "coverage.results.figures",
    "PlanCost": "coverage.results.figures",
    "SiteCost": "coverage.results.figures",
    "ScenarioError": "coverage.errors",
    "result_dict": "coverage.results.report",
    "result_json": "coverage.results.report",
    "Scenario": "coverage.scenario.model",
    "load_scenario": "coverage.scenario.model",
    "parse_scenario": "coverage.scenario.model",
    "scenario_from_text": "coverage.scenario.model",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'coverage' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

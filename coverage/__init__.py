"""coverage planner: an open, validated staffing and 24/7 coverage planning simulator.

The import name is ``coverage`` (the distribution is ``coverage-planner``); it shadows the
coverage.py tool, so this project never depends on coverage.py or pytest-cov.
"""

from coverage.batch import RunResult, run_scenario
from coverage.errors import ScenarioError
from coverage.report import result_dict, result_json
from coverage.scenario import Scenario, load_scenario, parse_scenario, scenario_from_text

__version__ = "0.1.0"

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "result_dict",
    "result_json",
    "run_scenario",
    "scenario_from_text",
]

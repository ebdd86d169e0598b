"""Regression (golden, not published figures): the JSON of `coverage-sim run --json` for every
bundled scenario is byte-identical to the file pinned in `tests/data/golden/`.

The pinned files hold what ``coverage-sim run scenarios/NAME.yaml --replications 3 --json``
printed (the scenario's own seed, default engine) when they were generated. A refactor must leave
them untouched; a deliberate change of results regenerates them with
``.venv/bin/python scripts/update_golden.py`` in the same commit, saying why.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "data" / "golden"


def _load_update_script() -> ModuleType:
    """scripts/update_golden.py, so the test runs exactly what generated the goldens."""
    spec = importlib.util.spec_from_file_location(
        "update_golden", ROOT / "scripts/update_golden.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


UPDATE = _load_update_script()


def test_every_bundled_scenario_has_a_golden():
    # functional: a new scenario must get its pinned result (and a removed one loses it)
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(p.stem for p in SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_run_json_is_byte_identical_to_golden(scenario: Path):
    # golden: exact bytes, no tolerance — a seed fixes every result
    expected = (GOLDEN / f"{scenario.stem}.json").read_text(encoding="utf-8")
    actual = UPDATE.run_json(scenario)
    assert actual == expected, (
        f"{scenario.name}: JSON differs from tests/data/golden/{scenario.stem}.json; if the change "
        "is deliberate, run scripts/update_golden.py and say why in the commit"
    )

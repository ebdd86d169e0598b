"""Functional: every public function of the modules below (demand/, simulation/, results/) has a
numpydoc docstring — a ``Parameters`` section when it takes arguments and ``Returns``/``Yields``
when it returns something (STYLE: numpydoc, units in brackets). Not yet listed:
simulation/evaluate.py and simulation/_jit.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "coverage"
PIPELINE_MODULES = [
    "demand/arrivals.py",
    "demand/automation.py",
    "demand/codes.py",
    "demand/logfit.py",
    "demand/log_outcomes.py",
    "demand/logs.py",
    "demand/profile_cli.py",
    "demand/streams.py",
    "simulation/budget.py",
    "simulation/dispatch.py",
    "simulation/fast_engine.py",
    "simulation/invariants.py",
    "simulation/pipeline.py",
    "simulation/replications.py",
    "simulation/roster.py",
    "simulation/simpy_engine.py",
    "results/costs.py",
    "results/explain.py",
    "results/figures.py",
    "results/metrics.py",
    "results/report.py",
    "results/sustainability.py",
    "results/verdict.py",
]


def _missing_sections(node: ast.FunctionDef) -> list[str]:
    doc = ast.get_docstring(node) or ""
    if not doc:
        return ["docstring"]
    missing = []
    args = [a.arg for a in [*node.args.args, *node.args.kwonlyargs] if a.arg not in ("self", "cls")]
    if args and "Parameters\n" not in doc:
        missing.append("Parameters")
    returns_none = node.returns is None or (
        isinstance(node.returns, ast.Constant) and node.returns.value is None
    )
    if not returns_none and "Returns\n" not in doc and "Yields\n" not in doc:
        missing.append("Returns")
    return missing


@pytest.mark.parametrize("module", PIPELINE_MODULES)
def test_public_functions_have_numpydoc(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    bad = [
        f"{node.name} (line {node.lineno}): no {', '.join(missing)}"
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
        for missing in [_missing_sections(node)]
        if missing
    ]
    assert not bad, f"coverage/{module}: " + "; ".join(bad)

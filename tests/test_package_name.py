"""Unit: our import package `coverage` is this project, never coverage.py."""

from pathlib import Path

import coverage


def test_import_coverage_resolves_to_this_project():
    assert Path(coverage.__file__).resolve().parent == Path(__file__).resolve().parents[1] / "coverage"
    assert hasattr(coverage, "__version__")


def test_coverage_py_is_not_installed():
    import importlib.metadata as md

    names = {d.metadata["Name"].lower() for d in md.distributions()}
    assert "coverage" not in names and "pytest-cov" not in names

"""Unit: our import package `coverage` is this project, never coverage.py."""

from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[1]


def test_import_coverage_resolves_to_this_project():
    assert Path(coverage.__file__).resolve().parent == ROOT / "coverage"
    assert hasattr(coverage, "__version__")


def test_coverage_py_is_not_installed():
    import importlib.metadata as md

    names = {d.metadata["Name"].lower() for d in md.distributions()}
    assert "coverage" not in names
    assert "pytest-cov" not in names


def test_no_dependency_set_names_coverage_py():
    # our import package is `coverage`: installing coverage.py would shadow or replace it
    text = (ROOT / "pyproject.toml").read_text() + (ROOT / "uv.lock").read_text()
    assert 'name = "coverage"' not in text
    assert "pytest-cov" not in text

"""The examples in the documentation are executed (as SimPy does with its doctests).

Convention for README.md and docs/*.md: a ```console block is run, each ``$ command`` line in
the repository's folder (``.venv/bin/`` stands for the folder of the interpreter running the
tests); the command must exit 0 and, when lines follow it in the block, print exactly those
lines. A ```pycon block is run as a doctest (``>>>`` prompts, expected output below). Blocks in
other languages (```bash, ```python, ```yaml) are illustrations and are not run.
Module docstrings of coverage/scenario and coverage/calendar.py run as doctests too.
"""

from __future__ import annotations

import doctest
import importlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^(?P<indent> *)```(?P<kind>console|pycon)\n(?P<body>.*?)^(?P=indent)```$",
                   re.M | re.S)
DOCTEST_MODULES = (
    "coverage.calendar",
    "coverage.scenario.fields",
    "coverage.scenario.model",
    "coverage.scenario.reference",
    "coverage.scenario.yaml_loader",
    "coverage.results.reference",
)


def _blocks(kind: str) -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            if match["kind"] == kind:  # a block inside a list item is indented: remove that
                line = text[: match.start()].count("\n") + 1
                indent = len(match["indent"])
                body = "".join(row[indent:] for row in match["body"].splitlines(keepends=True))
                out.append((f"{page.relative_to(ROOT)}:{line}", body))
    return out


def _commands(block: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each ``$`` line of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


CONSOLE = _blocks("console")
PYCON = _blocks("pycon")


def test_docs_have_runnable_examples_unit():
    # Unit: guards the tests below against passing on nothing.
    assert len(CONSOLE) >= 3
    assert len(PYCON) >= 2


@pytest.mark.parametrize(("where", "block"), CONSOLE, ids=[w for w, _ in CONSOLE])
def test_console_example_runs_functional(where: str, block: str):
    # Functional: every command of the block exits 0 and prints what the page shows.
    bin_dir = str(Path(sys.executable).parent) + "/"
    steps = _commands(block)
    assert steps, f"{where}: a console block without a $ command"
    for command, expected in steps:
        args = [a.replace(".venv/bin/", bin_dir, 1) for a in shlex.split(command)]
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300,
                              check=False)
        assert proc.returncode == 0, f"{where}: `{command}` exited {proc.returncode}: {proc.stderr}"
        if expected:
            assert proc.stdout.rstrip("\n").splitlines() == expected, f"{where}: `{command}`"


@pytest.mark.parametrize(("where", "block"), PYCON, ids=[w for w, _ in PYCON])
def test_pycon_example_runs_functional(where: str, block: str, monkeypatch):
    # Functional: the block as a doctest, in the repository's folder (paths as on the page).
    monkeypatch.chdir(ROOT)
    test = doctest.DocTestParser().get_doctest(block, {}, where, where, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{where}: {result.failed} example(s) failed (see output above)"


@pytest.mark.parametrize("name", DOCTEST_MODULES)
def test_module_docstring_examples_unit(name: str, monkeypatch):
    # Unit: the Examples sections of the scenario and calendar modules' docstrings.
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0

"""Functional: the code passes the project's linters (docs/contributing.md): ruff everywhere,
mypy on the package. They run inside the test suite so CI enforces them."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_check_is_clean():
    proc = _run(str(BIN / "ruff"), "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_on_the_package_is_clean():
    proc = _run(str(BIN / "mypy"), "coverage")
    assert proc.returncode == 0, proc.stdout + proc.stderr

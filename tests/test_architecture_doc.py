"""Functional: docs/architecture.md describes the package as it is — every module has a row, and
every module it names exists. A new module is added to the page in the same change."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "coverage"


def _modules() -> list[str]:
    """Every module of the package, relative to coverage/ (package markers left out)."""
    return sorted(
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )


def test_every_module_has_a_row():
    missing = [m for m in _modules() if f"`{m}`" not in PAGE]
    assert not missing, f"docs/architecture.md has no row for: {', '.join(missing)}"


def test_every_module_named_exists():
    # the first cell of each row of the modules table
    first_cells = re.findall(r"^\| (`[^|]*\.py`) \|", PAGE, flags=re.MULTILINE)
    named = {m for cell in first_cells for m in re.findall(r"`([a-z_/]+\.py)`", cell)}
    assert len(named) >= len(_modules())
    ghosts = sorted(m for m in named if not (PACKAGE / m).is_file())
    assert not ghosts, f"docs/architecture.md names modules that do not exist: {ghosts}"

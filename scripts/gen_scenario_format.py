"""Rewrite the generated parts of docs/scenario-format.md and docs/scenario.schema.json.

The field tables come from the pydantic models' descriptions, the examples from
docs/examples/*.yaml, and the schema from `coverage-sim schema`; text outside the
``<!-- BEGIN GENERATED: ... -->`` blocks is kept. Run after changing a scenario model:

    .venv/bin/python scripts/gen_scenario_format.py
"""

from __future__ import annotations

from pathlib import Path

from coverage.outputs import atomic_write_text
from coverage.scenario.reference import schema_json_text, update_page

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "scenario-format.md"
SCHEMA = ROOT / "docs" / "scenario.schema.json"


def main() -> None:
    """Rewrite both files in place (atomically)."""
    atomic_write_text(PAGE, update_page(PAGE.read_text(encoding="utf-8"), root=ROOT))
    atomic_write_text(SCHEMA, schema_json_text())
    print(f"wrote {PAGE.relative_to(ROOT)} and {SCHEMA.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

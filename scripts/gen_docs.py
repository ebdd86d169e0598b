"""Rewrite the generated parts of the reference pages from the code.

docs/scenario-format.md: the field tables (from the scenario models' descriptions) and the
examples (docs/examples/*.yaml); docs/scenario.schema.json (what `coverage-sim schema` prints);
docs/results.md: the result tables (from the typed result classes' field descriptions). Text
outside the ``<!-- BEGIN GENERATED: ... -->`` blocks is kept. Run after changing a scenario model
or a result class:

    .venv/bin/python scripts/gen_docs.py
"""

from __future__ import annotations

from pathlib import Path

from coverage.outputs import atomic_write_text
from coverage.results.reference import RESULT_BLOCKS
from coverage.scenario.reference import schema_json_text, update_page

ROOT = Path(__file__).resolve().parents[1]
PAGES = (ROOT / "docs" / "scenario-format.md", ROOT / "docs" / "results.md")
SCHEMA = ROOT / "docs" / "scenario.schema.json"


def main() -> None:
    """Rewrite the pages and the schema in place (atomically)."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        atomic_write_text(page, update_page(text, root=ROOT, blocks=RESULT_BLOCKS))
    atomic_write_text(SCHEMA, schema_json_text())
    names = ", ".join(str(p.relative_to(ROOT)) for p in (*PAGES, SCHEMA))
    print(f"wrote {names}")


if __name__ == "__main__":
    main()

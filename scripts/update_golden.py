"""Regenerate the pinned JSON results in `tests/data/golden/` (regression files, not published
figures).

    .venv/bin/python scripts/update_golden.py            # every scenarios/*.yaml
    .venv/bin/python scripts/update_golden.py global-saas.yaml

Each file is exactly what ``coverage-sim run scenarios/NAME.yaml --replications 3 --json`` prints
(the scenario's own seed, the default engine). `tests/test_golden_json.py` asserts byte identity.
Run this only on purpose: when a change alters results deliberately, regenerate the goldens in
the same commit and say why in its message.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "data" / "golden"
REPLICATIONS = 3


def golden_argv(scenario: Path) -> list[str]:
    """The `coverage-sim` arguments whose stdout is pinned for `scenario`."""
    return ["run", str(scenario), "--replications", str(REPLICATIONS), "--json", "--workers", "1"]


def run_json(scenario: Path) -> str:
    """What `coverage-sim run ... --json` prints for `scenario` (in this process)."""
    from coverage.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(golden_argv(scenario))
    if code != 0:
        raise SystemExit(f"{scenario}: coverage-sim exited {code}")
    return out.getvalue()


def main(names: list[str]) -> None:
    """Write `tests/data/golden/<scenario stem>.json` for the named (default: all) scenarios."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    files = [SCENARIOS / n for n in names] if names else sorted(SCENARIOS.glob("*.yaml"))
    for scenario in files:
        target = GOLDEN / f"{scenario.stem}.json"
        target.write_text(run_json(scenario), encoding="utf-8")
        sys.stdout.write(f"wrote {target.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main(sys.argv[1:])

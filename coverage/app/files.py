"""Scenario files for the app: the bundled ones, and uploads read from memory only.

`bundled_scenarios` lists ``scenarios/*.yaml``; `load_bundled` reads one (its contact logs must
stay inside the folder); `scenario_from_upload` reads uploaded bytes from memory only — at most
`MAX_UPLOAD_BYTES`, YAML through the package's safe loader, and no contact log at all, because an
upload must never make the server open a path.
"""

from __future__ import annotations

from pathlib import Path

from coverage.errors import ScenarioError, join_path
from coverage.scenario.model import Scenario, load_scenario, parse_scenario
from coverage.scenario.yaml_loader import read_yaml_text

MAX_UPLOAD_BYTES = 1_000_000  # an uploaded scenario is a few kilobytes


def bundled_scenarios(folder: str | Path) -> dict[str, Path]:
    """The bundled scenario files of `folder` (``*.yaml``), by file name, sorted."""
    return {p.name: p for p in sorted(Path(folder).glob("*.yaml")) if p.is_file()}


def load_bundled(path: str | Path, folder: str | Path) -> Scenario:
    """Read a bundled scenario; every contact log it names must resolve inside `folder`."""
    scenario = load_scenario(path)
    root = Path(folder).resolve()
    for i, entry in enumerate(scenario.demand):
        for key in ("replay", "fit"):
            log = getattr(entry, key)
            if log is None:
                continue
            target = (Path(scenario.base_dir or root) / log).resolve()
            if not target.is_relative_to(root):
                raise ScenarioError(
                    join_path("demand", i, key),
                    f"{log!r} is outside the scenarios folder; the app reads logs only from there",
                    file=Path(path).name,
                )
    return scenario


def scenario_from_upload(data: bytes, name: str) -> Scenario:
    """Read an uploaded scenario from memory (never from a server path).

    A contact log (`replay` / `fit`) is refused before the scenario is validated, so no check
    ever looks at a path on the server for an upload.

    Raises
    ------
    ScenarioError
        Too big, not UTF-8 YAML, invalid, or naming a contact log; the message reads
        "name: field.path: what is wrong", as in the CLI.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(
            "", f"upload is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}", file=name
        )
    raw = read_yaml_text(data, file=name)
    demand = raw.get("demand") if isinstance(raw, dict) else None
    for i, entry in enumerate(demand if isinstance(demand, list) else []):
        for key in ("replay", "fit"):
            if isinstance(entry, dict) and key in entry:
                raise ScenarioError(
                    join_path("demand", i, key),
                    "an uploaded scenario cannot use a contact log: the app does not open files "
                    "on the server; give the demand as rates (per_hour), or run it with "
                    "coverage-sim",
                    file=name,
                )
    try:
        return parse_scenario(raw, base_dir=None)
    except ScenarioError as exc:
        raise exc.with_file(name) from None

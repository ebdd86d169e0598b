"""Sweep files: a base scenario plus overrides by field path, resolved into validated variants.

A batch takes scenario files, folders of them and sweep files. A sweep file names a ``base``
scenario (relative to the sweep file) and overrides addressed by field path
(``plans.single-site.sites.austin.shifts[2].agents``), applied to the base's YAML data:

- ``set``: overrides applied to every variant;
- ``grid``: every combination of the listed values (``{range: [2, 8]}`` is 2..8 inclusive);
- ``variants``: an explicit list of override sets, each one variant (after the grid's).

`resolve_inputs` resolves and validates every variant with
:func:`~coverage.scenario.model.parse_scenario` before anything runs; a bad path or value is one
:class:`~coverage.errors.ScenarioError` naming the sweep file, the field and the override. A
variant's key is a content hash of what determines its result (the resolved scenario, seed,
replications, engine, code version and any contact log it reads); `coverage.sweeps.runner` runs the
variants and skips those whose result exists for that key. All variants of a sweep use the same
seed, so replication r of each sees the same random streams (common random numbers).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from coverage.errors import ScenarioError, join_path
from coverage.scenario.model import Scenario, parse_scenario, scenario_to_dict
from coverage.scenario.yaml_loader import read_input_file, read_yaml_text
from coverage.settings import MAX_SWEEP_VARIANTS
from coverage.simulation.replications import DEFAULT_ENGINE, MAX_CONTACTS_PER_REPLICATION

SWEEP_KEYS = ("name", "description", "base", "seed", "replications", "set", "grid", "variants")
RESERVED_PATHS = ("seed", "replications")  # set by the sweep's own keys, never by overrides
YAML_SUFFIXES = (".yaml", ".yml")
_SEGMENT = re.compile(r"([A-Za-z0-9_-]+)((?:\[\d+\])*)")


def code_version() -> str:
    """The package version, part of every variant's cache key."""
    from coverage import __version__

    return __version__


# --- field paths and overrides -----------------------------------------------------------


def parse_field_path(text: str) -> tuple[str | int, ...]:
    """``"plans.a.shifts[2].agents"`` → ``("plans", "a", "shifts", 2, "agents")``."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"{text!r} is not a field path such as automation.chat.deflection")
    steps: list[str | int] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if not match:
            raise ValueError(
                f"{text!r} is not a field path (keys joined by '.', list items as [i], "
                "e.g. plans.single-site.sites.austin.shifts[2].agents)"
            )
        steps.append(match.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(steps)


class _PathError(Exception):
    def __init__(self, where: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.where = where
        self.message = message


def _keys(node: dict[str, Any]) -> str:
    return ", ".join(str(k) for k in node) or "none"


def _step(node: Any, step: str | int, where: tuple[str | int, ...]) -> Any:
    here = (*where, step)
    if isinstance(step, int):
        if not isinstance(node, list):
            raise _PathError(where, f"is not a list, so it has no item [{step}]")
        if step >= len(node):
            last = len(node) - 1
            raise _PathError(here, f"no such item: the list has {len(node)} ([0]..[{last}])")
        return node[step]
    if not isinstance(node, dict):
        raise _PathError(where, f"is not a mapping, so it has no field {step!r}")
    if step not in node:
        raise _PathError(
            here,
            f"no such field here (fields: {_keys(node)}); to add one, override the whole "
            f"mapping, e.g. {join_path(*here)}: {{...}}",
        )
    return node[step]


def apply_override(raw: dict[str, Any], steps: tuple[str | int, ...], value: Any) -> None:
    """Set the field at `steps` in `raw` (in place) to a copy of `value`.

    Every key on the way must exist; the last one may be new (the scenario validator then says
    whether it is a field), so ``automation.email: {deflection: 0.2}`` adds a bot to email.
    """
    node: Any = raw
    for i, step in enumerate(steps[:-1]):
        node = _step(node, step, steps[:i])
    last, where = steps[-1], steps[:-1]
    if isinstance(last, int):
        _step(node, last, where)
    elif not isinstance(node, dict):
        raise _PathError(where, f"is not a mapping, so it has no field {last!r}")
    node[last] = copy.deepcopy(value)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _shown(value: Any) -> str:
    text = json.dumps(to_json_value(value), ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


# --- sweep files -------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantTask:
    """What a worker needs to run one variant (plain data, so any executor can ship it)."""

    id: str
    key: str
    raw: dict[str, Any]  # the resolved scenario data (what parse_scenario validated)
    base_dir: str
    seed: int
    replications: int
    engine: str = DEFAULT_ENGINE


@dataclass(frozen=True, kw_only=True)
class Variant(VariantTask):
    """One scenario to run: a resolved, validated scenario with its seed and replications (the
    task's fields), and where it came from."""

    source: str  # the scenario or sweep file it came from, as given
    index: int  # position within its source
    overrides: dict[str, Any]  # field path → value, in file order
    scenario: Scenario

    def task(self) -> VariantTask:
        """The shippable part: the task's fields only (no parsed scenario)."""
        return VariantTask(**{f.name: getattr(self, f.name) for f in fields(VariantTask)})


@dataclass(frozen=True)
class BatchInput:
    """A file named on the command line (or found in a folder) and what it produced."""

    path: str
    kind: str  # "scenario" or "sweep"
    sha256: str
    variants: int
    base: str | None = None
    base_sha256: str | None = None
    logs: dict[str, str] = field(default_factory=dict)


def _read_file(path: Path) -> bytes:
    return read_input_file(path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _count(file: str, where: str, value: Any, *, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ScenarioError(where, f"must be a whole number >= {lo}, got {value!r}", file=file)
    return value


def _override_map(file: str, where: str, block: Any) -> dict[str, Any]:
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise ScenarioError(
            where, "must be a mapping of field path → value (e.g. horizon.days: 1)", file=file
        )
    for path in block:
        try:
            steps = parse_field_path(path)
        except ValueError as exc:
            raise ScenarioError(where, str(exc), file=file) from None
        if isinstance(steps[0], str) and len(steps) == 1 and steps[0] in RESERVED_PATHS:
            raise ScenarioError(
                f"{where}: {path}",
                f"give {path} as the sweep's top-level {path}: key, not as an override",
                file=file,
            )
    return dict(block)


def _grid_values(file: str, path: str, spec: Any) -> list[Any]:
    where = f"grid: {path}"
    if isinstance(spec, dict) and set(spec) == {"range"}:
        bounds = spec["range"]
        ok = isinstance(bounds, list) and len(bounds) in (2, 3)
        ok = ok and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
        if not ok:
            raise ScenarioError(
                where,
                f"range takes whole numbers [first, last] or [first, last, step], got "
                f"{_shown(bounds)} (list other values explicitly)",
                file=file,
            )
        first, last, step = bounds[0], bounds[1], bounds[2] if len(bounds) == 3 else 1
        if step < 1 or last < first:
            raise ScenarioError(
                where, f"range needs first <= last and step >= 1, got {bounds}", file=file
            )
        values = range(first, last + 1, step)
        if len(values) > MAX_SWEEP_VARIANTS:
            raise ScenarioError(
                where,
                f"{len(values):,} values; a batch has at most {MAX_SWEEP_VARIANTS:,}",
                file=file,
            )
        return list(values)
    if isinstance(spec, list) and spec:
        return spec
    raise ScenarioError(
        where, f"give a list of values or {{range: [first, last]}}, got {_shown(spec)}", file=file
    )


def _sweep_override_sets(file: str, doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, overrides) per variant, `set` included, in file order (grid first)."""
    fixed = _override_map(file, "set", doc.get("set"))
    grid = _override_map(file, "grid", doc.get("grid"))
    listed = doc.get("variants")
    if listed is not None and (not isinstance(listed, list) or not listed):
        raise ScenarioError("variants", "must be a non-empty list of override mappings", file=file)
    axes = {path: _grid_values(file, path, spec) for path, spec in grid.items()}
    size = math.prod(len(values) for values in axes.values()) + len(listed or [])
    if size > MAX_SWEEP_VARIANTS:  # counted before anything is expanded
        raise ScenarioError(
            "grid",
            f"{size:,} variants ({' × '.join(str(len(v)) for v in axes.values())} grid points); "
            f"a batch has at most {MAX_SWEEP_VARIANTS:,}: split the sweep",
            file=file,
        )
    combos: list[tuple[str, str, dict[str, Any]]] = []
    if axes or not listed:
        points = list(itertools.product(*axes.values()))
        for n, values in enumerate(points):
            label = f"grid point {n + 1} of {len(points)}" if axes else "set"
            combos.append(("grid" if axes else "set", label, dict(zip(axes, values, strict=True))))
    for i, entry in enumerate(listed or []):
        where = f"variants[{i}]"
        combos.append((where, where, _override_map(file, where, entry)))
    out = []
    for where, label, own in combos:
        clash = [p for p in own if p in fixed]
        if clash:
            raise ScenarioError(f"set: {clash[0]}", f"also overridden in {where}", file=file)
        out.append((label, {**fixed, **own}))
    return out


def _resolve_variant(
    file: str,
    base_raw: dict[str, Any],
    base_dir: str,
    label: str,
    overrides: dict[str, Any],
    seed: int | None,
    replications: int | None,
) -> tuple[dict[str, Any], Scenario]:
    raw = copy.deepcopy(base_raw)
    for path, value in overrides.items():
        try:
            apply_override(raw, parse_field_path(path), value)
        except _PathError as exc:
            raise ScenarioError(
                join_path(*exc.where), f"{exc.message} — override {path} ({label})", file=file
            ) from None
    _set_run_size(raw, seed, replications)
    try:
        return raw, _validate(raw, base_dir)
    except ScenarioError as exc:
        related = [p for p in overrides if _under(exc.path, p) or _under(p, exc.path)]
        shown = ", ".join(f"{p} = {_shown(overrides[p])}" for p in related or overrides)
        cause = f"override {shown} ({label})" if shown else "the sweep's seed or replications"
        raise ScenarioError(exc.path, f"{exc.message} — {cause}", file=file) from None


def _set_run_size(raw: dict[str, Any], seed: int | None, replications: int | None) -> None:
    if seed is not None:
        raw["seed"] = seed
    if replications is not None:
        raw["replications"] = replications


def _validate(raw: dict[str, Any], base_dir: str) -> Scenario:
    from coverage.calendar import build_timeline
    from coverage.demand.arrivals import check_contact_budget

    scenario = parse_scenario(raw, base_dir=base_dir)
    check_contact_budget(scenario, build_timeline(scenario), limit=MAX_CONTACTS_PER_REPLICATION)
    return scenario


def _log_hashes(scenario: Scenario) -> dict[str, str]:
    """sha256 of each contact log the scenario reads (its content is part of the result)."""
    out = {}
    for entry in scenario.demand:
        name = entry.replay or entry.fit
        if name is not None:
            path = Path(scenario.base_dir or ".") / name
            out[name] = _sha256(_read_file(path))
    return out


def variant_key(scenario: Scenario, logs: dict[str, str], engine: str = DEFAULT_ENGINE) -> str:
    """Content hash of everything that determines a variant's result (sha256, hex)."""
    material = {
        "scenario": scenario_to_dict(scenario),
        "seed": scenario.seed,
        "replications": scenario.replications,
        "engine": engine,
        "code_version": code_version(),
        "logs": logs,
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return _sha256(text.encode("ascii"))


def _variant(
    source: str,
    index: int,
    overrides: dict[str, Any],
    raw: dict[str, Any],
    sc: Scenario,
    engine: str,
) -> tuple[Variant, dict[str, str]]:
    logs = _log_hashes(sc)
    key = variant_key(sc, logs, engine)
    return (
        Variant(
            id=key[:16],
            key=key,
            source=source,
            index=index,
            overrides=overrides,
            raw=raw,
            base_dir=sc.base_dir or ".",
            seed=sc.seed,
            replications=sc.replications,
            scenario=sc,
            engine=engine,
        ),
        logs,
    )


def _scenario_input(
    path: Path, data: bytes, raw: Any, seed: int | None, replications: int | None, engine: str
) -> tuple[BatchInput, list[Variant]]:
    file = str(path)
    if isinstance(raw, dict):
        raw = copy.deepcopy(raw)
        _set_run_size(raw, seed, replications)
    try:
        scenario = _validate(raw, str(path.parent.resolve()))
    except ScenarioError as exc:
        raise exc.with_file(file) from None
    variant, logs = _variant(file, 0, {}, raw, scenario, engine)
    return BatchInput(file, "scenario", _sha256(data), 1, logs=logs), [variant]


def _sweep_input(
    path: Path,
    data: bytes,
    doc: dict[str, Any],
    seed: int | None,
    replications: int | None,
    engine: str,
) -> tuple[BatchInput, list[Variant]]:
    file = str(path)
    unknown = [k for k in doc if k not in SWEEP_KEYS]
    if unknown:
        raise ScenarioError(
            str(unknown[0]), f"unknown sweep field (fields: {', '.join(SWEEP_KEYS)})", file=file
        )
    if not isinstance(doc["base"], str) or not doc["base"]:
        raise ScenarioError("base", "must be the path of a scenario file", file=file)
    if seed is None and doc.get("seed") is not None:
        seed = _count(file, "seed", doc["seed"], lo=0)
    if replications is None and doc.get("replications") is not None:
        replications = _count(file, "replications", doc["replications"], lo=1)
    base_path = (path.parent / doc["base"]).resolve()
    try:
        base_data = _read_file(base_path)
    except ScenarioError as exc:
        raise ScenarioError("base", f"{doc['base']}: {exc.message}", file=file) from None
    base_file = str(base_path)
    base_raw = read_yaml_text(base_data, file=base_file)
    base_dir = str(base_path.parent)
    if not isinstance(base_raw, dict):
        raise ScenarioError("", "the top level must be a mapping of fields", file=base_file)
    try:  # the base must be valid on its own: its errors are the base file's, not the sweep's
        _validate({**base_raw}, base_dir)
    except ScenarioError as exc:
        raise exc.with_file(base_file) from None
    variants, logs = [], {}
    for index, (label, overrides) in enumerate(_sweep_override_sets(file, doc)):
        raw, scenario = _resolve_variant(
            file, base_raw, base_dir, label, overrides, seed, replications
        )
        variant, variant_logs = _variant(file, index, overrides, raw, scenario, engine)
        variants.append(variant)
        logs.update(variant_logs)
    entry = BatchInput(
        file, "sweep", _sha256(data), len(variants), base_file, _sha256(base_data), logs
    )
    return entry, variants


def _expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
            if not found:
                raise ScenarioError("", "the folder holds no .yaml/.yml files", file=str(path))
            files.extend(found)
        else:
            files.append(path)
    unique, seen = [], set()
    for path in files:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique


def resolve_inputs(
    paths: Sequence[str | Path],
    *,
    seed: int | None = None,
    replications: int | None = None,
    engine: str = DEFAULT_ENGINE,
) -> tuple[list[BatchInput], list[Variant]]:
    """Every variant of every input, resolved and validated; nothing runs.

    `seed` and `replications` (from the command line) replace the sweeps' and scenarios' own;
    `engine` is part of each variant's key.

    Raises
    ------
    ScenarioError
        Naming the file (the sweep file for a bad override) and the field path.
    """
    inputs, variants = [], []
    seen: dict[str, Variant] = {}
    for path in _expand_paths(paths):
        data = _read_file(path)
        doc = read_yaml_text(data, file=str(path))
        if isinstance(doc, dict) and "base" in doc:
            entry, found = _sweep_input(path, data, doc, seed, replications, engine)
        else:
            entry, found = _scenario_input(path, data, doc, seed, replications, engine)
        for v in found:
            if v.id in seen:
                first = seen[v.id]
                raise ScenarioError(
                    "",
                    f"variant {v.index + 1} is the same scenario (same seed and replications) "
                    f"as variant {first.index + 1} of {first.source}: remove one",
                    file=v.source,
                )
            seen[v.id] = v
        inputs.append(entry)
        variants.extend(found)
    return inputs, variants


def to_json_value(value: Any) -> Any:
    """`value` with dates and times as ISO text, so an override value can go into JSON."""
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value

"""docs/scenario-format.md, docs/scenario.schema.json and `coverage-sim schema`.

The page's field tables and the schema file are generated from the pydantic models
(`coverage.scenario.reference`); these tests fail when either disagrees with the models, when a
field has no description, and when an example on the page stops loading or running.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, Field

from coverage.erlang import erlang_c_metrics
from coverage.results.report import result_dict
from coverage.scenario import model as models
from coverage.scenario.model import load_scenario
from coverage.scenario.reference import (
    fields_markdown,
    scenario_json_schema,
    schema_json_text,
    type_text,
    update_page,
)
from coverage.simulation.replications import run_scenario

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "scenario-format.md"
SCHEMA_FILE = ROOT / "docs" / "scenario.schema.json"
EXAMPLES = ROOT / "docs" / "examples"
REGENERATE = "run: .venv/bin/python scripts/gen_docs.py"


def _all_models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    queue: list[type[BaseModel]] = [models.Scenario]
    while queue:
        cls = queue.pop(0)
        if cls in seen:
            continue
        seen.append(cls)
        for name in scenario_json_schema()["$defs"]:
            found = getattr(models, name, None)
            if isinstance(found, type) and issubclass(found, BaseModel) and found not in seen:
                queue.append(found)
    return seen


def test_page_matches_the_models_functional():
    # Functional: the generated blocks of the page equal what the models give today.
    text = PAGE.read_text(encoding="utf-8")
    assert update_page(text, root=ROOT) == text, f"docs/scenario-format.md is stale; {REGENERATE}"
    assert "<!-- BEGIN GENERATED: fields -->" in text


def test_schema_file_matches_the_models_functional():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_json_text(), REGENERATE


def test_every_field_has_a_description_on_the_page_unit():
    # Unit: every field of every model reachable from Scenario has a description, and its
    # row is in the model's table on the page.
    page = PAGE.read_text(encoding="utf-8")
    assert len(_all_models()) == 1 + len(scenario_json_schema()["$defs"])
    for cls in _all_models():
        section = page.split(f"### {cls.__name__}\n", 1)[1].split("\n### ", 1)[0]
        for name, field in cls.model_fields.items():
            if field.exclude:
                continue
            assert field.description, f"{cls.__name__}.{name} has no description"
            key = field.alias or name
            assert f"| `{key}` |" in section, f"{cls.__name__}.{key} is missing from the page"


def test_users_asked_for_fields_are_documented_unit():
    # Unit: the fields a user could not find before (issue 14) are on the page with units.
    page = PAGE.read_text(encoding="utf-8")
    for needle in (
        "`weekend_premium`",
        "`overtime_premium`",
        "`samples_s`",
        "`segments`",
        "Monday first",
        "one number",
        "`holidays`",
        "`replay`",
        "`fit`",
    ):
        assert needle in page, needle


class _Range(BaseModel):
    """A range of crew sizes."""

    min: int = Field(ge=0, description="fewest agents")
    max: int = Field(ge=0, description="most agents")


class _WithUnions(BaseModel):
    """A model whose fields are unions, as later fields (agents: auto, {min, max}) are."""

    agents: int | Literal["auto"] | _Range = Field(description="crew size or auto or a range")
    scope: Literal["channel", "segment"] | None = Field(None, description="where it applies")
    per_hour: float | list[float] = Field(1.0, description="rate [contacts/h]")


def test_generator_handles_unions_and_nested_models_unit():
    # Unit: unions are joined with "or", null is dropped, nested models get their own table.
    text = fields_markdown(_WithUnions.model_json_schema())
    assert '| `agents` | whole number or `"auto"` or [_Range](#_range) | required |' in text
    assert '| `scope` | `"channel"` or `"segment"` | none |' in text
    assert "| `per_hour` | number or list of number | `1.0` |" in text
    assert "### _Range" in text
    assert "| `min` | whole number ≥ 0 | required | fewest agents |" in text
    assert type_text({"type": "integer", "minimum": 1, "maximum": 50}) == "whole number 1 to 50"
    assert type_text({"type": "object", "properties": {"min": {}, "max": {}}}) == (
        "mapping {min, max}"
    )
    assert (
        type_text({"type": "array", "items": {"type": "number"}, "minItems": 24, "maxItems": 24})
        == "24 × number"
    )


def _example(name: str) -> Path:
    return EXAMPLES / f"{name}.yaml"


def test_minimal_example_runs_and_matches_erlang_c_validation():
    # Validation (simulation vs analytic): the minimal example is an M/M/5 queue (30 calls/h,
    # exponential 300 s, no abandonment, constant staff): Erlang C gives SL(20 s) 0.8896 and
    # occupancy 0.5. Two one-week replications (~10,000 calls) have a standard error of about
    # 0.008 on service level and 0.005 on occupancy (measured over seeds); tolerances are ~4 SE.
    scenario = load_scenario(_example("minimal"))
    result = result_dict(run_scenario(scenario, replications=2, seed=1))
    phone = result["plans"]["one-site"]["channels"]["phone"]
    exact = erlang_c_metrics(5, 30.0, 300.0, target_s=20.0)
    assert phone["service_level"] == pytest.approx(exact["service_level"], abs=0.035)
    assert phone["occupancy"] == pytest.approx(exact["occupancy"], abs=0.02)
    assert phone["abandon_rate"] == 0.0


def test_full_example_uses_every_feature_and_runs_functional():
    # Functional: the full example loads, uses each kind of entry, and every plan runs.
    scenario = load_scenario(_example("full"))
    assert {e.kind for e in scenario.demand} == {"rates", "replay"}
    assert {c.handle_time.family for c in scenario.channels.values()} >= {"lognormal", "empirical"}
    assert any(isinstance(e.per_hour, float) for e in scenario.demand)
    assert any(isinstance(e.per_hour, tuple) for e in scenario.demand)
    result = result_dict(run_scenario(scenario, replications=1, seed=3))
    assert set(result["plans"]) == {"two-sites", "berlin-without-bot"}
    two = result["plans"]["two-sites"]
    assert set(two["channels"]) == {"phone", "chat", "email"}
    assert two["cost"]["premiums"] > 0
    assert two["cost"]["automation"] > 0
    assert result["plans"]["berlin-without-bot"]["cost"]["automation"] == 0


def _as_file_data(path: Path) -> Any:
    # PyYAML reads an unquoted 2026-03-02 as a date; editors (YAML 1.2) see text, as the schema.
    def plain(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_schema_accepts_every_bundled_scenario_and_rejects_typos_functional():
    # Functional: what an editor does with the schema: every bundled scenario and example is
    # valid, and a misspelled key or a wrong type is flagged.
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        errors = [e.message for e in validator.iter_errors(_as_file_data(path))]
        assert not errors, (path.name, errors[:3])
    data = _as_file_data(_example("full"))
    data["plans"]["two-sites"]["sites"]["berlin"]["hourly_rate"] = 26.0
    data["channels"]["phone"]["concurrency"] = "two"
    messages = " | ".join(e.message for e in validator.iter_errors(data))
    assert "'hourly_rate' was unexpected" in messages
    assert "'two' is not of type 'integer'" in messages


def test_schema_command_prints_the_schema_functional(cli):
    # Functional (CLI): `coverage-sim schema` prints the schema; --markdown prints the tables.
    proc = subprocess.run([*cli, "schema"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == scenario_json_schema()
    assert proc.stdout == schema_json_text()
    proc = subprocess.run(
        [*cli, "schema", "--markdown"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fields_markdown()

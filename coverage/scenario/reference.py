"""The scenario format's reference, generated from the models themselves.

`scenario_json_schema` is the JSON Schema of a scenario file (what `coverage-sim schema` prints
and editors such as the YAML language server validate against). `fields_markdown` renders the
same schema as the field tables of ``docs/scenario-format.md``: one table per model, each field
with its type, default and description (unit and rule). Both read only the pydantic models, so
the page cannot drift from the code; ``scripts/gen_docs.py`` rewrites the page and
a test fails when the two disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coverage.scenario.model import Scenario

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*$"  # the models' Name type
HIDDEN_FIELDS = ("base_dir",)  # set by the loader, never written in a file


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, by YAML key names.

    Returns
    -------
    dict
        The schema, with every model under ``$defs`` and the loader-only fields left out.
    """
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    for name in HIDDEN_FIELDS:
        schema["properties"].pop(name, None)
        if name in schema.get("required", []):
            schema["required"].remove(name)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_json_text() -> str:
    """The schema as the text `coverage-sim schema` prints (stable key order, 2-space indent)."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _anchor(model: str) -> str:
    return model.lower()


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _bounds(node: dict[str, Any]) -> str:
    def num(value: float) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)

    lo = next((k for k in ("minimum", "exclusiveMinimum") if k in node), None)
    hi = next((k for k in ("maximum", "exclusiveMaximum") if k in node), None)
    if lo == "minimum" and hi == "maximum":
        return f"{num(node[lo])} to {num(node[hi])}"
    parts = []
    if lo:
        parts.append(f"{'≥' if lo == 'minimum' else '>'} {num(node[lo])}")
    if hi:
        parts.append(f"{'≤' if hi == 'maximum' else '<'} {num(node[hi])}")
    return ", ".join(parts)


def type_text(node: dict[str, Any]) -> str:
    """A JSON Schema node as a short Markdown type, e.g. ``number ≥ 0`` or ``list of Shift``.

    Unions (``anyOf``/``oneOf``) are joined with "or"; ``null`` is left out (a null field is
    simply optional, which the Default column shows).

    Examples
    --------
    >>> type_text({"anyOf": [{"type": "integer", "minimum": 0}, {"const": "auto"}]})
    'whole number ≥ 0 or `"auto"`'
    >>> type_text({"type": "number", "minimum": 0, "maximum": 1})
    'number 0 to 1'
    """
    if "$ref" in node:
        name = _ref_name(node["$ref"])
        return f"[{name}](#{_anchor(name)})"
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [type_text(o) for o in node[key] if o.get("type") != "null"]
            return " or ".join(dict.fromkeys(options)) or "null"
    if "const" in node:
        return f"`{json.dumps(node['const'], ensure_ascii=False)}`"
    if "enum" in node:
        return " or ".join(f"`{json.dumps(v, ensure_ascii=False)}`" for v in node["enum"])
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(type_text({**node, "type": k}) for k in kind if k != "null")
    if kind == "array":
        text = f"list of {type_text(node.get('items', {}))}"
        lo, hi = node.get("minItems"), node.get("maxItems")
        if lo is not None and lo == hi:
            return f"{lo} × {type_text(node.get('items', {}))}"
        if lo:
            text += f" (at least {lo})"
        if hi is not None:
            text += f" (at most {hi})"
        return text
    if kind == "object":
        values = node.get("additionalProperties")
        for value in (node.get("patternProperties") or {}).values():
            values = value
        if isinstance(values, dict):
            return f"mapping of name → {type_text(values)}"
        if node.get("properties"):
            return "mapping {" + ", ".join(node["properties"]) + "}"
        return "mapping"
    if kind == "string":
        if node.get("pattern") == NAME_PATTERN:
            return f"name (a-z, 0-9, -; ≤ {node.get('maxLength', 64)} chars)"
        extra = [node["format"]] if "format" in node else []
        if "maxLength" in node:
            extra.append(f"≤ {node['maxLength']} chars")
        return "text" + (f" ({', '.join(extra)})" if extra else "")
    if kind in ("number", "integer"):
        word = "whole number" if kind == "integer" else "number"
        bounds = _bounds(node)
        return f"{word} {bounds}" if bounds else word
    if kind == "boolean":
        return "true or false"
    return "any"


def _default_text(name: str, node: dict[str, Any], required: list[str]) -> str:
    if name in required:
        return "required"
    if "default" not in node:
        return "see description"
    value = node["default"]
    if value is None:
        return "none"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(title: str, model: dict[str, Any]) -> list[str]:
    required = model.get("required", [])
    lines = [f"### {title}", "", _cell(model.get("description", "")).strip(), ""]
    lines += ["| field | type | default | description |", "| --- | --- | --- | --- |"]
    for name, node in model.get("properties", {}).items():
        lines.append(
            f"| `{name}` | {_cell(type_text(node))} | {_cell(_default_text(name, node, required))}"
            f" | {_cell(node.get('description', ''))} |"
        )
    return [*lines, ""]


def _order(schema: dict[str, Any]) -> list[str]:
    """Models in the order a reader meets them: breadth first from the top level."""
    seen: list[str] = []
    queue = [schema]
    while queue:
        node = queue.pop(0)
        for ref in _refs(node):
            if ref not in seen:
                seen.append(ref)
                queue.append(schema["$defs"][ref])
    return seen


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [_ref_name(node["$ref"])] if "$ref" in node else []
        for key, value in node.items():
            if key != "$defs":
                out += _refs(value)
        return out
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def fields_markdown(schema: dict[str, Any] | None = None) -> str:
    """Every field of the format as Markdown tables, the top level first.

    Parameters
    ----------
    schema : dict, optional
        A JSON Schema as `scenario_json_schema` returns (the default); other models' schemas
        work too, which the tests use to check unions and nested types.

    Returns
    -------
    str
        One ``###`` section per model: field, type, default, description.
    """
    schema = scenario_json_schema() if schema is None else schema
    lines = _table(schema.get("title", "Scenario"), schema)
    for name in _order(schema):
        lines += _table(name, schema["$defs"][name])
    return "\n".join(lines).rstrip() + "\n"


_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<key>\S+) -->\n)(?P<body>.*?)(<!-- END GENERATED -->)", re.S
)


def update_page(
    text: str, *, root: Path, blocks: dict[str, Callable[[], str]] | None = None
) -> str:
    """`text` (a Markdown page) with each generated block rewritten from its source.

    A block runs from ``<!-- BEGIN GENERATED: KEY -->`` to ``<!-- END GENERATED -->``. KEY
    ``fields`` is replaced by `fields_markdown`; a KEY ending in ``.yaml`` is the file of that
    path under `root`, shown as a YAML code block; any other KEY is looked up in `blocks`
    (e.g. the result tables of `coverage.results.reference`). Everything outside the blocks is
    kept.

    Raises
    ------
    FileNotFoundError
        A block names a file that does not exist.
    ValueError
        A block's KEY is unknown.
    """

    def body(match: re.Match[str]) -> str:
        key = match["key"]
        if key == "fields":
            new = fields_markdown()
        elif key.endswith(".yaml"):
            new = "```yaml\n" + (root / key).read_text(encoding="utf-8") + "```\n"
        elif blocks and key in blocks:
            new = blocks[key]()
        else:
            raise ValueError(f"unknown generated block {key!r}")
        return match[1] + new + match[4]

    return _BLOCK.sub(body, text)

"""The result figures' reference tables, generated from the typed result classes.

Each field of the result dataclasses (`coverage.results.figures`) carries its description with
the unit in brackets; `figures_markdown` turns a class into a Markdown table (field, unit,
definition) for ``docs/results.md``, and `RESULT_BLOCKS` names the generated blocks of that page,
so the page cannot drift from the JSON it documents (``scripts/gen_docs.py`` rewrites it).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import partial

from coverage.results.figures import (
    ChannelCI95,
    ChannelFigures,
    CrewGroupSustainability,
    PlanCost,
    SiteCost,
)

_UNIT = re.compile(r"\s*\[([^\]]+)\]$")


def figures_markdown(cls: type) -> str:
    """A result class as a Markdown table: field, unit, definition (in field order).

    Parameters
    ----------
    cls : type
        A dataclass of `coverage.results.figures` whose fields' metadata hold ``doc``.

    Returns
    -------
    str
        The table, one row per field; the unit is the ``[…]`` that ends the description.

    Examples
    --------
    >>> print(figures_markdown(ChannelCI95).splitlines()[2])
    | `service_level` | 0–1 | service level interval |
    """
    lines = ["| field | unit | definition |", "| --- | --- | --- |"]
    for field in dataclasses.fields(cls):
        doc = str(field.metadata.get("doc", ""))
        match = _UNIT.search(doc)
        unit = match[1] if match else ""
        text = doc[: match.start()] if match else doc
        text = text.replace("|", "\\|")
        lines.append(f"| `{field.name}` | {unit} | {text} |")
    return "\n".join(lines) + "\n"


RESULT_BLOCKS: dict[str, Callable[[], str]] = {
    f"results:{cls.__name__}": partial(figures_markdown, cls)
    for cls in (ChannelFigures, ChannelCI95, PlanCost, SiteCost, CrewGroupSustainability)
}

"""A scenario back to plain data and YAML in the file format (downloads, hashing, round trips)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from coverage.scenario.fields import WEEKDAYS
from coverage.scenario.sizing import agents_field

if TYPE_CHECKING:
    from coverage.scenario.model import Scenario


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in the file format (for YAML download and hashing).

    Values are in the file's units (the same as read); `days` becomes a list of day names and a
    flat `per_hour` one number again.
    """
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for pname, plan in scenario.plans.items():  # crews still to size: agents auto / {min, max}
        for sname, site in plan.sites.items():
            for j, shift in enumerate(site.shifts):
                if shift.sizing is not None:
                    bounds = shift.sizing.model_dump()
                    data["plans"][pname]["sites"][sname]["shifts"][j]["agents"] = agents_field(
                        bounds
                    )
    for plan in data.get("plans", {}).values():
        for site in plan["sites"].values():
            for shift in site["shifts"]:
                shift["days"] = [WEEKDAYS[d] for d in shift["days"]]
            if not site.get("candidate_shifts"):
                site.pop("candidate_shifts", None)
    for entry in data.get("demand", []):
        if isinstance(entry.get("per_hour"), list) and len(set(entry["per_hour"])) == 1:
            entry["per_hour"] = entry["per_hour"][0]
    return data


def dump_scenario_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text that `load_scenario` reads back to an equal scenario."""
    return yaml.safe_dump(scenario_to_dict(scenario), sort_keys=False, allow_unicode=True)

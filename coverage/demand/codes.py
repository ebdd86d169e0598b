"""How a contact codes its channel, region, segment and language: indices into name lists.

`coverage.demand.arrivals.Contacts` holds int16 codes; channels, regions and segments index the
scenario's own (file-order) name lists, languages the sorted list `scenario_languages`, and -1
means none (no segment, no language).
"""

from __future__ import annotations

from coverage.scenario.model import Scenario


def scenario_languages(scenario: Scenario) -> list[str]:
    """Every language named anywhere in the scenario, sorted (index = language code).

    Parameters
    ----------
    scenario : Scenario
        Languages come from regions, demand entries and shifts.

    Returns
    -------
    list of str
        Sorted language names.
    """
    names: set[str] = {r.language for r in scenario.regions.values() if r.language}
    names |= {d.language for d in scenario.demand if d.language}
    for plan in scenario.plans.values():
        for site in plan.sites.values():
            for shift in site.shifts:
                names |= set(shift.languages or ())
    return sorted(names)

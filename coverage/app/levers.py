"""What-if levers: apply a support leader's "what if" to a scenario.

A lever never edits the file. It changes the scenario's plain data (`scenario_to_dict`) and
re-parses it with `parse_scenario`, so an edited scenario passes exactly the checks a file does
and can be downloaded as YAML and rerun in batch. The levers:

* volume multiplier per channel: every rate entry of the channel, `per_hour × m` (a contact log
  cannot be scaled: a volume lever other than 1 on a scenario with log demand is an error);
* bot deflection share per channel: set in every automation block in force (top level and each
  plan's own); a channel without a bot gets one with 0 s of bot time and no cost;
* agents per site: crew sizes × multiplier, rounded half up (holiday crews too); then exact
  per-shift numbers, which win over the multiplier;
* hourly cost and night premium per site (a site without a night premium gets 22:00–06:00);
* patience per channel: multiplier on the mean (or on every empirical sample), or a new mean;
* replications and seed.

Reading scenario files for the app is `coverage.app.files`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from coverage.errors import ScenarioError, join_path
from coverage.scenario.model import (
    MAX_MONEY,
    MAX_PREMIUM,
    WEEKDAYS,
    Scenario,
    parse_scenario,
    scenario_to_dict,
)

MAX_APP_REPLICATIONS = 50
MAX_SEED = 2**63 - 1  # the model's bound
DEFAULT_NIGHT = ("22:00", "06:00")  # night window given to a site that had no night premium
_NAMED_DAYS = {(0, 1, 2, 3, 4, 5, 6): "all", (0, 1, 2, 3, 4): "weekdays", (5, 6): "weekends"}

SiteKey = tuple[str, str]  # (plan, site)
ShiftKey = tuple[str, str, int]  # (plan, site, shift index in the site's list)


@dataclass(frozen=True)
class Levers:
    """A set of what-if changes; an empty mapping or None leaves that part of the scenario alone.

    Attributes
    ----------
    volume : channel → demand multiplier [×]
    deflection : channel → bot deflection share [0–1]
    agents_multiplier : (plan, site) → crew-size multiplier [×]
    shift_agents : (plan, site, shift index) → crew size [agents]; applied after the multiplier
    hourly_cost : (plan, site) → cost per paid agent hour [currency/h]
    night_premium : (plan, site) → night premium share [0–1+]
    patience_multiplier : channel → multiplier on the patience distribution [×]
    patience_mean_s : channel → new mean patience [s]; applied after the multiplier
    replications, seed : replace the scenario's
    """

    volume: Mapping[str, float] = field(default_factory=dict)
    deflection: Mapping[str, float] = field(default_factory=dict)
    agents_multiplier: Mapping[SiteKey, float] = field(default_factory=dict)
    shift_agents: Mapping[ShiftKey, int] = field(default_factory=dict)
    hourly_cost: Mapping[SiteKey, float] = field(default_factory=dict)
    night_premium: Mapping[SiteKey, float] = field(default_factory=dict)
    patience_multiplier: Mapping[str, float] = field(default_factory=dict)
    patience_mean_s: Mapping[str, float] = field(default_factory=dict)
    replications: int | None = None
    seed: int | None = None


def _number(path: str, value: Any, *, lo: float = 0.0, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(path, f"must be a number, got {value!r}")
    if not lo <= value <= hi:
        raise ScenarioError(path, f"must be between {lo:g} and {hi:g}, got {value!r}")
    return float(value)


def _channel(data: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    if name not in data["channels"]:
        known = ", ".join(data["channels"])
        raise ScenarioError(path, f"{name!r} is not a channel (defined: {known})")
    return data["channels"][name]


def _site(data: dict[str, Any], path: str, key: SiteKey) -> dict[str, Any]:
    plan, site = key
    if plan not in data["plans"]:
        raise ScenarioError(path, f"no plan {plan!r} (plans: {', '.join(data['plans'])})")
    sites = data["plans"][plan]["sites"]
    if site not in sites:
        raise ScenarioError(path, f"plan {plan!r} has no site {site!r} ({', '.join(sites)})")
    return sites[site]


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _scale_volume(data: dict[str, Any], channel: str, multiplier: float) -> None:
    path = join_path("levers", "volume", channel)
    _channel(data, path, channel)
    m = _number(path, multiplier, hi=1000.0)
    if m == 1.0:
        return
    for i, entry in enumerate(data["demand"]):
        if "per_hour" not in entry:
            raise ScenarioError(
                path,
                f"demand[{i}] is a contact log, which cannot be scaled; "
                "the volume lever works on scenarios whose demand is given as rates",
            )
        if entry["channel"] == channel:
            rates = entry["per_hour"]
            entry["per_hour"] = [r * m for r in rates] if isinstance(rates, list) else rates * m


def _set_deflection(data: dict[str, Any], channel: str, share: float) -> None:
    path = join_path("levers", "deflection", channel)
    _channel(data, path, channel)
    share = _number(path, share, hi=1.0)
    blocks = [data.setdefault("automation", {})]
    blocks += [p["automation"] for p in data["plans"].values() if "automation" in p]
    for block in blocks:
        if channel in block:
            block[channel]["deflection"] = share
        elif share > 0:  # a new bot: no conversation time, no cost
            block[channel] = {"deflection": share, "bot_time_s": 0.0, "cost_per_contact": 0.0}


def _scale_agents(data: dict[str, Any], key: SiteKey, multiplier: float) -> None:
    path = join_path("levers", "agents_multiplier", *key)
    site = _site(data, path, key)
    m = _number(path, multiplier, hi=100.0)
    for shift in site["shifts"]:
        shift["agents"] = _round_half_up(shift["agents"] * m)
        if "holiday_agents" in shift:
            shift["holiday_agents"] = _round_half_up(shift["holiday_agents"] * m)


def _set_shift_agents(data: dict[str, Any], key: ShiftKey, agents: int) -> None:
    plan, site_name, index = key
    path = join_path("levers", "shift_agents", plan, site_name, index)
    shifts = _site(data, path, (plan, site_name))["shifts"]
    if not 0 <= index < len(shifts):
        raise ScenarioError(path, f"no shift {index} (the site has {len(shifts)})")
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 0:
        raise ScenarioError(path, f"must be a whole number of agents >= 0, got {agents!r}")
    shifts[index]["agents"] = agents


def _set_hourly_cost(data: dict[str, Any], key: SiteKey, cost: float) -> None:
    path = join_path("levers", "hourly_cost", *key)
    _site(data, path, key)["hourly_cost"] = _number(path, cost, hi=MAX_MONEY)


def _set_night_premium(data: dict[str, Any], key: SiteKey, rate: float) -> None:
    path = join_path("levers", "night_premium", *key)
    site = _site(data, path, key)
    rate = _number(path, rate, hi=MAX_PREMIUM)
    if "night_premium" in site:
        site["night_premium"]["rate"] = rate
    elif rate > 0:
        site["night_premium"] = {"from": DEFAULT_NIGHT[0], "to": DEFAULT_NIGHT[1], "rate": rate}


def _patience(data: dict[str, Any], path: str, channel: str) -> dict[str, Any]:
    patience = _channel(data, path, channel).get("patience")
    if patience is None:
        raise ScenarioError(path, f"channel {channel!r} has no patience (its contacts never leave)")
    return patience


def _scale_patience(data: dict[str, Any], channel: str, multiplier: float) -> None:
    path = join_path("levers", "patience_multiplier", channel)
    m = _number(path, multiplier, hi=100.0)
    if m == 1.0:
        return
    if m == 0.0:
        raise ScenarioError(path, "must be above 0")
    patience = _patience(data, path, channel)
    if "samples_s" in patience:
        patience["samples_s"] = [s * m for s in patience["samples_s"]]
    else:
        patience["mean_s"] *= m


def _set_patience_mean(data: dict[str, Any], channel: str, mean_s: float) -> None:
    path = join_path("levers", "patience_mean_s", channel)
    patience = _patience(data, path, channel)
    if "samples_s" in patience:
        raise ScenarioError(path, "an empirical patience has no mean to set; use the multiplier")
    patience["mean_s"] = _number(path, mean_s, hi=1e7)


def parse_seed(text: str) -> int:
    """A seed typed as text: a whole number from 0 to 2**63 − 1 (ScenarioError ``levers.seed``)."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    if not re.fullmatch(r"[0-9]{1,20}", cleaned) or int(cleaned) > MAX_SEED:
        raise ScenarioError(
            "levers.seed", f"must be a whole number from 0 to {MAX_SEED:,}, got {text[:40]!r}"
        )
    return int(cleaned)


def apply_levers(scenario: Scenario, levers: Levers) -> Scenario:
    """A new validated scenario with `levers` applied (the input is not changed).

    Raises
    ------
    ScenarioError
        A lever names something the scenario lacks (path ``levers.<lever>.<name>``), or the
        edited scenario fails the file checks (path of the scenario field).
    """
    data = scenario_to_dict(scenario)
    for channel, m in levers.volume.items():
        _scale_volume(data, channel, m)
    for channel, share in levers.deflection.items():
        _set_deflection(data, channel, share)
    for key, m in levers.agents_multiplier.items():
        _scale_agents(data, key, m)
    for skey, agents in levers.shift_agents.items():
        _set_shift_agents(data, skey, agents)
    for key, cost in levers.hourly_cost.items():
        _set_hourly_cost(data, key, cost)
    for key, rate in levers.night_premium.items():
        _set_night_premium(data, key, rate)
    for channel, m in levers.patience_multiplier.items():
        _scale_patience(data, channel, m)
    for channel, mean_s in levers.patience_mean_s.items():
        _set_patience_mean(data, channel, mean_s)
    if levers.replications is not None:
        data["replications"] = levers.replications
    if levers.seed is not None:
        data["seed"] = levers.seed
    return parse_scenario(data, base_dir=scenario.base_dir)


def scale_volume(scenario: Scenario, channel: str, multiplier: float) -> Scenario:
    """Demand of `channel` × `multiplier` [×] in every region."""
    return apply_levers(scenario, Levers(volume={channel: multiplier}))


def set_deflection(scenario: Scenario, channel: str, share: float) -> Scenario:
    """Bot deflection share of `channel` [0–1] in every automation block in force."""
    return apply_levers(scenario, Levers(deflection={channel: share}))


def scale_agents(scenario: Scenario, plan: str, site: str, multiplier: float) -> Scenario:
    """Every crew of `site` in `plan` × `multiplier`, rounded half up."""
    return apply_levers(scenario, Levers(agents_multiplier={(plan, site): multiplier}))


def set_shift_agents(scenario: Scenario, plan: str, site: str, index: int, agents: int) -> Scenario:
    """Crew size of shift `index` (0-based, file order) of `site` in `plan` [agents]."""
    return apply_levers(scenario, Levers(shift_agents={(plan, site, index): agents}))


def set_hourly_cost(scenario: Scenario, plan: str, site: str, cost: float) -> Scenario:
    """Cost per paid agent hour of `site` in `plan` [currency/h]."""
    return apply_levers(scenario, Levers(hourly_cost={(plan, site): cost}))


def set_night_premium(scenario: Scenario, plan: str, site: str, rate: float) -> Scenario:
    """Night premium share of `site` in `plan` [share of the hourly cost]."""
    return apply_levers(scenario, Levers(night_premium={(plan, site): rate}))


def scale_patience(scenario: Scenario, channel: str, multiplier: float) -> Scenario:
    """Patience of `channel` × `multiplier` (mean, or every empirical sample)."""
    return apply_levers(scenario, Levers(patience_multiplier={channel: multiplier}))


def set_patience_mean(scenario: Scenario, channel: str, mean_s: float) -> Scenario:
    """Mean patience of `channel` [s]."""
    return apply_levers(scenario, Levers(patience_mean_s={channel: mean_s}))


def set_replications(scenario: Scenario, replications: int) -> Scenario:
    """Number of replications."""
    return apply_levers(scenario, Levers(replications=replications))


def set_seed(scenario: Scenario, seed: int) -> Scenario:
    """Random seed."""
    return apply_levers(scenario, Levers(seed=seed))


def shift_table(scenario: Scenario) -> pd.DataFrame:
    """One row per plan × site × shift (file order) with its crew size, for per-shift editing."""
    rows = []
    for pname, plan in scenario.plans.items():
        for sname, site in plan.sites.items():
            for j, shift in enumerate(site.shifts):
                days = _NAMED_DAYS.get(shift.days) or ",".join(WEEKDAYS[d] for d in shift.days)
                rows.append(
                    {
                        "plan": pname,
                        "site": sname,
                        "shift": j,
                        "start": shift.start,
                        "hours": shift.hours,
                        "days": days,
                        "channels": ",".join(shift.channels or ["all"]),
                        "agents": shift.agents,
                    }
                )
    return pd.DataFrame(rows)


def shift_agents_changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[ShiftKey, int]:
    """The per-shift crew sizes that differ between two `shift_table` frames."""
    changed = after["agents"].to_numpy() != before["agents"].to_numpy()
    return {
        (str(r.plan), str(r.site), int(r.shift)): int(r.agents)
        for r in after.loc[changed].itertuples(index=False)
    }


def has_log_demand(scenario: Scenario) -> bool:
    """Whether any demand entry replays or fits a contact log (then volume cannot be scaled)."""
    return any(entry.kind != "rates" for entry in scenario.demand)

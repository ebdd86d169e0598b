"""Scenario files: YAML → frozen pydantic models, with every input check in one place.

This module holds the whole `Scenario` (its cross-field rules), the supply side (sites, shifts,
pay, plans), the horizon, and the loading functions; the demand side (channels, regions,
segments, demand entries, bots) is in `coverage.scenario.customers`, the shared base class and
value types in `coverage.scenario.base`, and writing a scenario back to YAML in
`coverage.scenario.serialize` (all re-exported here, as before).

The format is documented field by field in docs/scenario-format.md, generated from these models'
`description=` texts. `load_scenario` reads a file with
``yaml.safe_load``; `parse_scenario` validates a mapping. Every problem raises one
:class:`~coverage.errors.ScenarioError` naming the field path, e.g.
``plans.single-site.sites.austin.shifts[1].start``. Unknown keys are errors, so a typo never
falls back silently to a default.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from coverage.errors import ScenarioError
from coverage.scenario.base import (
    DEFAULT_START,
    FIRST_START,
    LAST_START,
    MAX_NESTING,
    Money,
    Name,
    NonNegative,
    Positive,
    Premium,
    _Model,
)

# re-exported: these names were imported from this module before the split
from coverage.scenario.base import MAX_CV as MAX_CV
from coverage.scenario.base import MAX_MONEY as MAX_MONEY
from coverage.scenario.base import MAX_PREMIUM as MAX_PREMIUM
from coverage.scenario.base import MAX_SIGMA as MAX_SIGMA
from coverage.scenario.capacity import Capacity, check_capacity_sites
from coverage.scenario.capacity import CapacitySite as CapacitySite  # re-exported: a scenario model
from coverage.scenario.customers import (
    Automation,
    Channel,
    Demand,
    Region,
    Segment,
    log_path_problem,
)
from coverage.scenario.customers import Distribution as Distribution  # re-exported
from coverage.scenario.customers import Target as Target  # re-exported
from coverage.scenario.fields import WEEKDAYS as WEEKDAYS  # re-exported
from coverage.scenario.fields import (
    FieldError,
    check_clock,
    check_holidays,
    check_time_zone,
    first_error,
    nesting_depth,
    parse_days,
)
from coverage.scenario.serialize import dump_scenario_yaml as dump_scenario_yaml  # re-exported
from coverage.scenario.serialize import scenario_to_dict as scenario_to_dict  # re-exported
from coverage.scenario.sizing import (
    AGENTS_JSON_SCHEMA,
    AgentBounds,
    CandidateShifts,
    expand_candidates,
    split_agents,
)
from coverage.scenario.yaml_loader import read_input_file, read_yaml_text
from coverage.units import clock_to_s, hours_to_s


class NightPremium(_Model):
    """Pay premium for paid time inside a local clock range (may wrap past midnight)."""

    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(
        alias="from", description='start of the window, site-local clock "HH:MM"; required'
    )
    to: str = Field(
        description='end of the window, site-local "HH:MM"; may be earlier than from (wraps)'
    )
    rate: Premium = Field(
        description="share added to hourly_cost inside the window [0–1 typical]; ≥ 0, ≤ 100; "
        "required"
    )

    _clock = field_validator("from_", "to", mode="before")(check_clock)

    @property
    def from_s(self) -> float:
        """Start of the premium window [s after local midnight]."""
        return clock_to_s(self.from_)

    @property
    def to_s(self) -> float:
        """End of the premium window [s after local midnight]."""
        return clock_to_s(self.to)


class Shift(_Model):
    """A crew: the same agents every day it runs, from local `start` for `hours`."""

    start: str = Field(description='start on the site\'s local clock, "HH:MM"; required')
    hours: float = Field(
        gt=0.0, le=24.0, description="length by the wall clock [h]; > 0 and ≤ 24; required"
    )
    days: Any = Field(
        "all",
        description=(
            "local dates the shift starts on: all, weekdays, weekends, a range such as "
            "mon-fri, one day, or a list such as [Mon, Tue]; any capitalisation; default all"
        ),
        json_schema_extra={
            "anyOf": [
                {"type": "string", "examples": ["all", "weekdays", "weekends"]},
                {"type": "array", "items": {"type": "string"}, "minItems": 1},
            ]
        },
    )
    agents: Annotated[int, WithJsonSchema(AGENTS_JSON_SCHEMA)] = Field(
        ge=0,
        le=100_000,
        description="crew size [agents], the same people each day; or auto / {min, max} "
        "for the optimizer to size; required",
    )
    channels: list[Name] | None = Field(
        None,
        min_length=1,
        description="channels the crew serves (keys of channels); absent = all; not empty",
    )
    languages: list[Name] | None = Field(
        None,
        min_length=1,
        description="languages the crew speaks; absent = all; not empty",
    )
    holiday_agents: int | None = Field(
        None,
        ge=0,
        le=100_000,
        description="crew size on the site's public holidays [agents]; default agents; 0 = off",
    )
    sizing: SkipJsonSchema[AgentBounds | None] = Field(
        None,
        exclude=True,  # written back as `agents` by scenario_to_dict
        description="bounds of a crew the optimizer sizes (set from agents: auto / {min, max})",
    )

    _clock = field_validator("start", mode="before")(check_clock)
    _auto = model_validator(mode="before")(split_agents)

    @field_validator("channels", "languages", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError(
                "an empty list would serve nothing: name at least one, or leave the key out for all"
            )
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> tuple[int, ...]:
        return parse_days(value)

    @property
    def start_s(self) -> float:
        """Local start [s after midnight]."""
        return clock_to_s(self.start)

    @property
    def duration_s(self) -> float:
        """Length by the wall clock [s]."""
        return hours_to_s(self.hours)


class Site(_Model):
    """A place where agents work, in its own time zone, with its pay rules."""

    time_zone: str = Field(description="IANA time zone of the site (shift clocks); required")
    hourly_cost: Money = Field(
        description="fully loaded cost per paid agent hour [currency/h]; 0 to 1e12; required"
    )
    night_premium: NightPremium | None = Field(
        None, description="pay premium inside a local clock window; default none"
    )
    weekend_premium: Premium = Field(
        0.0,
        description="share added to hourly_cost on local Sat and Sun; ≤ 100; default 0",
    )
    holiday_premium: Premium = Field(
        0.0,
        description="share added to hourly_cost on the site's public holidays; ≤ 100; default 0",
    )
    overtime_premium: Premium = Field(
        0.0,
        description="share added to hourly_cost for overtime past a shift's end; ≤ 100; default 0",
    )
    holidays: str | None = Field(
        None, description="public-holiday calendar of the site (US, DE-BY, PH, …); default none"
    )
    shrinkage: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="share of paid time not available for contacts [0–1); default 0",
    )
    seat_cost_per_month: Money = Field(
        0.0,
        description="cost per seat (peak agents on duty) per month [currency, ≤ 1e12]; default 0",
    )
    shifts: list[Shift] = Field(
        default_factory=list, description="the site's crews; at least one (or candidate_shifts)"
    )
    candidate_shifts: list[CandidateShifts] = Field(
        default_factory=list,
        description="shifts offered to the optimizer, expanded after `shifts`; default none",
    )

    _tz = field_validator("time_zone", mode="before")(check_time_zone)
    _hol = field_validator("holidays", mode="before")(check_holidays)

    @model_validator(mode="after")
    def _has_shifts(self) -> Site:
        if not self.shifts and not self.candidate_shifts:
            raise FieldError("shifts", "a site needs at least 1 shift (or candidate_shifts)")
        return self


class Plan(_Model):
    """A staffing plan: one or more sites, optionally its own automation."""

    automation: dict[Name, Automation] | None = Field(
        None,
        description="bot per channel; replaces the top-level automation for this plan",
    )
    sites: dict[Name, Site] = Field(min_length=1, description="sites by name; at least one")


class Horizon(_Model):
    """Simulated period: from 00:00 UTC of `start`, for `days` or `hours`."""

    start: dt.date = Field(
        default=DEFAULT_START,
        description="first day, from 00:00 UTC (YYYY-MM-DD); default 2026-01-05, a Monday",
    )
    days: Positive | None = Field(
        default=None,
        description="length [days]; > 0; exactly one of days or hours; at most 366 days",
    )
    hours: Positive | None = Field(
        default=None, description="length [h]; > 0; exactly one of days or hours; at most 8784 h"
    )

    @field_validator("start", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
        if isinstance(value, dt.datetime):
            raise ValueError("give a date (YYYY-MM-DD), not a date and time")
        if isinstance(value, dt.date) and not FIRST_START <= value <= LAST_START:
            raise ValueError(
                f"{value.isoformat()} is outside the supported years "
                f"{FIRST_START.year}–{LAST_START.year}"
            )
        return value

    @model_validator(mode="after")
    def _length(self) -> Horizon:
        if (self.days is None) == (self.hours is None):
            raise FieldError("days", "give exactly one of days or hours")
        if self.length_s > hours_to_s(24 * 366):
            raise FieldError("days" if self.days else "hours", "at most one year")
        return self

    @property
    def length_s(self) -> float:
        """Length of the horizon [s]."""
        return hours_to_s(self.hours if self.hours is not None else 24.0 * (self.days or 0.0))

    @property
    def start_utc(self) -> dt.datetime:
        """00:00 UTC of the first day."""
        return dt.datetime(self.start.year, self.start.month, self.start.day, tzinfo=dt.UTC)


class Scenario(_Model):
    """A whole scenario: demand, channels, regions and the plans to compare."""

    name: Name = Field(description="scenario name: [a-z0-9-], at most 64 characters; required")
    description: str = Field("", description="free text shown with the results; default empty")
    horizon: Horizon = Field(
        default_factory=lambda: Horizon(days=7.0),
        description="simulated period; default 7 days from 2026-01-05 00:00 UTC",
    )
    warmup_hours: NonNegative = Field(
        0.0,
        description=(
            "arrivals before this are simulated but not measured [h]; ≥ 0 and shorter than "
            "the horizon; default 0"
        ),
    )
    warmup_weeks: int | None = Field(
        None,
        ge=0,
        le=8,
        description=(
            "whole weeks simulated before the horizon and not measured (burn-in) [weeks]; 0–8; "
            "default 1 when a channel is async, the horizon is a week or more and demand is not "
            "only replayed logs, else 0"
        ),
    )
    replications: int = Field(
        20, ge=1, le=10_000, description="independent runs averaged [runs]; 1–10000; default 20"
    )
    seed: int = Field(
        0, ge=0, le=2**63 - 1, description="seed that fixes every result; 0–2^63-1; default 0"
    )
    currency: str = Field(
        "USD",
        max_length=8,
        description="label for money figures, at most 8 characters; default USD",
    )
    channels: dict[Name, Channel] = Field(
        min_length=1, description="contact channels by name (phone, chat, …); at least one"
    )
    regions: dict[Name, Region] = Field(
        min_length=1, description="customer regions by name; at least one"
    )
    segments: dict[Name, Segment] = Field(
        default_factory=dict, description="customer segments by name; default none"
    )
    demand: list[Demand] = Field(
        min_length=1, description="demand entries: rates or contact logs; at least one"
    )
    automation: dict[Name, Automation] = Field(
        default_factory=dict, description="bot per channel (keys of channels); default none"
    )
    plans: dict[Name, Plan] = Field(
        min_length=1, description="staffing plans to compare, all on the same demand; at least one"
    )
    hand_plans: str | None = Field(
        None,
        description="scenario file (relative to this one) whose plans of the same names the "
        "optimizer compares its sized plans with; default none",
    )
    capacity: Capacity | None = Field(
        None,
        description="a plan over months: demand growth and seasons, hiring, training and "
        "attrition per site (docs/capacity.md); absent = no capacity plan",
    )
    base_dir: str | None = Field(
        None, exclude=True, description="folder of the file (set by the loader, not by users)"
    )

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        if hours_to_s(self.warmup_hours) >= self.horizon.length_s:
            raise FieldError("warmup_hours", "must be shorter than the horizon")
        for i, entry in enumerate(self.demand):
            refs = (
                ("channel", self.channels),
                ("region", self.regions),
                ("segment", self.segments),
            )
            for key, known in refs:
                value = getattr(entry, key)
                if value is not None and value not in known:
                    raise FieldError(
                        ("demand", i, key),
                        f"{value!r} is not defined under {key}s "
                        f"(defined: {', '.join(known) or 'none'})",
                    )
        for i, entry in enumerate(self.demand):
            source = entry.replay if entry.replay is not None else entry.fit
            problem = None if source is None else log_path_problem(source, self.base_dir)
            if problem:
                raise FieldError(("demand", i, entry.kind), problem)
        self._check_languages()
        self._check_automation(self.automation, ("automation",))
        for pname, plan in self.plans.items():
            if plan.automation is not None:
                self._check_automation(plan.automation, ("plans", pname, "automation"))
            for sname, site in plan.sites.items():
                crews: list[tuple[str, list[Any]]] = [
                    ("shifts", site.shifts),
                    ("candidate_shifts", site.candidate_shifts),
                ]
                for key, items in crews:
                    for j, shift in enumerate(items):
                        for c, ch in enumerate(shift.channels or ()):
                            if ch not in self.channels:
                                raise FieldError(
                                    ("plans", pname, "sites", sname, key, j, "channels", c),
                                    f"{ch!r} is not a channel "
                                    f"(defined: {', '.join(self.channels)})",
                                )
        if self.hand_plans is not None and not self.hand_plans.endswith((".yaml", ".yml")):
            raise FieldError("hand_plans", f"{self.hand_plans!r} is not a scenario (.yaml) file")
        if self.capacity is not None:
            self._check_capacity(self.capacity)
        return self

    def _check_capacity(self, capacity: Capacity) -> None:
        check_capacity_sites(capacity, {p: list(plan.sites) for p, plan in self.plans.items()})
        for i, entry in enumerate(self.demand):
            if entry.kind != "rates":
                raise FieldError(
                    ("demand", i, entry.kind),
                    "a capacity plan scales demand by month: give rates (per_hour) here",
                )

    def _check_languages(self) -> None:
        """A language on a shift that no contact can need is a typo (a log may name any)."""
        if any(entry.kind != "rates" for entry in self.demand):
            return
        named = [r.language for r in self.regions.values()]
        named += [e.language for e in self.demand]
        named += [getattr(s, "language", None) for s in self.segments.values()]
        known = {language for language in named if language is not None}
        for pname, plan in self.plans.items():
            for sname, site in plan.sites.items():
                for j, shift in enumerate(site.shifts):
                    for k, language in enumerate(shift.languages or ()):
                        if language not in known:
                            raise FieldError(
                                ("plans", pname, "sites", sname, "shifts", j, "languages", k),
                                f"{language!r} is a language no region, demand entry or "
                                f"segment uses (known: {', '.join(sorted(known)) or 'none'})",
                            )

    def _check_automation(self, block: dict[str, Automation], where: tuple[str, ...]) -> None:
        for ch in block:
            if ch not in self.channels:
                raise FieldError((*where, ch), f"{ch!r} is not a channel")

    @property
    def warmup_s(self) -> float:
        """Warm-up inside the horizon [s] (after the burn-in weeks)."""
        return hours_to_s(self.warmup_hours)

    @property
    def burn_in_weeks(self) -> int:
        """Weeks simulated before the horizon starts: `warmup_weeks`, by default 1 when any
        channel is async (its backlog carries over from week to week) and the horizon lasts a
        week or more, else 0 (a shorter run is a what-if of hours or days, not a steady state).
        Also 0 when every demand entry replays a log: a log's timestamps are used as they are,
        so a burn-in week before them would be empty."""
        if self.warmup_weeks is not None:
            return self.warmup_weeks
        has_async = any(ch.mode == "async" for ch in self.channels.values())
        drawn = any(entry.replay is None for entry in self.demand)
        return int(has_async and drawn and self.horizon.length_s >= hours_to_s(7 * 24))

    def automation_for(self, plan: str) -> dict[str, Automation]:
        """The automation block in force for `plan` (its own, else the top-level one)."""
        own = self.plans[plan].automation
        return dict(self.automation if own is None else own)


def parse_scenario(raw: Any, *, base_dir: str | None = None) -> Scenario:
    """Validate a mapping (as read from YAML) into a :class:`Scenario`.

    Parameters
    ----------
    raw : Any
        Scenario data in the file format (durations in the units their keys name: ``_s``
        seconds, ``hours`` hours, ``per_hour`` contacts per hour).
    base_dir : str, optional
        Folder that contact-log paths are relative to; None (an upload) checks only that a
        path names a .csv or .parquet file.

    Returns
    -------
    Scenario
        Frozen and fully checked, cross-field rules included.

    Raises
    ------
    ScenarioError
        For any problem, with the field path of the first one found.

    Examples
    --------
    >>> raw = {"name": "tiny", "channels": {"phone": {"handle_time": {"dist": "fixed",
    ...        "mean_s": 240}}}, "regions": {"us": {"time_zone": "America/Chicago"}},
    ...        "demand": [{"channel": "phone", "region": "us", "per_hour": 10}],
    ...        "plans": {"p": {"sites": {"s": {"time_zone": "America/Chicago",
    ...        "hourly_rate": 20, "shifts": [{"start": "08:00", "hours": 8, "agents": 2}]}}}}}
    >>> parse_scenario(raw)
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: plans.p.sites.s.hourly_rate: unknown field; did you mean ...
    >>> raw["plans"]["p"]["sites"]["s"]["hourly_cost"] = raw["plans"]["p"]["sites"]["s"].pop(
    ...     "hourly_rate")
    >>> parse_scenario(raw).demand[0].rates_by_local_hour()[:3]
    (10.0, 10.0, 10.0)
    """
    if not isinstance(raw, dict):
        raise ScenarioError(
            "", f"the top level must be a mapping of fields, got {type(raw).__name__}"
        )
    if nesting_depth(raw, MAX_NESTING) > MAX_NESTING:
        raise ScenarioError("", f"nested deeper than {MAX_NESTING} levels")
    bad_keys = [k for k in raw if not isinstance(k, str)]
    if bad_keys:
        raise ScenarioError(str(bad_keys[0]), "field names must be text")
    try:
        scenario = Scenario.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as exc:
        raise first_error(exc, root=Scenario) from None
    expanded = expand_candidates(scenario_to_dict(scenario))
    if expanded is not None:  # candidate shifts become ordinary shifts after the site's own
        try:
            scenario = Scenario.model_validate({**expanded, "base_dir": base_dir})
        except ValidationError as exc:
            raise first_error(exc, root=Scenario) from None
    return scenario


def scenario_from_text(
    text: str | bytes, *, file: str | None = None, base_dir: str | None = None
) -> Scenario:
    """Read and validate scenario YAML text; errors name `file`.

    Parameters
    ----------
    text : str or bytes
        YAML text (bytes must be UTF-8).
    file : str, optional
        Name put in front of every error message (``file: field.path: message``).
    base_dir : str, optional
        As for `parse_scenario`.

    Raises
    ------
    ScenarioError
        Not YAML, too big, or not a valid scenario.
    """
    raw = read_yaml_text(text, file=file)
    try:
        return parse_scenario(raw, base_dir=base_dir)
    except ScenarioError as exc:
        raise exc.with_file(file) if file else exc from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; contact-log paths are relative to its folder.

    Parameters
    ----------
    path : str or Path
        A YAML scenario file (at most 2,000,000 bytes).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        The file is missing, unreadable, not YAML, or invalid; the message names the file.
    """
    path = Path(path)
    data = read_input_file(path, kind="scenario file")
    return scenario_from_text(data, file=str(path), base_dir=str(path.parent.resolve()))

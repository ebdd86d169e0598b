"""Scenario files: YAML → frozen pydantic models, with every input check in one place.

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
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from coverage.errors import ScenarioError
from coverage.scenario.capacity import Capacity, check_capacity_sites
from coverage.scenario.capacity import CapacitySite as CapacitySite  # re-exported: a scenario model
from coverage.scenario.fields import (
    WEEKDAYS,
    FieldError,
    check_clock,
    check_holidays,
    check_number,
    check_time_zone,
    first_error,
    nesting_depth,
    parse_days,
)
from coverage.scenario.sizing import (
    AGENTS_JSON_SCHEMA,
    AgentBounds,
    CandidateShifts,
    agents_field,
    expand_candidates,
    split_agents,
)
from coverage.scenario.yaml_loader import read_input_file, read_yaml_text
from coverage.units import clock_to_s, hours_to_s

MAX_NESTING = 40
MAX_SIGMA = 10.0  # lognormal sigma (of ln): sigma**2 must not overflow; 3 is already extreme
MAX_CV = 10.0  # busyness_cv: 1/cv**2 is a gamma shape; larger values only overflow
# Money and premiums are bounded so that every cost total is finite: at most 1e12 per hour,
# contact or seat-month and premiums of 100 (10,000 %), a plan's total stays below 1e30.
MAX_MONEY = 1e12
MAX_PREMIUM = 100.0
DEFAULT_START = dt.date(2026, 1, 5)  # a Monday
# horizons start in these years: time zones and holiday calendars are known there, and every
# instant of the horizon and its drain fits pandas' nanosecond timestamps (1677–2262)
FIRST_START, LAST_START = dt.date(1970, 1, 1), dt.date(2200, 12, 31)

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY)]
Premium = Annotated[float, Field(ge=0.0, le=MAX_PREMIUM)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, validate_default=True
    )


class Distribution(_Model):
    """A random duration: exponential, fixed (alias deterministic), lognormal or empirical."""

    dist: Literal["exponential", "fixed", "deterministic", "lognormal", "empirical"] = Field(
        description=(
            "family: exponential (mean_s), fixed or its alias deterministic (always mean_s), "
            "lognormal (mean_s and sigma) or empirical (samples_s, drawn with replacement); "
            "required"
        )
    )
    mean_s: Positive | None = Field(
        None, description="mean duration [s]; > 0; required unless dist is empirical"
    )
    sigma: Annotated[float, Field(ge=0.0, le=MAX_SIGMA)] | None = Field(
        None,
        description=(
            "standard deviation of ln(duration) [dimensionless]; 0–10; "
            "required for lognormal, forbidden otherwise"
        ),
    )
    samples_s: list[NonNegative] | None = Field(
        None,
        description="observed durations [s], each ≥ 0; required for empirical, forbidden otherwise",
    )

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        if self.dist == "empirical":
            if not self.samples_s:
                raise FieldError("samples_s", "an empirical distribution needs samples_s")
            if self.mean_s is not None or self.sigma is not None:
                raise FieldError("dist", "empirical takes samples_s only")
            return self
        if self.mean_s is None:
            raise FieldError("mean_s", f"{self.dist} needs mean_s")
        if self.samples_s is not None:
            raise FieldError("samples_s", "samples_s is for dist: empirical")
        if self.dist == "lognormal" and self.sigma is None:
            raise FieldError("sigma", "lognormal needs sigma (std. dev. of ln duration)")
        if self.dist != "lognormal" and self.sigma is not None:
            raise FieldError("sigma", "sigma is for dist: lognormal")
        return self

    @property
    def family(self) -> str:
        """The family, with the alias `deterministic` folded into `fixed`."""
        return "fixed" if self.dist == "deterministic" else self.dist

    @property
    def expected_s(self) -> float:
        """Expected duration [s]."""
        if self.samples_s is not None:
            return float(sum(self.samples_s) / len(self.samples_s))
        assert self.mean_s is not None
        return float(self.mean_s)


class Target(_Model):
    """Service-level target: `share` of contacts answered within `answer_within_s`."""

    answer_within_s: Positive = Field(
        description="threshold: a contact answered within this wait is in target [s]; > 0"
    )
    share: Share = Field(description="share of contacts to answer within answer_within_s [0–1]")
    scope: Literal["window", "hour"] | None = Field(
        None,
        description="what the optimizer sizes for: window (absent) = the channel's service level "
        "over the measured window; hour = also every UTC hour of the week with demand",
    )


class Channel(_Model):
    """A contact channel (phone, chat, email, …)."""

    mode: Literal["realtime", "async"] = Field(
        "realtime",
        description=(
            "realtime (contacts wait and may abandon) or async (a backlog that never abandons); "
            "default realtime"
        ),
    )
    handle_time: Distribution = Field(
        description="time an agent spends on one contact [s]; required"
    )
    patience: Distribution | None = Field(
        None,
        description=(
            "time a contact waits before leaving [s]; realtime only; absent = never abandons"
        ),
    )
    short_abandon_s: NonNegative = Field(
        0.0,
        description="abandons at or below this wait are left out of rates [s]; ≥ 0; default 0",
    )
    concurrency: int = Field(
        1, ge=1, le=50, description="contacts one agent holds at once [contacts]; 1–50; default 1"
    )
    priority: int = Field(
        1,
        ge=-1000,
        le=1000,
        description="queue priority, lower is served first; -1000–1000; default 1",
    )
    target: Target = Field(
        default_factory=lambda: Target(answer_within_s=20.0, share=0.8, scope=None),
        description="service-level target; default 80% answered within 20 s",
    )
    max_abandon_rate: Share | None = Field(
        None, description="highest abandon rate the optimizer may accept [0–1]"
    )

    @model_validator(mode="after")
    def _async_never_abandons(self) -> Channel:
        if self.mode == "async" and self.patience is not None:
            raise FieldError("patience", "an async channel never abandons: remove patience")
        return self


class Region(_Model):
    """Where customers are: their local time drives demand."""

    time_zone: str = Field(
        description="IANA time zone of the customers, e.g. America/New_York; required"
    )
    holidays: str | None = Field(
        None,
        description=(
            "public-holiday calendar: a country code, optionally with subdivision "
            "(US, DE, DE-BY); default none"
        ),
    )
    holiday_factor: NonNegative = Field(
        1.0,
        description="demand multiplier on the region's public holidays; ≥ 0; default 1",
    )
    language: Name | None = Field(
        None,
        description="language its customers need ([a-z0-9-]); absent = any agent may serve them",
    )

    _tz = field_validator("time_zone", mode="before")(check_time_zone)
    _hol = field_validator("holidays", mode="before")(check_holidays)


class Segment(_Model):
    """A customer segment (e.g. vip) with its own priority and target."""

    priority: int | None = Field(
        None,
        ge=-1000,
        le=1000,
        description="replaces the channel's priority, lower is served first; -1000–1000",
    )
    target: Target | None = Field(None, description="replaces the channel's service-level target")


class Demand(_Model):
    """One demand entry: rates for (channel, region), or a contact log to replay or fit."""

    channel: Name | None = Field(
        None, description="channel of these contacts (a key of channels); required with per_hour"
    )
    region: Name | None = Field(
        None, description="customers' region (a key of regions); required with per_hour"
    )
    per_hour: Any = Field(
        None,
        description=(
            "arrival rate [contacts/h]: one number (flat) or 24 numbers by the region's local "
            "hour 0–23, each ≥ 0; exactly one of per_hour, replay, fit"
        ),
        json_schema_extra={
            "anyOf": [
                {"type": "number", "minimum": 0},
                {
                    "type": "array",
                    "items": {"type": "number", "minimum": 0},
                    "minItems": 24,
                    "maxItems": 24,
                },
                {"type": "null"},
            ]
        },
    )
    weekday_factors: list[NonNegative] | None = Field(
        None,
        description=(
            "7 rate multipliers, Monday first (Mon..Sun), used as given [dimensionless]; "
            "rate entries only; default all 1"
        ),
    )
    busyness_cv: Annotated[float, Field(ge=0.0, le=MAX_CV)] | None = Field(
        None,
        description=(
            "coefficient of variation of a Gamma day multiplier (mean 1) per local date "
            "[dimensionless]; 0–10; rate entries only; default none"
        ),
    )
    segment: Name | None = Field(
        None, description="customer segment of these contacts (a key of segments); default none"
    )
    language: Name | None = Field(
        None, description="language these contacts need; replaces the region's language"
    )
    replay: str | None = Field(
        None,
        description=(
            "contact log (.csv or .parquet, relative to the scenario file) replayed as recorded"
        ),
    )
    fit: str | None = Field(
        None,
        description=(
            "contact log (.csv or .parquet) whose hour × weekday rates are fitted; fresh "
            "arrivals are drawn each replication"
        ),
    )
    time_zone: str | None = Field(
        None, description="IANA time zone of naive log timestamps; replay/fit entries only"
    )

    @field_validator("per_hour", mode="before")
    @classmethod
    def _rates(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            if len(value) != 24:
                raise ValueError(f"needs 24 hourly rates (local hours 0..23), got {len(value)}")
            for i, v in enumerate(value):
                try:
                    check_number(v)
                except ValueError as exc:
                    raise FieldError(i, str(exc)) from None
            return tuple(float(v) for v in value)
        return check_number(value)

    @field_validator("time_zone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> Any:
        return None if value is None else check_time_zone(value)

    @model_validator(mode="after")
    def _kind(self) -> Demand:
        sources = [k for k in ("per_hour", "replay", "fit") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise FieldError(
                "per_hour",
                "give exactly one of per_hour, replay or fit"
                + (f" (got {', '.join(sources)})" if sources else ""),
            )
        if self.per_hour is not None:
            for key in ("channel", "region"):
                if getattr(self, key) is None:
                    raise FieldError(key, f"a rate entry needs {key}")
            if self.time_zone is not None:
                raise FieldError("time_zone", "time_zone is for replay/fit entries")
        else:
            for key in ("weekday_factors", "busyness_cv"):
                if getattr(self, key) is not None:
                    raise FieldError(key, f"{key} is for rate entries, not logs")
        if self.weekday_factors is not None and len(self.weekday_factors) != 7:
            raise FieldError("weekday_factors", "needs 7 factors, Mon..Sun")
        return self

    @property
    def kind(self) -> Literal["rates", "replay", "fit"]:
        """Which kind of entry this is."""
        if self.replay is not None:
            return "replay"
        if self.fit is not None:
            return "fit"
        return "rates"

    def rates_by_local_hour(self) -> tuple[float, ...]:
        """The 24 rates by local hour [contacts/h]."""
        if isinstance(self.per_hour, tuple):
            return self.per_hour
        return (float(self.per_hour),) * 24


class Automation(_Model):
    """Bot in front of a channel: deflection, bot conversation time, cost per conversation."""

    deflection: Share = Field(
        0.0, description="share of contacts the bot resolves [0–1]; default 0"
    )
    bot_time_s: NonNegative = Field(
        0.0,
        description="bot conversation before a contact joins the agent queue [s]; ≥ 0; default 0",
    )
    cost_per_contact: Money = Field(
        0.0, description="bot cost per conversation [currency/contact]; 0 to 1e12; default 0"
    )


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
            problem = None if source is None else _log_path_problem(source, self.base_dir)
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


def _log_path_problem(text: str, base_dir: str | None) -> str | None:
    """What is wrong with a contact-log path, if anything (existence needs a folder to look in)."""
    if not text.lower().endswith((".csv", ".parquet")):
        return f"{text!r} is not a contact log: give a .csv or .parquet file"
    if base_dir is None:
        # text with no file behind it (an upload): never look at the server's disk here; the
        # log is checked when it is read, against an explicit, allowed base folder
        return None
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():
        return f"no such file {text!r} (looked for {path})"
    return None


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

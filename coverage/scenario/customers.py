"""The demand side of a scenario: channels and their times, customer regions and segments,
demand entries (rates or contact logs) and bots.

Each model is frozen and strict (`coverage.scenario.base._Model`); cross-field rules that need
the whole scenario (a demand entry naming an undefined channel) are in
`coverage.scenario.model.Scenario`. Field descriptions are the reference of
docs/scenario-format.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from coverage.scenario.base import (
    MAX_CV,
    MAX_SIGMA,
    Money,
    Name,
    NonNegative,
    Positive,
    Share,
    _Model,
)
from coverage.scenario.fields import (
    FieldError,
    check_holidays,
    check_number,
    check_time_zone,
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


def log_path_problem(text: str, base_dir: str | None) -> str | None:
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

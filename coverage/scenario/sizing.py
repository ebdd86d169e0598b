"""Scenario fields for sizing plans: `agents: auto` or `{min, max}`, and candidate shifts.

A shift whose crew the optimizer chooses writes ``agents: auto`` (any whole number from 0) or
``agents: {min: A, max: B}`` (either bound optional). The model keeps a plain integer in
`Shift.agents` (the lower bound until the plan is sized, so the roster code never sees text)
and the bounds in `Shift.sizing`; `coverage-sim run` refuses a scenario that still has one.

A site may offer `candidate_shifts`: blocks that expand into one ordinary ``agents: auto``
shift per (day pattern, start, length), appended after the site's own shifts in that order.
The optimizer then gives most of them zero agents; `optimized.yaml` keeps them all, sized.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coverage.scenario.fields import FieldError, check_clock, parse_days

MAX_CREW = 100_000
MAX_CANDIDATES_PER_BLOCK = 500  # shifts one block may expand into; a typo must not make 10^6


AGENTS_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_CREW},
        {"const": "auto"},
        {
            "type": "object",
            "properties": {
                "min": {"type": "integer", "minimum": 0, "maximum": MAX_CREW},
                "max": {"type": "integer", "minimum": 0, "maximum": MAX_CREW},
            },
            "additionalProperties": False,
        },
    ]
}


class AgentBounds(BaseModel):
    """Bounds on an optimized crew: the optimizer picks a whole number in [min, max]."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    min: int = Field(0, ge=0, le=MAX_CREW, description="fewest agents the crew may have")
    max: int | None = Field(
        None, ge=0, le=MAX_CREW, description="most agents the crew may have (absent: no bound)"
    )


def _bound(path: tuple[str, ...], value: Any, default: int | None) -> int | None:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CREW:
        raise FieldError(path, f"must be a whole number from 0 to {MAX_CREW:,}, got {value!r}")
    return value


def split_agents(data: Any) -> Any:
    """Before a shift is validated: ``agents: auto`` / ``{min, max}`` → `agents` + `sizing`."""
    if not isinstance(data, dict):
        return data
    if "sizing" in data:
        raise FieldError("sizing", "not a field: write agents: auto or agents: {min: A, max: B}")
    agents = data.get("agents")
    if agents == "auto":
        lo, hi = 0, None
    elif isinstance(agents, dict):
        unknown = sorted(set(agents) - {"min", "max"}, key=str)
        if unknown:
            raise FieldError(("agents", str(unknown[0])), "unknown key (use min and max)")
        lo = _bound(("agents", "min"), agents.get("min"), 0) or 0
        hi = _bound(("agents", "max"), agents.get("max"), None)
        if hi is not None and lo > hi:
            raise FieldError("agents", f"min ({lo}) is above max ({hi})")
    elif isinstance(agents, str):
        raise FieldError("agents", f"{agents!r} is not a number of agents, auto or {{min, max}}")
    else:
        return data
    if data.get("holiday_agents") not in (None, 0):
        raise FieldError(
            "holiday_agents",
            "an auto crew works holidays at its size: give 0 (off on holidays) or leave it out",
        )
    return {**data, "agents": lo, "sizing": {"min": lo, "max": hi}}


def agents_field(sizing: dict[str, Any]) -> Any:
    """How a dumped shift writes its bounds back: ``auto`` or ``{min, max}``."""
    lo, hi = sizing.get("min", 0), sizing.get("max")
    if lo == 0 and hi is None:
        return "auto"
    return {"min": lo} if hi is None else {"min": lo, "max": hi}


class CandidateShifts(BaseModel):
    """Shifts offered to the optimizer: every (day pattern, start, length) becomes one shift."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
    starts: list[str] = Field(min_length=1, description='local start times "HH:MM"')
    hours: list[float] = Field(min_length=1, description="shift lengths by the wall clock [h]")
    day_patterns: list[Any] = Field(
        default_factory=lambda: ["all"],
        description="day patterns, each all, weekdays, weekends or a list such as [Mon, Tue]",
    )
    channels: list[str] | None = Field(None, description="channels served (absent = all)")
    languages: list[str] | None = Field(None, description="languages spoken (absent = all)")
    agents: Any = Field("auto", description="auto or {min, max}, for each expanded shift")
    holiday_agents: int | None = Field(None, description="0: off on the site's holidays")

    @field_validator("starts", mode="before")
    @classmethod
    def _starts(cls, value: Any) -> Any:
        if isinstance(value, list):
            for i, v in enumerate(value):
                try:
                    check_clock(v)
                except ValueError as exc:
                    raise FieldError(i, str(exc)) from None
            return [check_clock(v) for v in value]
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]
        if isinstance(value, list):
            for i, v in enumerate(value):
                ok = isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 24
                if not ok:
                    raise FieldError(i, f"{v!r} is not a shift length in (0, 24] hours")
            return [float(v) for v in value]
        return value

    @field_validator("day_patterns", mode="before")
    @classmethod
    def _patterns(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise ValueError("give a list of day patterns, e.g. [weekdays, weekends]")
        for i, pattern in enumerate(value):
            try:
                parse_days(pattern)
            except FieldError as exc:
                raise FieldError((i, *exc.field), exc.message) from None
            except ValueError as exc:
                raise FieldError(i, str(exc)) from None
        return value

    @field_validator("agents", mode="before")
    @classmethod
    def _agents(cls, value: Any) -> Any:
        if value != "auto" and not isinstance(value, dict):
            raise ValueError("candidate shifts take auto or {min, max}")
        try:
            split_agents({"agents": value})
        except FieldError as exc:
            raise FieldError(exc.field[1:], exc.message) from None
        return value

    @model_validator(mode="after")
    def _not_too_many(self) -> CandidateShifts:
        count = len(self.day_patterns) * len(self.starts) * len(self.hours)
        if count > MAX_CANDIDATES_PER_BLOCK:
            raise FieldError(
                "starts", f"expands into {count} shifts; the limit is {MAX_CANDIDATES_PER_BLOCK}"
            )
        return self

    def expand(self) -> list[dict[str, Any]]:
        """The ordinary shifts (as file data) this block stands for, in file order."""
        out = []
        for pattern in self.day_patterns:
            for start in self.starts:
                for hours in self.hours:
                    shift: dict[str, Any] = {
                        "start": start,
                        "hours": hours,
                        "days": pattern,
                        "agents": self.agents,
                    }
                    for key in ("channels", "languages", "holiday_agents"):
                        if getattr(self, key) is not None:
                            shift[key] = getattr(self, key)
                    out.append(shift)
        return out


def expand_candidates(data: dict[str, Any]) -> dict[str, Any] | None:
    """Scenario file data with every site's candidate shifts appended to its shifts.

    Returns None when no site offers candidates. `data` is the already validated scenario
    dumped to file form, so every block is well formed here.
    """
    found = False
    for plan in data.get("plans", {}).values():
        for site in plan.get("sites", {}).values():
            blocks = site.pop("candidate_shifts", None)
            if blocks:
                found = True
                for block in blocks:
                    site["shifts"].extend(CandidateShifts.model_validate(block).expand())
    return data if found else None


def unsized_shift_paths(scenario: Any, plans: list[str] | None = None) -> list[str]:
    """Field paths of the shifts whose crew is still `auto` / bounds (to be sized)."""
    out = []
    for pname in plans or list(scenario.plans):
        for sname, site in scenario.plans[pname].sites.items():
            for j, shift in enumerate(site.shifts):
                if shift.sizing is not None:
                    out.append(f"plans.{pname}.sites.{sname}.shifts[{j}].agents")
    return out

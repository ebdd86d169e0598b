"""Field checks and error mapping shared by every input file (scenarios, sweeps, logs).

Pydantic validates the structure; these helpers give the checks pydantic cannot express (time
of day, IANA time zone, holiday calendar) and turn a ``ValidationError`` into one
:class:`~coverage.errors.ScenarioError` whose path reads like the file:
``plans.single-site.sites.austin.shifts[1].start``.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml
from pydantic import ValidationError

from coverage.errors import ScenarioError, join_path

MAX_FILE_BYTES = 2_000_000  # a scenario is a few kilobytes; anything this big is a mistake


class FieldError(ValueError):
    """Raised inside a model validator to point at one of the model's fields."""

    def __init__(self, field: str | int | tuple[str | int, ...], message: str):
        super().__init__(message)
        self.field = field if isinstance(field, tuple) else (field,)
        self.message = message


def check_clock(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f'{value} is not a time of day: write it in quotes as "HH:MM" '
            "(unquoted YAML reads 20:00 as the number 1200)"
        )
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise ValueError(f'{value!r} is not a time of day ("HH:MM")')
    hours, minutes = (int(p) for p in value.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{value!r} is not a time of day")
    return f"{hours:02d}:{minutes:02d}"


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(value: Any) -> str:
    if not isinstance(value, str) or value not in _zone_names():
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not a known time zone") from exc
    return value


@cache
def _holiday_code_ok(code: str) -> bool:
    import holidays

    country, _, subdiv = code.partition("-")
    try:
        holidays.country_holidays(country, subdiv=subdiv or None, years=2026)
    except (NotImplementedError, KeyError, ValueError):
        return False
    return True


def check_holidays(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _holiday_code_ok(value):
        raise ValueError(
            f"{value!r} is not a holiday calendar of the holidays package "
            "(an ISO country code such as US or DE, optionally with a subdivision: US-CA)"
        )
    return value


def check_number(value: Any, *, lo: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {value!r}")
    if not math.isfinite(value) or value < lo:
        raise ValueError(f"must be a finite number >= {lo:g}, got {value!r}")
    return float(value)


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    parts: list[str | int] = []
    for item in loc:
        # pydantic adds markers to a location: validator names, container types, and "[key]"
        # when a mapping key (not its value) is bad; the path names the key itself
        if isinstance(item, str) and (
            item == "[key]" or item.startswith(("function-", "list[", "dict["))
        ):
            continue
        parts.append("from" if item == "from_" else item)
    return join_path(*parts)


def _message(err: Any) -> str:
    ctx_err = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_err, FieldError):
        return ctx_err.message
    kind, msg, value = err["type"], err["msg"], err.get("input")
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see DESIGN.md for the format)"
    if kind == "missing":
        return "is required"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg} (got {shown})" if kind != "value_error" else msg


def first_error(exc: ValidationError) -> ScenarioError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    ctx_err = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_err, FieldError):
        loc = loc + ctx_err.field
    return ScenarioError(_loc_to_path(loc), _message(err))


def nesting_depth(obj: Any, limit: int) -> int:
    stack = [(obj, 1)]
    deepest = 0
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if d > limit:
            return d
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return deepest


def read_yaml_text(text: str | bytes, *, file: str | None = None) -> Any:
    """Parse YAML text safely (``yaml.safe_load``) with clear errors."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise ScenarioError(
                "", f"file is {len(text):,} bytes; the limit is {MAX_FILE_BYTES:,}", file=file
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError("", f"not UTF-8 text (byte {exc.start})", file=file) from None
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(
            "", f"file is {len(text):,} characters; the limit is {MAX_FILE_BYTES:,}", file=file
        )
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(where, f"not valid YAML: {problem}", file=file) from None
    except RecursionError:
        raise ScenarioError("", "YAML nested too deeply", file=file) from None

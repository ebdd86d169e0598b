"""Field checks and error mapping shared by every input file (scenarios, sweeps, logs).

Pydantic validates the structure; these helpers give the checks pydantic cannot express (time
of day, IANA time zone, holiday calendar, weekdays) and turn a ``ValidationError`` into one
:class:`~coverage.errors.ScenarioError` whose path reads like the file:
``plans.single-site.sites.austin.shifts[1].start``. Reading YAML files is
:mod:`coverage.scenario.yaml_loader`.
"""

from __future__ import annotations

import difflib
import math
import re
import typing
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ValidationError

from coverage.errors import ScenarioError, join_path

MARKERS = ("function-", "list[", "dict[")  # pydantic's own parts of an error location
SCALAR_TAGS = frozenset(
    {"int", "float", "str", "bool", "none", "bytes", "decimal", "date", "datetime", "time",
     "timedelta", "any"}
)  # fmt: skip


def _is_pydantic_part(loc: tuple[Any, ...], at: int) -> bool:
    """Whether ``loc[at]`` is pydantic's own: a validator, a container, a union member's tag.

    A union's members are tagged ``constrained-int``, ``dict[str,int]``, ``literal['auto']``,
    a model's class name, or a scalar type (``int``, ``str``: only as the last part, since a
    scalar has no fields below it and a file key such as a channel ``int`` may be).
    """
    item = loc[at]
    if not isinstance(item, str):
        return False
    return (
        item == "[key]"
        or item.startswith(MARKERS)
        or item.startswith("constrained-")
        or "[" in item
        or (item in SCALAR_TAGS and at == len(loc) - 1 and at > 0)
        or item in _model_class_names()
    )


def _model_class_names() -> frozenset[str]:
    """Class names of every pydantic model loaded (pydantic's tags for a union's model members)."""
    names: set[str] = set()
    todo = [BaseModel]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return frozenset(names)


class FieldError(ValueError):
    """Raised inside a model validator to point at one of the model's fields."""

    def __init__(self, field: str | int | tuple[str | int, ...], message: str):
        super().__init__(message)
        self.field = field if isinstance(field, tuple) else (field,)
        self.message = message


def check_clock(value: Any) -> str:
    """A local time of day as ``"HH:MM"``; the error echoes what the file says.

    Parameters
    ----------
    value : Any
        What the file holds: text ``"H:MM"`` or ``"HH:MM"`` (24-hour clock). An int is what
        YAML 1.1 makes of an unquoted ``20:00`` (base 60: 1200); its error shows ``20:00``.

    Returns
    -------
    str
        ``"HH:MM"`` with two-digit hours, 00:00–23:59 [local clock].

    Raises
    ------
    ValueError
        Not a time of day; the message repeats the value as written.

    Examples
    --------
    >>> check_clock("8:30")
    '08:30'
    >>> check_clock(1200)
    Traceback (most recent call last):
    ...
    ValueError: 20:00 (unquoted, which YAML reads as the number 1200) is not a time of day: ...
    """
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 20:00 as the base-60 number 1200: show what was written
        written = f"{value // 60}:{value % 60:02d}" if 0 <= value < 60 * 60 else str(value)
        raise ValueError(
            f"{written} (unquoted, which YAML reads as the number {value}) is not a time of "
            f'day: write it in quotes as "{written}"'
        )
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ValueError(f'{value!r} is not a time of day: write "HH:MM", e.g. "08:30"')
    hours, minutes = (int(p) for p in value.strip().split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{value!r} is not a time of day")
    return f"{hours:02d}:{minutes:02d}"


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_NAMES = {
    **{d.lower(): i for i, d in enumerate(WEEKDAYS)},
    **{
        d: i
        for i, d in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_DAY_SETS = {"all": range(7), "weekdays": range(5), "weekends": range(5, 7)}
DAYS_HELP = "all, weekdays, weekends, a range such as mon-fri, or a list such as [Mon, Tue]"


def _weekday(text: str) -> int | None:
    return _DAY_NAMES.get(text.strip().lower())


def parse_days(value: Any) -> tuple[int, ...]:
    """The weekdays (0 = Monday) a shift starts on, from a scenario's `days` field.

    Parameters
    ----------
    value : str or list of str
        ``all``, ``weekdays``, ``weekends``, a range of two days such as ``mon-fri`` or
        ``fri-mon`` (wrapping past Sunday), one day, or a list of days; day names are three
        letters or in full, in any capitalisation.

    Returns
    -------
    tuple of int
        Sorted weekday numbers, Monday 0 to Sunday 6, without repeats.

    Raises
    ------
    ValueError, FieldError
        Not a day selector (FieldError names the list item).

    Examples
    --------
    >>> parse_days("Mon-Fri")
    (0, 1, 2, 3, 4)
    >>> parse_days("fri-mon")
    (0, 4, 5, 6)
    >>> parse_days(["sun", "MON"])
    (0, 6)
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _DAY_SETS:
            return tuple(_DAY_SETS[text])
        first, sep, last = text.partition("-")
        lo, hi = _weekday(first), _weekday(last)
        if sep and lo is not None and hi is not None:
            return tuple(sorted({(lo + k) % 7 for k in range((hi - lo) % 7 + 1)}))
        if not sep and lo is not None:
            return (lo,)
        raise ValueError(f"{value!r} is not {DAYS_HELP}")
    if isinstance(value, list) and value:
        out = []
        for i, day in enumerate(value):
            number = _weekday(day) if isinstance(day, str) else None
            if number is None:
                raise FieldError(i, f"{day!r} is not a weekday (Mon..Sun)")
            out.append(number)
        return tuple(sorted(set(out)))
    raise ValueError(f"{value!r} is not {DAYS_HELP}")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _tzdata_zone_names() -> frozenset[str]:
    """The zones the ``tzdata`` package lists in one file (empty without the package).

    `available_timezones` starts from this list, then walks every folder of the time-zone path
    (0.02 s of CPU, 0.06 s of wall time per process), so a name found here is in it too.
    """
    try:
        text = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip()) - {"posixrules"}


# tzdata entries that are not a place: `localtime` is whatever the host is set to (a result would
# depend on the machine), `Factory` and `posixrules` are placeholders
NOT_A_PLACE_ZONES = frozenset({"localtime", "Factory", "posixrules"})


def check_time_zone(value: Any) -> str:
    """An IANA time zone name known to ``zoneinfo`` (e.g. ``"America/New_York"``).

    Raises
    ------
    ValueError
        Not text, or not a zone of the tz database; the message repeats the value.

    Examples
    --------
    >>> check_time_zone("Asia/Manila")
    'Asia/Manila'
    """
    if isinstance(value, str) and value in NOT_A_PLACE_ZONES:
        raise ValueError(
            f"{value!r} depends on the machine or is a placeholder; name the zone "
            "(e.g. Europe/Berlin)"
        )
    if not isinstance(value, str) or (
        value not in _tzdata_zone_names() and value not in _zone_names()  # the list first
    ):
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
    """A public-holiday calendar code of the ``holidays`` package, or None.

    Parameters
    ----------
    value : Any
        ``"US"``, ``"DE"``, ``"DE-BY"`` (country, optionally with a subdivision) or None.

    Raises
    ------
    ValueError
        Not a calendar the ``holidays`` package knows.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not _holiday_code_ok(value):
        raise ValueError(
            f"{value!r} is not a holiday calendar of the holidays package "
            "(an ISO country code such as US or DE, optionally with a subdivision: US-CA)"
        )
    return value


def check_number(value: Any, *, lo: float = 0.0) -> float:
    """A finite real number ≥ `lo` (booleans refused), as float.

    Parameters
    ----------
    value : Any
        The value read from the file, in the unit of its field.
    lo : float
        Smallest allowed value, in the same unit.

    Raises
    ------
    ValueError
        Not a number, not finite, or below `lo`.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {value!r}")
    if not math.isfinite(value) or value < lo:
        raise ValueError(f"must be a finite number >= {lo:g}, got {value!r}")
    return float(value)


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    parts: list[str | int] = []
    for at, item in enumerate(loc):
        # pydantic adds markers to a location: validator names, container types, union members
        # and "[key]" when a mapping key (not its value) is bad; the path names the key itself
        if _is_pydantic_part(loc, at):
            continue
        parts.append("from" if item == "from_" else item)
    return join_path(*parts)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (itself, or a member of a union), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (dict, list, tuple):
        return None
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _item_type(annotation: Any) -> Any:
    """What a dict's values or a list's items are, inside an annotation (or None)."""
    if typing.get_origin(annotation) in (dict, list, tuple):
        return typing.get_args(annotation)[-1]
    for arg in typing.get_args(annotation):
        found = _item_type(arg)
        if found is not None:
            return found
    return None


def _keys(model: type[BaseModel]) -> dict[str, str]:
    """The keys a file writes for `model`'s fields (aliases first) → field names."""
    return {(f.alias or name): name for name, f in model.model_fields.items() if not f.exclude}


def known_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed in the mapping at `loc` (a pydantic error location) under `root`.

    Walks the field annotations: a model field's name moves to its annotation, a dict key or
    list index to the item type; pydantic's own markers in `loc` are skipped.
    """
    node: Any = root
    for item in loc:
        model = _model_in(node)
        if model is not None and isinstance(item, str) and item in model.model_fields:
            node = model.model_fields[item].annotation
            continue
        if model is not None and isinstance(item, str) and item in _keys(model):
            node = model.model_fields[_keys(model)[item]].annotation
            continue
        inner = _item_type(node)
        if inner is not None and not (isinstance(item, str) and item.startswith(MARKERS)):
            node = inner
    model = _model_in(node)
    return list(_keys(model)) if model is not None else []


def unknown_key_message(key: Any, known: list[str]) -> str:
    """``unknown field; did you mean hourly_cost?``, or the valid keys when none is close.

    The closest key is found with :func:`difflib.get_close_matches` (ratio ≥ 0.6).

    Examples
    --------
    >>> unknown_key_message("hourly_rate", ["time_zone", "hourly_cost", "shifts"])
    'unknown field; did you mean hourly_cost?'
    >>> unknown_key_message("zzz", ["from", "to", "rate"])
    'unknown field (valid here: from, to, rate)'
    """
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if close:
        return f"unknown field; did you mean {close[0]}?"
    if known:
        return f"unknown field (valid here: {', '.join(known)})"
    return "unknown field (see docs/scenario-format.md)"


def _message(err: Any, root: type[BaseModel] | None) -> str:
    ctx_err = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_err, FieldError):
        return ctx_err.message
    kind, msg, value = err["type"], err["msg"], err.get("input")
    if kind == "extra_forbidden":
        loc = tuple(err["loc"])
        known = known_keys(root, loc[:-1]) if root is not None else []
        return unknown_key_message(loc[-1], known)
    if kind == "missing":
        return "is required"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg} (got {shown})" if kind != "value_error" else msg


def _deepest_union_member(err: Any, errors: list[Any]) -> Any:
    """Of a union's failed members, the one that got furthest into the value.

    ``headcount: {one: -1}`` fails both as a number (at ``headcount``) and as a number per plan
    (at ``headcount.one``); the second says what is wrong.
    """
    loc = tuple(err["loc"])
    cut = next((at for at in range(len(loc)) if _is_pydantic_part(loc, at)), None)
    if cut is None:
        return err
    same_field = [e for e in errors if tuple(e["loc"])[:cut] == loc[:cut]]
    return max(same_field, key=lambda e: len(e["loc"]))


def first_error(exc: ValidationError, *, root: type[BaseModel] | None = None) -> ScenarioError:
    """The first problem of `exc` as a ScenarioError with the field path as the file reads.

    Parameters
    ----------
    exc : ValidationError
        What pydantic raised.
    root : type of BaseModel, optional
        The model that was validated; with it an unknown key gets the closest valid key as a
        suggestion (``hourly_rate: unknown field; did you mean hourly_cost?``).
    """
    errors = exc.errors()
    err = errors[0]
    if err["type"] == "missing":
        # a misspelled required key shows up twice: as missing and as unknown; the unknown
        # one is the one to fix (and its suggestion names the missing key)
        parent = tuple(err["loc"])[:-1]
        err = next(
            (
                e
                for e in errors
                if e["type"] == "extra_forbidden" and tuple(e["loc"])[:-1] == parent
            ),
            err,
        )
    err = _deepest_union_member(err, errors)
    loc = tuple(err["loc"])
    ctx_err = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_err, FieldError):
        loc = loc + ctx_err.field
    return ScenarioError(_loc_to_path(loc), _message(err, root))


def nesting_depth(obj: Any, limit: int) -> int:
    """How deeply `obj` (YAML data: dicts, lists, scalars) nests; stops once past `limit`.

    Returns
    -------
    int
        Levels of nesting (a scalar is 1), or the first depth found above `limit`.

    Examples
    --------
    >>> nesting_depth({"a": [1, {"b": 2}]}, limit=40)
    4
    """
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

"""Input fuzzing (functional tests, kind 4): generated scenarios, valid and broken.

* Valid scenarios — random channels, regions, time zones (half-hour and 45-minute offsets, DST
  dates), segments, automation, sites, shifts, plans — must load, simulate (tiny horizon, 1–2
  replications) and satisfy every invariant of `coverage.simulation.invariants`.
* Each valid scenario is then broken one way (wrong types, negative / NaN / infinite / huge
  numbers, empty lists, unknown keys, unknown time zones and names, duplicate keys, non-UTF-8
  bytes, alias bombs, deep nesting, a non-mapping top level, bad YAML, …). Every broken one must
  raise `ScenarioError` — with a field path for a field problem, or a file-level message — and
  the CLI must exit 2 with one `error:` line and no traceback (in process for all of them, in a
  real subprocess for a few). "Huge" values of fields without an upper bound are not errors by
  the contract: they must give either `ScenarioError` or a run that keeps the invariants.

Bounded for CI: a fixed number of examples, derandomized, no example database. The counts of
valid and invalid cases tried are printed in the test output (outside pytest's capture).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import math
import os
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from coverage.cli import main as cli_main
from coverage.errors import ScenarioError
from coverage.scenario.model import scenario_from_text
from coverage.simulation.invariants import assert_no_violations, check_result, check_scenario
from coverage.simulation.replications import ENGINES, run_scenario

ROOT = Path(__file__).resolve().parents[1]

# examples per run; raise them for a deeper local search, e.g. FUZZ_VALID=2000
N_VALID = int(os.environ.get("FUZZ_VALID", "150"))
N_BROKEN_BASES = int(os.environ.get("FUZZ_BROKEN_BASES", "25"))  # × 20 kinds of breakage
N_HUGE = int(os.environ.get("FUZZ_HUGE", "60"))

# Shrinking a failing simulation can take many minutes, so CI reports the failing example as
# found (it is printed in full); set FUZZ_SHRINK=1 to shrink it locally.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
if os.environ.get("FUZZ_SHRINK"):
    PHASES.append(Phase.shrink)

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    phases=PHASES,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

CHANNEL_NAMES = ["phone", "chat", "email", "social", "voice", "sms-2"]
REGION_NAMES = ["americas", "emea", "apac", "home"]
PLAN_NAMES = ["follow-the-sun", "single-site", "p3"]
SITE_NAMES = ["manila", "austin", "berlin", "x9"]
LANGUAGES = ["en", "de", "tl"]
ZONES = [
    "UTC",
    "America/New_York",
    "America/Chicago",
    "Europe/Berlin",
    "Europe/London",
    "Asia/Manila",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/St_Johns",  # -03:30 with DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Kiritimati",  # +14
    "Pacific/Pago_Pago",  # -11
]
HOLIDAY_CODES = ["US", "DE", "PH", "GB", "US-CA", "DE-BY"]
# DST changes and holidays of 2026 (US, EU, AU), and year ends
SPECIAL_DATES = [
    dt.date(2026, 3, 8),
    dt.date(2026, 3, 29),
    dt.date(2026, 4, 5),
    dt.date(2026, 10, 4),
    dt.date(2026, 10, 25),
    dt.date(2026, 11, 1),
    dt.date(2026, 12, 25),
    dt.date(2026, 12, 31),
    dt.date(2028, 2, 29),
]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

# ---------------------------------------------------------------------------------------------
# valid scenarios


def _num(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi], rounded so the YAML text stays readable; sometimes integers."""
    return st.one_of(
        st.integers(math.ceil(lo), math.floor(hi)),
        st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3)),
    ).filter(lambda x: lo <= x <= hi)


@st.composite
def distributions(draw: st.DrawFn, lo_s: float, hi_s: float) -> dict[str, Any]:
    family = draw(st.sampled_from(["exponential", "fixed", "deterministic", "lognormal",
                                   "empirical"]))
    if family == "empirical":
        return {"dist": family, "samples_s": draw(st.lists(_num(0, hi_s), min_size=1,
                                                           max_size=5))}
    out: dict[str, Any] = {"dist": family, "mean_s": draw(_num(lo_s, hi_s))}
    if family == "lognormal":
        out["sigma"] = draw(_num(0, 1.5))
    return out


def _target() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"answer_within_s": _num(1, 3600), "share": _num(0, 1)})


@st.composite
def channels(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(CHANNEL_NAMES), min_size=1, max_size=3, unique=True))
    out = {}
    for name in names:
        mode = draw(st.sampled_from(["realtime", "async"]))
        ch: dict[str, Any] = {"mode": mode, "handle_time": draw(distributions(5, 1200))}
        if mode == "realtime" and draw(st.booleans()):
            ch["patience"] = draw(st.one_of(st.none(), distributions(1, 900)))
        if draw(st.booleans()):
            ch["short_abandon_s"] = draw(_num(0, 10))
        if draw(st.booleans()):
            ch["concurrency"] = draw(st.integers(1, 4))
        if draw(st.booleans()):
            ch["priority"] = draw(st.integers(-3, 3))
        if draw(st.booleans()):
            ch["target"] = draw(_target())
        out[name] = ch
    return out


@st.composite
def valid_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A raw scenario (as YAML data) that the contract says is valid; tiny enough to simulate."""
    chans = draw(channels())
    regions = {}
    for name in draw(st.lists(st.sampled_from(REGION_NAMES), min_size=1, max_size=2,
                              unique=True)):
        region: dict[str, Any] = {"time_zone": draw(st.sampled_from(ZONES))}
        if draw(st.booleans()):
            region["holidays"] = draw(st.sampled_from(HOLIDAY_CODES))
            region["holiday_factor"] = draw(_num(0, 2))
        if draw(st.booleans()):
            region["language"] = draw(st.sampled_from(LANGUAGES))
        regions[name] = region
    segments = {}
    if draw(st.booleans()):
        seg: dict[str, Any] = {}
        if draw(st.booleans()):
            seg["priority"] = draw(st.integers(-5, 5))
        if draw(st.booleans()):
            seg["target"] = draw(_target())
        segments["vip"] = seg
    demand = []
    for _ in range(draw(st.integers(1, 3))):
        entry: dict[str, Any] = {
            "channel": draw(st.sampled_from(sorted(chans))),
            "region": draw(st.sampled_from(sorted(regions))),
            "per_hour": draw(st.one_of(_num(0, 30), st.lists(_num(0, 30), min_size=24,
                                                             max_size=24))),
        }
        if draw(st.booleans()):
            entry["weekday_factors"] = draw(st.lists(_num(0, 2), min_size=7, max_size=7))
        if draw(st.booleans()):
            entry["busyness_cv"] = draw(_num(0, 1))
        if segments and draw(st.booleans()):
            entry["segment"] = "vip"
        if draw(st.booleans()):
            entry["language"] = draw(st.sampled_from(LANGUAGES))
        demand.append(entry)
    # a shift may list only languages some contact needs (a typo otherwise, issue 14)
    needed = sorted({e["language"] for e in [*regions.values(), *demand] if "language" in e})
    automation = {}
    for name in draw(st.lists(st.sampled_from(sorted(chans)), max_size=2, unique=True)):
        automation[name] = draw(st.fixed_dictionaries(
            {}, optional={"deflection": _num(0, 1), "bot_time_s": _num(0, 120),
                          "cost_per_contact": _num(0, 2)}))
    plans = {}
    for pname in draw(st.lists(st.sampled_from(PLAN_NAMES), min_size=1, max_size=2,
                               unique=True)):
        sites = {}
        for sname in draw(st.lists(st.sampled_from(SITE_NAMES), min_size=1, max_size=2,
                                   unique=True)):
            site: dict[str, Any] = {
                "time_zone": draw(st.sampled_from(ZONES)),
                "hourly_cost": draw(_num(0, 60)),
                "shifts": [draw(shifts(sorted(chans), needed))
                           for _ in range(draw(st.integers(1, 3)))],
            }
            if draw(st.booleans()):
                site["night_premium"] = {"from": draw(clocks()), "to": draw(clocks()),
                                         "rate": draw(_num(0, 1))}
            for key in ("weekend_premium", "holiday_premium", "overtime_premium"):
                if draw(st.booleans()):
                    site[key] = draw(_num(0, 1))
            if draw(st.booleans()):
                site["holidays"] = draw(st.sampled_from(HOLIDAY_CODES))
            if draw(st.booleans()):
                site["shrinkage"] = draw(_num(0, 0.95))
            if draw(st.booleans()):
                site["seat_cost_per_month"] = draw(_num(0, 500))
            sites[sname] = site
        plan: dict[str, Any] = {"sites": sites}
        if draw(st.booleans()):
            plan["automation"] = {
                name: {"deflection": draw(_num(0, 1))}
                for name in draw(st.lists(st.sampled_from(sorted(chans)), max_size=2,
                                          unique=True))
            }
        plans[pname] = plan
    start = draw(st.one_of(st.sampled_from(SPECIAL_DATES),
                           st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31))))
    horizon_hours = draw(st.integers(1, 8))
    horizon: dict[str, Any] = {"start": start.isoformat()}
    if draw(st.booleans()):
        horizon["hours"] = horizon_hours
    else:
        horizon["days"] = round(horizon_hours / 24, 4)
    raw: dict[str, Any] = {
        "name": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,15}", fullmatch=True)),
        "description": draw(st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                                    max_size=30)),
        "horizon": horizon,
        "replications": draw(st.integers(1, 2)),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "channels": chans,
        "regions": regions,
        "demand": demand,
        "plans": plans,
    }
    if draw(st.booleans()):
        raw["warmup_hours"] = draw(st.sampled_from([0, 0.5, horizon_hours - 0.25]))
    if segments:
        raw["segments"] = segments
    if automation:
        raw["automation"] = automation
    if draw(st.booleans()):
        raw["currency"] = draw(st.sampled_from(["USD", "EUR", "PHP"]))
    return raw


def clocks() -> st.SearchStrategy[str]:
    return st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


@st.composite
def shifts(draw: st.DrawFn, channel_names: list[str], languages: list[str]) -> dict[str, Any]:
    shift: dict[str, Any] = {
        "start": draw(clocks()),
        "hours": draw(st.one_of(st.integers(1, 24), _num(0.25, 24))),
        "agents": draw(st.integers(0, 4)),
    }
    if draw(st.booleans()):
        shift["days"] = draw(st.one_of(
            st.sampled_from(["all", "weekdays", "weekends"]),
            st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)))
    if draw(st.booleans()):
        shift["channels"] = draw(st.lists(st.sampled_from(channel_names), min_size=1,
                                          unique=True))
    if languages and draw(st.booleans()):
        # at least one: an empty list serves nothing and is refused (a broken file, not valid)
        shift["languages"] = draw(
            st.lists(st.sampled_from(languages), min_size=1, max_size=2, unique=True)
        )
    if draw(st.booleans()):
        shift["holiday_agents"] = draw(st.integers(0, 4))
    return shift


def to_yaml(raw: Any) -> str:
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


# ---------------------------------------------------------------------------------------------
# mutations: valid → invalid

Path_ = tuple[str | int, ...]


def walk(node: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    """Every (path, value) under `node`, the root excluded."""
    out: list[tuple[Path_, Any]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, value in items:
        out.append(((*path, key), value))
        out.extend(walk(value, (*path, key)))
    return out


def get_at(raw: Any, path: Path_) -> Any:
    for key in path:
        raw = raw[key]
    return raw


def set_at(raw: Any, path: Path_, value: Any) -> None:
    get_at(raw, path[:-1])[path[-1]] = value


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


NAME_KEYED = {"channels", "regions", "segments", "plans", "sites", "automation"}
# numeric fields with an upper bound in the contract, and a value above it
BOUNDED = {
    "concurrency": 51,
    "agents": 100_001,
    "holiday_agents": 100_001,
    "replications": 10_001,
    "share": 1.5,
    "deflection": 1.01,
    "shrinkage": 1.0,
    "hours": 25,
    "priority": 1001,
    "seed": 2**64,
}
# fields a scenario cannot do without (in the shapes the generator makes)
REQUIRED = {"name", "channels", "regions", "demand", "plans", "handle_time", "dist",
            "time_zone", "hourly_cost", "shifts", "sites", "start", "hours", "agents",
            "answer_within_s", "share", "rate", "from", "to", "mean_s", "samples_s", "sigma",
            "channel", "region", "per_hour"}
BAD_ZONES = ["Mars/Olympus_Mons", "Europe/Berln", "UTC+2", "EST5", "", "europe/berlin",
             "../../etc/passwd", "Asia/Manila\n"]
BAD_CLOCKS = ["25:00", "12:60", "noon", "8", "8:5", "-1:00", 1200, "24:00", "08:00:00"]
BAD_NAMES = ["Phone", "has space", "-lead", "ünï", "a" * 65, "a.b", "a_b"]
FIELD_KINDS = ["wrong_type", "negative", "nan_inf", "over_bound", "empty", "unknown_key",
               "unknown_zone", "unknown_reference", "bad_clock", "bad_name", "missing",
               "bad_length", "cross_field"]
FILE_KINDS = ["duplicate_key", "non_utf8", "alias_bomb", "deep_nesting", "top_level",
              "bad_syntax", "too_big"]
ALL_KINDS = FIELD_KINDS + FILE_KINDS


def _last_key(path: Path_) -> str:
    return next((str(k) for k in reversed(path) if isinstance(k, str)), "")


def _candidates(raw: dict[str, Any], kind: str) -> list[tuple[Path_, Any]]:
    everything = walk(raw)
    if kind == "wrong_type":
        return [(p, v) for p, v in everything if v is not None]
    if kind == "negative":
        return [(p, v) for p, v in everything if is_number(v) and _last_key(p) != "priority"]
    if kind == "nan_inf":
        return [(p, v) for p, v in everything if is_number(v)]
    if kind == "over_bound":
        return [(p, v) for p, v in everything if is_number(v) and isinstance(p[-1], str)
                and p[-1] in BOUNDED and not (p[-1] == "hours" and p[-2] == "horizon")]
    if kind == "empty":
        return [(p, v) for p, v in everything if isinstance(p[-1], str) and p[-1] in
                {"demand", "shifts", "days", "per_hour", "weekday_factors", "samples_s",
                 "channels", "regions", "plans", "sites"}
                and not (p[-1] == "channels" and len(p) > 1)]
    if kind == "unknown_key":
        return [(p, v) for p, v in everything if isinstance(v, dict)] + [((), raw)]
    if kind == "unknown_zone":
        return [(p, v) for p, v in everything if p[-1] == "time_zone"]
    if kind == "unknown_reference":
        return [(p, v) for p, v in everything if len(p) >= 2 and (
            (p[0] == "demand" and p[-1] in ("channel", "region", "segment"))
            or (p[-2] == "channels" and isinstance(p[-1], int))
            or p[-2] == "automation")]
    if kind == "bad_clock":
        return [(p, v) for p, v in everything if p[-1] in ("from", "to")
                or (p[-1] == "start" and "shifts" in p)]
    if kind == "bad_name":
        return [(p, v) for p, v in everything if len(p) >= 2 and p[-2] in NAME_KEYED
                and isinstance(p[-1], str)] + [(("name",), raw["name"])]
    if kind == "missing":
        return [(p, v) for p, v in everything if isinstance(p[-1], str) and p[-1] in REQUIRED
                and not (p[-1] in ("channels",) and len(p) > 1)
                and not (p[-1] == "hours" and p[-2] == "horizon")
                and not (p[-1] == "start" and p[-2] == "horizon")]
    if kind == "bad_length":
        return [(p, v) for p, v in everything if p[-1] in ("per_hour", "weekday_factors")
                and isinstance(v, list)]
    if kind == "cross_field":
        return [((), raw)]
    raise AssertionError(kind)


def _wrong_value(data: st.DataObject, value: Any) -> Any:
    if isinstance(value, dict):
        return data.draw(st.sampled_from([[1, 2], 7, "text", True]))
    if isinstance(value, list):
        return data.draw(st.sampled_from([{"k": 1}, True, "text-list"]))
    if isinstance(value, str):
        return data.draw(st.sampled_from([12345, 3.5, [1], {"k": "v"}, True]))
    return data.draw(st.sampled_from(["text", [1], {"k": 1}, True, "1e3"]))


def mutate_field(raw: dict[str, Any], kind: str, data: st.DataObject) -> Path_:
    """Break `raw` in place one way; returns the path of the broken field."""
    if kind == "cross_field":
        return _cross_field(raw, data)
    candidates = _candidates(raw, kind)
    if not candidates:
        return ()
    path, value = data.draw(st.sampled_from(candidates), label="target")
    if kind == "wrong_type":
        set_at(raw, path, _wrong_value(data, value))
    elif kind == "negative":
        set_at(raw, path, data.draw(st.sampled_from([-1, -0.001, -1e9, -(2**70)])))
    elif kind == "nan_inf":
        set_at(raw, path, data.draw(st.sampled_from([math.nan, math.inf, -math.inf])))
    elif kind == "over_bound":
        set_at(raw, path, BOUNDED[str(path[-1])])
    elif kind == "empty":
        set_at(raw, path, {} if isinstance(value, dict) else [])
    elif kind == "unknown_key":
        key = data.draw(st.sampled_from(["zz-unknown", "colour", "agent", "mean", "per_hr"]))
        if key in value:
            key = "zz-unknown-2"
        value[key] = 1
        return (*path, key)
    elif kind == "unknown_zone":
        set_at(raw, path, data.draw(st.sampled_from(BAD_ZONES)))
    elif kind == "unknown_reference":
        if path[-2] == "automation":
            parent = get_at(raw, path[:-1])
            parent["fax"] = parent.pop(path[-1])
            return (*path[:-1], "fax")
        set_at(raw, path, "fax" if path[-1] != "region" else "mars")
    elif kind == "bad_clock":
        set_at(raw, path, data.draw(st.sampled_from(BAD_CLOCKS)))
    elif kind == "bad_name":
        bad = data.draw(st.sampled_from(BAD_NAMES))
        if path == ("name",):
            raw["name"] = bad
        else:
            parent = get_at(raw, path[:-1])
            parent[bad] = parent.pop(path[-1])
            return (*path[:-1], bad)
    elif kind == "missing":
        del get_at(raw, path[:-1])[path[-1]]
    elif kind == "bad_length":
        lst = list(value)
        set_at(raw, path, lst[:-1] if data.draw(st.booleans()) else [*lst, 1])
    return path


def _cross_field(raw: dict[str, Any], data: st.DataObject) -> Path_:
    rule = data.draw(st.sampled_from(["days_and_hours", "warmup", "async_patience",
                                      "empirical_mean", "demand_two_sources", "sigma_exp"]))
    if rule == "days_and_hours":
        raw["horizon"].update(days=1, hours=5)
        return ("horizon",)
    if rule == "warmup":
        raw["warmup_hours"] = 9
        return ("warmup_hours",)
    if rule == "demand_two_sources":
        raw["demand"][0]["replay"] = "log.csv"
        return ("demand",)
    name = next(iter(raw["channels"]))
    ch = raw["channels"][name]
    if rule == "async_patience":
        ch["mode"] = "async"
        ch["patience"] = {"dist": "exponential", "mean_s": 60}
    elif rule == "empirical_mean":
        ch["handle_time"] = {"dist": "empirical", "samples_s": [1, 2], "mean_s": 3}
    else:
        ch["handle_time"] = {"dist": "exponential", "mean_s": 3, "sigma": 1}
    return ("channels",)


def mutate_text(raw: dict[str, Any], kind: str, data: st.DataObject) -> bytes:
    """Break the YAML text (or bytes) of `raw` one way."""
    text = to_yaml(raw)
    if kind == "duplicate_key":
        lines = text.splitlines()
        keys = {str(k) for p, _ in walk(raw) for k in p if isinstance(k, str)}
        keyed = [i for i, line in enumerate(lines)
                 if (m := re.match(r"^ *([^ :'\"-][^ :]*):( |$)", line)) and m.group(1) in keys]
        i = data.draw(st.sampled_from(keyed), label="line")
        # the copy goes first, so a key with a nested block keeps its block
        lines.insert(i, lines[i].split(":", 1)[0] + ": 1")
        return ("\n".join(lines) + "\n").encode()
    if kind == "non_utf8":
        blob = text.encode()
        at = data.draw(st.integers(0, len(blob)), label="at")
        bad = data.draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80",
                                         b"\xfe\xff"]))
        return blob[:at] + bad + blob[at:]
    if kind == "alias_bomb":
        width = data.draw(st.integers(8, 12))
        levels = data.draw(st.integers(6, 10))
        lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
        lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * width)}]" for k in range(1, levels)]
        where = data.draw(st.sampled_from(["top", "description"]))
        if where == "top":
            return ("\n".join(lines) + "\n" + text).encode()
        bomb = "\n".join("  " + line for line in lines)
        return (text.replace("description:", "description_:", 1)
                + f"description:\n{bomb}\n").encode()
    if kind == "deep_nesting":
        depth = data.draw(st.sampled_from([65, 100, 400, 3000, 100_000]))
        style = data.draw(st.sampled_from(["list", "map"]))
        deep = "[" * depth + "]" * depth if style == "list" else "{a: " * depth + "1" + \
            "}" * depth
        return (text + f"zz-deep: {deep}\n").encode()
    if kind == "top_level":
        return data.draw(st.sampled_from([
            b"", b"null\n", b"- 1\n- 2\n", b"just text\n", b"42\n", b"[name, tiny]\n",
            b"~\n", ("---\n" + text + "---\n" + text).encode(), b"!!binary aGVsbG8=\n",
        ]))
    if kind == "bad_syntax":
        return data.draw(st.sampled_from([
            text + "plans: [unclosed\n",
            text.replace("\n", "\n\t", 1),
            text + "key: 'unterminated\n",
            "name: x\n  bad indent: 1\n",
            text + "x: !!python/object:os.system ls\n",
            text + "@reserved: 1\n",
        ])).encode()
    if kind == "too_big":
        return (text + "# " + "x" * 2_100_000 + "\n").encode()
    raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------
# the properties


def load_and_run(blob: bytes, file: str) -> ScenarioError | None:
    """The ScenarioError that loading `blob` (or the run's up-front limits) raises, or None."""
    try:
        scenario = scenario_from_text(blob, file=file)
        run_scenario(scenario, replications=1)  # resource limits refuse before simulating
    except ScenarioError as exc:
        return exc.with_file(file)
    return None


def _run_cli_in_process(path: Path) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(["run", str(path), "--workers", "1"])
    return code, err.getvalue()


def _check_cli_output(code: int, stderr: str, path: Path) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert path.name in lines[0]


def _say(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n[fuzz] {text}")


@pytest.mark.slow
def test_fuzz_valid_scenarios_simulate_and_keep_invariants(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # functional: every generated valid scenario loads, simulates and keeps the invariants
    counts: Counter[str] = Counter()

    @settings(FUZZ, max_examples=N_VALID)
    @given(valid_scenarios())
    def check(raw: dict[str, Any]) -> None:
        text = to_yaml(raw)
        try:
            scenario = scenario_from_text(text, file="fuzz.yaml")
        except ScenarioError as exc:  # the generator only makes valid scenarios
            raise AssertionError(f"valid scenario refused: {exc}\n{text}") from None
        reps = scenario.replications
        for engine in ENGINES:
            check_scenario(scenario, replications=reps, engine=engine)
        result = run_scenario(scenario, replications=reps)
        assert_no_violations(check_result(result), scenario.name)
        counts["valid"] += 1
        counts["contacts"] += int(sum(
            row["offered"] for plan in result.plans.values()
            for row in plan.per_replication.to_dict("records")))

    check()
    _say(capsys, f"valid scenarios generated, simulated and checked: {counts['valid']} "
                 f"({counts['contacts']} measured contacts in all; engines: "
                 f"{', '.join(ENGINES)})")
    assert counts["valid"] == N_VALID


@pytest.mark.slow
def test_fuzz_broken_scenarios_give_scenario_error(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path, cli: list[str]) -> None:
    # functional: every broken scenario gives ScenarioError (field path or file-level message),
    # and the CLI exits 2 with one line; a few are also run as real subprocesses
    counts: Counter[str] = Counter()
    for_subprocess: dict[str, bytes] = {}

    def break_one(raw: dict[str, Any], kind: str, data: st.DataObject) -> None:
        raw = copy.deepcopy(raw)
        path: Path_ = ()
        if kind in FIELD_KINDS:
            path = mutate_field(raw, kind, data)
            if not path and kind != "cross_field":
                counts["(nothing to break)"] += 1
                return
            blob = to_yaml(raw).encode()
        else:
            blob = mutate_text(raw, kind, data)
        exc = load_and_run(blob, "broken.yaml")
        assert exc is not None, f"{kind} at {path} was accepted:\n{blob[:2000]!r}"
        message = str(exc)
        assert exc.message, message
        assert "broken.yaml" in message
        if kind in FIELD_KINDS:
            assert exc.path, f"{kind} at {path}: no field path in {message!r}"
            top = str(path[0]) if path else ""
            assert exc.path.split(".")[0].split("[")[0] == top or kind == "cross_field", (
                f"{kind} at {path}: error points at {exc.path!r}: {message}")
        elif kind == "duplicate_key":
            assert "duplicate key" in exc.message, message
            assert exc.path, message
        counts[kind] += 1
        file = tmp_path / f"{kind}.yaml"
        file.write_bytes(blob)
        code, stderr = _run_cli_in_process(file)
        _check_cli_output(code, stderr, file)
        for_subprocess.setdefault(kind, blob)

    # every kind of breakage on every generated scenario: the kinds are tried evenly
    @settings(FUZZ, max_examples=N_BROKEN_BASES)
    @given(valid_scenarios(), st.data())
    def check(raw: dict[str, Any], data: st.DataObject) -> None:
        for kind in ALL_KINDS:
            break_one(raw, kind, data)

    check()
    total = sum(counts[k] for k in ALL_KINDS)
    detail = ", ".join(f"{k} {counts[k]}" for k in ALL_KINDS)
    _say(capsys, f"invalid scenarios generated and refused: {total} ({detail})")
    never = [k for k in ALL_KINDS if not counts[k]]
    assert not never, f"kinds never tried: {never}"

    # a few of them through the real console script, two at a time
    picked = [k for k in ("alias_bomb", "duplicate_key", "non_utf8", "wrong_type")
              if k in for_subprocess]
    files = []
    for kind in picked:
        file = tmp_path / f"sub-{kind}.yaml"
        file.write_bytes(for_subprocess[kind])
        files.append(file)

    def run(file: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
        return file, subprocess.run([*cli, "run", str(file)], capture_output=True,
                                    text=True, timeout=120, check=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for file, proc in pool.map(run, files):
            _check_cli_output(proc.returncode, proc.stderr, file)
            assert proc.stdout == ""
    _say(capsys, f"of which run as real `coverage-sim run` subprocesses: {len(files)}")


@pytest.mark.slow
def test_fuzz_huge_unbounded_numbers_refused_or_simulated(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # functional: a huge value where the contract sets no upper bound is no error by itself;
    # it must give ScenarioError (e.g. the contact limit) or a run that keeps the invariants
    counts: Counter[str] = Counter()
    fields: Counter[str] = Counter()

    @settings(FUZZ, max_examples=N_HUGE)
    @given(valid_scenarios(), st.data())
    def check(raw: dict[str, Any], data: st.DataObject) -> None:
        raw = copy.deepcopy(raw)
        candidates = [(p, v) for p, v in walk(raw) if is_number(v)
                      and _last_key(p) not in BOUNDED and _last_key(p) != "seed"
                      and not (len(p) >= 2 and p[-2] == "horizon")
                      and _last_key(p) != "warmup_hours"]
        path, _ = data.draw(st.sampled_from(candidates))
        set_at(raw, path, data.draw(st.sampled_from([1e9, 1e15, 2**53, 1e300])))
        refused: ScenarioError | None = None
        try:
            scenario = scenario_from_text(to_yaml(raw), file="huge.yaml")
            result = run_scenario(scenario, replications=1)
        except ScenarioError as exc:
            refused = exc
        if refused is not None:
            assert refused.path or refused.message
            counts["refused"] += 1
            fields["refused " + _last_key(path)] += 1
            return
        assert_no_violations(check_result(result), f"huge value at {path}")
        check_scenario(scenario, replications=1)
        counts["simulated"] += 1
        fields["simulated " + _last_key(path)] += 1

    check()
    _say(capsys, f"huge values in unbounded fields: {counts['refused']} refused, "
                 f"{counts['simulated']} simulated and checked ({dict(sorted(fields.items()))})")


if __name__ == "__main__":  # pragma: no cover - manual runs
    sys.exit(pytest.main([__file__, "-q"]))

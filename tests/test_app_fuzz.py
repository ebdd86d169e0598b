"""Functional fuzz test of the app (issue 15): generated uploads, valid and invalid, never leak.

Hypothesis derives uploads from the tiny scenario: unchanged, with one leaf replaced by a value
from a hostile pool (huge, negative, NaN, unquoted bad dates, text, lists, ...), with a key
dropped or added, as truncated YAML, or as random bytes. One AppTest session takes them one after
the other (as a user would) and after each the page must show no exception, no traceback, no
server path and at most one error line. Derandomized with a bounded count (FUZZ_APP overrides it),
so CI runs the same cases in well under a minute.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TINY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest
from test_app_hardening import LEAKS, page_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("FUZZ_APP", "30"))
HOSTILE = [
    10**30,
    -1,
    0,
    2**63,
    1e308,
    -1e308,
    0.5,
    1e-320,
    "nan",
    ".inf",
    "=1+1",
    "",
    "x" * 300,
    [],
    {},
    [1, 2],
    None,
    True,
    "2026-02-30",
    "25:00",
    "localtime",
    "../../etc/passwd",
]
_SESSION: dict[str, AppTest] = {}


def _leaves(obj: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in _leaves(v, (*path, i))] or [path]
    return [path]


LEAVES = _leaves(TINY)


def _set(raw: dict, path: tuple, value: Any) -> dict:
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return raw


@st.composite
def uploads(draw) -> bytes:
    kind = draw(st.sampled_from(["valid", "leaf", "drop", "extra", "truncated", "bytes", "date"]))
    raw = copy.deepcopy(TINY)
    if kind == "leaf":
        raw = _set(raw, draw(st.sampled_from(LEAVES)), draw(st.sampled_from(HOSTILE)))
    elif kind == "drop":
        path = draw(st.sampled_from(LEAVES))
        parent = raw
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
    elif kind == "extra":
        raw[draw(st.sampled_from(["horizon", "plans", "channels"]))]["surprise"] = 1
    elif kind == "valid":
        raw["seed"] = draw(st.integers(0, 2**63 - 1))
        raw["plans"]["day"]["sites"]["berlin"]["hourly_cost"] = draw(st.floats(0, 1e12))
    text = yaml.safe_dump(raw, sort_keys=False)
    if kind == "truncated":
        text = text[: draw(st.integers(1, len(text) - 1))]
    if kind == "date":  # an unquoted date that YAML itself resolves (or fails to)
        year = draw(st.sampled_from(["0001", "1969", "2026", "2262", "9999"]))
        day = draw(st.sampled_from(["01-05", "02-29", "02-30", "13-01"]))
        text = text.replace("start: '2026-01-05'", f"start: {year}-{day}")
    if kind == "bytes":
        return draw(st.binary(min_size=1, max_size=200))
    return text.encode()


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=uploads())
def test_no_exception_text_reaches_the_page(data):
    if "at" not in _SESSION:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["replications"] = 1
        _SESSION["at"] = at.run()
    at = _SESSION["at"]
    at.file_uploader[0].set_value(("fuzz.yaml", data, "application/x-yaml")).run()
    shown = page_text(at)
    assert not at.exception, shown
    for leak in LEAKS:
        assert leak not in shown, shown
    assert len(at.error) <= 1, shown
    for error in at.error:
        assert "\n" not in error.value.strip(), error.value

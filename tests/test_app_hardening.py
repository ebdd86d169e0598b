"""Unit and functional tests of the app's hardening (issue 15, items 1–3; docs/reliability.md).

Each test here failed before its fix: the app showed the old scenario's lever values for an upload
of the same name, tracebacks for valid scenarios beyond the widgets' bounds and for bad dates,
ran a 100,000-agent year for minutes, and forked a process pool inside the Streamlit server.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import TINY
from streamlit.testing.v1 import AppTest

from coverage.errors import ScenarioError
from coverage.scenario.model import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT_S = 60
# what must never reach the page: a traceback, a server path, Python's exception repr
LEAKS = ("Traceback", 'File "', str(ROOT), "/usr/lib", "site-packages", "Error(")


def _app(replications: int = 2) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state["replications"] = replications
    return at.run()


def _upload(at: AppTest, name: str, text: str) -> AppTest:
    return at.file_uploader[0].set_value((name, text.encode(), "application/x-yaml")).run()


def page_text(at: AppTest) -> str:
    """Every text the page shows (errors, captions, markdown, titles, exceptions)."""
    parts = [e.value for e in at.error] + [e.value for e in at.caption]
    parts += [e.value for e in at.markdown] + [e.value for e in at.title]
    parts += [str(e.value) for e in at.exception] + [e.value for e in at.warning]
    return "\n".join(str(p) for p in parts)


def test_same_name_upload_uses_its_own_lever_values():
    # Item 1 (functional). The app's own edited download with chat deflection 0.15 → 0.30,
    # uploaded under the same scenario name, must run with 0.30: the deflected chats roughly
    # double (offered × 0.30 instead of × 0.15; binomial noise of 2 replications ≪ 10 %).
    at = _app()
    text = (ROOT / "scenarios" / "global-saas.yaml").read_text()
    edited = text.replace("chat: {deflection: 0.15,", "chat: {deflection: 0.30,", 1)
    assert edited != text
    before = at.dataframe[0].value.set_index(["plan", "channel"])
    _upload(at, "global-saas-edited.yaml", edited)
    assert not at.exception
    after = at.dataframe[0].value.set_index(["plan", "channel"])
    for plan in ("follow-the-sun",):
        b, a = before.loc[(plan, "chat")], after.loc[(plan, "chat")]
        ratio = a["deflected by bot [contacts]"] / b["deflected by bot [contacts]"]
        assert ratio == pytest.approx(2.0, rel=0.10)


def test_content_key_changes_with_any_value_not_only_the_name():
    # Item 1 (unit): same name, one value changed → another key; same content → the same key.
    from coverage.app import boundary

    a = parse_scenario(copy.deepcopy(TINY))
    changed = copy.deepcopy(TINY)
    changed["plans"]["day"]["sites"]["berlin"]["hourly_cost"] = 21.0
    assert boundary.content_key(a) == boundary.content_key(parse_scenario(copy.deepcopy(TINY)))
    assert boundary.content_key(a) != boundary.content_key(parse_scenario(changed))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("plans", "day", "sites", "berlin", "hourly_cost"), 25_000.0),  # yen
        (("seed",), 2**40),
        (("plans", "round-the-clock", "sites", "berlin", "night_premium", "rate"), 6.0),
    ],
)
def test_valid_values_beyond_the_old_widget_bounds_run(path, value):
    # Item 2 (functional): valid scenarios whose values were outside the widgets' bounds showed
    # a StreamlitAPIException traceback. Now they run, with their own values.
    raw = copy.deepcopy(TINY)
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    at = _app()
    _upload(at, "big-values.yaml", yaml.safe_dump(raw))
    assert not at.exception, page_text(at)
    assert not at.error, page_text(at)
    assert at.title[0].value == "tiny: day vs round-the-clock"
    if path == ("seed",):
        assert f"seed {2**40}" in at.caption[0].value


@pytest.mark.parametrize("date", ["2026-02-30", "0001-01-01", "9999-12-31"])
def test_bad_or_extreme_dates_show_one_line(date):
    # Item 2 (functional): an unquoted invalid date (a YAML timestamp) or a year outside what the
    # timeline can hold showed a traceback with server paths. Now one error line naming the field.
    text = yaml.safe_dump(TINY).replace("start: '2026-01-05'", f"start: {date}")
    assert f"start: {date}" in text
    at = _app()
    _upload(at, "dates.yaml", text)
    assert not at.exception, page_text(at)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("dates.yaml:"), at.error[0].value
    assert "horizon" in at.error[0].value or "line" in at.error[0].value
    for leak in LEAKS:
        assert leak not in page_text(at)


def test_any_exception_is_one_line_without_internals(monkeypatch):
    # Item 2 (functional): an internal failure (here a fault injected into the simulation)
    # shows one line naming only the exception type; the message with a path is not shown.
    from coverage.app import boundary

    def broken(*args, **kwargs):
        raise OSError(f"[Errno 13] Permission denied: '{ROOT}/secret/file'")

    monkeypatch.setattr(boundary, "run_scenario", broken)
    import streamlit as st

    st.cache_data.clear()  # an earlier test's cached run would skip the injected fault
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state["replications"] = 1
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert "OSError" in at.error[0].value
    assert str(ROOT) not in page_text(at)


def test_streamlit_config_hides_details_and_caps_uploads_server_side():
    # Item 2/3 (unit): the server's own settings, not only the widget's.
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["server"]["maxUploadSize"] == 1  # MB; the app's byte check is 1,000,000


def test_huge_roster_is_refused_before_running():
    # Item 3 (functional): 2 plans × 100,000 agents × one year passed the contact cap and ran
    # for 146 s and 6.1 GB. Now the estimate refuses it in well under a second of work.
    raw = copy.deepcopy(TINY)
    raw["horizon"] = {"start": "2026-01-05", "days": 365}
    for plan in raw["plans"].values():
        plan["sites"]["berlin"]["shifts"][0]["agents"] = 100_000
    raw["demand"] = [{"channel": "phone", "region": "here", "per_hour": 1}]
    at = _app()
    _upload(at, "huge.yaml", yaml.safe_dump(raw))
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("app: this run would need about")
    assert "agent-days" in at.error[0].value


def test_check_app_work_refuses_long_runs_with_the_estimate():
    # Item 3 (unit): the time estimate = replications × (plans × contacts × cpu per contact
    # + agent-days × cpu per agent-day) is compared with the app's limit.
    from coverage.app import boundary

    sc = load_scenario(ROOT / "scenarios" / "global-saas.yaml")
    est = boundary.check_app_work(sc, runs=10)
    # about 41,500 a week measured, plus the burn-in week simulated before it
    assert 80_000 < est.contacts_per_replication < 86_000
    with pytest.raises(ScenarioError, match=r"^app: this run would take about"):
        boundary.check_app_work(sc, runs=10_000)


def test_app_never_forks_a_process_pool(monkeypatch):
    # Item 3 (functional): with 4+ replications the app used to fork workers from inside the
    # multithreaded server. Any attempt to build a pool now fails the test.
    import coverage.simulation.replications as reps

    def no_pool(processes):
        raise AssertionError("the app forked a process pool")

    monkeypatch.setattr(reps, "worker_pool", no_pool)
    monkeypatch.setattr(reps, "default_workers", lambda: 2)
    import streamlit as st

    st.cache_data.clear()  # a cached run would not exercise the simulation at all
    at = _app(replications=4)
    assert not at.exception, page_text(at)
    assert not at.error, page_text(at)


def test_sizing_and_capacity_pages_check_the_budget_before_searching(monkeypatch):
    # Regression: the sizing search and the capacity planner ran in the server without the
    # app's budget check, so a huge upload could search for hours. The check now comes first.
    from coverage.app import sizing

    raw = copy.deepcopy(TINY)
    raw["horizon"] = {"start": "2026-01-05", "days": 365}
    raw["demand"] = [{"channel": "phone", "region": "here", "per_hour": 50_000}]
    sc = parse_scenario(raw)

    def no_search(*args, **kwargs):
        raise AssertionError("the search started before the budget check")

    monkeypatch.setattr(sizing, "size_plans", no_search)
    with pytest.raises(ScenarioError, match=r"^app: about [\d,]+ contacts per replication"):
        sizing.size_in_app(sc, replications=2, frontier_channel=None, shares=[], progress=print)
    at = AppTest.from_function(_huge_capacity_page, default_timeout=60).run()
    at.button[0].click().run()  # "Plan capacity"
    assert not at.exception
    assert at.error[0].value.startswith("app: about")


def _huge_capacity_page() -> None:
    import copy

    from test_capacity import ROUND_THE_CLOCK

    from app_pages import capacity
    from coverage.app.boundary import page_boundary
    from coverage.scenario.model import parse_scenario

    raw = copy.deepcopy(ROUND_THE_CLOCK)
    raw["demand"][0]["per_hour"] = 50_000
    with page_boundary():
        capacity.show(parse_scenario(raw))

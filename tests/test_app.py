"""Functional tests of the Streamlit app (streamlit.testing.v1.AppTest, no browser).

The default scenario renders; the chat deflection lever moves the chat figures the expected way;
a bad upload shows the CLI's "file: field.path: message" inside the page and the app keeps
working. Runs use 2 replications (the replications widget is set through its key) to stay lean;
the simulation cache is shared by the tests of this process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import TINY
from streamlit.testing.v1 import AppTest

from coverage.app.boundary import content_key
from coverage.errors import ScenarioError
from coverage.scenario.model import load_scenario, scenario_from_text

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT_S = 60
# widget keys carry a hash of the scenario's content (an upload of the same name is another key)
CHAT_DEFLECTION = f"{content_key(load_scenario(ROOT / 'scenarios' / 'global-saas.yaml'))}defl:chat"


def _app(replications: int = 2) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state["replications"] = replications
    return at.run()


def _headline(at: AppTest):
    return at.dataframe[0].value.set_index(["plan", "channel"])


def test_default_scenario_renders():
    at = _app()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "global-saas: follow-the-sun vs single-site"
    labels = [m.label for m in at.metric]
    assert labels.count("cost per month [USD]") == 2  # both plans side by side
    assert {"phone", "chat", "email", "social"} <= set(labels)  # service level per channel
    head = _headline(at)
    assert set(head.index.get_level_values("plan")) == {"follow-the-sun", "single-site"}
    assert at.slider(key=CHAT_DEFLECTION).value == pytest.approx(0.15, abs=1e-12)


def test_chat_deflection_lever_moves_the_chat_figures():
    at = _app()
    before = _headline(at)
    at.slider(key=CHAT_DEFLECTION).set_value(0.6).run()
    assert not at.exception
    after = _headline(at)
    for plan in ("follow-the-sun", "single-site"):
        b, a = before.loc[(plan, "chat")], after.loc[(plan, "chat")]
        assert a["offered [contacts]"] == pytest.approx(b["offered [contacts]"], rel=1e-12)
        assert a["deflected by bot [contacts]"] > 2 * b["deflected by bot [contacts]"]
        assert a["to agents [contacts]"] < b["to agents [contacts]"]
        assert a["service level [%]"] >= b["service level [%]"] - 1e-9
        # other channels see the same arrivals (common random numbers)
        assert after.loc[(plan, "phone"), "offered [contacts]"] == pytest.approx(
            before.loc[(plan, "phone"), "offered [contacts]"], rel=1e-12
        )


def test_bad_upload_shows_the_field_path_error_and_keeps_working():
    at = _app()
    text = (ROOT / "scenarios" / "global-saas.yaml").read_text()
    bad = text.replace(
        '{start: "15:00", hours: 8, days: weekdays, agents: 21',
        '{start: "25:00", hours: 8, days: weekdays, agents: 21',
        1,
    )
    assert bad != text
    with pytest.raises(ScenarioError) as cli:  # what `coverage-sim validate` would say
        scenario_from_text(bad, file="mine.yaml")
    at.file_uploader[0].set_value(("mine.yaml", bad.encode(), "application/x-yaml")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [str(cli.value)]
    assert str(cli.value) == (
        "mine.yaml: plans.single-site.sites.austin.shifts[3].start: '25:00' is not a time of day"
    )
    assert at.title[0].value.startswith("global-saas")  # the bundled scenario is still shown


def test_good_upload_is_simulated_and_a_log_upload_is_refused():
    at = _app()
    at.file_uploader[0].set_value(("tiny.yaml", yaml.safe_dump(TINY).encode(), "text/yaml")).run()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "tiny: day vs round-the-clock"
    with_log = {**TINY, "demand": [*TINY["demand"], {"replay": "/etc/contacts.csv"}]}
    at.file_uploader[0].set_value(("log.yaml", yaml.safe_dump(with_log).encode(), "text/yaml"))
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("log.yaml: demand[2].replay: an uploaded scenario cannot")


def _page(name: str) -> None:
    """Draw one page of the app for the tiny scenario (run inside AppTest.from_function)."""
    import importlib

    from conftest import TINY

    from coverage.results.report import channels_table, hourly_table
    from coverage.scenario.model import parse_scenario
    from coverage.simulation.replications import run_scenario

    result = run_scenario(parse_scenario(TINY), replications=2, seed=3)
    page = importlib.import_module(f"app_pages.{name}")
    if name == "hours":
        page.show(result, hourly_table(result))
    elif name == "downloads":
        page.show(result, channels_table(result), hourly_table(result))
    else:
        page.show(result)


@pytest.mark.parametrize("name", ["compare", "hours", "cost", "downloads"])
def test_every_page_draws(name):
    at = AppTest.from_function(_page, args=(name,), default_timeout=TIMEOUT_S).run()
    assert not at.exception
    if name == "downloads":
        assert len(at.get("download_button")) == 5  # channels, hourly, costs, Excel, YAML

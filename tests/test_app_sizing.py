"""The app's "Size plans to targets" page (AppTest, no browser) and its package helpers."""

from __future__ import annotations

from conftest import TINY
from streamlit.testing.v1 import AppTest

from coverage.app.sizing import auto_everywhere
from coverage.scenario.model import parse_scenario, scenario_from_text

TIMEOUT_S = 180


def _sizing_page() -> None:
    """Draw the sizing page for the tiny scenario (run inside AppTest.from_function)."""
    from conftest import TINY

    from app_pages import sizing
    from coverage.scenario.model import parse_scenario

    sizing.show(parse_scenario(TINY))


def test_auto_everywhere_makes_every_crew_auto_unit():
    # Unit: every crew becomes auto; nothing else changes.
    hand = parse_scenario(TINY)
    auto = auto_everywhere(hand)
    shifts = [s for p in auto.plans.values() for site in p.sites.values() for s in site.shifts]
    assert all(s.sizing is not None and s.sizing.min == 0 for s in shifts)
    assert auto.demand == hand.demand
    assert auto.channels == hand.channels


def test_sizing_page_sizes_shows_hand_vs_sized_and_offers_the_yaml():
    # Functional: press Size plans → the summary and crews tables, the frontier chart and the
    # optimized.yaml download; the day-only plan cannot cover the night and says so.
    at = AppTest.from_function(_sizing_page, default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert at.info  # nothing sized yet
    at.number_input(key="size_reps").set_value(2)
    at.text_input(key="size_shares").set_value("0.7,0.8")
    at.button(key="size_go").click().run()
    assert not at.exception
    summary = at.dataframe[0].value.set_index("plan")
    assert set(summary.index) == set(TINY["plans"])
    assert bool(summary.loc["round-the-clock", "meets targets"])
    assert not bool(summary.loc["day", "meets targets"])
    assert any("day cannot meet its targets" in w.value for w in at.warning)
    crews = at.dataframe[1].value
    assert list(crews.columns[-2:]) == ["hand agents", "sized agents"]
    assert len(at.get("plotly_chart")) == 1
    download = at.get("download_button")
    assert len(download) == 1
    # the result is kept for the same inputs (a rerun does not search again)
    at.run()
    assert len(at.dataframe) == 2


def test_optimized_download_runs_as_a_scenario():
    # Functional: the downloadable YAML is a scenario with no auto left.
    from coverage.app.sizing import optimized_download, size_in_app

    hand = parse_scenario({**TINY, "plans": {"round-the-clock": TINY["plans"]["round-the-clock"]}})
    result, rows = size_in_app(hand, replications=2, frontier_channel=None, shares=[],
                               progress=lambda _: None)  # fmt: skip
    assert rows == []
    sized = scenario_from_text(optimized_download(result))
    shifts = [s for p in sized.plans.values() for site in p.sites.values() for s in site.shifts]
    assert all(s.sizing is None for s in shifts)

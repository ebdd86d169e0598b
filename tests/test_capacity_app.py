"""The app's capacity page (app_pages/capacity.py) and its figures (coverage.capacity.charts).

Functional tests (kind 4): the page draws a plan computed from a hand roster taken as sized (no
optimizer run), shows the charts and the download, and explains what to do without a capacity
block. The figures shade exactly the shortfall months.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT_S = 120


def _tiny_result():
    from test_capacity import ROUND_THE_CLOCK

    from coverage.capacity.needs import need_from_run, scaled_scenario
    from coverage.capacity.plan import plan_capacity
    from coverage.capacity.service import shortfall_service
    from coverage.scenario.model import parse_scenario
    from coverage.simulation.replications import run_scenario

    scenario = parse_scenario(ROUND_THE_CLOCK)
    run = run_scenario(scaled_scenario(scenario, 1.0), replications=2, seed=3)
    need = need_from_run(scenario, "one", run, demand_factor=1.0)
    result = plan_capacity(scenario, {"one": [need] * 6})
    return shortfall_service(scenario, result, replications=2, seed=3, engine="fast")


def _result_page() -> None:
    from test_capacity_app import _tiny_result

    from app_pages import capacity

    capacity.show_result(_tiny_result())


def _settings_page(with_capacity: bool) -> None:
    from conftest import TINY
    from test_capacity import ROUND_THE_CLOCK

    from app_pages import capacity
    from coverage.scenario.model import parse_scenario

    capacity.show(parse_scenario(ROUND_THE_CLOCK if with_capacity else TINY))


def test_capacity_page_draws_a_plan():
    at = AppTest.from_function(_result_page, default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert at.metric[0].label == "one: total [USD]"
    assert len(at.get("plotly_chart")) == 2  # cost by month; people by month
    assert len(at.get("download_button")) == 1
    assert "3 shortfall months" in at.caption[0].value


def test_capacity_page_without_a_block_says_what_to_do():
    at = AppTest.from_function(_settings_page, args=(False,), default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert "no `capacity` block" in at.info[0].value


def test_capacity_page_waits_for_the_button():
    at = AppTest.from_function(_settings_page, args=(True,), default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert at.button[0].label == "Plan capacity"
    assert "Press **Plan capacity**" in at.caption[0].value


@pytest.mark.parametrize("plan", ["one"])
def test_people_figure_shades_the_shortfall_months(plan):
    from coverage.capacity.charts import cost_figure, people_figure

    result = _tiny_result()
    fig = people_figure(result, plan)
    shaded = [(s.x0, s.x1) for s in fig.layout.shapes]
    assert shaded == [(-0.5, 0.5), (0.5, 1.5), (1.5, 2.5)]  # months 0, 1, 2 are short
    assert [t.name for t in fig.data] == [
        "hires",
        "headcount (paid)",
        "required FTE",
        "productive FTE",
    ]
    marks = cost_figure(result).data[0].marker.symbol
    assert list(marks) == ["x", "x", "x", "circle", "circle", "circle"]

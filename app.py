"""Coverage planner app: pick or upload a scenario, move levers, compare plans (docs/app.md).

Thin by design: the sidebar reads widgets (app_pages/sidebar.py), the package applies the levers
(coverage.app.levers), simulates (coverage.simulation.replications) and builds tables and figures
(coverage.results.report,
coverage.app.charts); the pages only draw them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import calibrate, capacity, compare, cost, downloads, hours, sidebar, sizing
from coverage.app import boundary, levers, views
from coverage.results.report import channels_table, hourly_table
from coverage.scenario.model import Scenario
from coverage.simulation.replications import RunResult

st.set_page_config(page_title="Coverage planner", layout="wide")


@st.cache_data(show_spinner="Simulating every plan…", max_entries=24)
def simulate(
    key: str, base_dir: str | None, lever_values: levers.Levers, engine: str, _base: Scenario
) -> RunResult:
    """Apply the levers to the base scenario and run every plan; cached on the lever values.

    The cache key is the base scenario's content key (`boundary.content_key`, computed once per
    file or upload), its folder, the levers and the engine (`_base` itself is not hashed): a
    rerun with levers already seen neither parses nor simulates. In this process and within the
    app's budget (`boundary.run_in_app`): no pool is forked from the Streamlit server.
    """
    scenario = levers.apply_levers(_base, lever_values)
    return boundary.run_in_app(
        scenario, replications=scenario.replications, seed=scenario.seed, engine=engine
    )


@st.cache_data(show_spinner=False, max_entries=24)
def run_tables(
    key: str, base_dir: str | None, lever_values: levers.Levers, engine: str, _result: RunResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The channel and hourly tables of the run `simulate` made with the same arguments.

    Built on first use by a page that shows or downloads them (not for the Compare page).
    """
    return channels_table(_result), hourly_table(_result)


st.sidebar.title("Coverage planner")
with boundary.page_boundary():  # every exception below becomes one line on the page
    base, key = sidebar.choose_scenario()
    run_key = (key, base.base_dir, sidebar.read_levers(base, key), sidebar.choose_engine())
    result = simulate(*run_key, base)
    sc = result.scenario  # the levered scenario the figures are for

with boundary.page_boundary():  # pages inherit it: their errors are one line too
    st.title(f"{sc.name}: {' vs '.join(result.plans)}")
    st.caption(
        f"{sc.description}  \n{result.replications} replications · seed {result.seed} · engine "
        f"{result.engine} · {result.timeline.window_s / 3600:g} measured hours from "
        f"{views.window_start_utc(result):%Y-%m-%d %H:%M} UTC{views.burn_in_note(result)} · "
        "intervals are 95% over replications"
    )
    page = st.navigation(
        [
            st.Page(
                lambda: compare.show(result),
                title="Compare plans",
                url_path="compare",
                default=True,
            ),
            st.Page(
                lambda: hours.show(result, run_tables(*run_key, result)[1]),
                title="Hour of week",
                url_path="hours",
            ),
            st.Page(lambda: cost.show(result), title="Cost", url_path="cost"),
            st.Page(
                lambda: downloads.show(result, *run_tables(*run_key, result)),
                title="Downloads",
                url_path="downloads",
            ),
            st.Page(calibrate.show, title="Calibrate", url_path="calibrate"),
            st.Page(lambda: capacity.show(sc), title="Capacity", url_path="capacity"),
            st.Page(lambda: sizing.show(sc), title="Size plans to targets", url_path="size"),
        ],
        position="top",
    )
    page.run()

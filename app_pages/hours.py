"""Hour-of-week page: where each plan is uncovered, in UTC or a local time zone."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coverage.app import charts
from coverage.simulation.replications import RunResult

SHOW = {"service_level": "service level", "asa_s": "mean wait"}


def show(result: RunResult, hourly: pd.DataFrame, agents: pd.DataFrame) -> None:
    sc = result.scenario
    a, b, c = st.columns(3)
    channel = a.selectbox("Channel", [*sc.channels, charts.ALL_CHANNELS], key="hours:channel")
    value = b.radio("Show", list(SHOW), format_func=SHOW.get, horizontal=True, key="hours:value")
    zone = c.selectbox("Time zone", charts.time_zone_choices(sc), key="hours:zone")
    heat = charts.heatmap_figure(hourly, result, value=value, channel=channel, time_zone=zone)
    st.plotly_chart(heat)
    one = next(iter(sc.channels)) if channel == charts.ALL_CHANNELS else channel
    if one != channel:
        st.caption(f"Agents serve channels, not the sum of them: showing {one}.")
    st.plotly_chart(
        charts.demand_agents_figure(hourly, agents, result, channel=one, time_zone=zone)
    )

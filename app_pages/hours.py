"""Hour-of-week page: where each plan is uncovered, in UTC or a local time zone, and the full
load each crew group carries against its agents."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coverage.app import charts, views
from coverage.simulation.replications import RunResult

SHOW = {"service_level": "service level", "asa_s": "mean wait"}


def show(result: RunResult, hourly: pd.DataFrame) -> None:
    sc = result.scenario
    a, b, c = st.columns(3)
    channel = a.selectbox("Channel", [*sc.channels, charts.ALL_CHANNELS], key="hours:channel")
    value = b.radio("Show", list(SHOW), format_func=SHOW.get, horizontal=True, key="hours:value")
    zone = c.selectbox("Time zone", charts.time_zone_choices(sc), key="hours:zone")
    heat = charts.heatmap_figure(hourly, result, value=value, channel=channel, time_zone=zone)
    st.plotly_chart(heat)
    st.caption(
        "Colours are centred on the channel's target: yellow at the target, green above, red below."
    )
    groups = views.crew_group_names(result)
    group = st.selectbox("Crew group (what one crew serves together)", groups,
                         key="hours:group")  # fmt: skip
    st.plotly_chart(views.crew_load_figure(result, group))
    st.markdown(
        "**Crew groups**: load ÷ available is the crew-group occupancy — the work of every "
        "channel the crews serve over their paid time after shrinkage (measured window)."
    )
    st.dataframe(views.crew_group_table(result), hide_index=True)

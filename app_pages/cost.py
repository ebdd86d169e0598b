"""Cost page: cost per month and per contact, its breakdown, and cost against service level."""

from __future__ import annotations

import streamlit as st

from coverage.app import charts, tables
from coverage.simulation.replications import RunResult


def show(result: RunResult) -> None:
    currency = result.scenario.currency
    st.markdown(f"**Cost per plan** [{currency}] — the window is the measured period")
    table = tables.cost_table(result)
    formats = {
        c: st.column_config.NumberColumn(format="%.2f" if "contact" in c else "%.0f")
        for c in table.columns
        if table[c].dtype.kind == "f"
    }
    st.dataframe(table, hide_index=True, column_config=formats)
    left, right = st.columns(2)
    left.plotly_chart(charts.cost_breakdown_figure(tables.cost_components(result), currency))
    right.plotly_chart(charts.cost_vs_service_figure(result))

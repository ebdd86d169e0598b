"""Cost page: cost per month by component and premium type (one colour per component on every
page), per contact with intervals, and cost against service level."""

from __future__ import annotations

import streamlit as st

from coverage.app import charts, tables, views
from coverage.simulation.replications import RunResult

INTERVAL_COLUMNS = ("plan", "cost per month", "cost per month 95% CI", "cost per contact",
                    "cost per contact 95% CI", "paid hours (window) [h]")  # fmt: skip


def show(result: RunResult) -> None:
    currency = result.scenario.currency
    st.markdown(f"**Cost a month by component and premium type** [{currency}]")
    st.dataframe(views.cost_type_table(result), hide_index=True)
    st.markdown("**With 95% intervals over replications** (the window is the measured period)")
    table = tables.cost_table(result)
    formats = {
        c: st.column_config.NumberColumn(format="%.2f" if "contact" in c else "localized")
        for c in table.columns
        if table[c].dtype.kind == "f"
    }
    st.dataframe(table, hide_index=True, column_config=formats, column_order=INTERVAL_COLUMNS)
    left, right = st.columns(2)
    left.plotly_chart(views.cost_parts_figure(result))
    right.plotly_chart(charts.cost_vs_service_figure(result))

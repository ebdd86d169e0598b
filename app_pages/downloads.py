"""Downloads page: result tables as CSV and Excel, and the edited scenario as YAML."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coverage.app import tables
from coverage.outputs import csv_bytes
from coverage.results.report import costs_table
from coverage.scenario.model import dump_scenario_yaml
from coverage.simulation.replications import RunResult


def show(result: RunResult, channels: pd.DataFrame, hourly: pd.DataFrame) -> None:
    sc = result.scenario
    st.download_button(
        "Per plan × channel (CSV)",
        csv_bytes(channels),
        "channels.csv",
        "text/csv",
        on_click="ignore",
    )
    st.download_button(
        "Per plan × channel × region × UTC hour of week (CSV)",
        csv_bytes(hourly),
        "hourly.csv",
        "text/csv",
        on_click="ignore",
    )
    costs = costs_table(result)
    st.download_button(
        f"Costs per plan and site, {sc.currency} (CSV)",
        csv_bytes(costs),
        "costs.csv",
        "text/csv",
        on_click="ignore",
    )
    st.download_button(
        "All three tables (Excel)",
        lambda: tables.excel_bytes({"channels": channels, "hourly": hourly, "costs": costs}),
        "results.xlsx",
        on_click="ignore",
    )
    st.download_button(
        "Edited scenario (YAML: rerun it with coverage-sim run or batch)",
        dump_scenario_yaml(sc),
        f"{sc.name}-edited.yaml",
        "application/x-yaml",
        on_click="ignore",
    )
    st.caption(
        "Columns follow the CLI's `--out` tables: counts are means per replication over the "
        "measured window; times in seconds; shares 0–1; hour_of_week is UTC, Monday 00:00 = 0; "
        "hourly has a row for every hour of the window, quiet hours included, with "
        "hours_in_window and the plan's staff cost in those hours (docs/verdicts.md)."
    )

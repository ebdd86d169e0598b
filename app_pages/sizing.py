"""Size plans to targets: the cheapest crews meeting every target, next to the hand plans."""

from __future__ import annotations

import streamlit as st

from coverage.app import sizing
from coverage.errors import ScenarioError
from coverage.scenario.model import Scenario, dump_scenario_yaml


def _shares(text: str) -> list[float]:
    try:
        shares = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ScenarioError(
            "frontier shares", f"{text!r}: give shares such as 0.7,0.8,0.9"
        ) from None
    if any(not 0 < s <= 1 for s in shares):
        raise ScenarioError("frontier shares", f"{text!r}: every share must be in (0, 1]")
    return shares


def show(hand: Scenario) -> None:
    st.subheader("Size plans to targets")
    st.caption(
        "Every crew of the plans in the sidebar becomes `auto`; the optimizer finds the cheapest "
        "crews meeting every channel's target, judged by simulation, and confirms them on an "
        "independent seed (docs/optimizer.md). Cancel stops a running search; nothing is kept."
    )
    cols = st.columns(3)
    replications = cols[0].number_input(
        "replications", 2, sizing.APP_MAX_SIZING_REPLICATIONS, 5, key="size_reps"
    )
    channel = cols[1].selectbox("frontier channel", list(hand.channels), key="size_channel")
    shares = _shares(cols[2].text_input("frontier shares", "0.7,0.8,0.9", key="size_shares"))
    key = (dump_scenario_yaml(hand), int(replications), channel, tuple(shares))
    go, cancel = st.columns(2)
    if go.button("Size plans", key="size_go", type="primary"):
        status = st.status("Sizing plans…", expanded=True)
        found = sizing.size_in_app(
            hand,
            replications=int(replications),
            frontier_channel=channel,
            shares=shares,
            progress=status.write,
        )
        st.session_state["size_result"] = (key, found)
        status.update(label="Sized", state="complete", expanded=False)
    cancel.button("Cancel", key="size_cancel")
    stored = st.session_state.get("size_result")
    if stored is None or stored[0] != key:
        st.info("Press Size plans: a search takes from seconds to minutes.")
        return
    result, rows = stored[1]
    if not result.meets:
        for plan in result.plans.values():
            for failure in plan.failures:
                st.warning(f"{plan.plan} cannot meet its targets: {failure}")
    st.dataframe(sizing.summary_table(result), hide_index=True)
    st.dataframe(sizing.crews_table(result, hand), hide_index=True)
    if rows:
        st.plotly_chart(sizing.frontier_figure(rows, hand.currency))
    st.download_button(
        "optimized.yaml",
        sizing.optimized_download(result),
        file_name="optimized.yaml",
        mime="text/yaml",
        key="size_download",
    )

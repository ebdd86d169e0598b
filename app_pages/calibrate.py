"""Calibrate page: a log with outcomes → fitted values, observed vs simulated, a base scenario."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from coverage.app.calibration import APP_MAX_LOG_BYTES, CALIBRATED_KEY, calibrate_log_bytes
from coverage.calibrate.charts import by_hour_figure

DATA = Path(__file__).resolve().parents[1] / "scenarios" / "data"


@st.cache_data(show_spinner="Calibrating (fits, then a search by simulation)…", max_entries=8)
def _calibrate(data: bytes, name: str, time_zone: str, channel: str):
    return calibrate_log_bytes(data, name, time_zone=time_zone, channel=channel)


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _sec(value) -> str:
    return "—" if value is None else f"{value:.1f} s"


def show() -> None:
    st.subheader("Calibrate to a log with outcomes")
    st.caption(
        "A contact log with wait_s, outcome and agent columns (docs/calibration.md): handle "
        "time, patience, arrivals, the agents seen each hour and the share of them really "
        "answering (availability) are fitted so a simulation reproduces the log."
    )
    examples = sorted(p.name for p in DATA.glob("example-calls-*.csv"))
    example = st.selectbox("Example log", examples, key="cal_example")
    upload = st.file_uploader(
        "…or upload a log (CSV or Parquet)",
        type=["csv", "parquet"],
        max_upload_size=APP_MAX_LOG_BYTES // 1_000_000,
        key="cal_upload",
    )
    zone = st.text_input("Time zone of the log (IANA)", "Europe/Berlin", key="cal_zone")
    channel = st.text_input("Channel (blank: every row is one queue)", "", key="cal_channel")
    if upload is not None:
        data, name = upload.getvalue(), upload.name
    else:
        data, name = (DATA / example).read_bytes(), f"scenarios/data/{example}"
    fit, by_hour, scenario_yaml = _calibrate(data, name, zone, channel)
    obs, sim = fit["observed"], fit["simulated"]
    cols = st.columns(4)
    cols[0].metric("availability", f"{fit['availability']:.3f}")
    cols[1].metric(
        "handle time", _sec(fit["handle_time"]["mean_s"]), fit["handle_time"]["chosen"]["dist"]
    )
    patience = fit["patience"]
    cols[2].metric(
        "patience", _sec(patience["mean_s"]), (patience["chosen"] or {}).get("dist", "never")
    )
    cols[3].metric("contacts", f"{fit['contacts']:,}")
    cols = st.columns(3)
    cols[0].metric(
        "abandon rate: log / simulated",
        _pct(obs["abandon_rate"]),
        _pct(sim["abandon_rate"]),
        delta_color="off",
    )
    cols[1].metric(
        "ASA: log / simulated", _sec(obs["asa_s"]), _sec(sim["asa_s"]), delta_color="off"
    )
    cols[2].metric(
        "service level: log / simulated",
        _pct(obs["service_level"]),
        _pct(sim["service_level"]),
        delta_color="off",
    )
    st.plotly_chart(
        by_hour_figure(by_hour, ["observed", "simulated"], f"{name}: log vs calibrated model"),
        use_container_width=True,
    )
    left, right = st.columns(2)
    if left.button("Use the calibrated scenario as the base for what-ifs", key="cal_use"):
        st.session_state[CALIBRATED_KEY] = scenario_yaml
        st.rerun()
    right.download_button(
        "calibrated.yaml", scenario_yaml, "calibrated.yaml", "text/yaml", on_click="ignore"
    )

"""Functional tests of the app's Calibrate page (AppTest, no browser): the example log is
calibrated on the page, and "use the calibrated scenario" makes it the base of the what-ifs."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from coverage.app.calibration import CALIBRATED_KEY, calibrate_log_bytes
from coverage.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120


def _page() -> None:
    from app_pages import calibrate

    calibrate.show()


def test_calibrate_page_fits_the_example_and_offers_the_scenario():
    at = AppTest.from_function(_page, default_timeout=TIMEOUT_S).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    # March's effective availability (the generator measures it) is 0.736; docs/calibration.md
    assert float(metrics["availability"]) == pytest.approx(0.736, abs=0.03)
    assert metrics["contacts"] == "10,791"
    at.button(key="cal_use").click().run()
    assert not at.exception
    assert at.session_state[CALIBRATED_KEY].startswith("# Calibrated by coverage-sim calibrate")


def test_calibrated_scenario_becomes_the_base_of_the_app():
    data = (ROOT / "scenarios" / "data" / "example-calls-2026-04.csv").read_bytes()
    _, _, scenario_yaml = calibrate_log_bytes(
        data, "april.csv", time_zone="Europe/Berlin", replications=4
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    at.session_state["replications"] = 2
    at.session_state[CALIBRATED_KEY] = scenario_yaml
    at.run()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "calibrated-phone: as-observed"


def test_a_bad_upload_is_one_line_naming_the_upload_not_a_server_path():
    with pytest.raises(ScenarioError, match=r"^calls\.csv: line 2: outcome 'maybe'") as info:
        calibrate_log_bytes(
            b"timestamp,channel,wait_s,outcome,agent\n2026-03-02 08:00,phone,1,maybe,\n",
            "calls.csv",
            time_zone="Europe/Berlin",
        )
    assert "coverage-calibrate" not in str(info.value)

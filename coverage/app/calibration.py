"""The app's calibration: a log with outcomes (uploaded or bundled) → fit, chart data, scenario.

The page (`app_pages/calibrate.py`) only draws what :func:`calibrate_log_bytes` returns. An
upload is written to a private temporary file only because the log reader reads files; messages
and the calibrated scenario name the upload, never a server path. A log is refused above
`APP_MAX_LOG_BYTES` or `APP_MAX_LOG_ROWS` (bigger ones belong in `coverage-sim calibrate`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.calibrate.outcomes import read_period
from coverage.calibrate.report import calibration_dict, calibration_tables
from coverage.calibrate.run import calibrate_period
from coverage.calibrate.scenario import calibrated_yaml
from coverage.demand.log_reader import read_log
from coverage.errors import ScenarioError
from coverage.scenario.fields import check_time_zone

APP_MAX_LOG_BYTES = 1_000_000  # the server caps uploads at 1 MB (.streamlit/config.toml)
APP_MAX_LOG_ROWS = 100_000
APP_REPLICATIONS = 10
CALIBRATED_KEY = "calibrated_yaml"  # session state: the calibrated scenario the sidebar offers


def calibrate_log_bytes(
    data: bytes,
    name: str,
    *,
    time_zone: str,
    channel: str | None = None,
    seed: int = 7,
    replications: int = APP_REPLICATIONS,
) -> tuple[dict[str, Any], pd.DataFrame, str]:
    """Calibrate a log given as bytes: the JSON of `calibrate`, its by-hour table, the YAML.

    Raises
    ------
    ScenarioError
        Too big, not .csv/.parquet, a bad time zone or a bad log — attributed to `name`.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ScenarioError("", "a contact log is a .csv or .parquet file", file=name)
    if len(data) > APP_MAX_LOG_BYTES:
        raise ScenarioError(
            "",
            f"{len(data):,} bytes; the app's limit is {APP_MAX_LOG_BYTES:,} "
            "(use coverage-sim calibrate)",
            file=name,
        )
    try:
        zone = check_time_zone(time_zone)
    except ValueError as exc:
        raise ScenarioError("time zone", str(exc)) from None
    folder = Path(tempfile.gettempdir()) / "coverage-calibrate"
    folder.mkdir(exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:24]}{suffix}"
    if not path.exists():
        path.write_bytes(data)
    try:
        raw = read_log(path)
        if len(raw) > APP_MAX_LOG_ROWS:
            raise ScenarioError(
                "",
                f"{len(raw):,} rows; the app's limit is {APP_MAX_LOG_ROWS:,} "
                "(use coverage-sim calibrate)",
            )
        period, observed = read_period(raw, time_zone=zone, channel=channel or None)
    except ScenarioError as exc:
        raise ScenarioError(exc.path, exc.message, file=name) from None
    period = dataclasses.replace(period, file=name)
    cal = calibrate_period(period, observed, seed=seed, replications=replications, target_s=20.0)
    return calibration_dict(cal), calibration_tables(cal)[0], calibrated_yaml(cal)

"""Contact logs written in UTC fit the same forecast as in local time (issue 15, item 4), and
timestamps the nanosecond clock cannot hold are one clear error (item 5).

Functional: the example generator draws 4 weeks of contacts over whole Europe/Berlin days; the
same instants are written three ways — with Berlin offsets (+01:00/+02:00), with ``Z``, and as a
tz-aware UTC Parquet column. Fitted on the Berlin clock, all three must give the same rates and
day-to-day CV (the same counts over the same exposure: equal to 1e-12). Before the fix the UTC
versions took whole UTC days as the observation window, adding hours with no contacts: 2–7 %
lower volume and about 3× the CV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_logs import _generator, _scenario

from coverage.cli import main as cli_main
from coverage.demand import logs
from coverage.scenario.model import parse_scenario


def _three_logs(tmp_path: Path) -> dict[str, str]:
    log = _generator().generate_log(days=28, seed=11, scale=1.0)
    utc = pd.to_datetime(log["timestamp"], format="ISO8601", utc=True)
    local = log.copy()
    z = log.copy()
    z["timestamp"] = utc.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    aware = log.copy()
    aware["timestamp"] = utc
    local.to_csv(tmp_path / "local.csv", index=False)
    z.to_csv(tmp_path / "utc.csv", index=False)
    aware.to_parquet(tmp_path / "aware.parquet", index=False)
    return {"local": "local.csv", "utc": "utc.csv", "aware": "aware.parquet"}


def _fit(tmp_path: Path, file: str, time_zone: str | None) -> dict:
    entry = {"fit": file, **({"time_zone": time_zone} if time_zone else {})}
    sc = parse_scenario(_scenario([entry], None), base_dir=str(tmp_path))
    return {(g.channel, g.region): g for g in logs.fitted_groups(sc.demand[0], 0, sc)}


def test_utc_written_logs_fit_like_local_ones_on_the_fits_clock(tmp_path: Path) -> None:
    files = _three_logs(tmp_path)
    base = _fit(tmp_path, files["local"], "Europe/Berlin")
    assert base
    for kind in ("utc", "aware"):
        other = _fit(tmp_path, files[kind], "Europe/Berlin")
        assert other.keys() == base.keys()
        for key, g in base.items():
            np.testing.assert_allclose(other[key].per_hour, g.per_hour, rtol=1e-12, atol=0)
            assert other[key].busyness_cv == pytest.approx(g.busyness_cv, rel=1e-9, abs=1e-12)


def test_utc_written_log_without_entry_zone_uses_the_regions_clock(tmp_path: Path) -> None:
    # No time_zone on the entry: a log written with offsets keeps its written clock's days; one
    # written in UTC takes whole days of each group's region (emea: Berlin, like the export).
    files = _three_logs(tmp_path)
    local, utc = _fit(tmp_path, files["local"], None), _fit(tmp_path, files["utc"], None)
    emea = [key for key in local if key[1] == 0]
    assert emea
    for key in emea:
        np.testing.assert_allclose(utc[key].per_hour, local[key].per_hour, rtol=1e-12, atol=0)
        assert utc[key].busyness_cv == pytest.approx(local[key].busyness_cv, rel=1e-9)


def test_profile_command_gives_the_same_table_for_utc_and_local_logs(tmp_path: Path) -> None:
    files = _three_logs(tmp_path)
    tables = {}
    for kind in ("local", "utc"):
        out = tmp_path / f"{kind}-profile.csv"
        code = cli_main(
            [
                "profile",
                str(tmp_path / files[kind]),
                "--time-zone",
                "Europe/Berlin",
                "--out",
                str(out),
            ]
        )
        assert code == 0
        tables[kind] = pd.read_csv(out)
    pd.testing.assert_frame_equal(tables["utc"], tables["local"], rtol=1e-12)


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        ("2026-03-02T10:00:00+19:00", "UTC offset +19:00 is not between -18:00 and +18:00"),
        ("1500-03-02T10:00:00+01:00", "year outside 1678–2261"),
        ("2300-03-02T10:00:00Z", "year outside 1678–2261"),
    ],
)
def test_impossible_stamps_are_one_line_also_when_skipping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stamp: str, reason: str
) -> None:
    # Item 5: these were a ValueError / OutOfBoundsDatetime traceback, even with --skip-bad-rows.
    path = tmp_path / "bad.csv"
    path.write_text(f"timestamp,channel\n{stamp},phone\n2026-03-02T11:00:00+01:00,phone\n")
    assert cli_main(["profile", str(path), "--time-zone", "Europe/Berlin"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {path}: line 2: timestamp {stamp!r}: {reason}"
    assert cli_main(["profile", str(path), "--time-zone", "Europe/Berlin", "--skip-bad-rows"]) == 0
    assert "Traceback" not in capsys.readouterr().err

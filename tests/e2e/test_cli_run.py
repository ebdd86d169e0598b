"""End to end: the installed `coverage-sim` script on the bundled default scenario.

All tests are kind 4 (functional): they check the command-line and JSON contracts
(README.md, docs/results.md) on real runs, as a user or a script would see them.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from coverage.cli import main

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT = SCENARIOS / "global-saas.yaml"
PLANS = {"follow-the-sun", "single-site"}
CHANNELS = {"phone", "chat", "email", "social"}
CHANNEL_FIELDS = [
    "offered",
    "deflected",
    "answered",
    "answered_within_target",
    "abandoned",
    "short_abandoned",
    "unfinished",
    "service_level",
    "abandon_rate",
    "p_wait",
    "p_miss_target",
    "asa_s",
    "mean_wait_all_s",
    "frt_p50_s",
    "frt_p90_s",
    "frt_max_s",
    "occupancy",
    "ci95",
]
CI_FIELDS = {"service_level", "abandon_rate", "asa_s"}
COST_FIELDS = {
    "total",
    "labor",
    "premiums",
    "automation",
    "seats",
    "per_contact",
    "per_month",
    "paid_hours",
    "by_site",
}
SITE_COST_FIELDS = {"labor", "premiums", "paid_hours", "seats"}
HOURLY_COLUMNS = [
    "plan",
    "channel",
    "region",
    "hour_of_week",
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa_s",
    "agents_on_duty",
]
TIMING_FIELDS = {"draw_s", "simulate_s", "metrics_s", "total_s"}


def _sim(cli: list[str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli, *args], capture_output=True, text=True, timeout=600, check=False, cwd=cwd
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _nulls_as_nan(frame: pd.DataFrame) -> pd.DataFrame:
    """An all-null Parquet column (e.g. ci95 with one replication) reads back from CSV as NaN."""
    empty = [c for c in frame.columns if frame[c].isna().all()]
    return frame.astype(dict.fromkeys(empty, "float64"))


@pytest.fixture(scope="module")
def json_run(cli: list[str]) -> subprocess.CompletedProcess[str]:
    return _sim(cli, "run", str(DEFAULT), "--json", "--replications", "2")


def test_run_json_prints_json_only_functional(json_run):
    # Functional: exit 0; stdout is one JSON document and nothing else; no traceback.
    assert json_run.returncode == 0, json_run.stderr
    assert "Traceback" not in json_run.stderr
    result = json.loads(json_run.stdout)  # fails on any extra text
    assert json_run.stdout.lstrip().startswith("{")
    assert json_run.stdout.rstrip().endswith("}")
    assert result["scenario"] == "global-saas"
    assert result["replications"] == 2
    assert result["seed"] == 7
    assert "timing" not in result  # absent without --timing: byte-identical output per seed


def test_run_json_has_every_contract_field_functional(json_run):
    # Functional: every field of the JSON contract, for both plans and every channel, with
    # numbers where the default scenario has data (2 replications: ci95 is an interval).
    result = json.loads(json_run.stdout)
    assert set(result["plans"]) == PLANS
    for plan_name, plan in result["plans"].items():
        assert {"channels", "cost", "occupancy"} <= set(plan), plan_name
        assert _number(plan["occupancy"])
        assert set(plan["channels"]) == CHANNELS, plan_name
        for channel_name, fig in plan["channels"].items():
            where = f"{plan_name}.{channel_name}"
            assert set(CHANNEL_FIELDS) <= set(fig), where
            for key in CHANNEL_FIELDS[:-1]:
                assert _number(fig[key]), (where, key, fig[key])
            assert set(fig["ci95"]) == CI_FIELDS, where
            for key, bounds in fig["ci95"].items():
                assert len(bounds) == 2, (where, key)
                assert all(_number(b) for b in bounds), (where, key)
                assert bounds[0] <= bounds[1], (where, key)
        cost = plan["cost"]
        assert set(cost) >= COST_FIELDS, plan_name
        for key in COST_FIELDS - {"by_site"}:
            assert _number(cost[key]), (plan_name, key)
        assert cost["by_site"], plan_name
        for site_name, site in cost["by_site"].items():
            assert set(site) >= SITE_COST_FIELDS, (plan_name, site_name)
    assert set(result["plans"]["follow-the-sun"]["cost"]["by_site"]) == {
        "manila",
        "lisbon",
        "austin",
    }
    assert set(result["plans"]["single-site"]["cost"]["by_site"]) == {"austin"}


def test_run_out_writes_tables_functional(tmp_path, cli):
    # Functional: --out DIR writes channels.csv/.parquet (one row per plan × channel with the
    # JSON fields) and hourly.csv/.parquet (the contract columns), CSV equal to Parquet, and no
    # temp file is left behind. Without --json, stdout is the comparison table.
    out_dir = tmp_path / "results"
    proc = _sim(cli, "run", str(DEFAULT), "--replications", "1", "--out", str(out_dir))
    assert proc.returncode == 0, proc.stderr
    assert "follow-the-sun" in proc.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(proc.stdout)
    for stem in ("channels", "hourly"):
        assert (out_dir / f"{stem}.csv").is_file()
        assert (out_dir / f"{stem}.parquet").is_file()
    assert not [p.name for p in out_dir.iterdir() if ".tmp-" in p.name]

    channels = pd.read_parquet(out_dir / "channels.parquet")
    expected_columns = ["plan", "channel", *CHANNEL_FIELDS[:-1]]
    assert set(expected_columns) <= set(channels.columns)
    for key in CI_FIELDS:  # ci95 flattened; null with one replication
        assert {f"{key}_ci95_lo", f"{key}_ci95_hi"} <= set(channels.columns)
    pairs = set(zip(channels["plan"], channels["channel"], strict=True))
    assert pairs == {(p, c) for p in PLANS for c in CHANNELS}
    assert len(channels) == len(pairs)
    channels_csv = pd.read_csv(out_dir / "channels.csv")
    pd.testing.assert_frame_equal(channels_csv, _nulls_as_nan(channels), rtol=1e-12)

    hourly = pd.read_parquet(out_dir / "hourly.parquet")
    assert set(HOURLY_COLUMNS) <= set(hourly.columns)
    assert set(hourly["plan"]) == PLANS
    assert set(hourly["channel"]) == CHANNELS
    assert set(hourly["region"]) == {"americas", "emea", "apac"}
    assert hourly["hour_of_week"].between(0, 167).all()
    assert (hourly["agents_on_duty"] >= 0).all()
    assert (hourly["answered"] + hourly["abandoned"] <= hourly["offered"] + 1e-9).all()
    hourly_csv = pd.read_csv(out_dir / "hourly.csv")
    pd.testing.assert_frame_equal(hourly_csv, _nulls_as_nan(hourly), check_dtype=False, rtol=1e-12)
    # the hourly offered counts add up to the channel totals of the same run
    for (plan, channel), total in hourly.groupby(["plan", "channel"])["offered"].sum().items():
        row = channels[(channels["plan"] == plan) & (channels["channel"] == channel)]
        assert float(row["offered"].iloc[0]) == pytest.approx(total, rel=1e-9)


def test_validate_ok_functional(capsys):
    # Functional: `validate` on every bundled scenario: exit 0, one "ok:" line each, nothing on
    # stderr. (The CLI entry point in this process; the next test runs the installed script.)
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    assert str(DEFAULT) in files
    assert main(["validate", *files]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert [line.split(": ")[1] for line in lines] == files
    assert all(line.startswith("ok: ") for line in lines)


def test_validate_failing_functional(tmp_path, cli):
    # Functional: `validate` with a good and a bad file: exit 2; the good one is ok; the bad
    # one gives one stderr line naming the file and the field path, and no traceback.
    bad = tmp_path / "bad.yaml"
    text = DEFAULT.read_text(encoding="utf-8").replace(
        '{start: "15:00", hours: 8, days: weekdays, agents: 21, channels: [phone]}',
        '{start: "25:00", hours: 8, days: weekdays, agents: 21, channels: [phone]}',
        1,
    )
    assert '"25:00"' in text
    bad.write_text(text, encoding="utf-8")
    proc = _sim(cli, "validate", str(DEFAULT), str(bad))
    assert proc.returncode == 2
    assert proc.stdout.startswith(f"ok: {DEFAULT}")
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"error: {bad}: plans.single-site.sites.austin.shifts[3].start: "
        "'25:00' is not a time of day"
    ]
    assert "Traceback" not in proc.stderr


def test_timing_is_added_only_with_the_flag_functional(tmp_path, capsys, tiny_raw):
    # Functional: --timing adds "timing" with draw/simulate/metrics/total seconds; the rest of
    # the result is the same as without it. (Runs the CLI entry point in this process.)
    path = tmp_path / "tiny.yaml"
    path.write_text(json.dumps(tiny_raw), encoding="utf-8")  # JSON is YAML
    assert main(["run", str(path), "--json", "--replications", "2"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["run", str(path), "--json", "--replications", "2", "--timing"]) == 0
    timed = json.loads(capsys.readouterr().out)
    assert "timing" not in plain
    assert set(timed["timing"]) == TIMING_FIELDS
    assert all(_number(v) and v >= 0 for v in timed["timing"].values())
    assert timed["timing"]["total_s"] >= timed["timing"]["simulate_s"]
    del timed["timing"]
    assert timed == plain

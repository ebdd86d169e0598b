"""Hardening round two of the command line (issue 15, items 5, 6, 8–11 and the extras).

Unit and functional: each case here ended with a traceback, exit 1, a silent wrong answer or
unbounded work before its fix; now it is one ``error:`` line and exit 2 (or the right answer).
Most run `coverage.cli.main` in-process (fast); a few are real subprocesses where the process
boundary is the point.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from conftest import TINY

from coverage.cli import main
from coverage.errors import ScenarioError
from coverage.scenario.model import parse_scenario

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, raw: dict, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


# --- item 5: one line and exit 2 -----------------------------------------------------------


@pytest.mark.parametrize("date", ["2026-02-30", "0001-01-05", "9999-01-04"])
def test_bad_or_extreme_horizon_dates_exit_2(tmp_path, capsys, date):
    text = yaml.safe_dump(TINY).replace("start: '2026-01-05'", f"start: {date}")
    path = tmp_path / "d.yaml"
    path.write_text(text)
    for command in ("run", "validate"):  # validate said "ok" for year 1
        assert main([command, str(path)]) == 2
        line = _one_error(capsys)
        assert str(path) in line
        assert "horizon.start: " in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nhorizon: {start: 2026-02-30, days: 1}\n",
         "horizon.start: '2026-02-30' is not a valid date (day is out of range for month; line 2)"),
        ("name: x\nhorizon:\n  days: 1\n  start: 2026-02-30\n", "horizon.start: "),
        ("name: x\nregions:\n  emea:\n    holidays: [2026-01-01, 2026-13-01]\n",
         "regions.emea.holidays[1]: '2026-13-01' is not a valid date"),
    ],
)  # fmt: skip
def test_impossible_unquoted_date_names_its_field_path_unit(text, expected):
    # Unit: YAML reads an unquoted date while loading, before the models; its error still names
    # the field path (it used to name only the line).
    from coverage.scenario.yaml_loader import read_yaml_text

    with pytest.raises(ScenarioError) as info:
        read_yaml_text(text, file="x.yaml")
    assert str(info.value).startswith(f"x.yaml: {expected}")


def test_bad_date_in_a_sweep_exits_2(tmp_path, capsys):
    _write(tmp_path, TINY, "base.yaml")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("name: s\nbase: base.yaml\nset:\n  horizon.start: 2026-02-30\n")
    assert main(["batch", str(sweep), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    assert "is not a valid date" in _one_error(capsys)


def test_run_out_naming_a_file_exits_2_before_simulating(tmp_path, capsys, monkeypatch):
    import coverage.simulation.replications as reps

    monkeypatch.setattr(reps, "run_scenario", _must_not_run)
    path = _write(tmp_path, TINY)
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    assert main(["run", str(path), "--out", str(blocker)]) == 2
    assert _one_error(capsys) == f"error: --out: {blocker} exists and is not a folder"
    assert main(["run", str(path), "--out", str(blocker / "sub")]) == 2
    assert _one_error(capsys).startswith(f"error: --out: cannot write in {blocker / 'sub'}")


def _must_not_run(*args, **kwargs):
    raise AssertionError("simulated although the output folder is unusable")


def test_unwritable_output_folder_is_told_before_the_simulation(tmp_path, capsys, monkeypatch):
    # root ignores permissions, so the folder is made unusable by a failing write instead
    import coverage.outputs as outputs
    import coverage.simulation.replications as reps

    monkeypatch.setattr(reps, "run_scenario", _must_not_run)
    def full_disk(folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "_probe_write", full_disk)
    path = _write(tmp_path, TINY)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    assert _one_error(capsys) == (
        f"error: --out: cannot write in {tmp_path / 'out'}: No space left on device"
    )


def test_replications_beyond_the_bound_exit_2(tmp_path, capsys):
    path = _write(tmp_path, TINY)
    with pytest.raises(SystemExit) as stop:
        main(["run", str(path), "--replications", str(10**12)])
    assert stop.value.code == 2
    assert _one_error(capsys) == "error: --replications: at most 10,000, got 1,000,000,000,000"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "s.yaml", "--workers", "0"], "error: --workers: must be at least 1, got 0"),
        (["run", "s.yaml", "--workers", "abc"], "error: --workers: 'abc' is not a whole number"),
        (["run", "s.yaml", "--seed", "-1"], "error: --seed: must be 0 or more, got -1"),
        (["optimize", "s.yaml", "--replications", "0"],
         "error: --replications: must be at least 1, got 0"),
        (["optimize", "s.yaml", "--workers", "0"], "error: --workers: must be at least 1, got 0"),
        (["batch", "s.yaml", "--workers", "0"], "error: --workers: must be at least 1, got 0"),
        (["capacity", "s.yaml", "--bogus"], "error: unrecognized arguments: --bogus"),
        (["erlang", "--per-hour", "x", "--aht-s", "1", "--agents", "1"],
         "error: --per-hour: invalid float value: 'x'"),
        (["run"], "error: the following arguments are required: file"),
        ([], "error: the following arguments are required: command"),
    ],
)  # fmt: skip
def test_bad_flag_is_one_line_and_exit_2_unit(argv, expected, capsys):
    # Unit: argparse's errors (every subcommand's parser is a OneLineParser) are one line, no
    # usage block, exit 2 — like every other bad input.
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert _one_error(capsys) == expected
    assert capsys.readouterr().out == ""


def test_bad_flag_through_the_console_script_functional(cli):
    # Functional: the real process prints one line and exits 2.
    proc = subprocess.run(
        [*cli, "optimize", "x.yaml", "--workers", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == "error: --workers: must be at least 1, got 0\n"
    assert proc.stdout == ""


def test_corrupt_summary_or_manifest_exit_2(tmp_path, capsys):
    out = tmp_path / "out"
    _write(tmp_path, TINY)
    assert main(["batch", str(tmp_path / "s.yaml"), "--out", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    (out / "manifest.json").write_text("{not json")
    assert main(["report", str(out)]) == 2
    assert "manifest.json is not a valid manifest" in _one_error(capsys)
    (out / "summary.parquet").write_bytes(b"PAR1 garbage")
    assert main(["report", str(out)]) == 2
    assert "summary.parquet is not a readable Parquet file" in _one_error(capsys)


def test_corrupt_hourly_parquet_is_rerun_not_counted_as_done(tmp_path, capsys):
    out = tmp_path / "out"
    path = _write(tmp_path, TINY)
    args = ["batch", str(path), "--out", str(out), "--workers", "1", "--json"]
    assert main(args) == 0
    (hourly,) = (out / "runs").glob("*.hourly.parquet")
    good = hourly.read_bytes()
    hourly.write_bytes(good[: len(good) // 2])  # truncated, as by a crash of another tool
    capsys.readouterr()
    assert main(args) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["counts"]["ran"] == 1
    assert manifest["counts"]["reused"] == 0
    pd.read_parquet(hourly)  # whole again


# --- item 6: limits sized to memory and time ---------------------------------------------


def test_run_over_the_machines_memory_is_refused_with_the_estimate(tmp_path, capsys, monkeypatch):
    import coverage.simulation.budget as budget

    monkeypatch.setattr(budget, "available_memory_bytes", lambda: 300_000_000)
    path = _write(tmp_path, TINY)
    assert main(["run", str(path), "--json"]) == 2
    line = _one_error(capsys)
    assert "this run needs about 0.5 GB" in line
    assert "about 0.3 GB is available (use --force to run it anyway)" in line
    assert main(["run", str(path), "--json", "--force"]) == 0  # the explicit override


def test_workers_are_reduced_to_fit_in_memory(tmp_path, capsys, monkeypatch):
    import coverage.simulation.budget as budget
    import coverage.simulation.replications as reps

    seen = {}

    def spy(*args, **kwargs):
        seen["workers"] = kwargs["workers"]
        raise ScenarioError("", "stop here")

    monkeypatch.setattr(budget, "available_memory_bytes", lambda: 1_300_000_000)
    monkeypatch.setattr(reps, "run_scenario", spy)
    path = _write(tmp_path, TINY)
    assert main(["run", str(path), "--workers", "8"]) == 2
    # each worker is estimated at about 0.45 GB; 80 % of 1.3 GB holds two
    assert seen["workers"] == 2
    assert "note: 2 workers instead of 8, to fit in memory" in capsys.readouterr().err


def test_estimates_follow_the_measured_figures():
    # Unit: the estimate is the documented formula (coverage.simulation.budget).
    from coverage.calendar import build_timeline
    from coverage.simulation import budget

    sc = parse_scenario(copy.deepcopy(TINY))
    est = budget.estimate_run(
        sc, build_timeline(sc), plans=list(sc.plans), replications=3, engine="fast"
    )
    contacts = 36 * 24  # 30 + 6 contacts per hour for one day
    agent_days = (4 + 4) * (1 + 2)
    assert est.contacts_per_replication == pytest.approx(contacts, rel=1e-9)
    assert est.agent_days == agent_days
    assert est.memory_bytes == pytest.approx(
        budget.BASE_BYTES
        + contacts * budget.BYTES_PER_CONTACT
        + agent_days * budget.BYTES_PER_AGENT_DAY,
        rel=1e-9,
    )
    assert est.cpu_s == pytest.approx(
        3
        * (
            2 * contacts * budget.CPU_S_PER_CONTACT["fast"]
            + agent_days * budget.CPU_S_PER_AGENT_DAY["fast"]
        ),
        rel=1e-9,
    )


def test_too_long_a_run_is_refused_and_a_long_one_is_announced(tmp_path, capsys, monkeypatch):
    import coverage.simulation.budget as budget
    import coverage.simulation.replications as reps

    monkeypatch.setattr(budget, "available_memory_bytes", lambda: 10**13)  # time, not memory
    raw = copy.deepcopy(TINY)
    raw["horizon"] = {"start": "2026-01-05", "days": 365}
    raw["demand"] = [{"channel": "phone", "region": "here", "per_hour": 5000}]
    path = _write(tmp_path, raw)
    # 43.8 M contacts × 2 plans × 10,000 replications × 6 µs ≈ 1,460 CPU hours
    assert main(["run", str(path), "--replications", "10000"]) == 2
    assert "CPU hours; the limit is 12" in _one_error(capsys)
    # one replication (about 0.15 CPU hours) is allowed and announced on stderr
    monkeypatch.setattr(reps, "run_scenario", _stop)
    assert main(["run", str(path), "--replications", "1", "--workers", "1"]) == 2
    assert "note: about 9 min on 1 worker(s) (0.1 CPU hours estimated)" in capsys.readouterr().err


def _stop(*args, **kwargs):
    raise ScenarioError("", "stopped by the test before simulating")


def test_sweep_grid_size_is_bounded_before_expanding(tmp_path, capsys):
    _write(tmp_path, TINY, "base.yaml")
    sweep = tmp_path / "huge.yaml"
    sweep.write_text(
        "name: huge\nbase: base.yaml\ngrid:\n"
        "  horizon.days: {range: [1, 1000]}\n  warmup_hours: {range: [0, 999]}\n"
        "  plans.day.sites.berlin.shifts[0].agents: {range: [1, 1000]}\n"
    )
    start = time.perf_counter()
    assert main(["batch", str(sweep), "--out", str(tmp_path / "o"), "--workers", "1"]) == 2
    assert time.perf_counter() - start < 5.0  # was a MemoryError after expanding 10⁹ points
    line = _one_error(capsys)
    assert "1,000,000,000 variants" in line
    assert "at most 10,000" in line


# --- items 8–11 ------------------------------------------------------------------------------


def test_profile_csv_neutralizes_formulas(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(
        "timestamp,channel\n2026-03-02T10:00:00+01:00,=cmd|' /C calc'!A0\n"
        "2026-03-02T11:00:00+01:00,@SUM(1)\n2026-03-02T12:00:00+01:00,phone\n"
    )
    out = tmp_path / "profile.csv"
    assert main(["profile", str(log), "--time-zone", "Europe/Berlin", "--out", str(out)]) == 0
    channels = set(pd.read_csv(out)["channel"])
    assert channels == {"'=cmd|' /C calc'!A0", "'@SUM(1)", "phone"}


def test_excel_and_csv_helpers_never_write_a_live_formula():
    from coverage.app.tables import excel_bytes
    from coverage.outputs import csv_bytes

    frame = pd.DataFrame(
        {"currency": ["=1+1", "+1", "-1+2", "@x", "\tx", "\rx", "USD"], "n": [-1, 2, 3, 4, 5, 6, 7]}
    )
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes({"t": frame})))
    cells = [row[0] for row in book["t"].iter_rows(min_row=2, values_only=False)]
    assert all(cell.data_type == "s" for cell in cells)
    values = [c.value for c in cells]
    assert values[:5] == ["'=1+1", "'+1", "'-1+2", "'@x", "'\tx"]
    assert values[5][0] == "'"  # XML stores the carriage return as a line feed
    assert values[6] == "USD"
    assert next(book["t"].iter_rows(min_row=2, values_only=True))[1] == -1
    text = csv_bytes(frame).decode()
    assert "\n'=1+1,-1\n" in text
    assert "\nUSD,7" in text


def test_sweep_override_text_is_neutralized_in_summary_csv(tmp_path):
    _write(tmp_path, TINY, "base.yaml")
    sweep = tmp_path / "sw.yaml"
    sweep.write_text("name: sw\nbase: base.yaml\nset:\n  description: '=1+1'\n")
    out = tmp_path / "out"
    assert main(["batch", str(sweep), "--out", str(out), "--workers", "1", "--json"]) == 0
    text = (out / "summary.csv").read_text()
    assert "'=1+1" in text
    assert ",=1+1" not in text
    assert not text.startswith("=")


@pytest.mark.parametrize("key", ["channels", "languages"])
def test_empty_channel_or_language_list_is_an_error(key):
    raw = copy.deepcopy(TINY)
    raw["plans"]["day"]["sites"]["berlin"]["shifts"][0][key] = []
    with pytest.raises(ScenarioError, match=rf"plans\.day\.sites\.berlin\.shifts\[0\]\.{key}: "):
        parse_scenario(raw)


@pytest.mark.parametrize(
    ("field", "value"),
    [("hourly_cost", 1e308), ("seat_cost_per_month", 1e300), ("weekend_premium", 1e308)],
)
def test_costs_that_cannot_be_finite_are_refused(tmp_path, capsys, field, value):
    raw = copy.deepcopy(TINY)
    raw["plans"]["day"]["sites"]["berlin"][field] = value
    path = _write(tmp_path, raw)
    assert main(["run", str(path), "--json"]) == 2
    assert f"plans.day.sites.berlin.{field}" in _one_error(capsys)


def test_largest_allowed_costs_give_finite_totals(tmp_path, capsys):
    # Functional: at the bounds (1e12 per hour and seat-month, premiums 100) the JSON is finite.
    raw = copy.deepcopy(TINY)
    site = raw["plans"]["round-the-clock"]["sites"]["berlin"]
    site.update(
        hourly_cost=1e12,
        seat_cost_per_month=1e12,
        weekend_premium=100.0,
        holiday_premium=100.0,
        overtime_premium=100.0,
    )
    site["night_premium"]["rate"] = 100.0
    path = _write(tmp_path, raw)
    assert main(["run", str(path), "--json", "--replications", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    cost = result["plans"]["round-the-clock"]["cost"]
    assert all(isinstance(cost[k], float) for k in ("total", "labor", "premiums", "seats"))
    assert cost["total"] == pytest.approx(
        cost["labor"] + cost["premiums"] + cost["automation"] + cost["seats"], rel=1e-12
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agents", "12", "--patience-s", "1e-101"], "patience_s must be at least 0.001 s"),
        (["--target-share", "0.8", "--patience-s", "1e-101"], "patience_s must be at least"),
        (["--agents", "1000000000"], "agents must be at most 100,000"),
        (["--agents", "10", "--per-hour", "1e12"], "offered load"),
    ],
)
def test_erlang_bounds_its_inputs(capsys, args, message):
    base = ["erlang", "--per-hour", "100", "--aht-s", "300", "--json"]
    start = time.perf_counter()
    assert main(base + args) == 2
    assert time.perf_counter() - start < 5.0  # --agents 1e9 used to hang
    assert message in _one_error(capsys)


def test_erlang_json_is_always_valid(capsys):
    for patience in ("1e-101", "0.001", "1", "1e9"):  # 1e-101 printed NaN
        code = main(
            [
                "erlang",
                "--per-hour",
                "100",
                "--aht-s",
                "300",
                "--agents",
                "12",
                "--patience-s",
                patience,
                "--json",
            ]
        )
        out = capsys.readouterr().out
        if code == 0:
            json.loads(out, parse_constant=_no_constants)  # NaN / Infinity would raise


def _no_constants(name):
    raise AssertionError(f"invalid JSON constant {name}")


# --- extras -----------------------------------------------------------------------------------


def test_localtime_is_refused_as_a_time_zone():
    for zone in ("localtime", "Factory"):
        raw = copy.deepcopy(TINY)
        raw["regions"]["here"]["time_zone"] = zone
        with pytest.raises(ScenarioError, match=r"regions\.here\.time_zone: .*depends on the"):
            parse_scenario(raw)


def test_stale_temp_file_is_removed_even_when_its_pid_was_reused(tmp_path):
    from coverage.outputs import remove_stale_temps

    # a live process (pid 1) whose start is older than any file we make now: a temp file named
    # after a *later* pid would be alive; one older than its pid's process is stale
    live = subprocess.Popen(["sleep", "30"])
    try:
        stale = tmp_path / f".result.json.tmp-{live.pid}"
        stale.write_text("partial")
        old = time.time() - 3600
        os.utime(stale, (old, old))  # written an hour before this process started
        fresh = tmp_path / f".hourly.csv.tmp-{live.pid}"
        fresh.write_text("being written")
        removed = remove_stale_temps(tmp_path)
        assert removed == [stale]
        assert fresh.exists()
    finally:
        live.kill()
        live.wait()

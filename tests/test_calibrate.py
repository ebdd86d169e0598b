"""Calibration to a log with outcomes and the backtest (coverage.calibrate, docs/calibration.md).

Logs with a known truth come from scripts/make_calibration_logs.py: arrivals, lognormal handle
times (mean 240 s, sigma 0.8), patience (exponential mean 180 s unless a test says otherwise) and
agents available 70% of each hour they are seen working, queued by the project's engine.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coverage.calibrate.backtest import backtest
from coverage.calibrate.fit import fit_handle_time, fit_patience, naive_patience_mean_s
from coverage.calibrate.outcomes import agents_present, read_period
from coverage.calibrate.report import calibration_dict
from coverage.calibrate.run import calibrate_period
from coverage.calibrate.scenario import calibrated_yaml
from coverage.calibrate.staffing import availability_windows
from coverage.cli import main as cli_main
from coverage.demand.log_reader import read_log
from coverage.errors import ScenarioError
from coverage.scenario.model import load_scenario
from coverage.simulation.replications import run_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data"
MARCH = DATA / "example-calls-2026-03.csv"
APRIL = DATA / "example-calls-2026-04.csv"
ZONE = "Europe/Berlin"
HEADER = "timestamp,channel,handle_time_s,wait_s,outcome,agent\n"
REPS = 8  # replications in the tests (the CLI default is 20)


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_calibration_logs", ROOT / "scripts" / "make_calibration_logs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def _write(path: Path, frame: pd.DataFrame) -> Path:
    GEN.write_log(frame, path)
    return path


def _calibrate(path: Path, seed: int = 3) -> Any:
    period, observed = read_period(read_log(path), time_zone=ZONE)
    return calibrate_period(period, observed, seed=seed, replications=REPS, target_s=20.0)


@pytest.fixture(scope="module")
def exp_frame() -> pd.DataFrame:
    """Three weeks, exponential patience, availability 0.7, 1.5 × the example's demand."""
    return GEN.generate_log(dt.date(2026, 5, 4), 21, seed=41, scale=1.5)


@pytest.fixture(scope="module")
def exp_log(tmp_path_factory: pytest.TempPathFactory, exp_frame: pd.DataFrame) -> Path:
    return _write(tmp_path_factory.mktemp("cal") / "exp.csv", exp_frame)


@pytest.fixture(scope="module")
def exp_cal(exp_log: Path) -> Any:
    return _calibrate(exp_log)


# ------------------------------------------------------------------------- unit: reading


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("2026-03-02 09:00:00,phone,100,-3,answered,a1", r"line 3: wait_s '-3' is not a number"),
        ("2026-03-02 09:00:00,phone,100,3,answred,a1", r"line 3: outcome 'answred' is not"),
        ("2026-03-02 09:00:00,phone,,3,abandoned,a1", r"line 3: agent 'a1' on an abandoned"),
    ],
)
def test_bad_outcome_rows_name_the_line(tmp_path: Path, row: str, match: str) -> None:
    # Unit: a bad row is an error naming the file and line, or skipped and counted.
    path = tmp_path / "log.csv"
    path.write_text(HEADER + "2026-03-02 08:00:00,phone,100,3,answered,a1\n" + row + "\n")
    with pytest.raises(ScenarioError, match=match):
        read_log(path)
    raw = read_log(path, skip_bad=True)
    assert (len(raw), raw.skipped) == (1, 1)


def test_outcome_columns_are_optional_and_case_insensitive(tmp_path: Path) -> None:
    # Unit: a log without the new columns reads as before; outcomes are read in any case.
    plain = tmp_path / "plain.csv"
    plain.write_text("timestamp,channel\n2026-03-02T08:00:00Z,phone\n")
    raw = read_log(plain)
    assert raw.outcome.tolist() == [""]
    assert np.isnan(raw.wait_s).all()
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(HEADER + "2026-03-02 08:00:00,phone,100,3,Answered,Ann Lee\n")
    assert read_log(mixed).outcome.tolist() == ["answered"]


def test_agents_present_hand_computed() -> None:
    # Unit: A answers contacts arriving at 09:10 and 09:50 (one agent in hour 9, even twice);
    # B one at 09:59:59 (hour 9) and one at 10:00:00 (hour 10); a blank agent does not count.
    hour_s = 3600.0
    arrival_s = np.array(
        [9 * hour_s + 600, 9 * hour_s + 3000, 10 * hour_s - 1, 10 * hour_s, 11 * hour_s]
    )
    agent = np.array(["A", "A", "B", "B", ""], dtype=object)
    present = agents_present(arrival_s, agent, 24)
    assert present[8:12].tolist() == [0, 2, 1, 0]


def test_availability_windows_follow_the_whole_agent_rule() -> None:
    # Unit: 3 agents seen × 0.5 = 1.5: agent 0 the whole hour, agent 1 its first half hour;
    # agent 0's windows of consecutive hours merge into one.
    agent, start, end = availability_windows(np.array([3, 3, 0]), 0.5)
    rows = sorted(zip(agent.tolist(), start.tolist(), end.tolist(), strict=True))
    assert rows == [(0, 0.0, 7200.0), (1, 0.0, 1800.0), (1, 3600.0, 5400.0)]


def test_exponential_patience_mle_hand_computed() -> None:
    # Unit: waits 10 (abandoned), 20 (answered), 30 (abandoned): the MLE of an exponential mean
    # with right-censoring is total waiting time / abandonments = 60 / 2 = 30 s, exactly.
    wait = np.array([10.0, 20.0, 30.0])
    abandoned = np.array([True, False, True])
    fit = fit_patience(wait, abandoned)
    assert fit.candidates["exponential"]["mean_s"] == pytest.approx(30.0, rel=1e-12)
    assert naive_patience_mean_s(wait, abandoned) == pytest.approx(20.0, rel=1e-12)
    assert fit_patience(wait, np.zeros(3, dtype=bool)).distribution is None  # never abandons


# ------------------------------------------------------ validation: ground truth recovered


def test_handle_time_lognormal_recovered(exp_cal: Any) -> None:
    # Validation: 9,385 answered calls with lognormal handle times (mean 240 s, sigma 0.8).
    # The SE of the mean is 240 × 0.95 / sqrt(9385) ≈ 2.4 s and of sigma 0.8 / sqrt(2n) ≈ 0.006;
    # we allow about 4 SE: 10 s and 0.025. The lognormal must be chosen, its KS distance small.
    fit = exp_cal.handle
    assert fit.family == "lognormal"
    assert fit.mean_s == pytest.approx(GEN.HANDLE_MEAN_S, abs=10.0)
    assert fit.distribution["sigma"] == pytest.approx(GEN.HANDLE_SIGMA, abs=0.025)
    assert fit.distance < 0.02


def test_handle_time_without_a_parametric_fit_is_empirical() -> None:
    # Validation: a two-humped mix (half ~60 s, half ~600 s) fits neither family; the empirical
    # fallback keeps its mean (200 quantiles: within 1%) and its two humps.
    rng = np.random.default_rng(5)
    data = np.concatenate([rng.normal(60, 5, 4000), rng.normal(600, 30, 4000)])
    fit = fit_handle_time(data)
    assert fit.family == "empirical"
    assert fit.candidates["lognormal"]["distance"] > fit.threshold
    assert fit.mean_s == pytest.approx(data.mean(), rel=0.01)
    samples = np.asarray(fit.distribution["samples_s"])
    assert ((samples > 100) & (samples < 400)).sum() == 0


def test_exponential_patience_recovered_and_censoring_matters(exp_cal: Any) -> None:
    # Validation: true patience exponential, mean 180 s. 1,381 abandonments: the MLE's SE is
    # 180 / sqrt(1381) ≈ 4.8 s; we allow 5 SE = 24 s. Censoring matters: the mean of the
    # abandoned waits alone (only the impatient abandon) is far below — under 70% of the truth.
    fit = exp_cal.patience
    assert fit.family == "exponential"
    assert fit.mean_s == pytest.approx(GEN.PATIENCE_MEAN_S, abs=24.0)
    assert exp_cal.naive_patience_mean_s < 0.7 * GEN.PATIENCE_MEAN_S
    # Kaplan-Meier median of Exp(180) is 180 ln 2 = 124.8 s; KM is noisier: 15%.
    assert exp_cal.km_median_s == pytest.approx(180 * math.log(2), rel=0.15)


def test_lognormal_patience_recovered(tmp_path: Path) -> None:
    # Validation: true patience lognormal (mean 180 s, sigma 1.0), three weeks (1,599 of 11,251
    # calls abandoned). The censored
    # lognormal MLE must win on AIC and recover the mean within 15% and sigma within 0.12 (with
    # 86% of waits censored the SEs are several times the uncensored ones). Measured over seeds
    # 41-45: mean within 6%, sigma within 0.04; one seed in five fell back to the empirical
    # Kaplan-Meier form instead (its gap limit is tight at ~1,600 abandonments).
    frame = GEN.generate_log(
        dt.date(2026, 5, 4), 21, seed=42, scale=1.5, patience=("lognormal", 180.0, 1.0)
    )
    cal = _calibrate(_write(tmp_path / "ln.csv", frame))
    assert cal.patience.family == "lognormal"
    assert cal.patience.mean_s == pytest.approx(180.0, rel=0.15)
    assert cal.patience.distribution["sigma"] == pytest.approx(1.0, abs=0.12)
    assert cal.naive_patience_mean_s < 0.7 * 180.0


def test_availability_recovered(exp_cal: Any, exp_frame: pd.DataFrame) -> None:
    # Validation: agents seen working are away 30% of each hour, but an agent whose break begins
    # mid-call finishes the call first, so the share of rostered time really on this queue (the
    # generator measures it: available or finishing a call) is ~0.74, not 0.70. The search must
    # find that effective share within 0.03 (measured over ten logs and three truths: within
    # 0.02), and the simulated abandonment must match the log's within 10%.
    truth = exp_frame.attrs["effective_availability"]
    assert exp_cal.availability == pytest.approx(truth, abs=0.03)
    data = calibration_dict(exp_cal)
    assert data["simulated"]["abandon_rate"] == pytest.approx(
        data["observed"]["abandon_rate"], rel=0.1
    )


@pytest.mark.slow
@pytest.mark.parametrize("availability", [0.6, 0.85])
def test_other_availabilities_recovered(tmp_path: Path, availability: float) -> None:
    # Validation: the same with truths of 0.6 and 0.85, so the search is not stuck near 0.7.
    frame = GEN.generate_log(dt.date(2026, 5, 4), 21, seed=43, scale=1.5, availability=availability)
    cal = _calibrate(_write(tmp_path / "a.csv", frame))
    assert cal.availability == pytest.approx(frame.attrs["effective_availability"], abs=0.03)


# ------------------------------------------------------------------------ functional


def test_backtest_on_the_example_months_within_ten_percent() -> None:
    # Functional: calibrate on March, predict April from April's arrivals and agents seen:
    # abandonment and ASA within 10% of what April observed; the naive (availability 1)
    # prediction is far off.
    a = read_period(read_log(MARCH), time_zone=ZONE)
    b = read_period(read_log(APRIL), time_zone=ZONE)
    data = backtest(*a, *b, seed=7, replications=REPS, target_s=20.0).data
    for key in ("abandon_rate", "asa_s"):
        assert data["predicted"][key] == pytest.approx(data["observed"][key], rel=0.10)
        assert abs(data["naive"][key] - data["observed"][key]) > 0.3 * data["observed"][key]
    for source in ("observed", "predicted", "naive"):
        assert {"offered", "abandon_rate", "asa_s", "service_level"} <= set(data[source])
    assert len(data["by_hour"]) == 24


def test_backtest_never_reads_the_checked_outcomes(tmp_path: Path, exp_log: Path) -> None:
    # Functional: B's waits shuffled and every abandoned row relabelled answered leave the
    # prediction byte-identical (only the observed column changes).
    a = GEN.generate_log(dt.date(2026, 6, 1), 7, seed=7)
    b = GEN.generate_log(dt.date(2026, 6, 8), 7, seed=8)
    path_a = _write(tmp_path / "a.csv", a)
    path_b = _write(tmp_path / "b.csv", b)
    changed = b.copy()
    changed["wait_s"] = np.random.default_rng(1).permutation(changed["wait_s"].to_numpy()) * 3
    changed["outcome"] = "answered"
    path_c = _write(tmp_path / "c.csv", changed)
    results = []
    for check in (path_b, path_c):
        period_a, observed_a = read_period(read_log(path_a), time_zone=ZONE)
        period_b, observed_b = read_period(read_log(check), time_zone=ZONE)
        results.append(
            backtest(
                period_a, observed_a, period_b, observed_b, seed=1, replications=4, target_s=20
            ).data
        )
    for key in ("predicted", "naive"):
        assert json.dumps(results[0][key]) == json.dumps(results[1][key])
    assert json.dumps(results[0]["observed"]) != json.dumps(results[1]["observed"])


def test_calibrated_scenario_runs_and_reproduces_the_log(exp_cal: Any, tmp_path: Path) -> None:
    # Functional: calibrated.yaml is a runnable scenario; simulating it (fresh arrivals from the
    # fitted profile, rounded weekly staffing) gives the log's abandonment within 15% and its
    # volume within 5%.
    path = tmp_path / "calibrated.yaml"
    path.write_text(calibrated_yaml(exp_cal))
    scenario = load_scenario(path)
    result = run_scenario(scenario, replications=3)
    phone = result.plans["as-observed"].channels["phone"]
    observed = calibration_dict(exp_cal)["observed"]
    assert phone.offered == pytest.approx(observed["offered"], rel=0.05)
    assert phone.abandon_rate == pytest.approx(observed["abandon_rate"], rel=0.15)
    assert scenario.plans["as-observed"].sites["observed"].shrinkage == pytest.approx(
        1 - exp_cal.availability, abs=1e-4
    )


def test_calibrate_is_deterministic_by_seed(exp_log: Path, exp_cal: Any) -> None:
    # Functional: the same seed gives the same figures.
    again = _calibrate(exp_log)
    assert json.dumps(calibration_dict(again)) == json.dumps(calibration_dict(exp_cal))


def test_calibrate_cli_writes_files_and_json(tmp_path: Path, capsys: Any) -> None:
    # Functional: the command prints JSON and writes calibrated.yaml and the tables atomically.
    out = tmp_path / "out"
    code = cli_main(
        ["calibrate", str(MARCH), "--time-zone", ZONE, "--json", "--out", str(out),
         "--replications", "4"]
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    # March's effective availability, as the generator measures it, is 0.736
    assert data["availability"] == pytest.approx(0.736, abs=0.03)
    assert {p.name for p in out.iterdir()} == {
        "calibrated.yaml", "calibration.json", "by_hour.csv", "by_hour.parquet",
        "staffing.csv", "staffing.parquet",
    }  # fmt: skip
    load_scenario(out / "calibrated.yaml")


BAD = {
    "missing outcome column": (
        "timestamp,channel,handle_time_s,wait_s,agent\n2026-03-02 08:00:00,phone,100,3,a1\n",
        "missing column 'outcome'",
    ),
    "negative wait": (HEADER + "2026-03-02 08:00:00,phone,100,-1,answered,a1\n", "line 2: wait_s"),
    "outcome typo": (HEADER + "2026-03-02 08:00:00,phone,100,1,anwsered,a1\n", "line 2: outcome"),
    "agent on abandoned": (
        HEADER + "2026-03-02 08:00:00,phone,,1,abandoned,a1\n",
        "line 2: agent 'a1' on an abandoned",
    ),
    "no answered contact": (
        HEADER + "2026-03-02 08:00:00,phone,,1,abandoned,\n",
        "no answered contact",
    ),
    "blank outcome": (HEADER + "2026-03-02 08:00:00,phone,100,1,,a1\n", "line 2: outcome is blank"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_logs_exit_2_with_one_line(tmp_path: Path, capsys: Any, case: str) -> None:
    # Unit: bad logs give exit 2 and one line naming the file (and line), never a traceback.
    text, match = BAD[case]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code = cli_main(["calibrate", str(path), "--time-zone", ZONE])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert "bad.csv" in err
    assert match in err
    code = cli_main(["backtest", "--fit", str(path), "--check", str(MARCH), "--time-zone", ZONE])
    assert code == 2


def test_cli_options_are_checked(capsys: Any) -> None:
    # Unit: an unknown time zone or a channel the log lacks is one line, exit 2.
    assert cli_main(["calibrate", str(MARCH), "--time-zone", "Mars/Base"]) == 2
    assert "--time-zone" in capsys.readouterr().err
    assert cli_main(["calibrate", str(MARCH), "--time-zone", ZONE, "--channel", "fax"]) == 2
    assert "--channel: 'fax' is not in" in capsys.readouterr().err


def test_generator_reproduces_the_shipped_logs(tmp_path: Path) -> None:
    # Functional: the shipped example months are byte for byte what the documented generator
    # writes.
    for k, (first, days) in enumerate(GEN.MONTHS):
        frame = GEN.generate_log(dt.date.fromisoformat(first), days, seed=2026 + k)
        path = _write(tmp_path / "month.csv", frame)
        assert path.read_bytes() == (DATA / f"example-calls-{first[:7]}.csv").read_bytes()


def test_calibrate_without_out_writes_calibrated_yaml_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    # Functional: the contract's "writes calibrated.yaml" holds without --out too.
    monkeypatch.chdir(tmp_path)
    assert cli_main(["calibrate", str(APRIL), "--time-zone", ZONE, "--replications", "2"]) == 0
    assert "wrote calibrated.yaml" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["calibrated.yaml"]
    load_scenario(tmp_path / "calibrated.yaml")


def test_parquet_with_offsets_and_another_channel_read_like_the_csv(
    tmp_path: Path, exp_frame: pd.DataFrame
) -> None:
    # Functional: the same log as Parquet with UTC offsets in the timestamps, plus rows of a
    # second channel (no outcomes) selected away with --channel, gives the same period and
    # outcomes as the CSV.
    csv_path = _write(tmp_path / "a.csv", exp_frame)
    frame = exp_frame.copy()
    local = pd.to_datetime(frame["timestamp"]).dt.tz_localize(
        ZONE, ambiguous=True, nonexistent="shift_forward"
    )
    frame["timestamp"] = local
    other = frame.head(50).assign(channel="email", wait_s=np.nan, outcome="", agent="")
    pd.concat([frame, other]).to_parquet(tmp_path / "a.parquet", index=False)
    period_csv, observed_csv = read_period(read_log(csv_path), time_zone=ZONE)
    period_pq, observed_pq = read_period(
        read_log(tmp_path / "a.parquet"), time_zone=ZONE, channel="phone"
    )
    np.testing.assert_array_equal(period_pq.arrival_s, period_csv.arrival_s)
    np.testing.assert_array_equal(period_pq.present_by_hour, period_csv.present_by_hour)
    np.testing.assert_array_equal(observed_pq.wait_s, observed_csv.wait_s)
    np.testing.assert_array_equal(observed_pq.abandoned, observed_csv.abandoned)


def test_skip_bad_rows_drops_and_counts_rows_without_outcomes(tmp_path: Path, capsys: Any) -> None:
    # Unit: --skip-bad-rows drops a row with a blank outcome and one with a typo, and counts them.
    text = APRIL.read_text().splitlines()
    text[5] = text[5].rsplit(",", 2)[0] + ",,"  # outcome and agent blank
    text[9] = text[9].replace("answered", "answred").replace("abandoned", "abandond")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(text) + "\n")
    assert cli_main(["calibrate", str(path), "--time-zone", ZONE]) == 2
    # the reader's format check comes first (the typo), then calibrate's (the blank outcome)
    assert "line 10: outcome 'abandond' is not" in capsys.readouterr().err
    args = ["calibrate", str(path), "--time-zone", ZONE, "--json", "--replications", "2"]
    assert cli_main([*args, "--skip-bad-rows", "--out", str(tmp_path / "out")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["skipped_rows"] == 2
    assert data["contacts"] == len(text) - 1 - 2

"""Contact logs: reading, replay, fit, bad rows, the `profile` command (coverage.demand.logs,
logfit)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coverage.calendar import build_timeline
from coverage.cli import main as cli_main
from coverage.demand import log_reader, logs
from coverage.demand.arrivals import check_contact_budget, draw_contacts
from coverage.demand.logfit import estimate_busyness_cv, estimate_rates
from coverage.errors import ScenarioError
from coverage.scenario.model import load_scenario, parse_scenario
from coverage.simulation.replications import run_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_LOG = ROOT / "scenarios" / "data" / "example-contacts.csv"
HEADER = "timestamp,channel,region,handle_time_s,language,segment\n"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_example_log", ROOT / "scripts" / "make_example_log.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scenario(demand: list[dict[str, Any]], base_dir: Path | None, **extra: Any) -> dict[str, Any]:
    """A scenario shaped like the example log's help desk (regions emea/americas, de/en, vip)."""
    raw: dict[str, Any] = {
        "name": "log-test",
        "horizon": {"start": "2026-03-02", "days": 14},
        "seed": 5,
        "channels": {
            "phone": {
                "handle_time": {"dist": "exponential", "mean_s": 360},
                "patience": {"dist": "exponential", "mean_s": 180},
            },
            "chat": {"handle_time": {"dist": "exponential", "mean_s": 780}, "concurrency": 2},
            "email": {"mode": "async", "handle_time": {"dist": "exponential", "mean_s": 480}},
        },
        "regions": {
            "emea": {"time_zone": "Europe/Berlin", "language": "de"},
            "americas": {"time_zone": "America/New_York", "language": "en"},
        },
        "segments": {"vip": {"priority": 0}},
        "demand": demand,
        "plans": {
            "p": {
                "sites": {
                    "berlin": {
                        "time_zone": "Europe/Berlin",
                        "hourly_cost": 20.0,
                        "shifts": [{"start": "00:00", "hours": 24, "agents": 12}],
                    }
                }
            }
        },
    }
    raw.update(extra)
    return raw


def _write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ replay


def test_replay_reproduces_the_example_logs_counts_per_channel_and_hour_exactly() -> None:
    # Functional: replay places every row of the log that falls in the horizon, and no other.
    scenario = parse_scenario(
        _scenario([{"replay": EXAMPLE_LOG.name}], base_dir=None), base_dir=str(EXAMPLE_LOG.parent)
    )
    timeline = build_timeline(scenario)
    contacts = draw_contacts(scenario, timeline, seed=1, replication=0)
    channels = list(scenario.channels)
    got = (
        pd.DataFrame(
            {
                "channel": [channels[c] for c in contacts.channel],
                "hour": pd.Timestamp("2026-03-02", tz="UTC")
                + pd.to_timedelta(np.floor(contacts.arrived_at_s / 3600), unit="h"),
            }
        )
        .value_counts()
        .sort_index()
    )
    log = pd.read_csv(EXAMPLE_LOG, keep_default_na=False)
    at = pd.to_datetime(log["timestamp"], utc=True)
    inside = (at >= pd.Timestamp("2026-03-02", tz="UTC")) & (
        at < pd.Timestamp("2026-03-16", tz="UTC")
    )
    expected = (
        pd.DataFrame({"channel": log.loc[inside, "channel"], "hour": at[inside].dt.floor("h")})
        .value_counts()
        .sort_index()
    )
    assert inside.sum() < len(log)  # the log starts at Berlin midnight, an hour before the horizon
    pd.testing.assert_series_equal(got, expected, check_names=False)
    # recorded handle times are used as they are; blanks are drawn
    recorded = pd.to_numeric(log.loc[inside, "handle_time_s"], errors="coerce")
    order = np.argsort(at[inside].to_numpy(), kind="stable")
    rec = recorded.to_numpy()[order]
    given = ~np.isnan(rec)
    np.testing.assert_array_equal(contacts.handle_s[given], rec[given])
    assert np.all(contacts.handle_s[~given] > 0)
    # the same contacts every replication
    again = draw_contacts(scenario, timeline, seed=1, replication=1)
    np.testing.assert_array_equal(again.arrived_at_s, contacts.arrived_at_s)
    # languages: emea rows carry theirs, americas rows (blank) take the region's (en)
    langs = ["de", "en"]
    lang = pd.Series([langs[i] for i in contacts.language])
    region = pd.Series([list(scenario.regions)[r] for r in contacts.region])
    assert set(lang[region == "americas"]) == {"en"}
    assert set(lang[region == "emea"]) == {"de", "en"}


def test_replay_offered_counts_in_a_run_equal_the_log() -> None:
    # Functional, end to end: the simulator's offered counts are the log's rows in the horizon.
    scenario = load_scenario(ROOT / "scenarios" / "example-log-replay.yaml")
    result = run_scenario(scenario, replications=1, plans=["berlin-only"])
    log = pd.read_csv(EXAMPLE_LOG, keep_default_na=False)
    at = pd.to_datetime(log["timestamp"], utc=True)
    inside = log[(at >= pd.Timestamp("2026-03-02", tz="UTC"))]
    counts = inside["channel"].value_counts()
    for channel, figures in result.plans["berlin-only"].channels.items():
        assert figures.offered == counts[channel]
    assert check_contact_budget(scenario, build_timeline(scenario), limit=10**6) == len(inside)


def test_entry_channel_and_region_select_rows_and_segment_fills_blanks(tmp_path: Path) -> None:
    # Unit: `channel`/`region` on a log entry select rows; `segment` fills blank segments.
    path = _write(
        tmp_path / "log.csv",
        [
            "2026-03-02T10:00:00+01:00,phone,emea,,,",
            "2026-03-02T10:05:00+01:00,chat,emea,,,",
            "2026-03-02T10:06:00+01:00,phone,americas,,,",
            "2026-03-02T10:07:00+01:00,phone,,,,",
        ],
    )
    raw = _scenario(
        [{"replay": path.name, "channel": "phone", "region": "emea", "segment": "vip"}], None
    )
    scenario = parse_scenario(raw, base_dir=str(tmp_path))
    log = logs.entry_contacts(scenario.demand[0], 0, scenario)
    assert len(log.at_utc_ns) == 2  # the emea phone row and the blank-region phone row
    assert set(log.segment.tolist()) == {0}


def test_parquet_log_replays_like_csv(tmp_path: Path) -> None:
    # Unit: a Parquet log with a time-zone-aware timestamp column gives the same arrivals.
    csv_path = _write(
        tmp_path / "log.csv",
        [
            "2026-03-02T10:00:00+01:00,phone,emea,300,,",
            "2026-03-03T09:30:00+01:00,email,americas,,,",
        ],
    )
    frame = pd.read_csv(csv_path, keep_default_na=False)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert("Europe/Berlin")
    frame.to_parquet(tmp_path / "log.parquet", index=False)
    out = []
    for name in ("log.csv", "log.parquet"):
        sc = parse_scenario(_scenario([{"replay": name}], None), base_dir=str(tmp_path))
        out.append(
            logs.entry_arrivals(sc.demand[0], 0, sc, build_timeline(sc), seed=1, replication=0)
        )
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1]["handle_s"], out[1][1]["handle_s"])
    assert out[0][0].tolist() == [9 * 3600.0, 86400 + 8.5 * 3600]


def test_naive_timestamps_use_the_entrys_time_zone_and_dst_rules(tmp_path: Path) -> None:
    # Unit: naive + time_zone; 02:30 on the EU spring-forward day (29 Mar 2026) does not exist
    # and moves forward by the gap to 03:30 CEST = 01:30 UTC (docs/model.md, "Time").
    path = _write(
        tmp_path / "log.csv", ["2026-03-29 02:30,phone,emea,,,", "2026-03-28 12:00,phone,emea,,,"]
    )
    raw = _scenario(
        [{"replay": path.name, "time_zone": "Europe/Berlin"}],
        None,
        horizon={"start": "2026-03-28", "days": 2},
    )
    sc = parse_scenario(raw, base_dir=str(tmp_path))
    times, _ = logs.entry_arrivals(sc.demand[0], 0, sc, build_timeline(sc), seed=1, replication=0)
    assert times.tolist() == [11 * 3600.0, 86400 + 1.5 * 3600]


def test_read_log_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    # Unit: replications do not re-read; an edited file is read again.
    path = _write(tmp_path / "log.csv", ["2026-03-02T10:00:00Z,phone,emea,,,"])
    first = log_reader.read_log(path)
    assert log_reader.read_log(path) is first
    _write(path, ["2026-03-02T10:00:00Z,phone,emea,,,", "2026-03-02T11:00:00Z,chat,emea,,,"])
    os.utime(path, ns=(1, 1))
    assert len(log_reader.read_log(path)) == 2


# ------------------------------------------------------------------------------- bad input


BAD_ROWS = [
    (
        ["2026-03-02T10:00:00Z,phone,emea,,,", "yesterday,phone,emea,,,"],
        r"line 3: timestamp 'yesterday'",
    ),
    (["2026-13-02T10:00:00Z,phone,emea,,,"], r"line 2: timestamp"),
    (
        ["2026-03-02T10:00:00Z,phone,emea,,,", "2026-03-02T10:00:00Z,fax,emea,,,"],
        r"line 3: channel 'fax' is not a channel",
    ),
    (["2026-03-02T10:00:00Z,phone,mars,,,"], r"line 2: region 'mars' is not a region"),
    (["2026-03-02T10:00:00Z,phone,emea,,xx,"], r"line 2: language 'xx' is not a language"),
    (["2026-03-02T10:00:00Z,phone,emea,,,gold"], r"line 2: segment 'gold' is not a segment"),
    (["2026-03-02T10:00:00Z,phone,emea,-4,,"], r"line 2: handle_time_s '-4'"),
    (["2026-03-02T10:00:00Z,,emea,,,"], r"line 2: channel is blank"),
    (["2026-03-02T10:00:00Z,phone,,,,"], r"line 2: region is blank"),
    (["2026-03-02T10:00:00Z,phone,emea,,"], r"line 2: 5 fields, but the header has 6"),
    (["2026-03-02 10:00,phone,emea,,,"], r"line 2: timestamp has no UTC offset"),
]


@pytest.mark.parametrize(("rows", "match"), BAD_ROWS)
def test_bad_rows_name_the_file_and_line(tmp_path: Path, rows: list[str], match: str) -> None:
    # Unit: every bad row stops the run with the file and its line (header = line 1).
    path = _write(tmp_path / "log.csv", rows)
    sc = parse_scenario(_scenario([{"replay": path.name}], None), base_dir=str(tmp_path))
    with pytest.raises(ScenarioError, match=match) as info:
        logs.entry_arrivals(sc.demand[0], 0, sc, build_timeline(sc), seed=1, replication=0)
    assert info.value.file is not None
    assert info.value.file.endswith("log.csv")


def test_multiline_quoted_field_keeps_line_numbers_right(tmp_path: Path) -> None:
    # Unit: line numbers are physical lines, so a quoted field with a newline shifts them.
    path = _write(
        tmp_path / "log.csv", ['2026-03-02T10:00:00Z,phone,emea,,,"vip\n"', "nope,phone,emea,,,"]
    )
    with pytest.raises(ScenarioError, match=r"line 4: timestamp 'nope'"):
        log_reader.read_log(path)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("timestamp,channel,queue\n", r"line 1: unknown column 'queue'"),
        ("timestamp,region\n", r"line 1: missing column 'channel'"),
        ("", r"line 1: empty file"),
    ],
)
def test_bad_headers(tmp_path: Path, header: str, match: str) -> None:
    # Unit: the header is checked first (unknown columns are errors, like unknown YAML keys).
    path = tmp_path / "log.csv"
    path.write_text(header, encoding="utf-8")
    with pytest.raises(ScenarioError, match=match):
        log_reader.read_log(path)


def test_skip_bad_rows_counts_them(tmp_path: Path) -> None:
    # Unit: with skip_bad, unparseable rows are dropped and counted.
    path = _write(
        tmp_path / "log.csv",
        [
            "2026-03-02T10:00:00Z,phone,emea,,,",
            "x,phone,emea,,,",
            "2026-03-02T11:00:00Z,phone,emea,abc,,",
        ],
    )
    raw = log_reader.read_log(path, skip_bad=True)
    assert (len(raw), raw.skipped) == (1, 2)


def test_path_and_horizon_errors(tmp_path: Path) -> None:
    # Unit: a relative path needs the scenario's folder; a missing file and a log outside the
    # horizon are errors naming the demand entry.
    path = _write(tmp_path / "log.csv", ["2025-01-06T10:00:00Z,phone,emea,,,"])
    sc = parse_scenario(_scenario([{"replay": "log.csv"}], None))
    with pytest.raises(ScenarioError, match=r"demand\[0\]\.replay: 'log.csv' is relative"):
        draw_contacts(sc, build_timeline(sc), seed=1, replication=0)
    with pytest.raises(ScenarioError, match=r"demand\[0\]\.fit: no such file 'nope.csv'"):
        parse_scenario(_scenario([{"fit": "nope.csv"}], None), base_dir=str(tmp_path))
    with pytest.raises(ScenarioError, match=r"demand\[0\]\.replay: .* is not a contact log"):
        parse_scenario(_scenario([{"replay": "log.txt"}], None), base_dir=str(tmp_path))
    sc = parse_scenario(_scenario([{"replay": str(path)}], None))  # absolute: no folder needed
    with pytest.raises(
        ScenarioError, match=r"demand\[0\]\.replay: the log covers .* does not overlap"
    ):
        draw_contacts(sc, build_timeline(sc), seed=1, replication=0)


# ------------------------------------------------------------------------------------- fit


def test_fit_recovers_the_rates_of_a_log_drawn_from_a_known_profile(tmp_path: Path) -> None:
    # Validation against the known truth: an 8-week log is drawn by scripts/make_example_log.py
    # from known rates (7 × 24 per channel and region, busyness CV 0.1), then fitted.
    # Tolerances: each fitted total is a Poisson count with Gamma day noise, so its standard
    # error is sqrt(mean + cv² Σ day-mean²); we allow 4.5 standard errors on each weekday total
    # and each hour-of-day total (24 + 7 checks per group, 186 in all: a false alarm has odds
    # below 0.2% even before the seed makes the test deterministic). The CV estimate (method of
    # moments over 56 days) has a standard error of about 0.02 at these volumes; we allow 0.06.
    gen = _generator()
    scale, weeks, cv = 2.0, 8, 0.1
    log = gen.generate_log(days=7 * weeks, seed=7, scale=scale, busyness_cv=cv)
    log.to_csv(tmp_path / "long.csv", index=False)
    sc = parse_scenario(_scenario([{"fit": "long.csv"}], None), base_dir=str(tmp_path))
    groups = logs.fitted_groups(sc.demand[0], 0, sc)
    truth = gen.true_rates(scale)
    assert len(groups) == len(truth)
    channels, regions = list(sc.channels), list(sc.regions)
    for g in groups:
        true = truth[(channels[g.channel], regions[g.region])]
        day_total = true.sum(axis=1) * weeks  # expected contacts per weekday over the log
        got = g.per_hour.sum(axis=1) * weeks
        se = np.sqrt(day_total + cv**2 * weeks * true.sum(axis=1) ** 2)
        assert np.all(np.abs(got - day_total) < 4.5 * se), (g.channel, g.region)
        hour_total = true.sum(axis=0) * weeks
        se = np.sqrt(hour_total + cv**2 * weeks * (true**2).sum(axis=0))
        got = g.per_hour.sum(axis=0) * weeks
        assert np.all(np.abs(got - hour_total) < 4.5 * se), (g.channel, g.region)
        assert g.busyness_cv == pytest.approx(cv, abs=0.06)
        # cells (segment × language) add up to the group
        np.testing.assert_allclose(sum(c[2] for c in g.cells), g.per_hour, rtol=1e-12)


def test_fit_draws_fresh_arrivals_around_the_expected_count() -> None:
    # Functional: fit draws differ by replication and match the fitted expectation; the example
    # log has ~311 contacts a day. Tolerance: 5 standard errors of a weekly count with busyness.
    sc = load_scenario(ROOT / "scenarios" / "example-log-fit.yaml")
    sc = sc.model_copy(update={"warmup_weeks": 0})  # one week of draws, no burn-in week
    tl = build_timeline(sc)
    expected = logs.expected_contacts(sc.demand[0], 0, sc, tl)
    a = draw_contacts(sc, tl, seed=3, replication=0)
    b = draw_contacts(sc, tl, seed=3, replication=1)
    assert len(a) != len(b)
    assert 7 * 250 < expected < 7 * 370
    se = np.sqrt(expected + 0.25**2 * expected**2 / 7)
    assert abs(len(a) - expected) < 5 * se
    again = draw_contacts(sc, tl, seed=3, replication=0)
    np.testing.assert_array_equal(again.arrived_at_s, a.arrived_at_s)  # same seed, same draws


def test_estimators_on_small_exact_cases() -> None:
    # Unit: rates are counts / exposure pooled by weekday; an unseen weekday takes the pooled
    # rate; a Poisson-exact day pattern (no excess variance) gives CV 0.
    counts = np.zeros((14, 24))
    counts[:, 9] = 4.0
    exposure = np.ones((14, 24))
    weekday = np.arange(14) % 7
    rates = estimate_rates(counts, exposure, weekday)
    assert rates[:, 9].tolist() == [4.0] * 7
    assert rates[:, 8].sum() == 0
    rates = estimate_rates(counts[:5], exposure[:5], weekday[:5])
    assert rates[6, 9] == 4.0
    assert (
        estimate_busyness_cv(counts, estimate_rates(counts, exposure, weekday), exposure, weekday)
        == 0.0
    )


# ------------------------------------------------------------------------------ command line


def _cli(cli: list[str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli, *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def test_cli_bad_log_row_exits_2_naming_file_and_line(tmp_path: Path, cli: list[str]) -> None:
    # Functional (CLI contract): a bad row stops `run` with exit 2 and one line naming file + line.
    _write(
        tmp_path / "log.csv",
        ["2026-03-02T10:00:00Z,phone,emea,,,", "2026-03-02T11:00:00Z,phone,emea,,klingon,"],
    )
    (tmp_path / "s.yaml").write_text(json.dumps(_scenario([{"replay": "log.csv"}], None)))
    done = _cli(cli, "run", str(tmp_path / "s.yaml"), "--replications", "1")
    assert done.returncode == 2, done.stderr
    assert "log.csv: line 3: language 'klingon' is not a language" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


BAD_REFERENCES = {
    "segment.yaml": (
        {"demand": [{"channel": "phone", "region": "emea", "per_hour": 1, "segment": "gold"}]},
        "demand[0].segment: 'gold' is not defined under segments",
    ),
    "language.yaml": (
        {"regions": {"emea": {"time_zone": "Europe/Berlin", "language": "DE"}}},
        "regions.emea.language:",
    ),
    "shift-language.yaml": (
        {
            "plans": {
                "p": {
                    "sites": {
                        "b": {
                            "time_zone": "Europe/Berlin",
                            "hourly_cost": 1,
                            "shifts": [
                                {
                                    "start": "08:00",
                                    "hours": 8,
                                    "agents": 1,
                                    "languages": ["de", "Fr"],
                                }
                            ],
                        }
                    }
                }
            }
        },
        "plans.p.sites.b.shifts[0].languages[1]:",
    ),
}


def test_cli_bad_segment_or_language_reference_exits_2_with_field_path(
    tmp_path: Path, cli: list[str]
) -> None:
    # Functional (CLI contract): bad references name the file and field path, exit 2
    # (`validate` takes several files, so one process checks them all).
    files = []
    for name, (change, _) in BAD_REFERENCES.items():
        raw = _scenario([{"channel": "phone", "region": "emea", "per_hour": 1}], None) | change
        (tmp_path / name).write_text(json.dumps(raw))
        files.append(str(tmp_path / name))
    done = _cli(cli, "validate", *files)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == len(BAD_REFERENCES)
    for line, (name, (_, path)) in zip(lines, BAD_REFERENCES.items(), strict=True):
        assert f"{name}: {path}" in line


def test_cli_profile_prints_and_writes_the_table(tmp_path: Path, cli: list[str]) -> None:
    # Functional: `profile --json --out` gives the fitted profile and a plot-ready table.
    out = tmp_path / "profile.csv"
    done = _cli(
        cli, "profile", str(EXAMPLE_LOG), "--time-zone", "Europe/Berlin", "--json",
        "--out", str(out),
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["rows"] == len(pd.read_csv(EXAMPLE_LOG))
    assert data["days"] == 14
    assert {(g["channel"], g["region"]) for g in data["groups"]} == {
        (c, r) for c in ("phone", "chat", "email") for r in ("emea", "americas")
    }
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "channel",
        "region",
        "weekday",
        "local_hour",
        "per_hour",
        "contacts",
        "exposure_hours",
    ]
    assert len(table) == 6 * 7 * 24
    assert table["contacts"].sum() == data["rows"]


def test_profile_command_text_and_bad_time_zone(capsys: pytest.CaptureFixture[str]) -> None:
    # Functional, in process (the subprocess test above covers the console script).
    assert cli_main(["profile", str(EXAMPLE_LOG)]) == 0
    out = capsys.readouterr().out
    assert "busyness_cv" in out
    assert "phone / emea: contacts per hour by local hour and weekday" in out
    assert cli_main(["profile", str(EXAMPLE_LOG), "--time-zone", "Mars/Olympus"]) == 2
    assert "error: --time-zone:" in capsys.readouterr().err


def test_profile_of_the_example_log_matches_its_generator() -> None:
    # Validation against the known truth, loosely: two weeks are too few for single cells, so
    # compare daily totals (per (channel, region), 14 days): within 4.5 standard errors.
    gen = _generator()
    profile = logs.profile_log(log_reader.read_log(EXAMPLE_LOG), time_zone="Europe/Berlin")
    assert profile.first_date == dt.date(2026, 3, 2)
    assert profile.last_date == dt.date(2026, 3, 15)
    for key, true in gen.true_rates().items():
        row = profile.groups[
            (profile.groups["channel"] == key[0]) & (profile.groups["region"] == key[1])
        ]
        per_day = true.sum() / 7
        se = np.sqrt(per_day / 14 + 0.1**2 * per_day**2 / 14)
        assert abs(float(row["per_day"].iloc[0]) - per_day) < 4.5 * se, key


def test_generator_is_reproducible_and_matches_the_shipped_file() -> None:
    # Functional: the shipped example log is exactly what the documented script writes.
    log = _generator().generate_log()
    shipped = pd.read_csv(EXAMPLE_LOG, keep_default_na=False, dtype=str)
    pd.testing.assert_frame_equal(log.astype(str), shipped)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))

"""Sweeps and batches (coverage.sweeps.spec, sweep_run, sweep_report, sweep_cli).

Kinds: unit tests of field paths, overrides, grids, errors and ranking (kind 1), and functional
tests of a small batch run in this process: outputs, resuming, --force (kind 4). The end-to-end
runs of the default scenario (process pool vs Dask, SIGTERM and resume) are in
tests/e2e/test_batch.py.
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from coverage.cli import main
from coverage.errors import ScenarioError
from coverage.results.report import channels_table, result_dict
from coverage.simulation.replications import run_scenario
from coverage.sweeps.cli import _Progress
from coverage.sweeps.report import best_variants, report_html, report_text, summary_rows
from coverage.sweeps.runner import check_dask_address, run_batch
from coverage.sweeps.spec import apply_override, parse_field_path, resolve_inputs

ROOT = Path(__file__).resolve().parents[1]


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def tiny_file(tmp_path: Path, tiny_raw: dict[str, Any]) -> Path:
    """The tiny scenario as a file, shortened to 6 hours so a run takes a fraction of a second."""
    tiny_raw["horizon"] = {"start": "2026-01-05", "hours": 6}
    tiny_raw["automation"] = {"phone": {"deflection": 0.1, "bot_time_s": 30}}
    return _write(tmp_path / "scenarios" / "tiny.yaml", tiny_raw)


def _sweep(tmp_path: Path, body: dict[str, Any], name: str = "sweep.yaml") -> Path:
    return _write(tmp_path / "sweeps" / name, {"base": "../scenarios/tiny.yaml", **body})


# --- kind 1: field paths and overrides ---------------------------------------------------


def test_parse_field_path_keys_and_list_items():
    assert parse_field_path("plans.single-site.sites.austin.shifts[2].agents") == (
        "plans",
        "single-site",
        "sites",
        "austin",
        "shifts",
        2,
        "agents",
    )
    assert parse_field_path("demand[0].per_hour") == ("demand", 0, "per_hour")


@pytest.mark.parametrize("bad", ["", "a..b", "a.[0]", "a[x]", "a b", ".a", "a[-1]"])
def test_parse_field_path_rejects_malformed(bad):
    with pytest.raises(ValueError, match="field path"):
        parse_field_path(bad)


def test_apply_override_sets_nested_value_and_copies(tiny_raw):
    value = {"deflection": 0.2}
    apply_override(tiny_raw, ("automation",), {"phone": value})
    apply_override(tiny_raw, parse_field_path("plans.day.sites.berlin.shifts[0].agents"), 9)
    assert tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]["agents"] == 9
    assert tiny_raw["automation"]["phone"] == value
    assert tiny_raw["automation"]["phone"] is not value  # values are copied per variant


def test_sweep_applies_set_grid_range_inclusive_then_list(tmp_path, tiny_file):
    sweep = _sweep(
        tmp_path,
        {
            "seed": 5,
            "replications": 2,
            "set": {"horizon.hours": 4},
            "grid": {
                "automation.phone.deflection": [0.0, 0.3],
                "plans.day.sites.berlin.shifts[0].agents": {"range": [2, 4]},
            },
            "variants": [{"plans.day.sites.berlin.shifts[0].agents": 7}],
        },
    )
    inputs, variants = resolve_inputs([sweep])
    assert len(variants) == 2 * 3 + 1
    assert inputs[0].variants == 7
    agents = [v.scenario.plans["day"].sites["berlin"].shifts[0].agents for v in variants]
    assert agents == [2, 3, 4, 2, 3, 4, 7]  # the last grid axis varies fastest; the list last
    assert [v.scenario.horizon.hours for v in variants] == [4.0] * 7
    # the sweep's seed and replications replace the scenario's (11 and 3)
    assert {(v.seed, v.replications) for v in variants} == {(5, 2)}
    assert variants[0].overrides == {
        "horizon.hours": 4,
        "automation.phone.deflection": 0.0,
        "plans.day.sites.berlin.shifts[0].agents": 2,
    }
    assert inputs[0].base == str(tiny_file.resolve())  # base is relative to the sweep file
    assert len({v.id for v in variants}) == 7


def test_range_with_step(tmp_path, tiny_file):
    sweep = _sweep(
        tmp_path, {"grid": {"plans.day.sites.berlin.shifts[0].agents": {"range": [2, 8, 3]}}}
    )
    _, variants = resolve_inputs([sweep])
    assert [v.overrides["plans.day.sites.berlin.shifts[0].agents"] for v in variants] == [2, 5, 8]


def test_variant_id_is_a_content_hash(tmp_path, tiny_file):
    one = _sweep(tmp_path, {"grid": {"automation.phone.deflection": [0.1, 0.2]}}, "one.yaml")
    _, first = resolve_inputs([one])
    _, again = resolve_inputs([one])
    assert [v.key for v in first] == [v.key for v in again]
    assert all(v.id == v.key[:16] for v in first)
    _, reseeded = resolve_inputs([one], seed=99)
    _, more_reps = resolve_inputs([one], replications=4)
    assert not {v.id for v in first} & ({v.id for v in reseeded} | {v.id for v in more_reps})


# --- kind 1: errors name the sweep file, the override and the field -----------------------


@pytest.mark.parametrize(
    ("grid", "field"),
    [
        ({"automation.phone.deflektion": [0.1]}, r"automation\.phone\.deflektion: unknown field"),
        ({"plans.day.sites.berln.shifts[0].agents": [3]}, r"plans\.day\.sites\.berln: no such"),
        ({"plans.day.sites.berlin.shifts[5].agents": [3]}, r"shifts\[5\]: no such item"),
        (
            {"plans.day.sites.berlin.shifts[0].agents": [3, "many"]},
            r"shifts\[0\]\.agents: 'many' is not a number of agents",
        ),
        ({"automation.phone.deflection": [1.5]}, r"automation\.phone\.deflection: .*less than"),
    ],
)
def test_bad_override_names_sweep_file_field_and_override(tmp_path, tiny_file, grid, field):
    sweep = _sweep(tmp_path, {"grid": grid})
    with pytest.raises(ScenarioError, match=field) as info:
        resolve_inputs([sweep])
    assert info.value.file == str(sweep)
    assert f"override {next(iter(grid))}" in str(info.value)


def test_missing_mapping_is_an_error_with_a_hint(tmp_path, tiny_file):
    # a typo in a name must not silently add a new region, segment or bot
    sweep = _sweep(tmp_path, {"set": {"automation.email.deflection": 0.2}})
    with pytest.raises(
        ScenarioError, match=r"automation\.email: no such field.*automation\.email: \{"
    ):
        resolve_inputs([sweep])
    ok = _sweep(tmp_path, {"set": {"automation.email": {"deflection": 0.2}}}, "ok.yaml")
    _, variants = resolve_inputs([ok])
    assert variants[0].scenario.automation["email"].deflection == pytest.approx(0.2, abs=0)


def test_error_from_another_field_still_names_the_override(tmp_path, tiny_file):
    sweep = _sweep(tmp_path, {"set": {"warmup_hours": 10}})
    with pytest.raises(
        ScenarioError, match=r"warmup_hours: must be shorter.*override warmup_hours"
    ):
        resolve_inputs([sweep])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"grdi": {}}, r"grdi: unknown sweep field"),
        ({"grid": {"seed": [1, 2]}}, r"grid: seed: give seed as the sweep's top-level"),
        ({"grid": {"horizon.hours": {"range": [1, 2.5]}}}, r"range takes whole numbers"),
        ({"grid": {"horizon.hours": {"range": [5, 2]}}}, r"first <= last"),
        ({"grid": {"horizon.hours": 3}}, r"give a list of values"),
        ({"seed": -1}, r"seed: must be a whole number >= 0"),
        ({"replications": 0}, r"replications: must be a whole number >= 1"),
        ({"set": {"horizon.hours": 3}, "grid": {"horizon.hours": [2]}}, r"also overridden in grid"),
        ({"variants": []}, r"variants: must be a non-empty list"),
        ({"variants": [{"horizon.hours": 3}, {"horizon.hours": 3}]}, r"same scenario"),
    ],
)
def test_sweep_file_errors(tmp_path, tiny_file, body, message):
    sweep = _sweep(tmp_path, body)
    with pytest.raises(ScenarioError, match=message) as info:
        resolve_inputs([sweep])
    assert info.value.file == str(sweep)


def test_missing_or_invalid_base_is_reported(tmp_path, tiny_file, tiny_raw):
    missing = _write(tmp_path / "sweeps" / "m.yaml", {"base": "nope.yaml"})
    with pytest.raises(ScenarioError, match=r"base: nope\.yaml: no such file"):
        resolve_inputs([missing])
    tiny_raw["channels"]["phone"]["concurrency"] = 0
    broken = _write(tmp_path / "scenarios" / "broken.yaml", tiny_raw)
    sweep = _sweep(tmp_path, {"base": "../scenarios/broken.yaml"})
    with pytest.raises(ScenarioError, match=r"channels\.phone\.concurrency") as info:
        resolve_inputs([sweep])
    assert info.value.file == str(broken.resolve())  # the base's own error names the base


def test_engine_is_part_of_the_key_and_checked_before_running(tmp_path, tiny_file):
    _, simpy = resolve_inputs([tiny_file], engine="simpy")
    _, fast = resolve_inputs([tiny_file], engine="fast")
    assert simpy[0].key != fast[0].key
    with pytest.raises(ScenarioError, match="--engine"):
        run_batch([tiny_file], tmp_path / "out", engine="warp")
    assert not (tmp_path / "out").exists()


def test_check_dask_address():
    assert check_dask_address("local:2") == "local:2"
    assert check_dask_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    for bad in ("local:0", "local:x", "tcp://a b"):
        with pytest.raises(ScenarioError, match="--dask"):
            check_dask_address(bad)


def test_bad_override_exits_2_before_writing_anything(tmp_path, tiny_file, capsys):
    sweep = _sweep(tmp_path, {"grid": {"plans.day.sites.berlin.shifts[0].agentz": [1]}})
    out = tmp_path / "out"
    assert main(["batch", str(sweep), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {sweep}: plans.day.sites.berlin.shifts[0].agentz")
    assert len(err.splitlines()) == 1
    assert not out.exists()


# --- kind 4: the summary flattens the JSON like channels_table -----------------------------


def test_summary_rows_match_channels_table(tiny_scenario):
    result = run_scenario(tiny_scenario, replications=2, seed=3)
    meta = {
        "variant": "v",
        "source": "s",
        "scenario": "tiny",
        "currency": "USD",
        "seed": 3,
        "replications": 2,
        "overrides": {},
        "targets": {
            c: (ch.target.answer_within_s, ch.target.share)
            for c, ch in tiny_scenario.channels.items()
        },
    }
    as_json = json.loads(json.dumps(result_dict(result)))
    rows = pd.DataFrame(summary_rows(meta, as_json))
    table = channels_table(result)
    pd.testing.assert_frame_equal(
        rows[table.columns].astype({c: "float64" for c in table.columns[2:]}),
        table.astype({c: "float64" for c in table.columns[2:]}),
        check_exact=False,
        rtol=1e-12,
    )
    assert rows["cost_per_month"].tolist()[0] == pytest.approx(
        result.plans["day"].cost.per_month, rel=1e-12
    )


# --- kind 4: a batch in this process ------------------------------------------------------


def test_batch_writes_outputs_resumes_and_forces(tmp_path, tiny_file):
    sweep = _sweep(
        tmp_path,
        {"replications": 2, "grid": {"plans.day.sites.berlin.shifts[0].agents": [3, 5]}},
    )
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    stale = out / ".summary.csv.tmp-999999999"  # a temp file of a process that is gone
    stale.write_text("partial")
    calls: list[tuple[int, int]] = []
    first = run_batch(
        [sweep, tiny_file], out, workers=1, progress=lambda d, t: calls.append((d, t))
    )
    assert not stale.exists()
    assert first["counts"] == {"variants": 3, "ran": 3, "reused": 0}
    assert calls[0] == (0, 3)
    assert calls[-1] == (3, 3)
    summary = pd.read_parquet(out / "summary.parquet")
    # one row per variant × plan × channel, in input order, with the override as a column
    assert len(summary) == 3 * 2 * 2
    assert summary["variant"].drop_duplicates().tolist() == [v["id"] for v in first["variants"]]
    agents = summary.drop_duplicates("variant")["plans.day.sites.berlin.shifts[0].agents"]
    assert agents.tolist()[:2] == [3, 5]
    assert pd.isna(agents.tolist()[2])
    for column in ("plan", "channel", "service_level", "target_share", "cost_per_month"):
        assert column in summary.columns
    hourly = pd.read_parquet(out / "hourly.parquet")
    assert set(hourly["variant"]) == set(summary["variant"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["kind"] == "sweep"
    assert len(manifest["inputs"][0]["sha256"]) == 64
    for v in first["variants"]:
        stored = json.loads((out / "runs" / f"{v['id']}.json").read_text())
        assert stored["variant"]["key"] == v["key"]
        assert (
            stored["replications"] == v["replications"] == (2 if v["source"] == str(sweep) else 3)
        )
    before = (out / "summary.parquet").read_bytes()
    again = run_batch([sweep, tiny_file], out, workers=1)
    assert again["counts"]["reused"] == 3
    assert (out / "summary.parquet").read_bytes() == before
    forced = run_batch([sweep], out, workers=1, force=True)
    assert forced["counts"] == {"variants": 2, "ran": 2, "reused": 0}
    assert not list(out.rglob(".*.tmp-*"))


def test_folder_input_and_example_sweep_resolve():
    inputs, variants = resolve_inputs([ROOT / "scenarios" / "sweeps"])
    assert inputs
    assert all(i.kind == "sweep" for i in inputs)
    example = [v for v in variants if v.source.endswith("night-crew-and-bot.yaml")]
    assert len(example) == 3 * 7 + 2
    assert {v.seed for v in example} == {7}


# --- kind 1: ranking and the report ---------------------------------------------------------


def _summary(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["variant", "plan", "channel", "service_level", "cost_per_month"]
    )
    frame["target_share"] = 0.8
    frame["target_answer_within_s"] = 20.0
    frame["currency"] = "USD"
    frame["agents"] = frame["variant"].map({"a": 3, "b": 4, "c": 5})
    return frame


def test_best_variants_cheapest_meeting_then_closest():
    summary = _summary(
        [
            ("a", "p", "phone", 0.70, 100.0),  # misses
            ("a", "p", "chat", 0.90, 100.0),
            ("b", "p", "phone", 0.85, 300.0),  # meets, dearer
            ("b", "p", "chat", None, 300.0),  # no contacts: cannot miss
            ("c", "p", "phone", 0.81, 200.0),  # meets, cheapest
            ("c", "p", "chat", 0.95, 200.0),
        ]
    )
    best = best_variants(summary, ["agents"])
    assert best["variant"].tolist() == ["c", "b", "a"]
    assert best["meets_targets"].tolist() == [True, True, False]
    assert best["rank"].tolist() == [1, 2, 3]
    assert best.loc[2, "worst_margin"] == pytest.approx(-0.10, abs=1e-12)
    text = report_text(summary, ["agents"], top=1)
    assert "p: 2 of 3 variants meet every target" in text
    assert "agents=5" in text
    page = report_html(summary, ["agents"])
    assert "cost-vs-service" in page
    assert "<script src=" not in page


def test_report_with_no_variant_meeting_shows_closest():
    summary = _summary([("a", "p", "phone", 0.5, 1.0), ("b", "p", "phone", 0.7, 2.0)])
    text = report_text(summary, ["agents"])
    assert "no variant meets every target; closest" in text
    assert text.index("agents=4") < text.index("agents=3")  # b is closer than a
    assert not math.isnan(best_variants(summary).loc[0, "worst_margin"])


def test_progress_bar_counts_and_ends_the_line():
    stream = io.StringIO()
    progress = _Progress(stream)
    progress(2, 4)
    progress(3, 4)
    progress(4, 4)
    text = stream.getvalue()
    assert "2/4 variants" in text
    assert text.endswith("\n")
    assert "4/4" in text


def test_local_dask_workers_keep_glibc_memory_trimming_default():
    # functional: Dask's nanny would export MALLOC_TRIM_THRESHOLD_=65536 (40% slower workers);
    # our local clusters leave it unset, and Dask's other worker settings stay as they were.
    # In a fresh interpreter: the nanny spawns workers, which re-run the parent's __main__ (under
    # pytest, possibly another test's script).
    pytest.importorskip("distributed")
    code = (
        "import os\n"
        "from distributed import Client\n"
        "from coverage.sweeps.runner import local_cluster\n"
        "def env():\n"
        "    return os.environ.get('MALLOC_TRIM_THRESHOLD_'), os.environ.get('OMP_NUM_THREADS')\n"
        "with local_cluster(1) as cluster, Client(cluster) as client:\n"
        "    print(list(client.run(env).values()))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip().splitlines()[-1] == "[(None, '1')]"


def test_costs_in_two_currencies_rank_and_win_within_their_own_currency():
    # Regression: with variants in EUR and JPY the report still ranked raw numbers across both
    # and named one "cheapest" (JPY 98 over EUR 150). Now each currency ranks and wins apart.
    summary = _summary(
        [
            ("a", "p", "phone", 0.85, 150.0),  # meets, EUR
            ("b", "p", "phone", 0.85, 98.0),  # meets, JPY
            ("c", "p", "phone", 0.85, 200.0),  # meets, EUR, dearer
        ]
    )
    summary["currency"] = summary["variant"].map({"a": "EUR", "b": "JPY", "c": "EUR"})
    best = best_variants(summary, ["agents"])
    assert best["variant"].tolist() == ["a", "c", "b"]  # EUR by cost, then JPY
    text = report_text(summary, ["agents"])
    assert "cheapest meeting every target in EUR: plan p, variant a" in text
    assert "cheapest meeting every target in JPY: plan p, variant b" in text
    assert "cheapest meeting every target:" not in text

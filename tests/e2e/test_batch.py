"""End to end: `coverage-sim batch` and `report` on a 12-variant sweep of the default scenario.

Kind 4 (functional). The sweep is kept small so the file runs in well under a minute and a half:
one day (Tuesday 3 March 2026, so the Monday-night crew the grid resizes is inside the window),
two replications, 3 deflection levels × 4 night-crew sizes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from coverage.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "global-saas.yaml"
N_VARIANTS = 12
SWEEP = f"""\
# 12 variants of the default scenario, shortened for tests
base: {BASE}
seed: 7
replications: 2
set:
  horizon.days: 1
  horizon.start: 2026-03-03
grid:
  automation.chat.deflection: [0, 0.15, 0.4]
  plans.single-site.sites.austin.shifts[6].agents: {{range: [18, 21]}}
"""
SUMMARIES = ("summary.csv", "summary.parquet", "hourly.parquet")

pytestmark = pytest.mark.timeout(180)


def _main(*args: str) -> tuple[int, str, str]:
    """Run the command line in this process (saves an interpreter start on a busy machine)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if ".tmp-" in p.name]


def _runs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "runs").iterdir())}


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sweep") / "crew-and-bot.yaml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pool_run(sweep_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The uninterrupted reference run, on a local pool of 2 processes."""
    out = tmp_path_factory.mktemp("pool") / "out"
    code, stdout, err = _main("batch", str(sweep_file), "--out", str(out), "--workers", "2")
    assert code == 0, err
    assert f"{N_VARIANTS} variants from 1 input(s): {N_VARIANTS} run, 0 reused" in stdout
    return out


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow
def test_sigterm_midway_then_resume_equals_uninterrupted_run(pool_run, sweep_file, tmp_path):
    out = tmp_path / "killed"
    runs = out / "runs"
    args = [sys.executable, "-m", "coverage", "batch", str(sweep_file), "--out", str(out)]
    proc = subprocess.Popen(
        [*args, "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while True:
        finished = sorted(runs.glob("*.json")) if runs.is_dir() else []
        for path in finished:  # every visible result file is complete
            assert json.loads(path.read_text())["variant"]["id"] == path.stem
        if len(finished) >= 3:
            break
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        assert time.monotonic() < deadline, "no variant finished in time"
        time.sleep(0.02)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    time.sleep(0.5)
    assert _processes_mentioning(str(out)) == []  # the pool's workers are gone too
    assert _temps(out) == []
    assert not (out / "summary.parquet").exists()  # summaries are written at the end only
    kept = sorted(runs.glob("*.json"))
    assert 3 <= len(kept) < N_VARIANTS
    for path in kept:
        json.loads(path.read_text())
        assert path.with_suffix(".hourly.parquet").is_file()

    code, stdout, err = _main("batch", str(sweep_file), "--out", str(out), "--workers", "2")
    assert code == 0, err
    ran = N_VARIANTS - len(kept)
    assert f"{ran} run, {len(kept)} reused" in stdout
    assert _temps(out) == []
    for name in SUMMARIES:
        assert (pool_run / name).read_bytes() == (out / name).read_bytes(), name
    assert _runs(pool_run) == _runs(out)
    manifest = json.loads((out / "manifest.json").read_text())
    reference = json.loads((pool_run / "manifest.json").read_text())
    assert [v["key"] for v in manifest["variants"]] == [v["key"] for v in reference["variants"]]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("plans.single-site.sites.austin.shifts[6].agentz: [3]", "shifts[6].agentz"),
        ("plans.single-site.sites.austin.shifts[6].agents: [3, lots]", "shifts[6].agents"),
    ],
)
def test_bad_override_exits_2_before_any_variant_runs(tmp_path, override, field):
    sweep = tmp_path / "bad.yaml"
    sweep.write_text(f"base: {BASE}\ngrid:\n  {override}\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = _main("batch", str(sweep), "--out", str(out))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {sweep}: plans.single-site.sites.austin.{field}")
    assert "override plans.single-site" in lines[0]
    assert not out.exists()  # nothing ran, nothing was written


def test_report_prints_best_variants_and_writes_html(pool_run):
    code, stdout, err = _main("report", str(pool_run), "--top", "3")
    assert code == 0, err
    summary = pd.read_parquet(pool_run / "summary.parquet")
    for plan in ("follow-the-sun", "single-site"):
        assert f"\n{plan}: " in stdout
    assert "cheapest meeting every target" in stdout or "no variant meets" in stdout
    page = (pool_run / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Plotly.newPlot" in page  # plotly.js is inline: the page works offline
    assert "<script src=" not in page
    assert all(v in page for v in summary["variant"].unique())
    assert _temps(pool_run) == []
    os.remove(pool_run / "report.html")


@pytest.mark.slow
def test_local_pool_and_dask_local_cluster_give_identical_summaries(pool_run, sweep_file, tmp_path):
    # A 2-worker LocalCluster reached by its scheduler address, as a real cluster is. Its
    # workers are threads of this process (processes=False): on a shared 2-core machine,
    # spawning worker processes that import everything again would dominate the test.
    # Last in the file: Dask leaves threads in this process, and the pool runs above fork it.
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "dask"
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        assert len(cluster.workers) == 2
        code, stdout, err = _main(
            "batch", str(sweep_file), "--out", str(out), "--dask", address, "--json"
        )
    assert code == 0, err
    manifest = json.loads(stdout)  # --json prints the manifest and nothing else
    assert manifest["executor"] == f"dask {address}"
    assert manifest["counts"] == {"variants": N_VARIANTS, "ran": N_VARIANTS, "reused": 0}
    pool = pd.read_parquet(pool_run / "summary.parquet")
    dask = pd.read_parquet(out / "summary.parquet")
    assert len(pool) == N_VARIANTS * 2 * 4  # variants × plans × channels
    pd.testing.assert_frame_equal(pool, dask, check_exact=True)
    for name in SUMMARIES:
        assert (pool_run / name).read_bytes() == (out / name).read_bytes(), name
    assert _runs(pool_run) == _runs(out)
    # common random numbers: offered contacts are the same in every variant with the same bot
    offered = pool.groupby(["automation.chat.deflection", "plan", "channel"])["offered"].nunique()
    assert (offered == 1).all()

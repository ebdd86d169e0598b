"""Safe outputs: every file is written atomically, and an interrupted run leaves no partial file.

* Unit (kind 1): `atomic_write_bytes` / `write_table` / `remove_stale_temps`.
* Functional (kind 4): `coverage-sim run --out DIR` interrupted by SIGINT or SIGTERM, in a real
  subprocess. Deterministically inside a write (the child's fsync is slowed so the signal lands
  while a temp file is open), and at several moments of an ordinary run. Afterwards every output
  file is either the complete previous file or the complete new one (byte for byte), no temp file
  is left, the exit code is 130 and stderr says "interrupted: no partial output was written".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from coverage.cli import main as cli_main
from coverage.outputs import atomic_write_bytes, atomic_write_text, remove_stale_temps, write_table

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "global-saas.yaml"
OUTPUTS = (
    "channels.csv", "channels.parquet", "hourly.csv", "hourly.parquet", "costs.csv",
    "costs.parquet", "result.json",
)
INTERRUPTED = "interrupted: no partial output was written"


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".tmp-" in p.name]


# ---------------------------------------------------------------------------------------------
# the helper (unit)


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "result.json"
    atomic_write_text(target, "old\n")
    atomic_write_bytes(target, b"new contents\n")
    assert target.read_bytes() == b"new contents\n"
    assert _temps(target.parent) == []


def test_atomic_write_failure_keeps_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "channels.csv"
    target.write_bytes(b"previous, complete\n")

    def broken_fsync(fd: int) -> None:
        raise KeyboardInterrupt  # as if Ctrl-C arrived while the temp file was being written

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"x" * 1_000_000)
    assert target.read_bytes() == b"previous, complete\n"
    assert _temps(tmp_path) == []


def test_atomic_write_failure_without_previous_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(tmp_path / "hourly.parquet", b"data")
    assert list(tmp_path.iterdir()) == []


def test_write_table_writes_complete_csv_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame({"plan": ["a", "b"], "offered": [1.5, 2.0]})
    written = write_table(frame, tmp_path, "channels")
    assert [p.name for p in written] == ["channels.csv", "channels.parquet"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "channels.csv"), frame)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "channels.parquet"), frame)
    assert _temps(tmp_path) == []


def test_remove_stale_temps_keeps_live_processes_files(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".channels.csv.tmp-{dead.pid}"
    mine = tmp_path / f".hourly.csv.tmp-{os.getpid()}"  # ours at start-up: left from before
    live = tmp_path / ".result.json.tmp-1"  # pid 1 is alive (init)
    keep = tmp_path / "channels.csv"
    for path in (stale, mine, live, keep):
        path.write_text("x")
    removed = remove_stale_temps(tmp_path)
    assert sorted(p.name for p in removed) == sorted([stale.name, mine.name])
    assert live.exists()
    assert keep.exists()


def test_cli_removes_stale_temps_at_start(
    tmp_path: Path, tiny_raw: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(tiny_raw))
    out = tmp_path / "out"
    out.mkdir()
    (out / ".channels.csv.tmp-999999999").write_text("half a file")
    assert cli_main(["run", str(scenario), "--out", str(out), "--replications", "1",
                     "--workers", "1"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)


# ---------------------------------------------------------------------------------------------
# interrupted runs (functional, subprocesses)

# The child is the real CLI entry point; only os.fsync is slowed, so a signal sent while a temp
# file exists lands inside atomic_write_bytes, between writing the temp file and renaming it.
SLOW_WRITER = """
import os, sys, time
real_fsync = os.fsync
def slow_fsync(fd):
    real_fsync(fd)
    time.sleep(60)
os.fsync = slow_fsync
from coverage.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def previous_and_new(
    tmp_path_factory: pytest.TempPathFactory, cli: list[str]
) -> tuple[dict, dict, float]:
    """Outputs of seed 1 (the 'previous' files), of seed 2 (a complete new run, made by the
    real console script in a subprocess), and how long that subprocess took [s]."""
    base = tmp_path_factory.mktemp("outputs")
    old_dir, new_dir = base / "old", base / "new"
    with open(os.devnull, "w") as sink:
        import contextlib

        with contextlib.redirect_stdout(sink):
            code = cli_main(["run", str(SCENARIO), "--replications", "1", "--seed", "1",
                             "--out", str(old_dir), "--workers", "1"])
    assert code == 0
    start = time.perf_counter()
    proc = subprocess.run(
        [*cli, "run", str(SCENARIO), "--replications", "1", "--seed", "2",
         "--out", str(new_dir), "--workers", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    old = {name: (old_dir / name).read_bytes() for name in OUTPUTS}
    new = {name: (new_dir / name).read_bytes() for name in OUTPUTS}
    assert all(old[name] != new[name] for name in OUTPUTS)
    return old, new, elapsed


def _prefilled(tmp_path: Path, old: dict[str, bytes]) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name, data in old.items():
        (out / name).write_bytes(data)
    return out


def _check_each_file_old_or_new(out: Path, old: dict, new: dict) -> dict[str, str]:
    states = {}
    assert _temps(out) == [], f"temp files left: {_temps(out)}"
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    for name in OUTPUTS:
        data = (out / name).read_bytes()
        if data == old[name]:
            states[name] = "previous"
        elif data == new[name]:
            states[name] = "new"
        else:
            raise AssertionError(f"{name} is neither the previous nor the new complete file")
    return states


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_inside_a_write_keeps_the_previous_file(
    sig: signal.Signals, tmp_path: Path, previous_and_new: tuple[dict, dict, float]
) -> None:
    old, new, _ = previous_and_new
    out = _prefilled(tmp_path, old)
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, "run", str(SCENARIO), "--replications", "1",
         "--seed", "2", "--out", str(out), "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while not _temps(out):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the child never started writing"
        time.sleep(0.02)
    temp = _temps(out)[0]
    child.send_signal(sig)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert stderr.strip() == INTERRUPTED
    states = _check_each_file_old_or_new(out, old, new)
    interrupted_file = temp.name.split(".tmp-")[0].lstrip(".")
    assert states[interrupted_file] == "previous"  # the half-done write was dropped
    assert states == {name: "previous" for name in OUTPUTS}  # channels.csv is written first


@pytest.mark.slow
@pytest.mark.parametrize("share", [0.7, 0.9, 0.97])
def test_signal_at_any_moment_never_leaves_a_partial_file(
    share: float, tmp_path: Path, previous_and_new: tuple[dict, dict, float], cli: list[str]
) -> None:
    old, new, elapsed = previous_and_new
    out = _prefilled(tmp_path, old)
    child = subprocess.Popen(
        [*cli, "run", str(SCENARIO), "--replications", "1", "--seed", "2",
         "--out", str(out), "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(elapsed * share)
    child.send_signal(signal.SIGTERM if share > 0.8 else signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    states = _check_each_file_old_or_new(out, old, new)
    if child.returncode == 130:
        assert stderr.strip() == INTERRUPTED
    elif child.returncode == 0:  # the signal came after the run had finished
        assert set(states.values()) == {"new"}
    else:  # the signal came before the CLI set its handlers, or after it had finished
        # default handling of SIGTERM / SIGINT (Python exits by the signal or with status 1)
        assert child.returncode in (-signal.SIGTERM, -signal.SIGINT, 1), stderr
        assert set(states.values()) in ({"previous"}, {"new"}), stderr  # / Ctrl-C at import

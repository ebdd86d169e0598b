"""`coverage-sim run` on 25 hand-written broken scenarios (functional, kind 4; end to end).

Each file in tests/data/bad/ has one thing wrong, said in its first-line comment. Run as a real
subprocess, each must exit 2 with exactly one line on stderr, starting with ``error: ``, naming
the file and the field path (or, for a file-level problem, what is wrong with the file), with
no traceback and nothing on stdout. The subprocesses run two at a time, once per session.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad"
SITE = "plans.single-site.sites.berlin"

# file stem → what the one stderr line must contain after "error: <file>: "
EXPECTED: dict[str, str] = {
    "01-shift-start-25h": f"{SITE}.shifts[0].start: '25:00' is not a time of day",
    "02-shift-start-unquoted": f"{SITE}.shifts[0].start: 20:00 (unquoted, which YAML reads as "
    'the number 1200) is not a time of day: write it in quotes as "20:00"',
    "03-unknown-top-level-key": "replicatons: unknown field; did you mean replications?",
    "04-unknown-nested-key": "channels.phone.handle_time.mean: unknown field; did you mean mean_s?",
    "05-negative-rate": "demand[0].per_hour: must be a finite number >= 0, got -20",
    "06-nan-handle-time": "channels.email.handle_time.mean_s: ",
    "07-yaml-syntax-error": "line 18: not valid YAML",
    "08-share-above-one": "channels.phone.target.share: ",
    "09-unknown-time-zone": "regions.emea.time_zone: 'Europe/Berln' is not an IANA time zone",
    "10-undefined-channel-in-demand": "demand[1].channel: 'fax' is not defined under channels",
    "11-undefined-channel-in-shift": f"{SITE}.shifts[0].channels[1]: 'chat' is not a channel",
    "12-plan-without-sites": "plans.single-site.sites: ",
    "13-empty-demand": "demand: ",
    "14-per-hour-wrong-length": "demand[1].per_hour: needs 24 hourly rates",
    "15-wrong-type-agents": f"{SITE}.shifts[0].agents: ",
    "16-duplicate-channel": "channels.phone: duplicate key (first at line 7, again at line 12)",
    "17-bad-plan-name": "plans.Single-Site: ",
    "18-async-with-patience": "channels.email.patience: an async channel never abandons",
    "19-warmup-not-shorter-than-horizon": "warmup_hours: must be shorter than the horizon",
    "20-unknown-holiday-calendar": "regions.emea.holidays: 'XX' is not a holiday calendar",
    "21-too-many-contacts": "demand: about 600,0",  # then "…; the limit is 50,000,000"
    "22-missing-name": "name: is required",
    "23-top-level-list": "the top level must be a mapping of fields, got list",
    "24-alias-bomb": "the document expands to more than 50,000 values",
    "25-not-utf8": "not UTF-8 text",
}


def _run(cli: list[str], path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli, "run", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def results(cli: list[str]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every bad file run once through the CLI, two at a time."""
    files = sorted(BAD.glob("*.yaml"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = pool.map(lambda f: _run(cli, f), files)
        return {f.stem: proc for f, proc in zip(files, runs, strict=True)}


def test_every_bad_file_has_an_expectation_and_a_comment() -> None:
    files = sorted(BAD.glob("*.yaml"))
    assert [f.stem for f in files] == sorted(EXPECTED)
    assert len(files) == 25
    for f in files:
        assert f.read_bytes().startswith(b"# BAD: "), f"{f.name}: first line must say what is wrong"


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_bad_file_exits_2_with_one_line_naming_file_and_field(
    stem: str, results: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    path = BAD / f"{stem}.yaml"
    proc = results[stem]
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith(f"error: {path}: "), line
    detail = line[len(f"error: {path}: ") :]
    assert detail.startswith(EXPECTED[stem]), f"{stem}: {line}"


def test_too_many_contacts_gives_the_estimate_and_the_limit(
    results: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    line = results["21-too-many-contacts"].stderr
    assert "contacts per replication; the limit is 50,000,000" in line
    assert "--max-contacts" in line

"""Run every public validation case (tests/data/public_cases.json) through `coverage-sim`.

Each case is written as a scenario file, run with ``coverage-sim run FILE --json`` for 20
replications, and each metric's mean compared with the case's expected value and tolerance
(4 standard errors of a 20-replication mean; a case that misses is retried once with the next
seed). tests/data/public_cases.md states the cases' sources and the translation used here;
tests/validation/test_public_cases.py imports this module, so the tests and this script check
the same thing.

    .venv/bin/python scripts/check_public_cases.py [--seed S] [--keep DIR] [--case ID ...]

Prints one line per case and ``N passed, N failed``; exits 1 when a case fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CASES_PATH = ROOT / "tests" / "data" / "public_cases.json"
REPLICATIONS = 20
DIST = {"exponential": "exponential", "lognormal": "lognormal", "deterministic": "fixed"}
# case metric -> JSON result field ("sl_alt" is in the cases for reference only)
FIELDS = {
    "p_wait": "p_wait",
    "p_abandon": "abandon_rate",
    "asa_s": "asa_s",
    "mean_wait_all_s": "mean_wait_all_s",
    "sl": "service_level",
    "occupancy": "occupancy",
}


def load_cases(path: Path = CASES_PATH) -> list[dict[str, Any]]:
    """The cases; a missing file is an error (the validation must never pass by not running)."""
    return list(json.loads(path.read_text(encoding="utf-8")))


def _dist(spec: dict[str, Any]) -> dict[str, Any]:
    out = {"dist": DIST[spec["dist"]], "mean_s": spec["mean_s"]}
    if "sigma" in spec:
        out["sigma"] = spec["sigma"]
    return out


def _clock(hours: float) -> str:
    return f"{int(hours) % 24:02d}:{round((hours % 1) * 60):02d}"


def _shifts(model: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    if "shifts" not in model:  # constant staffing: one crew on duty around the clock
        return [
            {
                "start": "00:00",
                "hours": 24,
                "days": "all",
                "agents": model["agents"],
                "channels": [channel],
            }
        ]
    shifts = []
    for i, crew in enumerate(model["shifts"]):
        hours = crew["hours"]
        if i == len(model["shifts"]) - 1 and not crew.get("repeat_daily", False):
            hours = 24 - crew["start_h"] % 24  # the last crew stays on so the queue drains
        shifts.append(
            {
                "start": _clock(crew["start_h"]),
                "hours": hours,
                "days": "all",
                "agents": crew["agents"],
                "channels": [channel],
            }
        )
    return shifts


def case_scenario(case: dict[str, Any], *, seed: int) -> dict[str, Any]:
    """A public case as scenario data (tests/data/public_cases.md, "How a case becomes...")."""
    model = case["model"]
    name = model.get("channel", "voice")
    channel: dict[str, Any] = {
        "mode": "async" if name == "email" else "realtime",
        "handle_time": _dist(model["service"]),
        "concurrency": model.get("concurrency", 1),
        "target": {"answer_within_s": case["sl_threshold_s"], "share": 0.8},
    }
    if (model.get("patience") or {}).get("dist", "none") != "none":
        channel["patience"] = _dist(model["patience"])
    arrival = model["arrival"]
    per_hour: Any = arrival.get("rate_per_hour")
    if "profile" in arrival:  # whole hours of one day -> 24 local-hour rates
        per_hour = [0.0] * 24
        for start_h, end_h, rate in arrival["profile"]:
            for hour in range(int(start_h), int(end_h)):
                per_hour[hour % 24] = rate
    site = {
        "time_zone": "UTC",
        "hourly_cost": 20.0,
        "shrinkage": 0.0,
        "shifts": _shifts(model, name),
    }
    return {
        "name": case["id"].lower(),
        "description": case["description"][:200],
        "horizon": {"hours": model["horizon_hours"]},
        "warmup_hours": model.get("warmup_hours", 0),
        "replications": REPLICATIONS,
        "seed": seed,
        "channels": {name: channel},
        "regions": {"everywhere": {"time_zone": "UTC"}},
        "demand": [{"channel": name, "region": "everywhere", "per_hour": per_hour}],
        "plans": {"only": {"sites": {"hq": site}}},
    }


def write_case(case: dict[str, Any], folder: Path, *, seed: int) -> Path:
    """Write the case's scenario as a YAML file (clock times stay quoted text)."""
    path = folder / f"{case['id'].lower()}-{seed}.yaml"
    path.write_text(yaml.safe_dump(case_scenario(case, seed=seed), sort_keys=False), "utf-8")
    return path


def only_channel(result: dict[str, Any]) -> dict[str, Any]:
    """The one channel of the one plan of a case's JSON result."""
    (plan,) = result["plans"].values()
    (channel,) = plan["channels"].values()
    return dict(channel)


def misses(case: dict[str, Any], channel: dict[str, Any]) -> list[str]:
    """The metrics of `channel` (a JSON result channel) outside the case's tolerance."""
    out = []
    for metric, field in FIELDS.items():
        if metric not in case["expected"]:
            continue
        want, tol = case["expected"][metric], case["tolerance"][metric]
        got = channel.get(field)
        if got is None or abs(got - want) > tol:
            out.append(f"{field} = {got} vs {want:.6g} ± {tol:.2g}")
    return out


def run_case(
    cli: list[str], case: dict[str, Any], folder: Path, *, seed: int
) -> tuple[str, list[str]]:
    """Run one case through the CLI: (stdout, misses); a failed run is one miss."""
    path = write_case(case, folder, seed=seed)
    args = ["run", str(path), "--json", "--replications", str(REPLICATIONS), "--seed", str(seed)]
    proc = subprocess.run([*cli, *args], capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        return proc.stdout, [f"exit {proc.returncode}: {proc.stderr.strip()[-200:]}"]
    return proc.stdout, misses(case, only_channel(json.loads(proc.stdout)))


def main(argv: list[str] | None = None) -> int:
    """Check the cases; 0 when all pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", help="write the scenario files here and keep them")
    parser.add_argument("--case", action="append", help="only this case id (repeatable)")
    args = parser.parse_args(argv)
    local = Path(sys.executable).parent / "coverage-sim"
    cli = [str(local)] if local.exists() else [sys.executable, "-m", "coverage"]
    folder = Path(args.keep or tempfile.mkdtemp(prefix="public-cases-"))
    folder.mkdir(parents=True, exist_ok=True)
    cases = [c for c in load_cases() if not args.case or c["id"] in args.case]
    failed = 0
    for case in cases:
        _, missed = run_case(cli, case, folder, seed=args.seed)
        if missed:
            _, missed = run_case(cli, case, folder, seed=args.seed + 1)
        failed += bool(missed)
        print(f"{'FAIL' if missed else 'pass'}  {case['id']}  {'; '.join(missed)}".rstrip())
    print(f"{len(cases) - failed} passed, {failed} failed")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

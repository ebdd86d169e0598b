"""The public validation cases (../shared/validation/public_cases.json) as scenario files.

Kind 3 (simulation vs analytic, STYLE.md section 8): each case is a single queue whose answer
is known exactly (Erlang C, Erlang A, M/M/c·k) or from 4,000 replications (the transient
crew-change day PUB-TV-8H). Each is written as a scenario YAML file, the translation of
../shared/validation/README.md (the same as ../shared/tools/check-public-cases), and run through
the public path a user has: `load_scenario` → `run_scenario` → `result_dict` (and once through
`coverage-sim run FILE --json`). The mean over 20 replications of each metric must lie within
the case's tolerance, which is 4 standard errors of a 20-replication mean: a correct simulator
passes each metric with high probability, and the README allows one retry with another seed
for a borderline miss. Seeds are fixed, so the outcome is the same on every run.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from coverage.results.report import result_dict, result_json
from coverage.scenario.model import load_scenario
from coverage.simulation.replications import run_scenario

SHARED = Path(__file__).resolve().parents[3] / "shared"  # ../shared beside the project
CASES_PATH = SHARED / "validation" / "public_cases.json"
TOOL_PATH = SHARED / "tools" / "check-public-cases"
REPLICATIONS = 20
SEEDS = (1, 2)  # the first run, and the one retry the README allows
DIST = {"exponential": "exponential", "lognormal": "lognormal", "deterministic": "fixed"}
# case metric -> JSON contract field ("sl_alt" is shown in the cases for reference only)
FIELDS = {
    "p_wait": "p_wait",
    "p_abandon": "abandon_rate",
    "asa_s": "asa_s",
    "mean_wait_all_s": "mean_wait_all_s",
    "sl": "service_level",
    "occupancy": "occupancy",
}


def _cases() -> list[dict[str, Any]]:
    if not CASES_PATH.exists():
        return []
    return json.loads(CASES_PATH.read_text(encoding="utf-8"))


CASES = _cases()
needs_cases = pytest.mark.skipif(not CASES, reason=f"{CASES_PATH} not found")


def _dist(spec: dict[str, Any]) -> dict[str, Any]:
    out = {"dist": DIST[spec["dist"]], "mean_s": spec["mean_s"]}
    if "sigma" in spec:
        out["sigma"] = spec["sigma"]
    return out


def _clock(hours: float) -> str:
    return f"{int(hours) % 24:02d}:{round((hours % 1) * 60):02d}"


def case_scenario(case: dict[str, Any], *, seed: int) -> dict[str, Any]:
    """A public case as a scenario (DESIGN.md format), per ../shared/validation/README.md.

    One channel, one region in UTC with a flat rate or 24 local-hour rates from the profile,
    one plan with one UTC site and no shrinkage. Constant staffing is one crew on duty around
    the clock ("00:00", 24 hours, every day: back-to-back days merge). A list of crews becomes
    one shift each; a schedule that does not repeat keeps its last crew on to the end of the
    day, so the queue drains after the horizon.
    """
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
    if "profile" in arrival:
        per_hour: Any = [0.0] * 24
        for start_h, end_h, rate in arrival["profile"]:
            for hour in range(int(start_h), int(end_h)):
                per_hour[hour % 24] = rate
    else:
        per_hour = arrival["rate_per_hour"]
    if "shifts" in model:
        shifts = []
        for i, crew in enumerate(model["shifts"]):
            hours = crew["hours"]
            if i == len(model["shifts"]) - 1 and not crew.get("repeat_daily", False):
                hours = 24 - crew["start_h"] % 24
            shifts.append(
                {
                    "start": _clock(crew["start_h"]),
                    "hours": hours,
                    "days": "all",
                    "agents": crew["agents"],
                    "channels": [name],
                }
            )
    else:
        shifts = [
            {
                "start": "00:00",
                "hours": 24,
                "days": "all",
                "agents": model["agents"],
                "channels": [name],
            }
        ]
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
        "plans": {
            "only": {
                "sites": {
                    "hq": {
                        "time_zone": "UTC",
                        "hourly_cost": 20.0,
                        "shrinkage": 0.0,
                        "shifts": shifts,
                    }
                }
            }
        },
    }


def write_case(case: dict[str, Any], folder: Path, *, seed: int) -> Path:
    """Write the case's scenario as a YAML file (clock times stay quoted text)."""
    path = folder / f"{case['id'].lower()}-{seed}.yaml"
    path.write_text(yaml.safe_dump(case_scenario(case, seed=seed), sort_keys=False), "utf-8")
    return path


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


def _only_channel(result: dict[str, Any]) -> dict[str, Any]:
    (plan,) = result["plans"].values()
    (channel,) = plan["channels"].values()
    return channel


@needs_cases
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_public_case_within_tolerance_simulation_vs_analytic(case, tmp_path):
    # Simulation vs analytic (kind 3): mean of 20 replications within the case's tolerance
    # (4 standard errors of that mean, from the case file); one retry with another seed.
    report = []
    for seed in SEEDS:
        scenario = load_scenario(write_case(case, tmp_path, seed=seed))
        result = result_dict(run_scenario(scenario, replications=REPLICATIONS, seed=seed))
        channel = _only_channel(result)
        missed = misses(case, channel)
        if not missed:
            return
        report.append(f"seed {seed}: " + "; ".join(missed))
    pytest.fail(f"{case['id']} misses its tolerance: " + " | ".join(report))


@needs_cases
def test_every_case_metric_is_checked_unit():
    # Unit: every expected metric of every case maps to a JSON field, except sl_alt (shown for
    # reference only), so no case passes by skipping a metric.
    for case in CASES:
        unchecked = set(case["expected"]) - set(FIELDS) - {"sl_alt"}
        assert not unchecked, (case["id"], unchecked)
        assert set(case["expected"]) <= set(case["tolerance"]), case["id"]


@needs_cases
def test_translation_matches_the_shared_checker_unit():
    # Unit: our scenario for each case is the one ../shared/tools/check-public-cases writes.
    if not TOOL_PATH.exists():
        pytest.skip(f"{TOOL_PATH} not found")
    loader = importlib.machinery.SourceFileLoader("check_public_cases", str(TOOL_PATH))
    spec = importlib.util.spec_from_loader("check_public_cases", loader)
    assert spec is not None
    tool = importlib.util.module_from_spec(spec)
    loader.exec_module(tool)
    for case in CASES:
        assert case_scenario(case, seed=3) == tool.scenario_for(case, REPLICATIONS, 3), case["id"]


def _cli() -> str:
    local = Path(sys.executable).parent / "coverage-sim"
    found = str(local) if local.exists() else shutil.which("coverage-sim")
    if not found:
        pytest.skip("coverage-sim is not installed")
    return found


@needs_cases
def test_public_case_through_the_cli_simulation_vs_analytic(tmp_path):
    # Simulation vs reference (kind 3), end to end: the crew-change day PUB-TV-8H written to a
    # file and run with `coverage-sim run FILE --json`, as ../shared/tools/check-public-cases
    # does; stdout is exactly the JSON result the library gives for the same file and seed.
    case = next(c for c in CASES if c["id"] == "PUB-TV-8H")
    failures = []
    for seed in SEEDS:
        path = write_case(case, tmp_path, seed=seed)
        proc = subprocess.run(
            [_cli(), "run", str(path), "--json", "--replications", "20", "--seed", str(seed)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        library = run_scenario(load_scenario(path), replications=REPLICATIONS, seed=seed)
        assert proc.stdout == result_json(library) + "\n"
        missed = misses(case, _only_channel(result))
        if not missed:
            return
        failures.append(f"seed {seed}: " + "; ".join(missed))
    pytest.fail("PUB-TV-8H through the CLI: " + " | ".join(failures))

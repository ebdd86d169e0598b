"""Resource limits: absurd scenarios are refused up front, with the estimate and the limit.

Unit tests (kind 1) of the limits in docs/reliability.md: contacts per replication
(`check_contact_budget`, `--max-contacts`), agents per plan (`check_agent_budget`,
`--max-agents`), file size, YAML size after aliases and nesting depth, and numbers so large that
they would overflow the arithmetic (which must be refused as input, not crash the run).
"""

from __future__ import annotations

import copy
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from coverage.calendar import build_timeline
from coverage.cli import main as cli_main
from coverage.demand.arrivals import check_contact_budget
from coverage.errors import ScenarioError
from coverage.scenario.model import load_scenario, parse_scenario
from coverage.scenario.yaml_loader import (
    MAX_FILE_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    read_yaml_text,
)
from coverage.simulation.replications import MAX_CONTACTS_PER_REPLICATION, run_scenario
from coverage.simulation.roster import MAX_AGENTS_PER_PLAN, check_agent_budget

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, raw: dict[str, Any], name: str = "limit.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _huge_demand(raw: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    raw["horizon"] = {"start": "2026-01-05", "days": 7}
    raw["warmup_weeks"] = 0  # the figures below are of the horizon alone (no burn-in week)
    raw["warmup_weeks"] = 0  # the figures below are of the horizon alone (no burn-in week)
    raw["demand"][0]["per_hour"] = 1_000_000  # 168 million contacts a week
    return raw


# ---------------------------------------------------------------------------------------------
# contacts per replication


def test_contact_budget_refuses_with_estimate_and_limit(tiny_raw: dict[str, Any]) -> None:
    scenario = parse_scenario(_huge_demand(tiny_raw))
    with pytest.raises(ScenarioError, match=r"^demand: about 168,\d{3},\d{3} contacts per "
                       r"replication; the limit is 50,000,000") as info:
        check_contact_budget(scenario, build_timeline(scenario),
                             limit=MAX_CONTACTS_PER_REPLICATION)
    assert info.value.path == "demand"


def test_contact_budget_is_checked_before_any_simulation(tiny_raw: dict[str, Any]) -> None:
    scenario = parse_scenario(_huge_demand(tiny_raw))
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="limit is 50,000,000"):
        run_scenario(scenario, replications=1)
    assert time.perf_counter() - start < 10.0  # refused up front, nothing was drawn


def test_contact_budget_limit_is_configurable(tiny_raw: dict[str, Any]) -> None:
    scenario = parse_scenario(tiny_raw)  # about 864 contacts a day
    timeline = build_timeline(scenario)
    assert check_contact_budget(scenario, timeline, limit=1000) == pytest.approx(864, rel=1e-9)
    with pytest.raises(ScenarioError, match="about 864 contacts per replication; the limit is "
                       "500"):
        run_scenario(scenario, replications=1, max_contacts=500)


def test_cli_max_contacts_refuses_with_file_name(
    tiny_raw: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, tiny_raw)
    assert cli_main(["run", str(path), "--max-contacts", "500"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}: demand: about 864 contacts")
    assert "the limit is 500 (raise it with --max-contacts" in err


def test_cli_default_contact_limit_in_a_real_process(
    tiny_raw: dict[str, Any], tmp_path: Path, cli: list[str]
) -> None:
    path = _write(tmp_path, _huge_demand(tiny_raw), "huge-demand.yaml")
    proc = subprocess.run([*cli, "run", str(path)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: {path}: demand: about 168,")
    assert "the limit is 50,000,000" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------------
# agents per plan


def _many_agents(raw: dict[str, Any], per_shift: int, shifts: int) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    site = raw["plans"]["day"]["sites"]["berlin"]
    site["shifts"] = [
        {"start": "08:00", "hours": 8, "agents": per_shift} for _ in range(shifts)
    ]
    return raw


def test_agent_budget_counts_every_crew_of_a_plan(tiny_raw: dict[str, Any]) -> None:
    # 3 shifts of 40,000 are each within the per-shift bound, together over the plan limit
    scenario = parse_scenario(_many_agents(tiny_raw, 40_000, 3))
    with pytest.raises(ScenarioError, match=r"120,000 agents in this plan; the limit is "
                       r"100,000") as info:
        check_agent_budget(scenario, limit=MAX_AGENTS_PER_PLAN)
    assert info.value.path == "plans.day"
    assert check_agent_budget(parse_scenario(tiny_raw), limit=MAX_AGENTS_PER_PLAN) == 4


def test_agent_budget_counts_holiday_crews(tiny_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(tiny_raw)
    raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]["holiday_agents"] = 9
    assert check_agent_budget(parse_scenario(raw), limit=100) == 9  # max(4, 9)
    with pytest.raises(ScenarioError, match="9 agents in this plan; the limit is 5"):
        check_agent_budget(parse_scenario(raw), limit=5)


def test_agent_budget_refused_before_rosters_are_built(tiny_raw: dict[str, Any]) -> None:
    scenario = parse_scenario(_many_agents(tiny_raw, 100_000, 5))
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="500,000 agents in this plan"):
        run_scenario(scenario, replications=1)
    assert time.perf_counter() - start < 5.0
    with pytest.raises(ScenarioError, match="4 agents in this plan; the limit is 3 "):
        run_scenario(parse_scenario(tiny_raw), replications=1, max_agents=3)


def test_cli_max_agents(
    tiny_raw: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, tiny_raw)
    assert cli_main(["run", str(path), "--max-agents", "3", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}: plans.day: 4 agents in this plan; the limit is 3")
    assert "--max-agents" in err


def test_one_shift_is_bounded_by_the_scenario_format(tiny_raw: dict[str, Any]) -> None:
    raw = _many_agents(tiny_raw, 100_001, 1)
    with pytest.raises(ScenarioError, match=r"plans\.day\.sites\.berlin\.shifts\[0\]\.agents"):
        parse_scenario(raw)


# ---------------------------------------------------------------------------------------------
# file size, YAML size and depth


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"name: big\n# " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(ScenarioError, match=r"big\.yaml: file is 2,000,0\d\d bytes; the limit "
                       r"is 2,000,000"):
        load_scenario(path)


def test_text_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ScenarioError, match="the limit is 2,000,000"):
        read_yaml_text(b"a: 1\n" + b" " * MAX_FILE_BYTES, file="upload.yaml")


def test_alias_bomb_is_refused_quickly() -> None:
    # "billion laughs": 10 levels of 10 aliases would expand to 10^10 values
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]" for k in range(1, 10)]
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match=f"expands to more than {MAX_YAML_NODES:,} values"):
        read_yaml_text("\n".join(lines), file="bomb.yaml")
    assert time.perf_counter() - start < 1.0


def test_a_long_flat_document_stops_composing_at_the_node_limit() -> None:
    text = "a: [" + "1, " * 600_000 + "1]"  # 1.8 MB, under the file limit
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match=f"more than {MAX_YAML_NODES:,} values"):
        read_yaml_text(text, file="flat.yaml")
    assert time.perf_counter() - start < 5.0


def test_aliases_that_do_not_multiply_are_fine() -> None:
    text = "base: &b {x: 1, y: [1, 2]}\nc: {<<: *b, x: 2}\nd: [*b, *b]\n"
    assert read_yaml_text(text) == {
        "base": {"x": 1, "y": [1, 2]},
        "c": {"x": 2, "y": [1, 2]},
        "d": [{"x": 1, "y": [1, 2]}, {"x": 1, "y": [1, 2]}],
    }


@pytest.mark.parametrize("depth", [MAX_YAML_DEPTH + 1, 900, 50_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    with pytest.raises(ScenarioError, match=r"nest|not valid YAML") as info:
        read_yaml_text("a: " + "[" * depth + "]" * depth, file="deep.yaml")
    assert "deep.yaml" in str(info.value)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ScenarioError, match="refers to a value that contains it"):
        read_yaml_text("a: &a [1, *a]")


# ---------------------------------------------------------------------------------------------
# numbers that would overflow the arithmetic (found by tests/test_fuzz.py)


def test_huge_busyness_cv_is_refused_not_overflowing(tiny_raw: dict[str, Any]) -> None:
    # cv ** 2 overflows a float: it was an OverflowError traceback inside arrivals
    tiny_raw["demand"][0]["busyness_cv"] = 1e300
    with pytest.raises(ScenarioError, match=r"demand\[0\]\.busyness_cv"):
        parse_scenario(tiny_raw)


def test_huge_lognormal_sigma_is_refused_not_overflowing(tiny_raw: dict[str, Any]) -> None:
    tiny_raw["channels"]["phone"]["handle_time"] = {"dist": "lognormal", "mean_s": 300,
                                                    "sigma": 1e300}
    with pytest.raises(ScenarioError, match=r"channels\.phone\.handle_time\.sigma"):
        parse_scenario(tiny_raw)

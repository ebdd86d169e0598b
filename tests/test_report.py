"""Functional: the finance table (`report.costs_table`, `--out .../costs.csv`) adds up and agrees
with the JSON result's cost block."""

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from coverage.results.report import costs_table, result_dict
from coverage.scenario.model import Scenario
from coverage.simulation.replications import run_scenario


def test_costs_table_adds_up_and_matches_the_json(tiny_scenario: Scenario):
    result = run_scenario(tiny_scenario, replications=2)
    table = costs_table(result)
    cost_json = result_dict(result)["plans"]
    for plan, rows in table.groupby("plan"):
        sites = rows[rows["site"] != "all sites"]
        total = rows[rows["site"] == "all sites"].iloc[0]
        block = cost_json[plan]["cost"]
        for key in ("labor", "premiums", "seats", "paid_hours"):
            assert sites[key].sum() == pytest.approx(total[key], rel=1e-12)
            assert total[key] == pytest.approx(block[key], rel=1e-12)
        assert total["total"] == pytest.approx(
            total["labor"] + total["premiums"] + total["automation"] + total["seats"], rel=1e-12
        )
        assert total["per_contact"] == pytest.approx(block["per_contact"], rel=1e-12)
        assert total["per_month"] == pytest.approx(block["per_month"], rel=1e-12)
    assert set(table["currency"]) == {"USD"}


def test_run_out_writes_the_costs_table(tmp_path: Path, cli: list[str]):
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            *cli,
            "run",
            str(root / "scenarios" / "three-agent-24x7.yaml"),
            "--replications",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    csv = pd.read_csv(out / "costs.csv")
    parquet = pd.read_parquet(out / "costs.parquet")
    assert list(csv.columns) == list(parquet.columns)
    assert {"plan", "site", "currency", "labor", "premiums", "total", "per_month"} <= set(csv)
    assert (csv["site"] == "all sites").sum() == 2  # one total row per plan

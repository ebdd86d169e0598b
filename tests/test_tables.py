"""Tests of coverage.app.tables: the app's tables agree with the run they show (functional), and
the Excel download holds one sheet per table."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from coverage.app import tables
from coverage.results.report import channels_table, hourly_table
from coverage.scenario.model import parse_scenario
from coverage.simulation.replications import run_scenario


@pytest.fixture(scope="module")
def run():
    """The tiny scenario (two plans, one day), three replications: result and its tables."""
    result = run_scenario(parse_scenario(TINY), replications=3, seed=5)
    return result, hourly_table(result), tables.agents_table(result)


def test_headline_delta_and_cost_tables(run):
    result, _, _ = run
    head = tables.headline_table(result).set_index(["plan", "channel"])
    fig = result.plans["day"].channels["phone"]
    assert head.loc[("day", "phone"), "service level [%]"] == pytest.approx(
        100 * fig.service_level, rel=1e-12
    )
    assert head.loc[("day", "phone"), "to agents [contacts]"] == pytest.approx(
        fig.offered - fig.deflected, rel=1e-12
    )
    delta = tables.delta_table(result).set_index("channel")
    other = result.plans["round-the-clock"].channels["phone"]
    # no empty replication here, so the mean of paired differences is the difference of means
    assert delta.loc["phone", "service level [pp]"] == pytest.approx(
        100 * (other.service_level - fig.service_level), abs=1e-9
    )
    costs = tables.cost_table(result).set_index("plan")
    assert costs.loc["day", "Δ per month vs day"] == pytest.approx(0.0, abs=1e-9)
    assert costs.loc["round-the-clock", "cost per month"] == pytest.approx(
        result.plans["round-the-clock"].cost.per_month, rel=1e-12
    )
    # per contact: mean total / mean offered (the JSON's), its interval from the replications
    assert costs.loc["day", "cost per contact"] == pytest.approx(
        result.plans["day"].cost.per_contact, rel=1e-12
    )
    per_rep = result.plans["day"].cost_per_replication
    offered = result.plans["day"].per_replication.groupby("rep")["offered"].sum()
    np.testing.assert_allclose(per_rep["per_contact"], per_rep["total"] / offered, rtol=1e-12)


def test_excel_has_one_sheet_per_table(run):
    result, hourly, _ = run
    channels = channels_table(result)
    data = tables.excel_bytes({"channels": channels, "hourly": hourly})
    back = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert list(back) == ["channels", "hourly"]
    assert back["channels"].shape == channels.shape
    assert list(back["hourly"].columns) == list(hourly.columns)

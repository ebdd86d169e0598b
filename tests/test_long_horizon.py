"""Functional: a 52-week horizon with one replication runs (issue 6), and its volume is 52 weeks
of the default scenario's (the weekly profile repeats; holidays move a little demand)."""

import pytest
import yaml
from conftest import SCENARIOS

from coverage.scenario.model import parse_scenario
from coverage.simulation.replications import run_scenario


@pytest.mark.slow
def test_a_year_of_the_default_scenario_runs_with_one_replication():
    raw = yaml.safe_load((SCENARIOS / "global-saas.yaml").read_text())
    raw["horizon"] = {"start": "2026-03-02", "days": 364}
    year = run_scenario(parse_scenario(raw), replications=1, plans=["follow-the-sun"])
    week = run_scenario(
        parse_scenario({**raw, "horizon": {"start": "2026-03-02", "days": 7}}),
        replications=1,
        plans=["follow-the-sun"],
    )
    for name, ch in year.plans["follow-the-sun"].channels.items():
        total = ch.deflected + ch.answered + ch.abandoned + ch.unfinished
        assert ch.offered == total, name  # conservation
        weekly = week.plans["follow-the-sun"].channels[name].offered
        # 52 weeks of Poisson demand; US/DE/AU holidays lower it by a few percent at most
        assert 0.90 * 52 * weekly < ch.offered < 1.05 * 52 * weekly, name
    assert (
        year.plans["follow-the-sun"].cost.paid_hours
        > 50 * week.plans["follow-the-sun"].cost.paid_hours
    )

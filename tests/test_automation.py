"""Tests for coverage.demand.automation: bot deflection, bot time, bot cost, plan overrides.

Kinds: kind 1 (unit: hand-built contacts with known bot draws), kind 2 (validation: the
deflected share is Binomial(n, deflection)) and kind 4 (functional: counts and costs through a
whole run, the same bot draws for every plan).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from coverage.calendar import build_timeline
from coverage.demand.arrivals import Contacts
from coverage.demand.automation import apply_automation
from coverage.scenario.model import Automation, Scenario, parse_scenario
from coverage.simulation.dispatch import build_engine_input
from coverage.simulation.replications import run_scenario
from coverage.simulation.roster import build_roster

RAW: dict[str, Any] = {
    "name": "bot",
    "horizon": {"start": "2026-01-05", "hours": 12},
    "channels": {
        "phone": {
            "handle_time": {"dist": "exponential", "mean_s": 200},
            "patience": {"dist": "exponential", "mean_s": 100},
        },
        "chat": {
            "handle_time": {"dist": "exponential", "mean_s": 400},
            "patience": {"dist": "exponential", "mean_s": 150},
            "concurrency": 2,
        },
    },
    "regions": {"utc": {"time_zone": "UTC"}},
    "demand": [
        {"channel": "phone", "region": "utc", "per_hour": 40},
        {"channel": "chat", "region": "utc", "per_hour": 60},
    ],
    "automation": {"chat": {"deflection": 0.3, "bot_time_s": 90, "cost_per_contact": 0.5}},
    "plans": {
        "with-bot": {
            "sites": {
                "hq": {
                    "time_zone": "UTC",
                    "hourly_cost": 10.0,
                    "shifts": [{"start": "00:00", "hours": 24, "agents": 8}],
                }
            }
        },
        "no-bot": {
            "automation": {},
            "sites": {
                "hq": {
                    "time_zone": "UTC",
                    "hourly_cost": 10.0,
                    "shifts": [{"start": "00:00", "hours": 24, "agents": 8}],
                }
            },
        },
    },
}


def _scenario(**changes: Any) -> Scenario:
    raw = copy.deepcopy(RAW)
    raw.update(changes)
    return parse_scenario(raw)


def _contacts(arrived: list[float], channel: list[int], bot_u: list[float]) -> Contacts:
    n = len(arrived)
    return Contacts(
        arrived_at_s=np.asarray(arrived, float),
        channel=np.asarray(channel, np.int16),
        region=np.zeros(n, np.int16),
        segment=np.full(n, -1, np.int16),
        language=np.full(n, -1, np.int16),
        entry=np.asarray(channel, np.int16),
        handle_s=np.full(n, 100.0),
        patience_s=np.full(n, 50.0),
        bot_u=np.asarray(bot_u, float),
    )


def test_deflection_by_bot_draw_unit():
    # Unit: a contact on a bot channel is deflected iff its uniform draw < deflection; an
    # escalated one joins bot_time_s after arriving; both are billed; other channels untouched.
    sc = _scenario()
    contacts = _contacts(
        arrived=[10.0, 20.0, 30.0, 40.0, 50.0],
        channel=[1, 1, 1, 0, 1],
        bot_u=[0.1, 0.3, 0.2999, 0.05, 0.9],
    )
    out = apply_automation(contacts, sc, sc.automation_for("with-bot"))
    assert out.bot.tolist() == [True, True, True, False, True]
    assert out.deflected.tolist() == [True, False, True, False, False]
    joined = out.joined_at_s
    assert np.isnan(joined[[0, 2]]).all()
    assert joined[[1, 3, 4]].tolist() == pytest.approx([110.0, 40.0, 140.0], abs=1e-12)
    assert out.bot_cost.tolist() == pytest.approx([0.5, 0.5, 0.5, 0.0, 0.5], abs=1e-12)


def test_no_automation_block_means_no_bot_unit():
    # Unit: the plan override {} removes the bot: nothing deflected, joined = arrived, no cost.
    sc = _scenario()
    contacts = _contacts([1.0, 2.0], [1, 0], [0.0, 0.0])
    out = apply_automation(contacts, sc, sc.automation_for("no-bot"))
    assert not out.bot.any()
    assert not out.deflected.any()
    assert out.joined_at_s.tolist() == [1.0, 2.0]
    assert out.bot_cost.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("deflection", "expected"), [(0.0, 0), (1.0, 3)])
def test_deflection_edges_unit(deflection: float, expected: int):
    # Unit: deflection 0 deflects nothing (but the bot still talks and bills, and delays),
    # deflection 1 deflects everything.
    sc = _scenario()
    block = {"chat": Automation(deflection=deflection, bot_time_s=30.0, cost_per_contact=0.2)}
    out = apply_automation(_contacts([0.0, 1.0, 2.0], [1, 1, 1], [0.0, 0.5, 0.999]), sc, block)
    assert int(out.deflected.sum()) == expected
    assert out.bot_cost.sum() == pytest.approx(0.6, abs=1e-12)
    if expected == 0:
        assert out.joined_at_s.tolist() == pytest.approx([30.0, 31.0, 32.0], abs=1e-12)


def test_more_deflection_deflects_a_superset_unit():
    # Unit (common random numbers): the same bot draws decide every deflection level, so a
    # higher deflection deflects every contact a lower one did.
    sc = _scenario()
    u = np.linspace(0.0, 0.999, 200)
    contacts = _contacts(list(np.arange(200.0)), [1] * 200, list(u))
    low = apply_automation(contacts, sc, {"chat": Automation(deflection=0.2)}).deflected
    high = apply_automation(contacts, sc, {"chat": Automation(deflection=0.5)}).deflected
    assert np.all(high[low])
    assert high.sum() > low.sum()


def test_patience_starts_when_joining_the_agent_queue_unit():
    # Unit: an escalated contact's deadline is joined (arrival + bot time) + patience.
    sc = _scenario()
    timeline = build_timeline(sc)
    roster = build_roster(sc, sc.plans["with-bot"], timeline, [])
    contacts = _contacts([10.0, 20.0], [1, 0], [0.9, 0.9])
    bot = apply_automation(contacts, sc, sc.automation_for("with-bot"))
    inp = build_engine_input(sc, contacts, bot, roster, timeline.end_s)
    by_contact = dict(zip(inp.contact.tolist(), inp.deadline_s.tolist(), strict=True))
    assert by_contact[0] == pytest.approx(10.0 + 90.0 + 50.0, abs=1e-12)
    assert by_contact[1] == pytest.approx(20.0 + 50.0, abs=1e-12)
    # queue order is by joining time: the phone contact (joined 20) before the chat (joined 100)
    assert inp.contact.tolist() == [1, 0]


def test_deflected_share_and_bot_cost_in_a_run_validation():
    # Validation (theory): deflected ~ Binomial(offered, 0.3) per replication; over 10
    # replications of ~720 chats the share's sd is √(0.21/7200) ≈ 0.0054 → tolerance 0.025
    # (4.6 sd). Functional: automation cost = chats offered × 0.5 exactly (every chat talks to
    # the bot); the plan without a bot deflects nothing and pays nothing for automation; both
    # plans see the same offered contacts.
    sc = _scenario()
    result = run_scenario(sc, replications=10, seed=3)
    chat = result.plans["with-bot"].channels["chat"]
    assert chat.deflected / chat.offered == pytest.approx(0.3, abs=0.025)
    per_rep = result.plans["with-bot"].per_replication
    chats = per_rep[per_rep["channel"] == "chat"]["offered"].to_numpy()
    cost = result.plans["with-bot"].cost_per_replication["automation"].to_numpy()
    assert cost == pytest.approx(chats * 0.5, rel=1e-12)
    assert result.plans["with-bot"].channels["phone"].deflected == 0
    plain = result.plans["no-bot"]
    assert plain.channels["chat"].deflected == 0
    assert plain.cost.automation == pytest.approx(0.0, abs=0)
    assert plain.channels["chat"].offered == chat.offered

"""Tests for coverage.results.metrics on a hand-built contact log.

Kinds: kind 1 (unit: every metric definition of docs/results.md, "Metric definitions", computed by
hand for a small log whose every row is chosen to hit one rule) and kind 2 (validation: the
ci95 formula against a published Student-t quantile).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coverage.calendar import Timeline, build_timeline
from coverage.demand.arrivals import Contacts
from coverage.demand.automation import BotOutcome
from coverage.results.figures import (
    COUNT_FIELDS,
    ChannelCI95,
    ChannelFigures,
    ReplicationFigures,
    to_dict,
)
from coverage.results.hourly import hourly_counts
from coverage.results.metrics import (
    DEFLECTED,
    ci95,
    contact_log,
    replication_metrics,
    summarize_channel,
)
from coverage.scenario.model import Scenario, parse_scenario
from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED, EngineInput, EngineOutput
from coverage.simulation.roster import Roster, build_roster

NAN = math.nan
WARMUP_S, HORIZON_S = 3600.0, 36000.0
END_S = HORIZON_S + 86400.0


def _scenario() -> Scenario:
    return parse_scenario(
        {
            "name": "metrics",
            "horizon": {"start": "2026-01-05", "hours": 10},
            "warmup_hours": 1,
            "warmup_weeks": 0,  # the hand-computed timeline below has no burn-in
            "channels": {
                "phone": {
                    "handle_time": {"dist": "exponential", "mean_s": 300},
                    "patience": {"dist": "exponential", "mean_s": 100},
                    "short_abandon_s": 5,
                    "target": {"answer_within_s": 20, "share": 0.8},
                },
                "chat": {
                    "handle_time": {"dist": "exponential", "mean_s": 600},
                    "concurrency": 2,
                    "target": {"answer_within_s": 60, "share": 0.8},
                },
                "email": {"mode": "async", "handle_time": {"dist": "fixed", "mean_s": 300}},
            },
            "regions": {"utc": {"time_zone": "UTC"}},
            "segments": {"vip": {"priority": 0, "target": {"answer_within_s": 10, "share": 0.9}}},
            "demand": [{"channel": "phone", "region": "utc", "per_hour": 1}],
            "plans": {
                "p": {
                    "sites": {
                        "hq": {
                            "time_zone": "UTC",
                            "hourly_cost": 10.0,
                            "shifts": [
                                {
                                    "start": "00:00",
                                    "hours": 8,
                                    "agents": 2,
                                    "channels": ["phone", "chat"],
                                }
                            ],
                        }
                    }
                }
            },
        }
    )


PHONE, CHAT, EMAIL = 0, 1, 2
OT_S = 600.0  # agent 0 finishes a contact 600 s after its shift end at 8 h


def _row(
    arrived: float,
    outcome: int,
    wait: float = NAN,
    handle: float = NAN,
    channel: int = PHONE,
    segment: int = -1,
) -> dict[str, Any]:
    deflected = outcome == DEFLECTED
    started = arrived + wait if outcome == ANSWERED else NAN
    return {
        "arrived_at_s": arrived,
        "joined_at_s": NAN if deflected else arrived,
        "channel": channel,
        "region": 0,
        "segment": segment,
        "language": -1,
        "outcome": outcome,
        "wait_s": wait,
        "started_at_s": started,
        "ended_at_s": started + handle if outcome == ANSWERED else NAN,
        "handle_s": handle,
        "agent": 0 if outcome == ANSWERED else -1,
        "agent_site": 0 if outcome == ANSWERED else -1,
    }


def _log() -> pd.DataFrame:
    rows = [
        # phone
        _row(1000.0, ANSWERED, 0.0, 3600.0),  # before warm-up: not offered; busy 1000 s inside
        _row(4000.0, ANSWERED, 0.0, 300.0),  # within target
        _row(5000.0, ANSWERED, 10.0, 200.0),  # within target
        _row(6000.0, ANSWERED, 30.0, 100.0),  # misses 20 s
        _row(7000.0, ABANDONED, 3.0),  # short abandon
        _row(7100.0, ABANDONED, 5.0),  # short abandon: "at or below" 5 s
        _row(7200.0, ABANDONED, 50.0),  # counted abandon
        _row(7300.0, DEFLECTED),
        _row(35000.0, UNFINISHED, END_S - 35000.0),
        _row(35900.0, ANSWERED, 20.0, 1000.0),  # exactly 20 s: within; busy clipped to 80 s
        _row(8000.0, ANSWERED, 15.0, 100.0, segment=0),  # vip target 10 s: misses
        _row(HORIZON_S, ANSWERED, 0.0, 100.0),  # arrives at the horizon end: not offered
        # chat (concurrency 2: a contact counts half an agent)
        _row(10000.0, ANSWERED, 0.0, 600.0, channel=CHAT),
        _row(10100.0, DEFLECTED, channel=CHAT),
    ]
    return pd.DataFrame(rows)


def _setup() -> tuple[Scenario, Timeline, Roster, EngineOutput]:
    sc = _scenario()
    timeline = build_timeline(sc)
    assert (timeline.warmup_s, timeline.horizon_s, timeline.end_s) == (WARMUP_S, HORIZON_S, END_S)
    roster = build_roster(sc, sc.plans["p"], timeline, [])
    out = EngineOutput(
        outcome=np.zeros(0, np.int8),
        started_at_s=np.zeros(0),
        ended_at_s=np.zeros(0),
        left_at_s=np.zeros(0),
        agent=np.zeros(0, np.int32),
        overtime_agent=np.array([0], np.int32),
        overtime_start_s=np.array([8 * 3600.0]),
        overtime_end_s=np.array([8 * 3600.0 + OT_S]),
        overtime_paid=np.array([True]),
    )
    return sc, timeline, roster, out


@pytest.fixture(scope="module")
def figures() -> ReplicationFigures:
    sc, timeline, roster, out = _setup()
    return replication_metrics(sc, timeline, _log(), roster, out)


def test_counts_and_conservation_unit(figures):
    # Unit: offered = arrivals in [warmup, horizon); every count is of those; conservation.
    phone = figures.channels["phone"]
    assert phone.offered == 10
    assert phone.deflected == 1
    assert phone.answered == 5
    assert phone.answered_within_target == 3
    assert phone.abandoned == 3
    assert phone.short_abandoned == 2
    assert phone.unfinished == 1
    assert phone.offered == (phone.deflected + phone.answered + phone.abandoned + phone.unfinished)


def test_service_level_excludes_deflected_and_short_abandons_unit(figures):
    # Unit: service_level = answered_within_target / (offered − deflected − short_abandoned);
    # the vip contact is judged by its segment's 10 s target, not the channel's 20 s.
    assert figures.channels["phone"].service_level == pytest.approx(3 / 7, abs=1e-12)


def test_abandon_rate_excludes_short_abandons_unit(figures):
    # Unit: abandon_rate = (abandoned − short_abandoned) / (offered − deflected − short).
    assert figures.channels["phone"].abandon_rate == pytest.approx(1 / 7, abs=1e-12)


def test_p_wait_counts_abandoners_unit(figures):
    # Unit: p_wait = contacts with wait > 0, abandoners included / (offered − deflected):
    # 4 answered after a wait, 3 abandoners, 1 unfinished, out of 9.
    assert figures.channels["phone"].p_wait == pytest.approx(8 / 9, abs=1e-12)


def test_waits_and_percentiles_unit(figures):
    # Unit: asa over answered; mean_wait_all over everything that reached the queue
    # (abandoners: time to abandon; unfinished: time to the drain end); frt percentiles with
    # numpy's linear method over answered waits [0, 10, 15, 20, 30].
    phone = figures.channels["phone"]
    assert phone.asa_s == pytest.approx(75 / 5, abs=1e-12)
    all_waits = [0, 10, 30, 3, 5, 50, END_S - 35000.0, 20, 15]
    assert phone.mean_wait_all_s == pytest.approx(sum(all_waits) / 9, rel=1e-12)
    assert phone.frt_p50_s == pytest.approx(15.0, abs=1e-12)
    assert phone.frt_p90_s == pytest.approx(26.0, abs=1e-12)  # 20 + 0.6 × (30 − 20)
    assert phone.frt_max_s == pytest.approx(30.0, abs=1e-12)


def test_occupancy_clips_to_window_and_divides_by_concurrency_unit(figures):
    # Unit: busy time inside [warmup, horizon), each service clipped (1000 + 300 + 200 + 100 +
    # 80 + 100 s for phone; a 600 s chat at concurrency 2 counts 300 s) / available time in
    # the window: 2 agents × (8 h − 1 h) plus 600 s of overtime.
    available = 2 * (8 * 3600.0 - WARMUP_S) + OT_S
    assert figures.channels["phone"].occupancy == pytest.approx(1780.0 / available, rel=1e-12)
    assert figures.channels["chat"].occupancy == pytest.approx(300.0 / available, rel=1e-12)
    assert figures.occupancy == pytest.approx(2080.0 / available, rel=1e-12)


def test_chat_rates_with_deflection_unit(figures):
    # Unit: deflected contacts leave the denominators of service level and p_wait.
    chat = figures.channels["chat"]
    assert (chat.offered, chat.deflected, chat.answered) == (2, 1, 1)
    assert chat.service_level == pytest.approx(1.0, abs=0)
    assert chat.p_wait == pytest.approx(0.0, abs=0)
    assert chat.abandon_rate == pytest.approx(0.0, abs=0)


def test_null_when_denominator_is_empty_unit(figures):
    # Unit: email has no contacts and no agent serves it: every rate, time and the occupancy
    # are None (null in JSON); counts are 0.
    email = figures.channels["email"]
    assert email.offered == 0
    for key in (
        "service_level",
        "abandon_rate",
        "p_wait",
        "asa_s",
        "mean_wait_all_s",
        "frt_p50_s",
        "frt_p90_s",
        "frt_max_s",
        "occupancy",
    ):
        assert getattr(email, key) is None, key


def test_all_deflected_gives_null_rates_unit():
    # Unit: a channel whose every contact was deflected has no denominator for its rates.
    sc, timeline, roster, out = _setup()
    log = pd.DataFrame([_row(5000.0, DEFLECTED, channel=CHAT)])
    chat = replication_metrics(sc, timeline, log, roster, out).channels["chat"]
    assert (chat.offered, chat.deflected) == (1, 1)
    assert chat.service_level is None
    assert chat.abandon_rate is None
    assert chat.p_wait is None
    assert chat.asa_s is None


def test_contact_log_waits_from_engine_output_unit():
    # Unit: wait = start − joined (answered), left − joined (abandoned), drain end − joined
    # (unfinished), nan (deflected); agent_site from the roster.
    _sc, _timeline, roster, _ = _setup()
    contacts = Contacts(
        arrived_at_s=np.array([100.0, 200.0, 300.0, 400.0]),
        channel=np.array([0, 0, 0, 1], np.int16),
        region=np.zeros(4, np.int16),
        segment=np.full(4, -1, np.int16),
        language=np.full(4, -1, np.int16),
        entry=np.zeros(4, np.int16),
        handle_s=np.array([50.0, 50.0, 50.0, 50.0]),
        patience_s=np.array([10.0, 10.0, np.inf, np.inf]),
        bot_u=np.zeros(4),
    )
    bot = BotOutcome(
        bot=np.array([False, False, False, True]),
        deflected=np.array([False, False, False, True]),
        joined_at_s=np.array([100.0, 200.0, 300.0, NAN]),
        bot_cost=np.zeros(4),
    )
    inp = EngineInput(
        contact=np.array([0, 1, 2]),
        joined_at_s=np.array([100.0, 200.0, 300.0]),
        deadline_s=np.array([110.0, 210.0, np.inf]),
        handle_s=np.array([50.0, 50.0, 50.0]),
        klass=np.zeros(3, np.int32),
        class_priority=np.array([1]),
        class_channel=np.array([0], np.int32),
        channel_concurrency=np.array([1, 2, 1], np.int32),
        can_serve=np.ones((roster.n_agents, 1), bool),
        window_agent=roster.window_agent,
        window_start_s=roster.window_start_s,
        window_end_s=roster.window_end_s,
        window_paid_end=roster.window_paid_end,
        end_s=END_S,
    )
    out = EngineOutput(
        outcome=np.array([ANSWERED, ABANDONED, UNFINISHED], np.int8),
        started_at_s=np.array([104.0, NAN, NAN]),
        ended_at_s=np.array([154.0, NAN, NAN]),
        left_at_s=np.array([NAN, 210.0, NAN]),
        agent=np.array([1, -1, -1], np.int32),
        overtime_agent=np.zeros(0, np.int32),
        overtime_start_s=np.zeros(0),
        overtime_end_s=np.zeros(0),
        overtime_paid=np.zeros(0, bool),
    )
    log = contact_log(contacts, bot, inp, out, roster)
    assert log["outcome"].tolist() == [ANSWERED, ABANDONED, UNFINISHED, DEFLECTED]
    waits = log["wait_s"].to_numpy()
    assert waits[:3].tolist() == pytest.approx([4.0, 10.0, END_S - 300.0], abs=1e-9)
    assert np.isnan(waits[3])
    assert log["agent"].tolist() == [1, -1, -1, -1]
    assert log["agent_site"].tolist() == [0, -1, -1, -1]


def _rep(target_share: float = 0.8, **values: Any) -> ChannelFigures:
    """One replication's figures: counts 0, figures None, then `values`; p_miss_target set from
    the service level as `replication_metrics` sets it."""
    names = [f.name for f in dataclasses.fields(ChannelFigures) if f.name != "ci95"]
    base: dict[str, Any] = {name: 0 if name in COUNT_FIELDS else None for name in names}
    base.update(values)
    level = base.get("service_level")
    base["p_miss_target"] = None if level is None else float(level < target_share)
    return ChannelFigures(**base)


def test_ci95_formula_validation():
    # Validation (published value): mean ± t(0.975, n−1)·s/√n, with t(0.975, 3) = 3.182446
    # from Student's t table (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2). Values chosen so
    # s = √(0.0125/3); tolerance 1e-6 covers the table's 7 digits.
    values = [0.8, 0.9, 0.85, 0.95]
    half = 3.182446 * math.sqrt(0.0125 / 3) / 2
    lo, hi = ci95(values)
    assert lo == pytest.approx(0.875 - half, abs=1e-6)
    assert hi == pytest.approx(0.875 + half, abs=1e-6)


def test_ci95_is_null_with_fewer_than_two_values_unit():
    # Unit: one replication (or one non-null value) has no interval.
    assert ci95([0.9]) is None
    assert ci95([0.9, None]) is None
    assert ci95([]) is None


def test_summarize_channel_means_nulls_and_p_miss_target_unit():
    # Unit: counts and rates are means over replications (nulls skipped); p_miss_target is the
    # share of replications whose service level is below the target share; ci95 per field.
    rows = [
        _rep(offered=10, service_level=0.7, asa_s=12.0, abandon_rate=0.1),
        _rep(offered=20, service_level=0.85, asa_s=None, abandon_rate=0.3),
        _rep(offered=30, service_level=0.9, asa_s=6.0, abandon_rate=0.2),
        _rep(offered=0, service_level=None, asa_s=None, abandon_rate=None),
    ]
    out = summarize_channel(rows)
    assert out.offered == pytest.approx(15.0, abs=1e-12)
    assert out.service_level == pytest.approx((0.7 + 0.85 + 0.9) / 3, abs=1e-12)
    assert out.asa_s == pytest.approx(9.0, abs=1e-12)
    assert out.p_miss_target == pytest.approx(1 / 3, abs=1e-12)
    assert out.occupancy is None
    assert out.ci95.service_level == pytest.approx(ci95([0.7, 0.85, 0.9]), abs=1e-12)
    assert out.ci95.asa_s == pytest.approx(ci95([12.0, 6.0]), abs=1e-12)
    assert list(to_dict(out)) == [  # the JSON contract's order
        "offered",
        "deflected",
        "answered",
        "answered_within_target",
        "abandoned",
        "short_abandoned",
        "unfinished",
        "service_level",
        "abandon_rate",
        "p_wait",
        "p_miss_target",
        "asa_s",
        "mean_wait_all_s",
        "frt_p50_s",
        "frt_p90_s",
        "frt_max_s",
        "occupancy",
        "backlog_start",  # extension: set by the run from the contact log (None here)
        "backlog_end",
        "ci95",
    ]


def test_summarize_single_replication_has_null_ci_unit():
    # Unit: ci95 is null with one replication; p_miss_target null without any service level.
    out = summarize_channel([_rep(offered=3, service_level=0.5)])
    assert out.ci95 == ChannelCI95(service_level=None, abandon_rate=None, asa_s=None)
    assert out.p_miss_target == pytest.approx(1.0, abs=0)
    empty = summarize_channel([_rep(), _rep()])
    assert empty.p_miss_target is None


def test_hourly_counts_by_utc_hour_of_week_unit():
    # Unit: measured contacts counted by (channel, region, UTC hour of week); the horizon
    # starts Monday 00:00 UTC, so [3600, 7200) s is hour 1 and 35900 s is hour 9.
    sc, timeline, _, _ = _setup()
    hourly = hourly_counts(sc, timeline, _log())
    phone = hourly[hourly["channel"] == PHONE].set_index("hour_of_week")
    assert int(phone.offered.sum()) == 10
    assert int(phone.loc[1, "offered"]) == 5  # 4000, 5000, 6000, 7000, 7100
    assert int(phone.loc[1, "answered_within_target"]) == 2
    assert int(phone.loc[2, "offered"]) == 3  # 7200, 7300, 8000
    assert int(phone.loc[2, "deflected"]) == 1
    assert int(phone.loc[9, "offered"]) == 2  # 35000 (unfinished) and 35900 (answered)
    assert int(phone.short_abandoned.sum()) == 2
    assert float(phone.wait_answered_s.sum()) == pytest.approx(75.0, abs=1e-9)


def test_overtime_overlaps_are_added_as_np_add_at_bit_for_bit_unit():
    # unit: available_time_s's kernel adds each overtime row's overlap with the window in row
    # order, as np.add.at(per_agent, agent, clip(min(end, hi) - max(start, lo), 0)) did
    from coverage.results.metrics import _add_overlaps

    rng = np.random.default_rng(14)
    for _ in range(200):
        n_agents, n = int(rng.integers(1, 40)), int(rng.integers(0, 500))
        agent = rng.integers(0, n_agents, n).astype(np.int32)
        start = rng.random(n) * 1000.0
        end = start + rng.exponential(50.0, n) * rng.choice([-1.0, 1.0, 1.0], n)
        end[rng.random(n) < 0.02] = np.nan
        base = rng.random(n_agents) * 100.0
        lo, hi = 200.0, 800.0
        expected = base.copy()
        overlap = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)
        np.add.at(expected, agent, overlap)
        got = base.copy()
        _add_overlaps(got, agent, start, end, lo, hi)
        assert np.array_equal(got, expected, equal_nan=True)

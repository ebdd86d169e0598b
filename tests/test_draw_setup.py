"""Drawing with the run's precomputed setup, the bot's outcome and routing classes by counting,
against the former implementations (kept here as references): every array bit for bit.

Kind 1 (unit, exact): `prepare_draws` moves the replication-independent work of drawing (local
calendars, rates by local hour, weekday and holiday, codes, expected arrivals without busyness)
out of the replication loop, `coverage.demand.draw_kernels` places arrivals, seeds the streams and
merges the entries in compiled passes, and `build_engine_input` finds routing classes among the
code combinations present instead of sorting every contact. None of it may change a single
number: the references below are the code as it was before, and every bundled scenario (and a
scenario mixing replayed, fitted and rate entries, with ties across entries) is compared with
them for a few seeds and replications.
"""

from __future__ import annotations

import dataclasses
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from coverage.calendar import build_timeline, is_holiday, local_minute_grid
from coverage.demand.arrivals import (
    Contacts,
    draw_contacts,
    expected_per_minute,
    prepare_draws,
)
from coverage.demand.automation import apply_automation
from coverage.demand.codes import scenario_languages
from coverage.demand.streams import (
    STREAM_ARRIVALS,
    STREAM_BOT,
    STREAM_BUSYNESS,
    STREAM_HANDLE,
    STREAM_PATIENCE,
    day_multiplier,
    entry_rng,
    horizon_minutes,
    poisson_arrival_times,
    sample_durations,
)
from coverage.scenario.model import Scenario, load_scenario
from coverage.simulation.dispatch import build_engine_input
from coverage.simulation.pipeline import prepare_run
from coverage.units import SECONDS_PER_HOUR

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def _reference_expected(entry, scenario, timeline, busyness=None):  # type: ignore[no-untyped-def]
    """expected_per_minute as it was: every factor computed per minute."""
    region = scenario.regions[entry.region or ""]
    _, minutes = horizon_minutes(timeline)
    n_minutes = len(minutes)
    grid = local_minute_grid(region.time_zone, timeline.start_utc, timeline.n_minutes)
    rate_per_hour = np.asarray(entry.rates_by_local_hour())[grid.hour[:n_minutes]]
    if entry.weekday_factors is not None:
        rate_per_hour = rate_per_hour * np.asarray(entry.weekday_factors)[grid.weekday[:n_minutes]]
    dates = grid.date_ordinal[:n_minutes]
    if region.holidays and region.holiday_factor != 1.0:
        holiday = is_holiday(dates, region.holidays, timeline)
        rate_per_hour = np.where(holiday, rate_per_hour * region.holiday_factor, rate_per_hour)
    if busyness is not None:
        rate_per_hour = rate_per_hour * busyness
    return rate_per_hour * minutes / SECONDS_PER_HOUR


def _reference_draw(scenario: Scenario, timeline, *, seed: int, replication: int) -> Contacts:  # type: ignore[no-untyped-def]
    """draw_contacts as it was: per entry, per replication, full code columns, one sort."""
    channels, regions = list(scenario.channels), list(scenario.regions)
    segments, languages = list(scenario.segments), scenario_languages(scenario)
    parts = []
    for k, entry in enumerate(scenario.demand):
        if entry.kind != "rates":
            from coverage.demand import logs

            times, extra = logs.entry_arrivals(
                entry, k, scenario, timeline, seed=seed, replication=replication
            )
            extra = dict(extra)
        else:
            region = scenario.regions[entry.region or ""]
            grid = local_minute_grid(region.time_zone, timeline.start_utc, timeline.n_minutes)
            starts, lengths = horizon_minutes(timeline)
            busy = day_multiplier(
                entry.busyness_cv or 0.0,
                grid.date_ordinal[: len(starts)],
                rng=entry_rng(seed, replication, k, STREAM_BUSYNESS),
            )
            expected = _reference_expected(entry, scenario, timeline, busy)
            rng = entry_rng(seed, replication, k, STREAM_ARRIVALS)
            times = poisson_arrival_times(expected, starts, lengths, rng=rng)
            times.sort()
            n = len(times)
            lang = entry.language or region.language
            extra = {
                "channel": np.full(n, channels.index(entry.channel or ""), np.int16),
                "region": np.full(n, regions.index(entry.region or ""), np.int16),
                "segment": np.full(
                    n, segments.index(entry.segment) if entry.segment else -1, np.int16
                ),
                "language": np.full(n, languages.index(lang) if lang else -1, np.int16),
            }
        n = len(times)
        handle, patience = np.empty(n), np.full(n, np.inf)
        h_rng = entry_rng(seed, replication, k, STREAM_HANDLE)
        p_rng = entry_rng(seed, replication, k, STREAM_PATIENCE)
        for c, name in enumerate(channels):
            mask = extra["channel"] == c
            if not mask.any():
                continue
            channel = scenario.channels[name]
            handle[mask] = sample_durations(channel.handle_time, int(mask.sum()), rng=h_rng)
            if channel.patience is not None:
                patience[mask] = sample_durations(channel.patience, int(mask.sum()), rng=p_rng)
        recorded = extra.pop("handle_s", None)
        if recorded is not None:
            handle = np.where(np.isnan(recorded), handle, recorded)
        parts.append(
            {
                "arrived_at_s": np.asarray(times, dtype=np.float64),
                **extra,
                "entry": np.full(n, k, np.int16),
                "handle_s": handle,
                "patience_s": patience,
                "bot_u": entry_rng(seed, replication, k, STREAM_BOT).random(n),
            }
        )
    order = np.argsort(np.concatenate([p["arrived_at_s"] for p in parts]), kind="stable")
    return Contacts(**{key: np.concatenate([p[key] for p in parts])[order] for key in parts[0]})


def _reference_classes(scenario: Scenario, contacts: Contacts, queued: np.ndarray):  # type: ignore[no-untyped-def]
    """Routing classes as they were: one packed key per contact, np.unique over all of them."""
    chan_prio = np.array([c.priority for c in scenario.channels.values()], dtype=np.int64)
    seg = contacts.segment[queued]
    ch = contacts.channel[queued].astype(np.int64)
    prio = chan_prio[ch]
    for s_idx, seg_def in enumerate(scenario.segments.values()):
        if seg_def.priority is not None:
            prio = np.where(seg == s_idx, seg_def.priority, prio)
    lang = contacts.language[queued].astype(np.int64)
    packed = ((prio + 1000) << 32) | (ch << 16) | (lang + 1)
    uniq_packed, klass = np.unique(packed, return_inverse=True)
    uniq = np.stack(
        [(uniq_packed >> 32) - 1000, (uniq_packed >> 16) & 0xFFFF, (uniq_packed & 0xFFFF) - 1],
        axis=1,
    ).astype(np.int64)
    return np.asarray(klass).reshape(-1).astype(np.int32), uniq


def _reference_bot(contacts: Contacts, scenario: Scenario, automation):  # type: ignore[no-untyped-def]
    """apply_automation as it was: every per-channel value masked by whether there is a bot."""
    n_channels = len(scenario.channels)
    deflection, bot_time_s, cost = np.zeros(n_channels), np.zeros(n_channels), np.zeros(n_channels)
    has_bot = np.zeros(n_channels, dtype=bool)
    for c, name in enumerate(scenario.channels):
        block = automation.get(name)
        if block is not None:
            has_bot[c] = True
            deflection[c], bot_time_s[c] = block.deflection, block.bot_time_s
            cost[c] = block.cost_per_contact
    ch = contacts.channel
    bot = has_bot[ch]
    deflected = bot & (contacts.bot_u < deflection[ch])
    joined = contacts.arrived_at_s + np.where(bot, bot_time_s[ch], 0.0)
    joined = np.where(deflected, np.nan, joined)
    return bot, deflected, joined, np.where(bot, cost[ch], 0.0)


def _assert_contacts_equal(a: Contacts, b: Contacts) -> None:
    for name in Contacts.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_draws_and_engine_inputs_match_the_former_code(path: Path) -> None:
    scenario = load_scenario(path)
    setup = prepare_run(scenario)
    timeline = setup.timeline
    for k, entry in enumerate(scenario.demand):
        if entry.kind == "rates":
            ref = _reference_expected(entry, scenario, timeline)
            np.testing.assert_array_equal(expected_per_minute(entry, scenario, timeline), ref)
            np.testing.assert_array_equal(setup.draws.expected(k), ref)
            busy = np.random.default_rng(k).gamma(4.0, 0.25, len(ref))
            np.testing.assert_array_equal(
                setup.draws.expected(k, busy), _reference_expected(entry, scenario, timeline, busy)
            )
            days = setup.draws.regions[entry.region or ""]
            g_of_day = np.random.default_rng(k).gamma(4.0, 0.25, days.n_days)
            np.testing.assert_array_equal(
                setup.draws.expected_busy(k, g_of_day),
                _reference_expected(entry, scenario, timeline, g_of_day[days.day_of_minute]),
            )
    for seed, replication in ((scenario.seed, 0), (scenario.seed, 5), (3, 2), (2**40 + 7, 1)):
        ref = _reference_draw(scenario, timeline, seed=seed, replication=replication)
        got = draw_contacts(
            scenario, timeline, seed=seed, replication=replication, draws=setup.draws
        )
        _assert_contacts_equal(got, ref)
        _assert_contacts_equal(
            draw_contacts(scenario, timeline, seed=seed, replication=replication), ref
        )
        for plan, roster in setup.rosters.items():
            automation = scenario.automation_for(plan)
            bot = apply_automation(got, scenario, automation)
            for field, ref_field in zip(
                ("bot", "deflected", "joined_at_s", "bot_cost"),
                _reference_bot(got, scenario, automation),
                strict=True,
            ):
                np.testing.assert_array_equal(getattr(bot, field), ref_field, err_msg=field)
            inp = build_engine_input(scenario, got, bot, roster, timeline.end_s)
            klass, uniq = _reference_classes(scenario, got, inp.contact)
            np.testing.assert_array_equal(inp.klass, klass)
            assert inp.klass.dtype == np.int32
            np.testing.assert_array_equal(inp.class_priority, uniq[:, 0])
            np.testing.assert_array_equal(inp.class_channel, uniq[:, 1])


def test_routing_classes_by_counting_match_sorting_for_random_codes(tiny_raw) -> None:  # type: ignore[no-untyped-def]
    """Random channel, segment and language codes (segment priorities overriding the
    channel's, some equal to another channel's), and the sorting fallback for sparse codes."""
    from coverage.scenario.model import parse_scenario
    from coverage.simulation.dispatch import _routing_classes

    raw = dict(tiny_raw)
    raw["segments"] = {"vip": {"priority": 0}, "basic": {}, "gold": {"priority": 1}}
    scenario = parse_scenario(raw)
    rng = np.random.default_rng(4)
    for n, n_lang in ((0, 3), (1, 3), (500, 3), (2000, 40), (50, 30000)):
        contacts = Contacts(
            arrived_at_s=np.sort(rng.random(n)),
            channel=rng.integers(0, 2, n).astype(np.int16),
            region=np.zeros(n, np.int16),
            segment=rng.integers(-1, 3, n).astype(np.int16),
            language=rng.integers(-1, n_lang, n).astype(np.int16),
            entry=np.zeros(n, np.int16),
            handle_s=np.ones(n),
            patience_s=np.ones(n),
            bot_u=rng.random(n),
        )
        every = np.arange(n)
        for queued in (np.flatnonzero(rng.random(n) < 0.8), rng.permutation(n), every, None):
            klass, uniq = _routing_classes(scenario, contacts, queued)
            ref = every if queued is None else queued
            ref_klass, ref_uniq = _reference_classes(scenario, contacts, ref)
            np.testing.assert_array_equal(klass, ref_klass)
            np.testing.assert_array_equal(uniq, ref_uniq)
        assert klass.dtype == np.int32
        assert uniq.dtype == np.int64


def test_prepare_draws_marks_log_entries() -> None:
    path = next(p for p in SCENARIOS if p.stem == "example-log-replay")
    scenario = load_scenario(path)
    draws = prepare_draws(scenario, build_timeline(scenario))
    kinds = [e.kind for e in scenario.demand]
    assert [d is None for d in draws.entries] == [k != "rates" for k in kinds]


def _reference_queue(contacts: Contacts, bot_joined: np.ndarray, deflected: np.ndarray):  # type: ignore[no-untyped-def]
    """build_engine_input's queued contacts as they were: gathers, then a lexsort."""
    queued = np.flatnonzero(~deflected)
    joined = bot_joined[queued]
    if len(joined) > 1 and not bool(np.all(joined[1:] >= joined[:-1])):
        order = np.lexsort((queued, joined))
        queued, joined = queued[order], joined[order]
    return queued, joined, joined + contacts.patience_s[queued], contacts.handle_s[queued]


@pytest.mark.parametrize("n_lang", [1, 3, 30000])  # 30000: too many codes, the numpy way
def test_engine_input_and_bot_match_the_former_code_on_random_contacts(tiny_raw, n_lang) -> None:  # type: ignore[no-untyped-def]
    """Random codes, segment priorities, bots that deflect and delay (ties included: arrivals
    and bot times on a coarse grid), against the former numpy code."""
    from coverage.scenario.model import Automation, parse_scenario

    raw = dict(tiny_raw)
    raw["segments"] = {"vip": {"priority": 0}, "basic": {}}
    scenario = parse_scenario(raw)
    setup = prepare_run(scenario)
    roster = next(iter(setup.rosters.values()))
    speaks = np.random.default_rng(1).random((roster.n_agents, n_lang)) < 0.5
    roster = dataclasses.replace(roster, agent_languages=speaks)  # languages 0 .. n_lang - 1
    rng = np.random.default_rng(n_lang)
    n = 3000
    contacts = Contacts(
        arrived_at_s=np.sort(np.round(rng.random(n) * 5000)),
        channel=rng.integers(0, 2, n).astype(np.int16),
        region=np.zeros(n, np.int16),
        segment=rng.integers(-1, 2, n).astype(np.int16),
        language=rng.integers(-1, n_lang, n).astype(np.int16),
        entry=np.zeros(n, np.int16),
        handle_s=rng.exponential(300, n),
        patience_s=np.where(rng.random(n) < 0.5, np.inf, rng.exponential(100, n)),
        bot_u=rng.random(n),
    )
    for automation in (
        {},
        {"phone": Automation(deflection=0.3, bot_time_s=60, cost_per_contact=0.5)},
        {"phone": Automation(bot_time_s=7), "email": Automation(deflection=0.9, bot_time_s=3)},
    ):
        bot = apply_automation(contacts, scenario, automation)
        ref = _reference_bot(contacts, scenario, automation)
        for field, ref_field in zip(
            ("bot", "deflected", "joined_at_s", "bot_cost"), ref, strict=True
        ):
            np.testing.assert_array_equal(getattr(bot, field), ref_field, err_msg=field)
        inp = build_engine_input(scenario, contacts, bot, roster, setup.timeline.end_s)
        queued, joined, deadline, handle = _reference_queue(contacts, ref[2], ref[1])
        for got, want in (
            (inp.contact, queued),
            (inp.joined_at_s, joined),
            (inp.deadline_s, deadline),
            (inp.handle_s, handle),
        ):
            np.testing.assert_array_equal(got, want)
        klass, uniq = _reference_classes(scenario, contacts, queued)
        np.testing.assert_array_equal(inp.klass, klass)
        np.testing.assert_array_equal(inp.class_priority, uniq[:, 0])
        np.testing.assert_array_equal(inp.class_channel, uniq[:, 1])
        can_serve = roster.agent_channels[:, uniq[:, 1]] & np.where(
            uniq[:, 2] >= 0, speaks[:, np.maximum(uniq[:, 2], 0)], True
        )
        np.testing.assert_array_equal(inp.can_serve, can_serve)
        can_serve = roster.agent_channels[:, uniq[:, 1]] & np.where(
            uniq[:, 2] >= 0, speaks[:, np.maximum(uniq[:, 2], 0)], True
        )
        np.testing.assert_array_equal(inp.can_serve, can_serve)


def test_queue_fill_merged_is_a_stable_sort_by_joining_time_or_declines() -> None:
    """The insertion pass gives the order of a stable argsort (ties by arrival) on contacts far
    from arrival order too, and declines (None) past its move budget or on a nan."""
    from coverage.simulation.input_kernels import queue_fill_merged

    rng = np.random.default_rng(5)
    n = 4000
    codes = tuple(np.zeros(n, np.int16) for _ in range(3))
    patience, handle = rng.exponential(100, n), rng.exponential(300, n)
    for spread in (0.0, 3.0, 50.0, 5000.0):
        joined = np.round(np.arange(n) + rng.random(n) * spread)  # ties: on a grid
        deflected = rng.random(n) < 0.2
        n_queued = int((~deflected).sum())
        got = queue_fill_merged(
            deflected, joined, patience, handle, codes, (1, 1), np.zeros(1, np.int32), n_queued
        )
        queued = np.argsort(np.where(deflected, np.nan, joined), kind="stable")[:n_queued]
        if got is None:  # only when far from arrival order
            assert spread == 5000.0
            continue
        contact, joined_q, deadline, handle_q, _ = got
        np.testing.assert_array_equal(contact, queued)
        np.testing.assert_array_equal(joined_q, joined[queued])
        np.testing.assert_array_equal(deadline, joined[queued] + patience[queued])
        np.testing.assert_array_equal(handle_q, handle[queued])
        assert spread < 5000.0
        assert spread == 0.0 or not np.all(np.diff(queued) > 0)  # out of order: moved
    joined = np.arange(n, dtype=float)
    joined[7] = np.nan
    no = np.zeros(n, bool)
    one_class = np.zeros(1, np.int32)
    assert queue_fill_merged(no, joined, patience, handle, codes, (1, 1), one_class, n) is None


def test_mixed_log_and_rate_entries_match_the_former_code() -> None:
    """Replayed logs (every channel, and one channel of the same log: the same instants in two
    entries), a fitted log and rate entries with and without busyness, merged in one order."""
    import yaml

    from coverage.scenario.model import parse_scenario

    path = next(p for p in SCENARIOS if p.stem == "example-log-replay")
    raw = yaml.safe_load(path.read_text())
    log = "data/example-contacts.csv"
    raw["demand"] = [
        {"replay": log},
        {"channel": "chat", "region": "emea", "per_hour": 6, "busyness_cv": 0.3},
        {"replay": log, "channel": "phone"},
        {"fit": log},
        {"channel": "phone", "region": "americas", "per_hour": [1.0] * 8 + [9.0] * 16},
    ]
    scenario = parse_scenario(raw, base_dir=str(path.parent))
    setup = prepare_run(scenario)
    for seed, replication in ((scenario.seed, 0), (5, 3), (2**33, 1)):
        ref = _reference_draw(scenario, setup.timeline, seed=seed, replication=replication)
        got = draw_contacts(
            scenario, setup.timeline, seed=seed, replication=replication, draws=setup.draws
        )
        _assert_contacts_equal(got, ref)
        tied = got.arrived_at_s[1:] == got.arrived_at_s[:-1]
        assert tied.sum() > 100  # the two replays of one log tie at every phone contact
        assert set(np.unique(got.entry).tolist()) == {0, 1, 2, 3, 4}


def test_replication_streams_are_the_entry_streams() -> None:
    """The streams seeded in one pass have the state of `entry_rng`'s, for seeds of one, two and
    three 32-bit words, and the draws follow; a negative seed is refused as before."""
    from coverage.demand.draw_kernels import ReplicationStreams

    for seed in (0, 1, 7, 2**32 - 1, 2**32, 2**40 + 7, 2**64 + 5):
        for replication in (0, 1, 19, 2**31):
            streams = ReplicationStreams(seed, replication, 6, 5)
            for k in range(6):
                for purpose in range(5):
                    want = entry_rng(seed, replication, k, purpose)
                    got = streams.rng(k, purpose)
                    assert got.bit_generator.state == want.bit_generator.state
                    np.testing.assert_array_equal(got.random(3), want.random(3))
                    np.testing.assert_array_equal(got.poisson(2.5, 4), want.poisson(2.5, 4))
    with pytest.raises(ValueError, match="negative"):
        ReplicationStreams(-1, 0, 1, 5).rng(0, 0)


def _reference_merge(times, offsets, columns, rows):  # type: ignore[no-untyped-def]
    """The merge as it was: a stable argsort of the concatenation and a gather of each column."""
    order = np.argsort(times, kind="stable")
    return (times[order], *(c[order] for c in columns), *rows[:, order])


@pytest.mark.parametrize("per_bucket", [0.5, 1.0, 2.0, 1000.0])  # 1000: long buckets, mergesort
def test_merge_by_bucket_is_a_stable_sort_with_ties_across_entries(per_bucket: float) -> None:
    from coverage.demand.draw_kernels import merge_by_bucket

    rng = np.random.default_rng(int(per_bucket * 2))
    for sizes, grid in (([0, 0], 50), ([5, 0, 3], 50), ([8] * 4, 12), ([300, 1, 0, 250, 40], 50),
                        ([2000] * 6, 50)):  # fmt: skip
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n = int(offsets[-1])
        # a coarse grid of instants: many ties inside and across entries, each entry sorted
        # (short buckets: insertion over the whole array; long ones: a stable sort per bucket)
        times = np.concatenate([np.sort(rng.integers(0, grid, m) * 7.5) for m in sizes])
        columns = (rng.random(n), rng.exponential(3.0, n), rng.random(n))
        codes = rng.integers(-1, 9, (len(sizes), 5)).astype(np.int16)
        codes[:, 4] = np.arange(len(sizes))
        logged = rng.random(len(sizes)) < 0.5  # entries with per-contact codes
        row_start = np.full(len(sizes), -1, np.int64)
        rows = np.empty((4, int(np.asarray(sizes)[logged].sum())), np.int16)
        every = np.empty((5, n), np.int16)
        r = 0
        for e, (a, b) in enumerate(pairwise(offsets.tolist())):
            every[:, a:b] = codes[e][:, None]
            if logged[e]:
                rows[:, r : r + b - a] = rng.integers(0, 99, (4, b - a))
                every[:4, a:b] = rows[:, r : r + b - a]
                row_start[e] = r
                r += b - a
        impatient = rng.random(len(sizes)) < 0.3  # no patience: None, inf for every contact
        spans = list(pairwise(offsets.tolist()))
        for e, (a, b) in enumerate(spans):
            if impatient[e]:
                columns[1][a:b] = np.inf
        entries = [
            (
                times[a:b],
                columns[0][a:b],
                None if impatient[e] else columns[1][a:b],
                columns[2][a:b],
            )
            for e, (a, b) in enumerate(spans)
        ]
        got = merge_by_bucket(entries, 400.0, (codes, rows, row_start), per_bucket=per_bucket)
        assert got is not None
        for x, y in zip(got, _reference_merge(times, offsets, columns, every), strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
    entries[0][0][3] = np.nan
    assert merge_by_bucket(entries, 400.0, (codes, rows, row_start)) is None


@pytest.mark.parametrize("per_minute", [0.05, 3.0, 9.0, 60.0])  # branch-free / minute loop
def test_place_minutes_matches_repeat_and_sort(per_minute: float) -> None:
    """Instants as `poisson_arrival_times` placed them and sorted, including uniforms next to 1
    whose instant rounds up to the next minute's start, and a short last minute."""
    from coverage.demand.draw_kernels import place_minutes

    rng = np.random.default_rng(int(per_minute * 20))
    n_minutes = 5000
    starts = np.arange(n_minutes) * 60.0 + 1.2e6
    lengths = np.full(n_minutes, 60.0)
    lengths[-1] = 17.0
    counts = rng.poisson(per_minute, n_minutes)
    u = rng.random(int(counts.sum()))
    u[::97] = 1.0 - 2.0**-53  # the largest uniform: start + u × 60 == the next start
    u[::89] = 0.0
    minute = np.repeat(np.arange(n_minutes), counts)
    placed = starts[minute] + u * lengths[minute]
    assert bool(np.any(placed == starts[minute] + lengths[minute]))  # rounded up to the next
    want = np.sort(placed)
    np.testing.assert_array_equal(place_minutes(counts, u, (starts, lengths)), want)
    unsorted = place_minutes(counts, u, (starts, lengths), in_order=False)
    np.testing.assert_array_equal(np.sort(unsorted), want)
    np.testing.assert_array_equal(unsorted, placed)

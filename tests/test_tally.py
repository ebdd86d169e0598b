"""The run path measures from the engine's arrays in one compiled pass (`coverage.results.tally`);
its figures, costs, hourly counts and backlogs equal, bit for bit, the former implementation that
measured a per-contact DataFrame (kept here as the reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverage.results.costs import peak_on_duty, premium_shares_by_minute
from coverage.results.figures import ChannelFigures, PlanCost, ReplicationFigures, SiteCost
from coverage.results.hourly import count_hourly
from coverage.results.metrics import available_time_s
from coverage.results.sustainability import crew_groups
from coverage.scenario.model import load_scenario
from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED
from coverage.simulation.pipeline import prepare_run, simulate_replication
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR, SECONDS_PER_MINUTE

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))


def reference_log(contacts, bot, inp, out):
    """The former `contact_log` columns the figures use (numpy scatter, no kernel)."""
    n = len(contacts)
    outcome = np.zeros(n, dtype=np.int8)
    started, ended, left = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    idx = inp.contact
    outcome[idx], started[idx], ended[idx], left[idx] = (
        out.outcome,
        out.started_at_s,
        out.ended_at_s,
        out.left_at_s,
    )
    joined = bot.joined_at_s
    wait = np.where(
        outcome == ANSWERED,
        started - joined,
        np.where(
            outcome == ABANDONED,
            left - joined,
            np.where(outcome == UNFINISHED, inp.end_s - joined, np.nan),
        ),
    )
    return pd.DataFrame(
        {
            "arrived_at_s": contacts.arrived_at_s,
            "joined_at_s": joined,
            "channel": contacts.channel,
            "segment": contacts.segment,
            "outcome": outcome,
            "wait_s": wait,
            "started_at_s": started,
            "ended_at_s": ended,
            "handle_s": contacts.handle_s,
        }
    )


def _overlap(start, end, lo, hi):
    return np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)


def reference_metrics(scenario, timeline, log, roster, out):
    """The former `replication_metrics`: masks per channel over the DataFrame's columns."""
    lo, hi, end_s = timeline.warmup_s, timeline.horizon_s, timeline.end_s
    arrived = log["arrived_at_s"].to_numpy()
    measured = (arrived >= lo) & (arrived < hi)
    outcome, wait = log["outcome"].to_numpy(), log["wait_s"].to_numpy()
    channel = log["channel"].to_numpy()
    chans = list(scenario.channels.values())
    thr = np.array([c.target.answer_within_s for c in chans])[channel]
    for s_idx, seg in enumerate(scenario.segments.values()):
        if seg.target is not None:
            thr = np.where(log["segment"].to_numpy() == s_idx, seg.target.answer_within_s, thr)
    conc = np.array([c.concurrency for c in chans])
    busy = _overlap(
        log["started_at_s"].to_numpy(),
        np.nan_to_num(log["ended_at_s"].to_numpy(), nan=end_s),
        lo,
        hi,
    )
    busy = np.where(outcome == ANSWERED, busy / conc[channel], 0.0)
    avail = available_time_s(roster, out, timeline)
    channels = {}
    for c, (name, ch) in enumerate(scenario.channels.items()):
        m = measured & (channel == c)
        oc, w = outcome[m], wait[m]
        answered, abandoned = oc == ANSWERED, oc == ABANDONED
        short = abandoned & (w <= ch.short_abandon_s)
        offered, deflected = int(m.sum()), int((oc == 0).sum())
        n_short, n_abandoned = int(short.sum()), int(abandoned.sum())
        within = int((answered & (w <= thr[m])).sum())
        queued = oc != 0
        base, reached = offered - deflected - n_short, offered - deflected
        wa = w[answered]
        sl = within / base if base else None
        waited = queued & ((w > 0) | (oc != ANSWERED))
        frt = [float(np.percentile(wa, q)) if len(wa) else None for q in (50, 90, 100)]
        serving = roster.agent_channels[:, c] if roster.n_agents else np.zeros(0, bool)
        avail_c = float(avail[serving].sum())
        channels[name] = ChannelFigures(
            offered=offered,
            deflected=deflected,
            answered=int(answered.sum()),
            answered_within_target=within,
            abandoned=n_abandoned,
            short_abandoned=n_short,
            unfinished=int((oc == UNFINISHED).sum()),
            service_level=sl,
            abandon_rate=(n_abandoned - n_short) / base if base else None,
            p_wait=int(waited.sum()) / reached if reached else None,
            p_miss_target=None if sl is None else float(sl < ch.target.share),
            asa_s=float(wa.mean()) if len(wa) else None,
            mean_wait_all_s=float(w[queued].mean()) if queued.any() else None,
            frt_p50_s=frt[0],
            frt_p90_s=frt[1],
            frt_max_s=frt[2],
            occupancy=float(busy[channel == c].sum()) / avail_c if avail_c > 0 else None,
        )
    total = float(avail.sum())
    return ReplicationFigures(channels, float(busy.sum()) / total if total > 0 else None)


def reference_backlog(scenario, plan, timeline, log):
    """The former `replication_backlog` (bincounts over the DataFrame's columns)."""
    channel = log["channel"].to_numpy()
    n_channels = len(scenario.channels)
    joined, wait = log["joined_at_s"].to_numpy(), log["wait_s"].to_numpy()
    outcome = log["outcome"].to_numpy()
    queued = np.isin(outcome, (ANSWERED, ABANDONED, UNFINISHED))

    def waiting(at_s):
        return queued & (joined <= at_s) & (joined + np.nan_to_num(wait, nan=0.0) > at_s)

    at_start = np.bincount(channel[waiting(timeline.warmup_s)], minlength=n_channels)
    at_end = np.bincount(channel[waiting(timeline.horizon_s)], minlength=n_channels)
    arrived = log["arrived_at_s"].to_numpy()
    in_window = (arrived >= timeline.warmup_s) & (arrived < timeline.horizon_s)
    to_handle = in_window & np.isin(outcome, (ANSWERED, UNFINISHED))
    concurrency = np.array([ch.concurrency for ch in scenario.channels.values()], dtype=float)
    work_s = np.bincount(
        channel[to_handle],
        weights=log["handle_s"].to_numpy()[to_handle] / concurrency[channel[to_handle]],
        minlength=n_channels,
    )
    contacts = np.bincount(channel[in_window], minlength=n_channels)
    groups = []
    for group in crew_groups(scenario, plan):
        c = list(group.channels)
        groups.append(
            {
                "workload_s": float(work_s[c].sum()),
                "backlog_start": int(at_start[c].sum()),
                "backlog_end": int(at_end[c].sum()),
                "contacts": int(contacts[c].sum()),
            }
        )
    return {"channel_start": at_start.tolist(), "channel_end": at_end.tolist(), "groups": groups}


def _integral(cumulative, at_s):
    return np.interp(at_s, np.arange(len(cumulative)) * SECONDS_PER_MINUTE, cumulative)


def reference_costs(plan, roster, out, bot, arrived_at_s, timeline):
    """The former `plan_costs`, every part computed in each replication."""
    lo, hi = timeline.warmup_s, timeline.horizon_s
    window_hours = timeline.window_s / SECONDS_PER_HOUR
    by_site = {}
    for s_idx, (name, site) in enumerate(plan.sites.items()):
        shares = premium_shares_by_minute(site, timeline)
        share = np.zeros(timeline.n_minutes)
        for part in shares.values():
            share += part
        cumulative = np.concatenate([[0.0], np.cumsum(share * SECONDS_PER_MINUTE)])
        mine = roster.paid_site == s_idx
        start = np.clip(roster.paid_start_s[mine], lo, hi)
        end = np.clip(roster.paid_end_s[mine], lo, hi)
        crew = roster.paid_agents[mine]
        paid_s = float(np.sum(crew * (end - start)))
        premium_s = float(
            np.sum(crew * (_integral(cumulative, end) - _integral(cumulative, start)))
        )
        ot = out.overtime_paid & (roster.agent_site[out.overtime_agent] == s_idx)
        ot &= out.overtime_start_s >= lo
        ot_start, ot_end = out.overtime_start_s[ot], out.overtime_end_s[ot]
        overtime_s = float(np.sum(ot_end - ot_start))
        premium_s += overtime_s * site.overtime_premium
        premium_s += float(np.sum(_integral(cumulative, ot_end) - _integral(cumulative, ot_start)))
        by_type = {}
        for kind, part in shares.items():
            cum = np.concatenate([[0.0], np.cumsum(part * SECONDS_PER_MINUTE)])
            typed_s = np.sum(crew * (_integral(cum, end) - _integral(cum, start)))
            typed_s += np.sum(_integral(cum, ot_end) - _integral(cum, ot_start))
            by_type[kind] = float(typed_s) / SECONDS_PER_HOUR * site.hourly_cost
        by_type["overtime"] = (
            overtime_s * site.overtime_premium / SECONDS_PER_HOUR * site.hourly_cost
        )
        paid_hours = (paid_s + overtime_s) / SECONDS_PER_HOUR
        peak = peak_on_duty(start[end > start], end[end > start], crew[end > start])
        by_site[name] = SiteCost(
            labor=paid_hours * site.hourly_cost,
            premiums=premium_s / SECONDS_PER_HOUR * site.hourly_cost,
            paid_hours=paid_hours,
            overtime_hours=overtime_s / SECONDS_PER_HOUR,
            seats=site.seat_cost_per_month * peak * window_hours / HOURS_PER_MONTH,
            peak_agents=float(peak),
            night_premium=by_type["night"],
            weekend_premium=by_type["weekend"],
            holiday_premium=by_type["holiday"],
            overtime_premium=by_type["overtime"],
        )
    in_window = (arrived_at_s >= lo) & (arrived_at_s < hi)
    automation = float(np.sum(bot.bot_cost[in_window & bot.bot]))
    labor = sum(s.labor for s in by_site.values())
    premiums = sum(s.premiums for s in by_site.values())
    seats = sum(s.seats for s in by_site.values())
    total = labor + premiums + automation + seats
    offered = int(np.sum(in_window))
    return PlanCost(
        total=total,
        labor=labor,
        premiums=premiums,
        automation=automation,
        seats=seats,
        per_contact=total / offered if offered else None,
        per_month=total * HOURS_PER_MONTH / window_hours,
        paid_hours=sum(s.paid_hours for s in by_site.values()),
        by_site=by_site,
    )


@pytest.mark.parametrize("name", SCENARIOS)
def test_measuring_from_the_arrays_equals_the_dataframe_reference_bit_for_bit(name):
    # golden: every figure, cost, backlog and hourly count of the run path equals the former
    # DataFrame implementation exactly (== on floats), for every plan of every bundled scenario
    scenario = load_scenario(ROOT / "scenarios" / name)
    setup = prepare_run(scenario)
    timeline = setup.timeline
    for rep in simulate_replication(setup, seed=scenario.seed, replication=1, engine="fast"):
        log = reference_log(rep.contacts, rep.bot, rep.inp, rep.out)
        plan = scenario.plans[rep.plan]
        assert rep.figures == reference_metrics(scenario, timeline, log, rep.roster, rep.out)
        assert rep.backlog == reference_backlog(scenario, plan, timeline, log)
        arrived = rep.contacts.arrived_at_s
        assert rep.cost == reference_costs(plan, rep.roster, rep.out, rep.bot, arrived, timeline)
        # the log path (contact_log, then the same kernel) gives the same hourly counts
        pd.testing.assert_frame_equal(
            rep.counts.table(), count_hourly(scenario, timeline, rep.log).table(), check_exact=True
        )


# --- the kernels reproduce numpy's own float arithmetic -----------------------------------------


def _random_values(rng, n, kind):
    """Float arrays of the shapes the pass reduces: sparse, tied, signed, sorted, large."""
    if kind == 0:
        return rng.exponential(100.0, n) * (rng.random(n) < 0.5)  # busy times: many zeros
    if kind == 1:
        return rng.integers(0, 5, n).astype(float)  # many ties (waits of 0)
    if kind == 2:
        return rng.normal(0.0, 1e6, n)
    if kind == 3:
        return np.sort(rng.exponential(3.0, n))[::-1].copy()
    return rng.random(n) * 1e-3 + 1e9  # cancellation-prone


def test_kernel_sum_and_mean_equal_numpy_bit_for_bit_unit():
    # unit: `_sum` is np.sum (pairwise, blocks of 128, 8 partial sums), any length and offset
    from coverage.results.tally import _sum

    rng = np.random.default_rng(11)
    for t in range(600):
        n = int(rng.integers(0, 40_000)) if t % 4 == 0 else int(rng.integers(0, 300))
        values = _random_values(rng, n, t % 5)
        lo = int(rng.integers(0, 4))
        buffer = np.concatenate([rng.random(lo), values, rng.random(3)])
        assert _sum(buffer, lo, n).hex() == float(np.sum(values)).hex()
        if n:
            assert (_sum(buffer, lo, n) / n).hex() == float(values.mean()).hex()


def test_kernel_percentiles_equal_numpy_linear_method_bit_for_bit_unit():
    # unit: `_order_statistics` is np.percentile(..., (50, 90, 100)), ties and NaN included,
    # and only reorders its own slice
    from coverage.results.tally import _FRT_QUANTILES, FRT_PERCENTILES, _order_statistics

    rng = np.random.default_rng(12)
    out = np.empty(len(FRT_PERCENTILES))
    for t in range(600):
        n = int(rng.integers(1, 20_000)) if t % 4 == 0 else int(rng.integers(1, 200))
        values = _random_values(rng, n, t % 5)
        lo = int(rng.integers(0, 4))
        before, after = rng.random(lo), rng.random(3)
        buffer = np.concatenate([before, values, after])
        _order_statistics(buffer, lo, n, _FRT_QUANTILES, out)
        expected = np.percentile(values, FRT_PERCENTILES)
        assert [x.hex() for x in out] == [float(x).hex() for x in expected]
        assert np.array_equal(np.sort(buffer[lo : lo + n]), np.sort(values))
        assert np.array_equal(buffer[:lo], before)
        assert np.array_equal(buffer[lo + n :], after)
    values = np.array([3.0, np.nan, 1.0])
    _order_statistics(values, 0, 3, _FRT_QUANTILES, out)
    assert np.isnan(out).all()
    assert np.isnan(np.percentile([3.0, np.nan, 1.0], 50))


def test_kernel_counts_per_class_follow_the_class_table_unit():
    # unit: the written-out class → counts map of the kernel is `_CLASS_COUNTS`, class by class
    from coverage.results.tally import _CLASS_COUNTS, COUNTS, N_CLASSES, _count_fields

    out = np.zeros(len(COUNTS), dtype=np.int64)
    for k in range(N_CLASSES):
        one = np.zeros(N_CLASSES, dtype=np.int32)
        one[k] = 3
        _count_fields(one, out)
        assert out.tolist() == (3 * _CLASS_COUNTS[k]).tolist()

"""The compiled hourly counts and their running sum over replications equal, bit for bit, the
former per-column ``np.bincount`` and ``pd.concat(...).groupby(...).sum()`` implementations
(kept here as the reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coverage.calendar import utc_hour_of_week
from coverage.results.hourly import KEYS, HourlyCounts, HourlySum, count_hourly, hourly_counts
from coverage.results.metrics import (
    BREAKDOWN_FIELDS,
    DEFLECTED,
    breakdown_column,
    breakdown_labels,
)
from coverage.scenario.model import load_scenario
from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED
from coverage.simulation.pipeline import prepare_run, simulate_replication

ROOT = Path(__file__).resolve().parents[1]


def _threshold_s(scenario, log):
    """Each contact's target answer_within_s: its segment's if the segment sets one, else its
    channel's (the former `coverage.results.metrics._threshold_s`)."""
    chans = list(scenario.channels.values())
    thr = np.array([c.target.answer_within_s for c in chans])[log["channel"].to_numpy()]
    for s_idx, seg in enumerate(scenario.segments.values()):
        if seg.target is not None:
            thr = np.where(log["segment"].to_numpy() == s_idx, seg.target.answer_within_s, thr)
    return thr


def reference_hourly_counts(scenario, timeline, log):
    """The implementation before the compiled pass (a column per field, summed by bincount)."""
    arrived = log["arrived_at_s"].to_numpy()
    m = (arrived >= timeline.warmup_s) & (arrived < timeline.horizon_s)
    sub = log.loc[m]
    thr = _threshold_s(scenario, sub)
    oc = sub["outcome"].to_numpy()
    w = sub["wait_s"].to_numpy()
    channel = sub["channel"].to_numpy().astype(np.int64)
    region = sub["region"].to_numpy().astype(np.int64)
    hour = utc_hour_of_week(sub["arrived_at_s"].to_numpy(), timeline.start_utc).astype(np.int64)
    short_s = np.array([c.short_abandon_s for c in scenario.channels.values()])
    answered = oc == ANSWERED
    per_contact = {
        "offered": np.ones(len(oc), dtype=np.int64),
        "deflected": oc == DEFLECTED,
        "answered": answered,
        "answered_within_target": answered & (w <= thr),
        "abandoned": oc == ABANDONED,
        "short_abandoned": (oc == ABANDONED) & (w <= short_s[channel]),
        "wait_answered_s": np.where(answered, w, 0.0),
        "unfinished": oc == UNFINISHED,
    }
    for dim, labels in breakdown_labels(scenario).items():
        codes = sub[dim].to_numpy()
        for value, label in labels.items():
            hit = codes == value
            for key in BREAKDOWN_FIELDS:
                per_contact[breakdown_column(dim, label, key)] = np.where(hit, per_contact[key], 0)
    n_regions = len(scenario.regions)
    size = len(scenario.channels) * n_regions * 168
    key = (channel * n_regions + region) * 168 + hour
    present = np.flatnonzero(np.bincount(key, minlength=size))
    group_channel, rest = np.divmod(present, n_regions * 168)
    group_region, group_hour = np.divmod(rest, 168)
    columns = {"channel": group_channel, "region": group_region, "hour_of_week": group_hour}
    for name, values in per_contact.items():
        summed = np.bincount(key, weights=values, minlength=size)[present]
        columns[name] = (
            summed if name.endswith("wait_answered_s") else np.rint(summed).astype(np.int64)
        )
    return pd.DataFrame(columns)


@pytest.mark.parametrize("name", ["global-saas.yaml", "multilingual-emea.yaml", "bot-rollout.yaml"])
def test_compiled_hourly_counts_equal_the_bincount_reference_bit_for_bit(name):
    # golden: same rows, columns, dtypes and float bits as the former implementation, for each
    # replication and for the sum over replications of the first plan
    scenario = load_scenario(ROOT / "scenarios" / name)
    setup = prepare_run(scenario)
    first_plan = next(iter(setup.rosters))
    summed, tables = HourlySum(scenario), []
    for r in range(3):
        for rep in simulate_replication(setup, seed=scenario.seed, replication=r, engine="fast"):
            actual = hourly_counts(scenario, setup.timeline, rep.log)
            expected = reference_hourly_counts(scenario, setup.timeline, rep.log)
            pd.testing.assert_frame_equal(actual, expected, check_exact=True)
            if rep.plan == first_plan:
                summed.add(count_hourly(scenario, setup.timeline, rep.log))
                tables.append(expected)
    reference = pd.concat(tables, ignore_index=True).groupby(list(KEYS), as_index=False).sum()
    pd.testing.assert_frame_equal(summed.table(), reference, check_exact=True)


def test_running_sum_follows_pandas_compensated_sum_exactly():
    # validation: values where naive float addition and Kahan compensation differ; the running
    # sum must reproduce pandas' groupby sum bit for bit, with groups missing from some tables
    scenario = load_scenario(ROOT / "scenarios" / "three-agent-24x7.yaml")
    rng = np.random.default_rng(7)
    tables = []
    for _ in range(40):
        hours = np.sort(rng.choice(168, size=50, replace=False))
        wait = rng.choice([1e16, 1.0, 0.1, 3.3e-5, 7.0], size=50) * rng.uniform(0.5, 2, 50)
        tables.append(
            pd.DataFrame(
                {
                    "channel": np.zeros(50, np.int64),
                    "region": np.zeros(50, np.int64),
                    "hour_of_week": hours.astype(np.int64),
                    "offered": rng.integers(1, 9, 50),
                    "wait_answered_s": wait,
                }
            )
        )
    summed = HourlySum(scenario)
    for t in tables:
        rows = t["hour_of_week"].to_numpy()  # channel 0, region 0
        sums = t[["offered", "wait_answered_s"]].to_numpy(dtype=float)
        summed.add(HourlyCounts(rows, sums, ("offered", "wait_answered_s"), n_regions=1))
    reference = pd.concat(tables, ignore_index=True).groupby(list(KEYS), as_index=False).sum()
    naive = (
        pd.concat(tables)
        .groupby("hour_of_week")["wait_answered_s"]
        .apply(lambda s: float(np.add.reduce(s.to_numpy())))
    )
    assert (naive.to_numpy() != reference["wait_answered_s"].to_numpy()).any()  # test has teeth
    pd.testing.assert_frame_equal(summed.table(), reference, check_exact=True)

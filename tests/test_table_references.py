"""The app's and hourly.csv's tables against the pandas code they replaced, exactly.

`hourly_table`, `agents_by_hour_of_week`, `language_gaps_table`, `breakdown_table` and
`delta_table` were rewritten to build their columns with numpy and one groupby per plan (faster
lever changes in the app). The old implementations are kept here as references: the new tables
must be equal to them value for value, dtype for dtype, with exact float equality.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coverage.app import tables
from coverage.calendar import utc_hour_of_week
from coverage.results.breakdowns import (
    _speakers_on_duty,
    breakdown_table,
    language_gaps_table,
)
from coverage.results.costs import staff_cost_by_hour_of_week
from coverage.results.figures import COUNT_FIELDS
from coverage.results.metrics import (
    BREAKDOWN_FIELDS,
    breakdown_column,
    breakdown_labels,
    breakdown_rates,
)
from coverage.results.report import (
    HOURLY_COLUMNS,
    agents_by_hour_of_week,
    hourly_table,
)
from coverage.scenario.model import load_scenario
from coverage.simulation.replications import RunResult, run_scenario
from coverage.simulation.roster import agents_on_duty
from coverage.units import SECONDS_PER_MINUTE

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
_UTC_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _agents_reference(result: RunResult, plan: str) -> pd.DataFrame:
    tl = result.timeline
    minutes = np.arange(tl.warmup_s, tl.horizon_s, SECONDS_PER_MINUTE) + SECONDS_PER_MINUTE / 2
    how = utc_hour_of_week(minutes, tl.start_utc)
    roster = result.rosters[plan]
    frames = []
    for c, name in enumerate(result.scenario.channels):
        on = agents_on_duty(roster, minutes, channel=c)
        frame = pd.DataFrame({"hour_of_week": how, "agents_on_duty": on})
        frame = frame.groupby("hour_of_week", as_index=False)["agents_on_duty"].mean()
        frames.append(frame.assign(channel=name))
    return pd.concat(frames, ignore_index=True)


def _hourly_reference(result: RunResult) -> pd.DataFrame:
    sc = result.scenario
    channels, regions = list(sc.channels), list(sc.regions)
    n, tl = result.replications, result.timeline
    minutes = np.arange(tl.warmup_s, tl.horizon_s, SECONDS_PER_MINUTE) + SECONDS_PER_MINUTE / 2
    in_window = np.bincount(utc_hour_of_week(minutes, tl.start_utc), minlength=168) / 60.0
    hours = np.flatnonzero(in_window > 0)
    grid = pd.MultiIndex.from_product(
        [range(len(channels)), range(len(regions)), hours],
        names=["channel", "region", "hour_of_week"],
    )
    frames = []
    for pname, plan in result.plans.items():
        counts = [*COUNT_FIELDS, "wait_answered_s"]
        h = (
            plan.hourly.set_index(["channel", "region", "hour_of_week"])[counts]
            .reindex(grid, fill_value=0)
            .reset_index()
        )
        h["channel"] = [channels[i] for i in h["channel"]]
        h["region"] = [regions[i] for i in h["region"]]
        base = h["offered"] - h["deflected"] - h["short_abandoned"]
        h["service_level"] = np.where(
            base > 0, h["answered_within_target"] / base.clip(lower=1), np.nan
        )
        h["asa_s"] = np.where(
            h["answered"] > 0, h["wait_answered_s"] / h["answered"].clip(lower=1), np.nan
        )
        for key in COUNT_FIELDS:
            h[key] = h[key] / n
        h = h.merge(_agents_reference(result, pname), on=["channel", "hour_of_week"], how="left")
        h["hours_in_window"] = in_window[h["hour_of_week"].to_numpy()]
        cost = staff_cost_by_hour_of_week(sc.plans[pname], result.rosters[pname], tl)
        h["plan_staff_cost"] = cost[h["hour_of_week"].to_numpy()]
        h.insert(0, "plan", pname)
        frames.append(h[HOURLY_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def _breakdown_reference(result: RunResult, by: str) -> pd.DataFrame:
    sc = result.scenario
    fields = list(BREAKDOWN_FIELDS)
    frames = []
    for pname, plan in result.plans.items():
        h = plan.hourly
        if by == "region":
            parts = [
                h.groupby(["channel", "region"], as_index=False)[fields]
                .sum()
                .assign(region=lambda f: [list(sc.regions)[i] for i in f["region"]])
            ]
        else:
            parts = []
            for label in breakdown_labels(sc).get(by, {}).values():
                cols = {breakdown_column(by, label, f): f for f in fields}
                if set(cols) <= set(h.columns):
                    part = h.groupby("channel", as_index=False)[list(cols)].sum()
                    parts.append(part.rename(columns=cols).assign(**{by: label}))
        if not parts:
            continue
        counts = pd.concat(parts, ignore_index=True)
        counts["channel"] = [list(sc.channels)[i] for i in counts["channel"]]
        every = counts.groupby(by, as_index=False)[fields].sum().assign(channel="all")
        table = breakdown_rates(pd.concat([counts, every], ignore_index=True))
        table[fields] = table[fields] / result.replications
        frames.append(table.drop(columns="wait_answered_s").assign(plan=pname))
    columns = ["plan", "channel", by, *fields[:-1], "service_level", "abandon_rate", "asa_s"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    return out[out["offered"] > 0].reset_index(drop=True)


def _gaps_reference(result: RunResult) -> pd.DataFrame:
    sc, tl = result.scenario, result.timeline
    labels = {i: name for i, name in breakdown_labels(sc).get("language", {}).items() if i >= 0}
    minutes = np.arange(tl.warmup_s, tl.horizon_s, SECONDS_PER_MINUTE) + SECONDS_PER_MINUTE / 2
    how = utc_hour_of_week(minutes, tl.start_utc)
    rows = []
    for pname, plan in result.plans.items():
        roster = result.rosters[pname]
        for li, label in labels.items():
            col = breakdown_column("language", label, "offered")
            if col not in plan.hourly.columns:
                continue
            offered = plan.hourly.groupby(["channel", "hour_of_week"])[col].sum()
            for c, cname in enumerate(sc.channels):
                speakers = roster.agent_channels[:, c] & roster.agent_languages[:, li]
                none = _speakers_on_duty(roster, speakers, minutes) == 0
                share = pd.Series(none).groupby(how).mean()
                for hour, gap in share[share > 0].items():
                    demand = float(offered.get((c, hour), 0.0)) / result.replications
                    if demand > 0:
                        rows.append(
                            {
                                "plan": pname,
                                "language": label,
                                "channel": cname,
                                "hour_of_week": int(hour),
                                "utc_weekday": _UTC_DAYS[int(hour) // 24],
                                "utc_hour": int(hour) % 24,
                                "offered": demand,
                                "uncovered_share": float(gap),
                            }
                        )
    columns = ["plan", "language", "channel", "hour_of_week", "utc_weekday", "utc_hour"]
    return pd.DataFrame(rows, columns=[*columns, "offered", "uncovered_share"])


def _delta_reference(result: RunResult) -> pd.DataFrame:
    plans = list(result.plans)
    baseline = plans[0]
    figures = (
        ("service level [pp]", "service_level", 100.0),
        ("abandoned [pp]", "abandon_rate", 100.0),
        ("FRT p50 [s]", "frt_p50_s", 1.0),
        ("FRT p90 [s]", "frt_p90_s", 1.0),
    )
    base = result.plans[baseline].per_replication.set_index(["channel", "rep"])
    rows = []
    for other in plans[1:]:
        them = result.plans[other].per_replication.set_index(["channel", "rep"])
        for cname in result.scenario.channels:
            row: dict[str, Any] = {"comparison": f"{other} − {baseline}", "channel": cname}
            for title, key, scale in figures:
                diff = them.loc[cname, key].astype(float) - base.loc[cname, key].astype(float)
                diff = diff.dropna()
                row[title] = scale * float(diff.mean()) if len(diff) else None
                row[f"{title} 95% CI"] = tables.fmt_interval(tables.ci_bounds(diff, scale), 1)
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module", params=["global-saas", "multilingual-emea", "bpo-overnight"])
def result(request: pytest.FixtureRequest) -> RunResult:
    return run_scenario(load_scenario(SCENARIOS / f"{request.param}.yaml"), replications=3)


def test_hourly_table_equals_the_pandas_reference_exactly(result: RunResult) -> None:
    new, old = hourly_table(result), _hourly_reference(result)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert new.to_csv(index=False) == old.to_csv(index=False)  # hourly.csv, byte for byte


def test_agents_by_hour_of_week_equals_the_groupby_mean_exactly(result: RunResult) -> None:
    for plan in result.plans:
        expected = _agents_reference(result, plan)
        got = agents_by_hour_of_week(result, plan)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_breakdowns_and_language_gaps_equal_the_references_exactly(result: RunResult) -> None:
    for by in ("language", "segment", "region"):
        got, expected = breakdown_table(result, by), _breakdown_reference(result, by)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    gaps, expected = language_gaps_table(result), _gaps_reference(result)
    pd.testing.assert_frame_equal(gaps, expected, check_exact=True)


def test_delta_table_pairs_the_same_replications_as_the_reference(result: RunResult) -> None:
    pd.testing.assert_frame_equal(
        tables.delta_table(result), _delta_reference(result), check_exact=True
    )

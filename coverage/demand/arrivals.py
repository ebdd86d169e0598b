"""Arrivals: the contacts of one replication, drawn up front into arrays.

For a demand entry with rates, the arrival rate at a moment is
``per_hour[local hour] × weekday_factors[local weekday] × G[entry, local date] × holiday_factor``
(docs/scenario-format.md). The rate is constant on every UTC minute (time-zone offsets are whole
minutes), so the arrivals are drawn as an exact non-homogeneous Poisson process: a Poisson count
per minute with mean ∫rate, placed uniformly inside the minute [1]_.

Everything random about a contact — arrival time, handle time, patience and the uniform number
the bot uses — is drawn here, once per replication, from the streams of
`coverage.demand.streams` (keyed by seed, replication, demand entry and purpose). Every plan then
simulates the same contacts (common random numbers), and adding a demand entry does not change
the draws of the others. Contact logs (`replay`, `fit` entries) come from `coverage.demand.logs`.

References
----------
.. [1] P. A. W. Lewis and G. S. Shedler, "Simulation of nonhomogeneous Poisson processes by
   thinning," Naval Research Logistics Quarterly 26(3), 1979 (the piecewise-constant case is
   exact by independent increments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coverage.calendar import Timeline, is_holiday, local_minute_grid
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
from coverage.errors import ScenarioError
from coverage.scenario.model import Demand, Scenario
from coverage.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class Contacts:
    """The contacts of one replication, sorted by arrival time (one array entry per contact).

    Attributes
    ----------
    arrived_at_s : float64 [s from the horizon start]
    channel, region, segment, language, entry : int16 indices into the scenario's name lists
        (segment and language are -1 when absent).
    handle_s : float64 agent handling time [s]
    patience_s : float64 time the contact waits in the agent queue before leaving [s] (inf: never)
    bot_u : float64 uniform [0, 1) draw the bot uses to decide deflection
    """

    arrived_at_s: np.ndarray
    channel: np.ndarray
    region: np.ndarray
    segment: np.ndarray
    language: np.ndarray
    entry: np.ndarray
    handle_s: np.ndarray
    patience_s: np.ndarray
    bot_u: np.ndarray

    def __len__(self) -> int:
        return len(self.arrived_at_s)


def expected_per_minute(
    entry: Demand, scenario: Scenario, timeline: Timeline, busyness: np.ndarray | None = None
) -> np.ndarray:
    """Expected arrivals in each UTC minute of [0, horizon) for a rate entry.

    Parameters
    ----------
    entry : Demand
        A rate entry (``per_hour``, ``weekday_factors``, region).
    scenario : Scenario
        For the entry's region (time zone, holidays, holiday_factor).
    timeline : Timeline
        Horizon and UTC start.
    busyness : numpy.ndarray, optional
        The day multiplier G of each minute (absent: 1) [–].

    Returns
    -------
    numpy.ndarray
        per_hour[local hour] × weekday_factor × holiday_factor × G × minute length / 3600 for
        each minute [contacts].
    """
    region = scenario.regions[entry.region or ""]
    _, minutes = horizon_minutes(timeline)  # their lengths [s]
    n_minutes = len(minutes)
    grid = local_minute_grid(region.time_zone, timeline.start_utc, timeline.n_minutes)
    hour = grid.hour[:n_minutes]
    rate_per_hour = np.asarray(entry.rates_by_local_hour())[hour]
    if entry.weekday_factors is not None:
        rate_per_hour = rate_per_hour * np.asarray(entry.weekday_factors)[grid.weekday[:n_minutes]]
    dates = grid.date_ordinal[:n_minutes]
    if region.holidays and region.holiday_factor != 1.0:
        holiday = is_holiday(dates, region.holidays, timeline)
        rate_per_hour = np.where(holiday, rate_per_hour * region.holiday_factor, rate_per_hour)
    if busyness is not None:
        rate_per_hour = rate_per_hour * busyness
    return rate_per_hour * minutes / SECONDS_PER_HOUR


def draw_rate_entry_times(
    entry: Demand,
    scenario: Scenario,
    timeline: Timeline,
    *,
    busy_rng: np.random.Generator,
    rng: np.random.Generator,
) -> np.ndarray:
    """Arrival instants of one rate entry over [0, horizon): an exact NHPP per UTC minute.

    Parameters
    ----------
    entry : Demand
        A rate entry.
    scenario : Scenario
        For the entry's region.
    timeline : Timeline
        Horizon and UTC start.
    busy_rng, rng : numpy.random.Generator
        The entry's busyness and arrivals streams (`coverage.demand.streams.entry_rng`).

    Returns
    -------
    numpy.ndarray
        Arrival instants, sorted [s from the horizon start].
    """
    region = scenario.regions[entry.region or ""]
    grid = local_minute_grid(region.time_zone, timeline.start_utc, timeline.n_minutes)
    starts, lengths = horizon_minutes(timeline)
    dates = grid.date_ordinal[: len(starts)]
    busy = day_multiplier(entry.busyness_cv or 0.0, dates, rng=busy_rng)
    expected = expected_per_minute(entry, scenario, timeline, busy)
    times = poisson_arrival_times(expected, starts, lengths, rng=rng)
    times.sort()
    return times


def draw_contacts(
    scenario: Scenario, timeline: Timeline, *, seed: int, replication: int
) -> Contacts:
    """Draw every contact of one replication (the same contacts for every plan).

    Parameters
    ----------
    scenario : Scenario
        Demand entries (rates, replayed or fitted logs) and channels (handle time, patience).
    timeline : Timeline
        Horizon and UTC start.
    seed : int
        The run's seed.
    replication : int
        Replication index; with `seed` it fixes every draw.

    Returns
    -------
    Contacts
        Sorted by arrival: arrival [s], codes, handle time [s], patience [s] (inf: never
        abandons) and the bot's uniform draw [0, 1).
    """
    channels = list(scenario.channels)
    regions = list(scenario.regions)
    segments = list(scenario.segments)
    languages = scenario_languages(scenario)
    parts: list[dict[str, np.ndarray]] = []
    for k, entry in enumerate(scenario.demand):
        if entry.kind != "rates":
            from coverage.demand import logs  # contact logs live in their own module

            times, extra = logs.entry_arrivals(
                entry, k, scenario, timeline, seed=seed, replication=replication
            )
        else:
            times = draw_rate_entry_times(
                entry,
                scenario,
                timeline,
                busy_rng=entry_rng(seed, replication, k, STREAM_BUSYNESS),
                rng=entry_rng(seed, replication, k, STREAM_ARRIVALS),
            )
            n = len(times)
            region = scenario.regions[entry.region or ""]
            lang = entry.language or region.language
            extra = {
                "channel": np.full(n, channels.index(entry.channel or ""), np.int16),
                "region": np.full(n, regions.index(entry.region or ""), np.int16),
                "segment": np.full(
                    n, segments.index(entry.segment) if entry.segment else -1, np.int16
                ),
                "language": np.full(n, languages.index(lang) if lang else -1, np.int16),
            }
        parts.append(_complete(scenario, k, times, extra, seed=seed, replication=replication))
    return Contacts(**_merge_by_arrival(parts))


def _merge_by_arrival(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate the entries' arrays and sort them by arrival (stable: entry order at ties).

    Frees each input as it goes, so the peak is about two copies of one column, not of all.
    """
    keys = list(parts[0])
    if len(parts) == 1 and bool(np.all(np.diff(parts[0]["arrived_at_s"]) >= 0)):
        return parts[0]  # one entry, already in order: nothing to copy
    order = np.argsort(np.concatenate([p["arrived_at_s"] for p in parts]), kind="stable")
    merged = {}
    for key in keys:
        column = np.concatenate([p.pop(key) for p in parts])
        merged[key] = column[order]
        del column
    return merged


def _complete(
    scenario: Scenario,
    k: int,
    times: np.ndarray,
    extra: dict[str, np.ndarray],
    *,
    seed: int,
    replication: int,
) -> dict[str, np.ndarray]:
    """Add handle times, patience and bot draws to the arrivals of demand entry `k`."""
    n = len(times)
    names = list(scenario.channels)
    handle = np.empty(n)
    patience = np.full(n, np.inf)
    h_rng = entry_rng(seed, replication, k, STREAM_HANDLE)
    p_rng = entry_rng(seed, replication, k, STREAM_PATIENCE)
    for c, name in enumerate(names):
        mask = extra["channel"] == c
        count = int(mask.sum())
        if not count:
            continue
        channel = scenario.channels[name]
        handle[mask] = sample_durations(channel.handle_time, count, rng=h_rng)
        if channel.patience is not None:
            patience[mask] = sample_durations(channel.patience, count, rng=p_rng)
    recorded = extra.pop("handle_s", None)
    if recorded is not None:
        handle = np.where(np.isnan(recorded), handle, recorded)
    return {
        "arrived_at_s": np.asarray(times, dtype=np.float64),
        **extra,
        "entry": np.full(n, k, np.int16),
        "handle_s": handle,
        "patience_s": patience,
        "bot_u": entry_rng(seed, replication, k, STREAM_BOT).random(n),
    }


def check_contact_budget(scenario: Scenario, timeline: Timeline, *, limit: int) -> float:
    """Expected contacts per replication, refused above a limit before anything is drawn.

    Parameters
    ----------
    scenario : Scenario
        Its demand entries (a log entry is read and checked here).
    timeline : Timeline
        Horizon and UTC start.
    limit : int
        Most contacts per replication [contacts].

    Returns
    -------
    float
        Expected contacts per replication [contacts].

    Raises
    ------
    ScenarioError
        At ``demand`` when the expectation exceeds `limit`.
    """
    total = 0.0
    for k, entry in enumerate(scenario.demand):
        if entry.kind == "rates":
            total += float(expected_per_minute(entry, scenario, timeline).sum())
        else:  # reads and checks the log here, before any worker process starts
            from coverage.demand import logs

            total += logs.expected_contacts(entry, k, scenario, timeline)
    if total > limit:
        weeks = scenario.burn_in_weeks
        burn_in = f" (burn-in weeks included: {weeks})" if weeks else ""
        raise ScenarioError(
            "demand",
            f"about {total:,.0f} contacts per replication{burn_in}; the limit is {limit:,} "
            "(raise it with --max-contacts if you mean it)",
        )
    return total

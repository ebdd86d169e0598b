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

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from coverage.calendar import Timeline, is_holiday, local_minute_grid
from coverage.demand.codes import scenario_languages
from coverage.demand.streams import (
    STREAM_ARRIVALS,
    STREAM_BOT,
    STREAM_BUSYNESS,
    STREAM_HANDLE,
    STREAM_PATIENCE,
    day_index,
    day_multiplier_by_index,
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


# the rate key of a minute: (local hour × 7 + local weekday) × 2 + holiday; its parts by key
_RATE_KEYS = np.arange(24 * 7 * 2)
_KEY_HOUR = _RATE_KEYS // 14
_KEY_WEEKDAY = (_RATE_KEYS // 2) % 7
_KEY_HOLIDAY = _RATE_KEYS % 2 == 1


@dataclass(frozen=True)
class RegionMinutes:
    """The local calendar of one region on the UTC minutes of [0, horizon), as rate keys.

    Attributes
    ----------
    rate_key : numpy.ndarray
        int16 per minute: (local hour × 7 + local weekday) × 2 + holiday (1 on a public holiday
        when the region's ``holiday_factor`` differs from 1, else 0).
    day_of_minute : numpy.ndarray
        Index of each minute's local date among the dates the horizon touches.
    n_days : int
        How many local dates the horizon touches.
    """

    rate_key: np.ndarray
    day_of_minute: np.ndarray
    n_days: int


@dataclass(frozen=True)
class RateEntryDraw:
    """What drawing a rate entry needs that no replication changes (`prepare_draws`).

    Attributes
    ----------
    region : str
        The entry's region (key of `DrawSetup.regions`).
    rate_per_hour : numpy.ndarray
        Rate by rate key (`RegionMinutes.rate_key`): per_hour[local hour] × weekday_factor ×
        holiday_factor, computed as `expected_per_minute` does per minute [contacts/h].
    busyness_cv : float
        Coefficient of variation of the day multiplier (0: none) [–].
    codes : dict of str to int
        Its contacts' ``channel``, ``region``, ``segment`` and ``language`` indices (-1: none).
    """

    region: str
    rate_per_hour: np.ndarray
    busyness_cv: float
    codes: dict[str, int]


@dataclass(frozen=True)
class DrawSetup:
    """The replication-independent part of drawing a scenario's contacts, computed once per run.

    Attributes
    ----------
    starts_s, lengths_s : numpy.ndarray
        Start and length of each UTC minute of [0, horizon) [s] (`horizon_minutes`).
    regions : dict of str to RegionMinutes
        The local calendar of each region used by a rate entry.
    entries : tuple of RateEntryDraw or None
        Per demand entry, in scenario order; None for a log (``replay``, ``fit``) entry.
    """

    starts_s: np.ndarray
    lengths_s: np.ndarray
    regions: dict[str, RegionMinutes]
    entries: tuple[RateEntryDraw | None, ...]

    def expected(self, k: int, busyness: np.ndarray | None = None) -> np.ndarray:
        """Expected arrivals of rate entry `k` in each minute, times the day multiplier.

        Parameters
        ----------
        k : int
            Index of a rate entry in the scenario's demand list.
        busyness : numpy.ndarray, optional
            The day multiplier G of each minute (absent: 1) [–].

        Returns
        -------
        numpy.ndarray
            As `expected_per_minute` [contacts].
        """
        entry = self.entries[k]
        assert entry is not None, f"demand entry {k} is not a rate entry"
        rate_per_hour = entry.rate_per_hour[self.regions[entry.region].rate_key]
        if busyness is not None:
            rate_per_hour = rate_per_hour * busyness
        return rate_per_hour * self.lengths_s / SECONDS_PER_HOUR


def _region_minutes(
    scenario: Scenario, name: str, timeline: Timeline, n_minutes: int
) -> RegionMinutes:
    region = scenario.regions[name]
    grid = local_minute_grid(region.time_zone, timeline.start_utc, timeline.n_minutes)
    dates = grid.date_ordinal[:n_minutes]
    key = (grid.hour[:n_minutes].astype(np.int16) * 7 + grid.weekday[:n_minutes]) * 2
    if region.holidays and region.holiday_factor != 1.0:
        key = key + is_holiday(dates, region.holidays, timeline)
    day_of_minute, n_days = day_index(dates)
    return RegionMinutes(rate_key=key.astype(np.int16), day_of_minute=day_of_minute, n_days=n_days)


def _rate_entry(entry: Demand, scenario: Scenario, codes: dict[str, int]) -> RateEntryDraw:
    region = scenario.regions[entry.region or ""]
    rate_per_hour = np.asarray(entry.rates_by_local_hour())[_KEY_HOUR]
    if entry.weekday_factors is not None:
        rate_per_hour = rate_per_hour * np.asarray(entry.weekday_factors)[_KEY_WEEKDAY]
    if region.holidays and region.holiday_factor != 1.0:
        rate_per_hour = np.where(_KEY_HOLIDAY, rate_per_hour * region.holiday_factor, rate_per_hour)
    return RateEntryDraw(
        region=entry.region or "",
        rate_per_hour=rate_per_hour,
        busyness_cv=float(entry.busyness_cv or 0.0),
        codes=codes,
    )


def prepare_draws(scenario: Scenario, timeline: Timeline) -> DrawSetup:
    """Compute once what drawing any replication of `scenario` needs: calendars, rates, codes.

    Parameters
    ----------
    scenario : Scenario
        Demand entries, regions (time zone, holidays, holiday_factor) and name lists.
    timeline : Timeline
        Horizon and UTC start.

    Returns
    -------
    DrawSetup
        For `draw_contacts` (``draws=``); the draws are the same with or without it.
    """
    starts, lengths = horizon_minutes(timeline)
    channels = list(scenario.channels)
    regions = list(scenario.regions)
    segments = list(scenario.segments)
    languages = scenario_languages(scenario)
    calendars: dict[str, RegionMinutes] = {}
    entries: list[RateEntryDraw | None] = []
    for entry in scenario.demand:
        if entry.kind != "rates":
            entries.append(None)
            continue
        name = entry.region or ""
        if name not in calendars:
            calendars[name] = _region_minutes(scenario, name, timeline, len(starts))
        lang = entry.language or scenario.regions[name].language
        codes = {
            "channel": channels.index(entry.channel or ""),
            "region": regions.index(name),
            "segment": segments.index(entry.segment) if entry.segment else -1,
            "language": languages.index(lang) if lang else -1,
        }
        entries.append(_rate_entry(entry, scenario, codes))
    return DrawSetup(starts_s=starts, lengths_s=lengths, regions=calendars, entries=tuple(entries))


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
    starts, lengths = horizon_minutes(timeline)
    name = entry.region or ""
    setup = DrawSetup(
        starts_s=starts,
        lengths_s=lengths,
        regions={name: _region_minutes(scenario, name, timeline, len(starts))},
        entries=(_rate_entry(entry, scenario, {}),),
    )
    return setup.expected(0, busyness)


def _rate_times(
    setup: DrawSetup,
    k: int,
    *,
    busy_rng: np.random.Generator | Callable[[], np.random.Generator],
    rng: np.random.Generator,
) -> np.ndarray:
    """Sorted arrival instants of rate entry `k` of a `DrawSetup` [s]; `busy_rng` may be a
    function giving the generator, called only when the entry has a day multiplier."""
    entry = setup.entries[k]
    assert entry is not None
    busy = None
    if entry.busyness_cv > 0:
        days = setup.regions[entry.region]
        gen = busy_rng if isinstance(busy_rng, np.random.Generator) else busy_rng()
        busy = day_multiplier_by_index(entry.busyness_cv, days.day_of_minute, days.n_days, rng=gen)
    times = poisson_arrival_times(setup.expected(k, busy), setup.starts_s, setup.lengths_s, rng=rng)
    times.sort()
    return times


def draw_contacts(
    scenario: Scenario,
    timeline: Timeline,
    *,
    seed: int,
    replication: int,
    draws: DrawSetup | None = None,
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
    draws : DrawSetup, optional
        `prepare_draws` of this scenario and timeline, computed once for many replications
        (absent: computed here). The contacts are the same either way.

    Returns
    -------
    Contacts
        Sorted by arrival: arrival [s], codes, handle time [s], patience [s] (inf: never
        abandons) and the bot's uniform draw [0, 1).
    """
    setup = prepare_draws(scenario, timeline) if draws is None else draws
    parts: list[dict[str, np.ndarray | int]] = []
    for k, entry in enumerate(scenario.demand):
        rate = setup.entries[k]
        extra: dict[str, np.ndarray | int]
        if rate is None:
            from coverage.demand import logs  # contact logs live in their own module

            times, logged = logs.entry_arrivals(
                entry, k, scenario, timeline, seed=seed, replication=replication
            )
            extra = dict(logged)
        else:
            times = _rate_times(
                setup,
                k,
                busy_rng=partial(entry_rng, seed, replication, k, STREAM_BUSYNESS),
                rng=entry_rng(seed, replication, k, STREAM_ARRIVALS),
            )
            extra = dict(rate.codes)  # one code for all its contacts
        parts.append(_complete(scenario, k, times, extra, seed=seed, replication=replication))
    return Contacts(**_merge_by_arrival(parts))


def _merge_by_arrival(parts: list[dict[str, np.ndarray | int]]) -> dict[str, np.ndarray]:
    """Concatenate the entries' columns and sort them by arrival (stable: entry order at ties).

    A column given as an int is that code for every contact of its part; the merged column is
    then looked up from the contacts' part instead of being concatenated and reordered. Frees
    each input as it goes, so the peak is about two copies of one column, not of all.
    """
    keys = list(parts[0])
    sizes = [len(p["arrived_at_s"]) for p in parts]  # type: ignore[arg-type]
    if len(parts) == 1 and bool(np.all(np.diff(parts[0]["arrived_at_s"]) >= 0)):
        # one entry, already in order: nothing to copy
        return {key: _full(parts[0][key], sizes[0]) for key in keys}
    times = np.concatenate([p["arrived_at_s"] for p in parts])
    order = np.argsort(times, kind="stable")
    del times
    part: np.ndarray | None = None  # part of each merged contact, when a code column needs it
    merged = {}
    for key in keys:
        columns = [p.pop(key) for p in parts]
        if all(isinstance(c, int) for c in columns):
            if part is None:
                part = np.repeat(np.arange(len(parts), dtype=np.intp), sizes)[order]
            merged[key] = np.array(columns, dtype=np.int16)[part]
            continue
        column = np.concatenate([_full(c, n) for c, n in zip(columns, sizes, strict=True)])
        del columns
        merged[key] = column[order]
        del column
    return merged


def _full(column: np.ndarray | int, n: int) -> np.ndarray:
    """A column as an array: an int code repeated `n` times (int16)."""
    return np.full(n, column, np.int16) if isinstance(column, int) else column


def _complete(
    scenario: Scenario,
    k: int,
    times: np.ndarray,
    extra: dict[str, np.ndarray | int],
    *,
    seed: int,
    replication: int,
) -> dict[str, np.ndarray | int]:
    """Add handle times, patience and bot draws to the arrivals of demand entry `k`.

    The codes in `extra` are arrays (one per contact) or ints (one for all of the entry's
    contacts); the draws are the same either way.
    """
    n = len(times)
    names = list(scenario.channels)
    h_rng = entry_rng(seed, replication, k, STREAM_HANDLE)
    code = extra["channel"]
    if isinstance(code, int):  # one channel: every contact draws from its distributions
        channel = scenario.channels[names[code]]
        if n:
            handle = np.asarray(sample_durations(channel.handle_time, n, rng=h_rng), np.float64)
        else:
            handle = np.empty(0)
        if n and channel.patience is not None:
            p_rng = entry_rng(seed, replication, k, STREAM_PATIENCE)
            patience = np.asarray(sample_durations(channel.patience, n, rng=p_rng), np.float64)
        else:
            patience = np.full(n, np.inf)
    else:
        handle = np.empty(n)
        patience = np.full(n, np.inf)
        p_rng = entry_rng(seed, replication, k, STREAM_PATIENCE)
        for c, name in enumerate(names):
            mask = code == c
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
        "entry": k,
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
    draws = prepare_draws(scenario, timeline)
    for k, entry in enumerate(scenario.demand):
        if entry.kind == "rates":
            total += float(draws.expected(k).sum())
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

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
from coverage.demand import draw_kernels
from coverage.demand.codes import scenario_languages
from coverage.demand.streams import (
    N_PURPOSES,
    STREAM_ARRIVALS,
    STREAM_BOT,
    STREAM_BUSYNESS,
    STREAM_HANDLE,
    STREAM_PATIENCE,
    day_factors,
    day_index,
    entry_rng,
    horizon_minutes,
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
    kind : numpy.ndarray
        int64 per minute: its kind, one per distinct (rate key, local date, minute length) — a
        few hundred over a horizon of weeks — so that a rate × day multiplier × length is
        computed once per kind and spread over the minutes (`DrawSetup.expected_busy`).
    kind_key, kind_day, kind_length_s : numpy.ndarray
        Per kind: its rate key (int16), local date index (int64) and minute length [s].
    """

    rate_key: np.ndarray
    day_of_minute: np.ndarray
    n_days: int
    kind: np.ndarray
    kind_key: np.ndarray
    kind_day: np.ndarray
    kind_length_s: np.ndarray


@dataclass(frozen=True)
class RateEntryDraw:
    """What drawing a rate entry needs that no replication changes (`prepare_draws`).

    Attributes
    ----------
    region : str
        The entry's region (key of `DrawSetup.regions`).
    rate_per_hour : numpy.ndarray
        float64 rate by rate key (`RegionMinutes.rate_key`): per_hour[local hour] ×
        weekday_factor × holiday_factor, computed as `expected_per_minute` does per minute
        [contacts/h].
    busyness_cv : float
        Coefficient of variation of the day multiplier (0: none) [–].
    codes : dict of str to int
        Its contacts' ``channel``, ``region``, ``segment`` and ``language`` indices (-1: none).
    """

    region: str
    rate_per_hour: np.ndarray
    busyness_cv: float
    codes: dict[str, int]


# expected arrivals per minute kept for the entries without a day multiplier, up to this size
_EXPECTED_CACHE_BYTES = 64 * 2**20


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
    expected_by_entry : tuple of numpy.ndarray or None
        Per demand entry, its expected arrivals per minute when it has no day multiplier
        (read-only, shared by entries with the same region and rates), else None; empty: none
        kept. Entries beyond about 64 MiB of them are computed per call instead.
    """

    starts_s: np.ndarray
    lengths_s: np.ndarray
    regions: dict[str, RegionMinutes]
    entries: tuple[RateEntryDraw | None, ...]
    expected_by_entry: tuple[np.ndarray | None, ...] = ()

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
            As `expected_per_minute` [contacts]; read-only when kept in the setup.
        """
        entry = self.entries[k]
        assert entry is not None, f"demand entry {k} is not a rate entry"
        if busyness is None and k < len(self.expected_by_entry):
            kept = self.expected_by_entry[k]
            if kept is not None:
                return kept
        rate_per_hour = entry.rate_per_hour[self.regions[entry.region].rate_key]
        if busyness is not None:
            rate_per_hour = rate_per_hour * busyness
        return rate_per_hour * self.lengths_s / SECONDS_PER_HOUR

    def expected_busy(self, k: int, g_of_day: np.ndarray) -> np.ndarray:
        """`expected` with the day multiplier given per local date: the same values, computed
        once per kind of minute (`RegionMinutes.kind`).

        Parameters
        ----------
        k : int
            Index of a rate entry in the scenario's demand list.
        g_of_day : numpy.ndarray
            The day multiplier G of each local date of the entry's region [–].

        Returns
        -------
        numpy.ndarray
            ``expected(k, g_of_day[day_of_minute])``, bit for bit [contacts].
        """
        entry = self.entries[k]
        assert entry is not None, f"demand entry {k} is not a rate entry"
        days = self.regions[entry.region]
        per_kind = entry.rate_per_hour[days.kind_key] * g_of_day[days.kind_day]
        per_kind = per_kind * days.kind_length_s / SECONDS_PER_HOUR
        return per_kind[days.kind]


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
    key = np.asarray(key, np.int16)
    day_of_minute = np.asarray(day_of_minute, np.int64)
    lengths, length_index = np.unique(horizon_minutes(timeline)[1], return_inverse=True)
    packed = (day_of_minute * len(_RATE_KEYS) + key) * len(lengths) + length_index
    kinds, kind = np.unique(packed, return_inverse=True)
    return RegionMinutes(
        rate_key=key,
        day_of_minute=day_of_minute,
        n_days=n_days,
        kind=np.asarray(kind, np.int64).reshape(-1),
        kind_key=((kinds // len(lengths)) % len(_RATE_KEYS)).astype(np.int16),
        kind_day=kinds // len(lengths) // len(_RATE_KEYS),
        kind_length_s=lengths[kinds % len(lengths)].astype(np.float64),
    )


def _rate_entry(entry: Demand, scenario: Scenario, codes: dict[str, int]) -> RateEntryDraw:
    region = scenario.regions[entry.region or ""]
    # float64 from the start: numpy turns integer rates into float64 at the first product anyway
    rate_per_hour = np.asarray(entry.rates_by_local_hour(), np.float64)[_KEY_HOUR]
    if entry.weekday_factors is not None:
        rate_per_hour = rate_per_hour * np.asarray(entry.weekday_factors)[_KEY_WEEKDAY]
    if region.holidays and region.holiday_factor != 1.0:
        rate_per_hour = np.where(_KEY_HOLIDAY, rate_per_hour * region.holiday_factor, rate_per_hour)
    return RateEntryDraw(
        region=entry.region or "",
        rate_per_hour=np.ascontiguousarray(rate_per_hour, np.float64),
        busyness_cv=float(entry.busyness_cv or 0.0),
        codes=codes,
    )


def prepare_draws(scenario: Scenario, timeline: Timeline) -> DrawSetup:
    """Compute once what drawing any replication of `scenario` needs: calendars, rates, codes,
    and the expected arrivals per minute of the entries without a day multiplier.

    Also loads the drawing kernels (`coverage.demand.draw_kernels`), before any worker forks.

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
    draw_kernels.warm_up()
    starts, lengths = horizon_minutes(timeline)
    starts = np.ascontiguousarray(starts, np.float64)
    lengths = np.ascontiguousarray(lengths, np.float64)
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
    kept: dict[tuple[str, bytes], np.ndarray] = {}
    by_entry: list[np.ndarray | None] = []
    budget = _EXPECTED_CACHE_BYTES
    for rate in entries:
        if rate is None or rate.busyness_cv > 0:
            by_entry.append(None)
            continue
        key = (rate.region, rate.rate_per_hour.tobytes())
        if key not in kept and budget >= lengths.nbytes:
            values = (
                rate.rate_per_hour[calendars[rate.region].rate_key] * lengths / SECONDS_PER_HOUR
            )
            values.flags.writeable = False
            kept[key] = values
            budget -= values.nbytes
        by_entry.append(kept.get(key))
    return DrawSetup(
        starts_s=starts,
        lengths_s=lengths,
        regions=calendars,
        entries=tuple(entries),
        expected_by_entry=tuple(by_entry),
    )


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
        lengths_s=np.ascontiguousarray(lengths, np.float64),
        regions={name: _region_minutes(scenario, name, timeline, len(starts))},
        entries=(_rate_entry(entry, scenario, {}),),
    )
    return setup.expected(0, busyness)


def _rate_arrival_draws(
    setup: DrawSetup, k: int, streams: draw_kernels.ReplicationStreams
) -> tuple[np.ndarray, np.ndarray]:
    """The random draws of rate entry `k`'s arrivals: the day multipliers (when it has them),
    Poisson counts per minute and one uniform per arrival, as
    `coverage.demand.streams.poisson_arrival_times` draws them (`draw_kernels.place_minutes`
    turns them into instants)."""
    entry = setup.entries[k]
    assert entry is not None
    if entry.busyness_cv > 0:
        n_days = setup.regions[entry.region].n_days
        g_of_day = day_factors(entry.busyness_cv, n_days, rng=streams.rng(k, STREAM_BUSYNESS))
        expected = setup.expected_busy(k, g_of_day)
    else:
        expected = setup.expected(k)
    rng = streams.rng(k, STREAM_ARRIVALS)
    counts = rng.poisson(expected)
    return counts, rng.random(int(counts.sum()))


@dataclass
class _Part:
    """One demand entry's contacts before the merge: its instants (or, for a rate entry, the
    draws they come from), draws per contact in the order of its sorted instants, and codes."""

    n: int
    times: np.ndarray | None  # log entries: sorted instants [s]
    counts: np.ndarray | None  # rate entries: Poisson count per minute
    u: np.ndarray | None  # rate entries: uniform per arrival
    handle_s: np.ndarray
    patience_s: np.ndarray | None  # None: inf for every contact
    bot_u: np.ndarray
    codes: np.ndarray  # int16 channel, region, segment, language, entry
    code_rows: tuple[np.ndarray, ...] | None  # a log entry's int16 codes per contact

    def arrival_times(
        self, setup: DrawSetup, out: np.ndarray | None = None, *, in_order: bool = True
    ) -> np.ndarray:
        """Its instants [s] (into `out` when given): sorted, or for a rate entry with
        ``in_order=False`` minute by minute (`draw_kernels.place_minutes`)."""
        if self.times is not None:
            if out is None:
                return self.times
            out[:] = self.times
            return out
        assert self.counts is not None
        assert self.u is not None
        minutes = (setup.starts_s, setup.lengths_s)
        return draw_kernels.place_minutes(self.counts, self.u, minutes, out, in_order=in_order)


_CODE_KEYS = ("channel", "region", "segment", "language")


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
        Sorted by arrival (ties in demand-entry order): arrival [s], codes, handle time [s],
        patience [s] (inf: never abandons) and the bot's uniform draw [0, 1).
    """
    setup = prepare_draws(scenario, timeline) if draws is None else draws
    draw_kernels.warm_up()
    streams = draw_kernels.ReplicationStreams(seed, replication, len(scenario.demand), N_PURPOSES)
    parts: list[_Part] = []
    for k, entry in enumerate(scenario.demand):
        rate = setup.entries[k]
        if rate is None:
            from coverage.demand import logs  # contact logs live in their own module

            times, logged = logs.entry_arrivals(
                entry, k, scenario, timeline, seed=seed, replication=replication
            )
            parts.append(_log_part(scenario, k, times, dict(logged), seed, replication))
            continue
        counts, u = _rate_arrival_draws(setup, k, streams)
        n = len(u)
        handle, patience = _durations(scenario, rate.codes["channel"], n, k, streams)
        codes = np.array([*(rate.codes[key] for key in _CODE_KEYS), k], np.int16)
        bot_u = streams.rng(k, STREAM_BOT).random(n)
        parts.append(_Part(n, None, counts, u, handle, patience, bot_u, codes, None))
    return _merge_by_arrival(parts, setup)


def _durations(
    scenario: Scenario,
    channel_code: int,
    n: int,
    k: int,
    streams: draw_kernels.ReplicationStreams,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Handle times and patience [s] of `n` contacts of one channel (None: no patience)."""
    channel = scenario.channels[list(scenario.channels)[channel_code]]
    if not n:
        return np.empty(0), None
    h_rng = streams.rng(k, STREAM_HANDLE)
    handle = np.asarray(sample_durations(channel.handle_time, n, rng=h_rng), np.float64)
    if channel.patience is None:
        return handle, None
    p_rng = streams.rng(k, STREAM_PATIENCE)
    return handle, np.asarray(sample_durations(channel.patience, n, rng=p_rng), np.float64)


def _log_part(
    scenario: Scenario,
    k: int,
    times: np.ndarray,
    extra: dict[str, np.ndarray],
    seed: int,
    replication: int,
) -> _Part:
    """A log entry's contacts: handle times, patience and bot draws added to its rows.

    Contacts of each channel draw from that channel's distributions, in channel order; a
    recorded handle time (``handle_s``, NaN: not recorded) replaces the drawn one.
    """
    n = len(times)
    code = extra["channel"]
    handle = np.empty(n)
    patience = np.full(n, np.inf)
    h_rng = entry_rng(seed, replication, k, STREAM_HANDLE)
    p_rng = entry_rng(seed, replication, k, STREAM_PATIENCE)
    for c, name in enumerate(scenario.channels):
        mask = code == c
        count = int(mask.sum())
        if not count:
            continue
        channel = scenario.channels[name]
        handle[mask] = sample_durations(channel.handle_time, count, rng=h_rng)
        if channel.patience is not None:
            patience[mask] = sample_durations(channel.patience, count, rng=p_rng)
    recorded = extra.get("handle_s")
    if recorded is not None:
        handle = np.where(np.isnan(recorded), handle, recorded)
    return _Part(
        n,
        np.ascontiguousarray(times, np.float64),
        None,
        None,
        handle,
        patience,
        entry_rng(seed, replication, k, STREAM_BOT).random(n),
        np.array([0, 0, 0, 0, k], np.int16),
        tuple(np.asarray(extra[key], np.int16) for key in _CODE_KEYS),
    )


def _merge_by_arrival(parts: list[_Part], setup: DrawSetup) -> Contacts:
    """The entries' contacts in one arrival order (stable: entry order at equal instants).

    The order is that of a stable sort of the entries' sorted instants, one entry after the
    other, and each entry's handle times, patience and bot draws follow its sorted instants.
    Sorted by buckets of time in one compiled pass that reads every entry's columns where they
    are (`draw_kernels.merge_by_bucket`); a log entry out of order (never seen) or a NaN
    instant: a stable argsort of the concatenated columns, as before.
    """
    # rate entries' instants are placed in order; a log entry's are checked
    in_order = [p.times is None or bool(np.all(p.times[1:] >= p.times[:-1])) for p in parts]
    if len(parts) == 1 and in_order[0]:
        return _single(parts[0], parts[0].arrival_times(setup))
    by_bucket = all(in_order)
    placed = [  # a rate entry's instants are placed where its uniforms were
        p.arrival_times(setup, p.u, in_order=not by_bucket) if p.times is None else p.times
        for p in parts
    ]
    codes = np.stack([p.codes for p in parts])
    merged = None
    if by_bucket:
        row_start = np.full(len(parts), -1, np.int64)
        rows = np.empty((4, sum(p.n for p in parts if p.code_rows is not None)), np.int16)
        r = 0
        for e, part in enumerate(parts):
            if part.code_rows is not None:
                rows[:, r : r + part.n] = part.code_rows
                row_start[e] = r
                r += part.n
        span_s = float(setup.starts_s[-1] + setup.lengths_s[-1])
        columns = [
            (t, p.handle_s, p.patience_s, p.bot_u) for t, p in zip(placed, parts, strict=True)
        ]
        merged = draw_kernels.merge_by_bucket(columns, span_s, (codes, rows, row_start))
        if merged is None:  # sort instead, each rate entry's instants first
            for t, part in zip(placed, parts, strict=True):
                if part.times is None:
                    t.sort()
    if merged is None:
        merged = _sorted_by_arrival(parts, placed, codes)
    arrived, handle, patience, bot_u, channel, region, segment, language, entry = merged
    return Contacts(
        arrived_at_s=arrived,
        channel=channel,
        region=region,
        segment=segment,
        language=language,
        entry=entry,
        handle_s=handle,
        patience_s=patience,
        bot_u=bot_u,
    )


def _sorted_by_arrival(
    parts: list[_Part], placed: list[np.ndarray], codes: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The merge as it was: the entries' columns concatenated, a stable argsort of the
    instants, every column gathered in that order."""
    sizes = np.array([p.n for p in parts], np.int64)
    times = np.concatenate(placed)
    order = np.argsort(times, kind="stable")
    columns = (
        np.concatenate([p.handle_s for p in parts]),
        np.concatenate(
            [np.full(p.n, np.inf) if p.patience_s is None else p.patience_s for p in parts]
        ),
        np.concatenate([p.bot_u for p in parts]),
    )
    if all(p.code_rows is None for p in parts):
        part_of = np.repeat(np.arange(len(parts), dtype=np.intp), sizes)[order]
        code_columns = [codes[:, j][part_of] for j in range(5)]
    else:
        rows = np.concatenate(
            [
                np.repeat(p.codes[:, None], p.n, axis=1)
                if p.code_rows is None
                else np.vstack([np.stack(p.code_rows), np.full(p.n, p.codes[4], np.int16)])
                for p in parts
            ],
            axis=1,
        )
        code_columns = list(rows[:, order])
    return (times[order], *(c[order] for c in columns), *code_columns)


def _single(part: _Part, times: np.ndarray) -> Contacts:
    """The contacts of a scenario with one demand entry, already in order: nothing to copy."""
    n = part.n
    if part.code_rows is None:
        codes = [np.full(n, c, np.int16) for c in part.codes[:4].tolist()]
    else:
        codes = list(part.code_rows)
    return Contacts(
        arrived_at_s=times,
        channel=codes[0],
        region=codes[1],
        segment=codes[2],
        language=codes[3],
        entry=np.full(n, int(part.codes[4]), np.int16),
        handle_s=part.handle_s,
        patience_s=np.full(n, np.inf) if part.patience_s is None else part.patience_s,
        bot_u=part.bot_u,
    )


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

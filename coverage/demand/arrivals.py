"""Arrivals: the contacts of one replication, drawn up front into arrays.

For a demand entry with rates, the arrival rate at a moment is
``per_hour[local hour] × weekday_factors[local weekday] × G[entry, local date] × holiday_factor``
(DESIGN.md, "Demand"). The rate is constant on every UTC minute (time-zone offsets are whole
minutes), so the arrivals are drawn as an exact non-homogeneous Poisson process: a Poisson count
per minute with mean ∫rate, placed uniformly inside the minute [1]_.

Everything random about a contact — arrival time, handle time, patience and the uniform number
the bot uses — is drawn here, once per replication, from streams keyed by (seed, replication,
demand entry, purpose). Every plan then simulates the same contacts (common random numbers), and
adding a demand entry does not change the draws of the others.

References
----------
.. [1] P. A. W. Lewis and G. S. Shedler, "Simulation of nonhomogeneous Poisson processes by
   thinning," Naval Research Logistics Quarterly 26(3), 1979 (the piecewise-constant case is
   exact by independent increments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coverage.calendar import Timeline, holidays_for, local_minute_grid
from coverage.errors import ScenarioError
from coverage.scenario.model import Demand, Distribution, Scenario
from coverage.units import SECONDS_PER_MINUTE

# purposes of the random streams of one demand entry
STREAM_ARRIVALS, STREAM_HANDLE, STREAM_PATIENCE, STREAM_BOT, STREAM_BUSYNESS = range(5)


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


def entry_rng(seed: int, replication: int, entry: int, purpose: int) -> np.random.Generator:
    """The generator of one (replication, demand entry, purpose) stream."""
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(replication, entry, purpose))
    )


def sample_durations(dist: Distribution, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """Draw `n` durations [s] from `dist` (lognormal: mean `mean_s`, `sigma` of ln)."""
    family = dist.family
    if family == "exponential":
        return rng.exponential(dist.expected_s, n)
    if family == "fixed":
        return np.full(n, dist.expected_s)
    if family == "lognormal":
        sigma = float(dist.sigma or 0.0)
        mu = np.log(dist.expected_s) - 0.5 * sigma**2
        return rng.lognormal(mu, sigma, n)
    samples = np.asarray(dist.samples_s, dtype=float)
    return samples[rng.integers(0, len(samples), n)]


def expected_per_minute(
    entry: Demand, scenario: Scenario, timeline: Timeline, busyness: np.ndarray | None = None
) -> np.ndarray:
    """Expected arrivals in each UTC minute of [0, horizon) for a rate entry [contacts/min].

    `busyness` is the day multiplier G of each minute (absent: 1).
    """
    region = scenario.regions[entry.region or ""]
    n_minutes = int(np.ceil(timeline.horizon_s / SECONDS_PER_MINUTE))
    grid = local_minute_grid(region.time_zone, timeline.start_utc, timeline.n_minutes)
    hour = grid.hour[:n_minutes]
    rate_per_hour = np.asarray(entry.rates_by_local_hour())[hour]
    if entry.weekday_factors is not None:
        rate_per_hour = rate_per_hour * np.asarray(entry.weekday_factors)[grid.weekday[:n_minutes]]
    dates = grid.date_ordinal[:n_minutes]
    if region.holidays and region.holiday_factor != 1.0:
        holiday = np.isin(dates, list(holidays_for(region.holidays, timeline)))
        rate_per_hour = np.where(holiday, rate_per_hour * region.holiday_factor, rate_per_hour)
    if busyness is not None:
        rate_per_hour = rate_per_hour * busyness
    minutes = np.full(n_minutes, SECONDS_PER_MINUTE)
    minutes[-1] = timeline.horizon_s - SECONDS_PER_MINUTE * (n_minutes - 1)
    return rate_per_hour * minutes / 3600.0


def _busyness(entry: Demand, dates: np.ndarray, *, rng: np.random.Generator) -> np.ndarray | None:
    """Gamma(1/cv², cv²) day multiplier (mean 1) per local date, spread over its minutes."""
    cv = entry.busyness_cv or 0.0
    if cv <= 0:
        return None
    unique, day_of_minute = np.unique(dates, return_inverse=True)
    return rng.gamma(1.0 / cv**2, cv**2, len(unique))[day_of_minute]


def draw_rate_entry_times(
    entry: Demand,
    scenario: Scenario,
    timeline: Timeline,
    *,
    busy_rng: np.random.Generator,
    rng: np.random.Generator,
) -> np.ndarray:
    """Arrival instants [s] of one rate entry over [0, horizon), sorted: an exact NHPP."""
    region = scenario.regions[entry.region or ""]
    grid = local_minute_grid(region.time_zone, timeline.start_utc, timeline.n_minutes)
    n_minutes = int(np.ceil(timeline.horizon_s / SECONDS_PER_MINUTE))
    busy = _busyness(entry, grid.date_ordinal[:n_minutes], rng=busy_rng)
    expected = expected_per_minute(entry, scenario, timeline, busy)
    counts = rng.poisson(expected)
    starts = np.arange(n_minutes) * SECONDS_PER_MINUTE
    lengths = np.minimum(SECONDS_PER_MINUTE, timeline.horizon_s - starts)
    minute = np.repeat(np.arange(n_minutes), counts)
    times = starts[minute] + rng.random(len(minute)) * lengths[minute]
    times.sort()
    return times


def draw_contacts(
    scenario: Scenario, timeline: Timeline, *, seed: int, replication: int
) -> Contacts:
    """Draw every contact of replication `replication` (the same for every plan)."""
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


def scenario_languages(scenario: Scenario) -> list[str]:
    """Every language named anywhere in the scenario, sorted (index = language code)."""
    names: set[str] = {r.language for r in scenario.regions.values() if r.language}
    names |= {d.language for d in scenario.demand if d.language}
    for plan in scenario.plans.values():
        for site in plan.sites.values():
            for shift in site.shifts:
                names |= set(shift.languages or ())
    return sorted(names)


def check_contact_budget(scenario: Scenario, timeline: Timeline, *, limit: int) -> float:
    """Expected contacts per replication; ScenarioError if above `limit`."""
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

"""Costs of a plan over the measured window (docs/results.md, "cost").

* Paid time: the rostered crews' shift time clipped to [warmup, horizon), plus overtime spent
  finishing contacts after a paid shift end at or after the warm-up (drain shifts are unpaid).
  Shrinkage does not change paid time.
* labor = paid hours × hourly_cost.
* premiums = paid time × hourly_cost × the sum of the premiums in force at each local moment:
  night (local clock inside [from, to), wrapping past midnight), weekend (local Sat/Sun), holiday
  (the site's public holidays) and, on overtime, overtime_premium — additive.
* automation = bot conversations of contacts offered in the window × cost_per_contact.
* seats = seat_cost_per_month × the site's peak rostered agents on duty in the window × window
  hours / 730.5.
* total = labor + premiums + automation + seats; per_month = total × 730.5 / window hours;
  per_contact (across replications) = mean total / mean offered.

The premium share is tabulated per UTC minute (every premium boundary and time-zone offset is a
whole minute), and integrated exactly through its cumulative sum.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from coverage.calendar import Timeline, holidays_for, local_minute_grid
from coverage.demand.automation import BotOutcome
from coverage.results.figures import PlanCost, SiteCost
from coverage.scenario.model import Plan, Site
from coverage.simulation._jit import deferred_interrupts, kernel_arg, njit
from coverage.simulation.dispatch import EngineOutput
from coverage.simulation.roster import Roster
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR, SECONDS_PER_MINUTE

PREMIUM_TYPES = ("night", "weekend", "holiday")


def premium_shares_by_minute(site: Site, timeline: Timeline) -> dict[str, np.ndarray]:
    """Share added to the hourly cost in each UTC minute by each premium rule.

    Parameters
    ----------
    site : Site
        Its time zone, premiums and holiday calendar.
    timeline : Timeline
        The UTC minutes of the run.

    Returns
    -------
    dict of str to numpy.ndarray
        ``night``, ``weekend``, ``holiday``: per UTC minute, the rule's share in force on the
        site's local clock [share of hourly_cost].
    """
    grid = local_minute_grid(site.time_zone, timeline.start_utc, timeline.n_minutes)
    shares = {kind: np.zeros(timeline.n_minutes) for kind in PREMIUM_TYPES}
    night = site.night_premium
    if night is not None and night.rate:
        minute = grid.minute_of_day.astype(np.int64)
        lo, hi = int(night.from_s // 60), int(night.to_s // 60)
        inside = (minute >= lo) & (minute < hi) if lo <= hi else (minute >= lo) | (minute < hi)
        shares["night"] += np.where(inside, night.rate, 0.0)
    if site.weekend_premium:
        shares["weekend"] += np.where(grid.weekday >= 5, site.weekend_premium, 0.0)
    if site.holiday_premium and site.holidays:
        days = list(holidays_for(site.holidays, timeline))
        shares["holiday"] += np.where(np.isin(grid.date_ordinal, days), site.holiday_premium, 0.0)
    return shares


def premium_share_by_minute(site: Site, timeline: Timeline) -> np.ndarray:
    """Share added to the hourly cost in each UTC minute by the night, weekend and holiday premiums.

    Parameters
    ----------
    site : Site
        Its time zone, premiums and holiday calendar.
    timeline : Timeline
        The UTC minutes of the run.

    Returns
    -------
    numpy.ndarray
        Per UTC minute, the sum of the premiums in force on the site's local clock [share of
        hourly_cost].
    """
    share = np.zeros(timeline.n_minutes)
    for part in premium_shares_by_minute(site, timeline).values():
        share += part
    return share


def _minute_grid_s(cumulative: np.ndarray) -> np.ndarray:
    """The instants [s] of the minute boundaries at which `cumulative` is tabulated."""
    return np.arange(len(cumulative)) * SECONDS_PER_MINUTE


def _integral(
    cumulative: np.ndarray, at_s: np.ndarray, grid_s: np.ndarray | None = None
) -> np.ndarray:
    """∫_0^t share dt [s] from the per-minute cumulative sum (exact: constant inside a minute);
    `grid_s` is `_minute_grid_s(cumulative)` when already at hand."""
    if grid_s is None:
        grid_s = _minute_grid_s(cumulative)
    return np.interp(at_s, grid_s, cumulative)


# The kernels below freeze SECONDS_PER_MINUTE (coverage.units) into their machine code, and
# numba's cache follows this file only: after changing it, touch this file so they rebuild.


@njit(nogil=True)
def _minute_s(j):
    """The j-th minute boundary of the grid, as ``_minute_grid_s`` computes it [s]."""
    return np.float64(j) * SECONDS_PER_MINUTE


@njit(nogil=True)
def _interval(x, n):
    """Where ``np.interp`` finds `x` on the grid of `n` minute boundaries (``_minute_grid_s``,
    n >= 2): -1 below it, ``n - 1`` at or past its end, else the j with
    ``grid[j] <= x < grid[j + 1]``; NaN gives -2."""
    if np.isnan(x):
        return -2
    if x < _minute_s(0):
        return -1
    if x >= _minute_s(n - 1):
        return n - 1
    j = min(max(np.int64(x / SECONDS_PER_MINUTE), 0), n - 2)  # a guess, then made exact
    while _minute_s(j) > x:
        j -= 1
    while _minute_s(j + 1) <= x:
        j += 1
    return j


@njit(nogil=True)
def _interp(x, j, n, tables, s, t):
    """``np.interp(x, grid, tables[s, :, t])`` on the grid of `n` minute boundaries, for one
    value at its `_interval` j, bit for bit (numpy's branches and arithmetic)."""
    if j == -2:
        return x
    if j == -1:
        return tables[s, 0, t]
    if j == n - 1 or _minute_s(j) == x:
        return tables[s, j, t]
    below, above = tables[s, j, t], tables[s, j + 1, t]
    slope = (above - below) / (_minute_s(j + 1) - _minute_s(j))
    res = slope * (x - _minute_s(j)) + below
    if np.isnan(res):  # numpy: "if we get nan in one direction, try the other"
        res = slope * (x - _minute_s(j + 1)) + above
        if np.isnan(res) and below == above:
            res = below
    return res


@njit(nogil=True)
def _overtime_parts(start_s, end_s, paid, agent, agent_site, lo_s, tables):
    """Per site s, its paid overtime rows starting at or after `lo_s`, in row order:
    ``parts[s, 0]`` end − start, ``parts[s, 1 + t]`` the integral of table t between them
    (``np.interp`` of ``tables[s, :, t]`` on the minute grid at the end minus at the start) [s];
    and the rows per site."""
    n_sites, n, n_tables = tables.shape
    parts = np.empty((n_sites, 1 + n_tables, len(start_s)))  # site s: its first rows[s]
    rows = np.zeros(n_sites, dtype=np.int64)
    for i in range(len(start_s)):
        if not paid[i] or not start_s[i] >= lo_s:
            continue
        s = agent_site[agent[i]]
        k = rows[s]
        start, end = start_s[i], end_s[i]
        parts[s, 0, k] = end - start
        j_start, j_end = _interval(start, n), _interval(end, n)
        for t in range(n_tables):
            parts[s, 1 + t, k] = _interp(end, j_end, n, tables, s, t) - _interp(
                start, j_start, n, tables, s, t
            )
        rows[s] = k + 1
    return parts, rows


def peak_on_duty(start_s: np.ndarray, end_s: np.ndarray, crew: np.ndarray) -> int:
    """Largest number of rostered agents on duty at once over the given intervals.

    Parameters
    ----------
    start_s, end_s : numpy.ndarray
        Start and end of each paid shift instance [s].
    crew : numpy.ndarray
        Agents on each instance [agents].

    Returns
    -------
    int
        Peak agents on duty [agents] (at a tie, a leaving crew leaves before one arrives).
    """
    if not len(start_s):
        return 0
    times = np.concatenate([end_s, start_s])
    deltas = np.concatenate([-crew, crew])
    order = np.lexsort((deltas, times))  # at a tie, leave before arriving
    return int(np.max(np.cumsum(deltas[order])))


@dataclass(frozen=True)
class _SiteBasis:
    """A site's rostered part of the cost, the same in every replication."""

    site: Site
    cumulative: np.ndarray  # ∫ premium share dt at each UTC minute boundary [s]
    cumulative_by_type: dict[str, np.ndarray]  # the same, one premium rule at a time [s]
    paid_s: float  # crew × rostered time in the window [agent·s]
    premium_s: float  # crew × ∫ premium share over it [agent·s]
    premium_by_type_s: dict[str, np.floating]  # the same, one premium rule at a time [agent·s]
    peak: int  # peak rostered agents on duty in the window [agents]
    grid_s: np.ndarray  # the minute boundaries of the cumulative tables [s]


@dataclass(frozen=True)
class CostBasis:
    """What `replication_costs` needs of a plan and its roster: built once per run.

    Attributes
    ----------
    sites : dict of str to _SiteBasis
        Per site (plan order), its premium integrals and rostered paid time.
    window_hours : float
        Length of the measured window [h].
    warmup_s, horizon_s : float
        The measured window [s].
    tables : numpy.ndarray
        (sites, minutes + 1, 1 + len(PREMIUM_TYPES)): each site's ``cumulative`` and its
        ``cumulative_by_type`` tables side by side (those are views of it) [s].
    grid_s : numpy.ndarray
        The minute boundaries of the tables, float [s].
    """

    sites: dict[str, _SiteBasis]
    window_hours: float
    warmup_s: float
    horizon_s: float
    tables: np.ndarray
    grid_s: np.ndarray


def cost_basis(plan: Plan, roster: Roster, timeline: Timeline) -> CostBasis:
    """The replication-independent part of `plan_costs`: premium integrals and rostered time.

    Parameters
    ----------
    plan : Plan
        The plan (its sites' rates and premiums).
    roster : Roster
        Its rostered paid shift instances [s].
    timeline : Timeline
        The measured window [warmup_s, horizon_s) [s].

    Returns
    -------
    CostBasis
        Per site, what every replication shares.
    """
    lo, hi = timeline.warmup_s, timeline.horizon_s
    sites = {}
    # per site and minute boundary, its tables side by side (the cost kernel reads them at once)
    tables = np.empty((len(plan.sites), timeline.n_minutes + 1, 1 + len(PREMIUM_TYPES)))
    grid_s = _minute_grid_s(tables[0, :, 0]) if len(tables) else np.zeros(0)  # shared by all
    for s_idx, (name, site) in enumerate(plan.sites.items()):
        shares = premium_shares_by_minute(site, timeline)
        share = np.zeros(timeline.n_minutes)
        for part in shares.values():
            share += part
        cumulative = tables[s_idx, :, 0]
        cumulative[0] = 0.0
        np.cumsum(share * SECONDS_PER_MINUTE, out=cumulative[1:])
        mine = roster.paid_site == s_idx
        start = np.clip(roster.paid_start_s[mine], lo, hi)
        end = np.clip(roster.paid_end_s[mine], lo, hi)
        crew = roster.paid_agents[mine]
        by_type = {}
        typed = {}
        for t, (kind, part) in enumerate(shares.items()):  # the same integral, rule by rule
            cum = tables[s_idx, :, 1 + t]
            cum[0] = 0.0
            np.cumsum(part * SECONDS_PER_MINUTE, out=cum[1:])
            by_type[kind] = cum
            typed[kind] = np.sum(
                crew * (_integral(cum, end, grid_s) - _integral(cum, start, grid_s))
            )
        sites[name] = _SiteBasis(
            site=site,
            cumulative=cumulative,
            cumulative_by_type=by_type,
            paid_s=float(np.sum(crew * (end - start))),
            premium_s=float(
                np.sum(
                    crew
                    * (_integral(cumulative, end, grid_s) - _integral(cumulative, start, grid_s))
                )
            ),
            premium_by_type_s=typed,
            peak=peak_on_duty(start[end > start], end[end > start], crew[end > start]),
            grid_s=grid_s,
        )
    return CostBasis(
        sites=sites,
        window_hours=timeline.window_s / SECONDS_PER_HOUR,
        warmup_s=float(lo),
        horizon_s=float(hi),
        tables=tables,
        grid_s=grid_s,
    )


def plan_costs(
    plan: Plan,
    roster: Roster,
    out: EngineOutput,
    bot: BotOutcome,
    arrived_at_s: np.ndarray,
    timeline: Timeline,
) -> PlanCost:
    """Cost of one plan in one replication, by component and by site.

    Parameters
    ----------
    plan : Plan
        The plan (its sites' rates and premiums).
    roster : Roster
        Its rostered paid shift instances [s].
    out : EngineOutput
        Overtime stretches from the engine [s].
    bot : BotOutcome
        Bot conversations and their cost [currency].
    arrived_at_s : numpy.ndarray
        Arrival instants of the replication's contacts [s].
    timeline : Timeline
        The measured window [warmup_s, horizon_s) [s].

    Returns
    -------
    PlanCost
        Money [currency], hours [h]; ``per_contact`` = total / contacts offered in the window.
    """
    in_window = (arrived_at_s >= timeline.warmup_s) & (arrived_at_s < timeline.horizon_s)
    automation = float(np.sum(bot.bot_cost[in_window & bot.bot]))
    offered = int(np.sum(in_window))
    return replication_costs(cost_basis(plan, roster, timeline), roster, out, automation, offered)


def replication_costs(
    basis: CostBasis, roster: Roster, out: EngineOutput, automation: float, offered: int
) -> PlanCost:
    """Cost of one plan in one replication from its `cost_basis`, the engine's overtime and
    the bots' cost.

    Parameters
    ----------
    basis : CostBasis
        `cost_basis` of the plan, roster and timeline.
    roster : Roster
        Each agent's site.
    out : EngineOutput
        Overtime stretches from the engine [s].
    automation : float
        Cost of the bot conversations of contacts offered in the window [currency].
    offered : int
        Contacts offered in the window [contacts].

    Returns
    -------
    PlanCost
        As `plan_costs`.
    """
    window_hours = basis.window_hours
    by_site: dict[str, SiteCost] = {}
    _load()
    parts, rows = _overtime_parts(
        kernel_arg(out.overtime_start_s, np.float64),
        kernel_arg(out.overtime_end_s, np.float64),
        kernel_arg(out.overtime_paid, np.bool_),
        kernel_arg(out.overtime_agent, np.int32),
        kernel_arg(roster.agent_site, np.int32),
        basis.warmup_s,
        basis.tables,
    )
    for s_idx, (name, sb) in enumerate(basis.sites.items()):
        site = sb.site
        # per row of `parts`, np.sum of the site's values in row order (each row contiguous)
        sums = np.add.reduce(parts[s_idx, :, : rows[s_idx]], axis=1)
        overtime_s = float(sums[0])
        premium_s = sb.premium_s + overtime_s * site.overtime_premium
        premium_s += float(sums[1])
        by_type = {}
        for t, kind in enumerate(sb.cumulative_by_type):
            typed_s = sb.premium_by_type_s[kind] + sums[2 + t]
            by_type[kind] = float(typed_s) / SECONDS_PER_HOUR * site.hourly_cost
        by_type["overtime"] = (
            overtime_s * site.overtime_premium / SECONDS_PER_HOUR * site.hourly_cost
        )
        paid_hours = (sb.paid_s + overtime_s) / SECONDS_PER_HOUR
        peak = sb.peak
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
    labor = sum(s.labor for s in by_site.values())
    premiums = sum(s.premiums for s in by_site.values())
    seats = sum(s.seats for s in by_site.values())
    total = labor + premiums + automation + seats
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


def summarize_costs(rows: list[PlanCost], mean_offered: float) -> PlanCost:
    """A plan's cost as means over replications.

    Parameters
    ----------
    rows : list of PlanCost
        One per replication (the same sites in each).
    mean_offered : float
        Mean contacts offered per replication, all channels [contacts].

    Returns
    -------
    PlanCost
        Every figure (and every site's) the mean over replications [currency, h, agents],
        except ``per_contact`` = mean total / mean offered [currency] (None when nothing was
        offered).
    """
    means = {
        f.name: float(np.mean([getattr(r, f.name) for r in rows]))
        for f in dataclasses.fields(PlanCost)
        if f.name not in ("per_contact", "by_site")
    }
    by_site = {
        name: SiteCost(
            **{
                f.name: float(np.mean([getattr(r.by_site[name], f.name) for r in rows]))
                for f in dataclasses.fields(SiteCost)
            }
        )
        for name in rows[0].by_site
    }
    per_contact = means["total"] / mean_offered if mean_offered > 0 else None
    return PlanCost(**means, per_contact=per_contact, by_site=by_site)


def staff_cost_by_hour_of_week(plan: Plan, roster: Roster, timeline: Timeline) -> np.ndarray:
    """The plan's rostered staff cost in each UTC hour of the week, over the measured window.

    Rostered time only: overtime (which depends on the replication), seats and bots are left out.
    Shift boundaries fall on whole minutes, so a per-minute tally is exact.

    Parameters
    ----------
    plan : Plan
        Its sites' hourly cost and premiums.
    roster : Roster
        Its paid shift instances [s, agents].
    timeline : Timeline
        The measured window and UTC start.

    Returns
    -------
    numpy.ndarray
        Shape (168,): labor + night, weekend and holiday premiums, all sites, summed over every
        occurrence of each UTC hour of the week (Monday 00:00 = 0) in the window [currency].
    """
    from coverage.calendar import utc_hour_of_week

    n = timeline.n_minutes
    minute_s = np.arange(n) * SECONDS_PER_MINUTE
    in_window = (minute_s >= timeline.warmup_s) & (minute_s < timeline.horizon_s)
    how = utc_hour_of_week(minute_s + SECONDS_PER_MINUTE / 2, timeline.start_utc)
    out = np.zeros(168)
    for s_idx, site in enumerate(plan.sites.values()):
        mine = roster.paid_site == s_idx
        starts = np.clip(np.floor(roster.paid_start_s[mine] / SECONDS_PER_MINUTE), 0, n)
        ends = np.clip(np.floor(roster.paid_end_s[mine] / SECONDS_PER_MINUTE), 0, n)
        delta = np.zeros(n + 1)
        np.add.at(delta, starts.astype(np.int64), roster.paid_agents[mine])
        np.add.at(delta, ends.astype(np.int64), -roster.paid_agents[mine])
        crew = np.cumsum(delta)[:n]
        rate = site.hourly_cost * (1.0 + premium_share_by_minute(site, timeline)) / 60.0
        out += np.bincount(how[in_window], weights=(crew * rate)[in_window], minlength=168)
    return out


def _load() -> None:
    """Load (or compile) `_overtime_parts` with interrupts held, once per process."""
    if _overtime_parts.overloads:
        return
    with deferred_interrupts():
        one = np.zeros(1)
        _overtime_parts(
            one,
            one,
            np.ones(1, dtype=np.bool_),
            np.zeros(1, dtype=np.int32),
            np.zeros(1, dtype=np.int32),
            0.0,
            np.zeros((1, 2, 1 + len(PREMIUM_TYPES))),
        )


def warm_up() -> None:
    """Load (or compile) the cost kernel now (before a process pool forks, so workers inherit
    it)."""
    _load()

"""The mixed-integer program: the cheapest crews that cover a requirement.

Variables: x_j whole agents of shift j (fixed shifts have x_j = their crew), y_jch ≥ 0 the
productive agents of shift j working channel c in UTC hour h (a shift serving several channels
splits its time), P_s ≥ 0 the peak rostered agents of site s (seats), b_ch ≥ 0 the async
backlog at the end of hour h [agent-hours], and u ≥ 0 uncovered requirement (penalised, so the
program is always feasible and says where no shift can cover).

    minimise   Σ_j cost_j x_j + Σ_s seat_s P_s + penalty · Σ u
    subject to Σ_c y_jch ≤ cover_jh x_j                       (a shift's productive time)
               Σ_j y_jch + u_ch ≥ need_ch                     (realtime channel c, hour h)
               b_ch ≥ b_c,h−1 + work_ch − Σ_j y_jch − u_ch,   (async backlog)
               b_ch ≤ Σ work_c,(h−lag, h]                     (work waits at most `lag` hours)
               Σ_{j at s} duty_jh x_j ≤ P_s                   (seats: peak agents on duty)
               lower_j ≤ x_j ≤ upper_j, x_j integer

cost_j is the shift's labour and premiums over the measured window for one agent, exactly as
`coverage.results.costs.plan_costs` computes them (night, weekend and holiday premiums by local
minute); cover_jh = (1 − shrinkage) × the share of hour h the shift is on duty. Solved with
HiGHS through `scipy.optimize.milp`; the same program without integrality is its LP relaxation
(a lower bound on that program's integer cost only: raises change the requirement and trimming
the crews, so it bounds neither the program's later solutions nor the sized plan).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from coverage.optimize.requirement import Requirement

PENALTY_FACTOR = 20.0  # uncovered agent-hour costs this many times the dearest covered one


@dataclass(frozen=True)
class ShiftColumn:
    """One shift as the program sees it (per agent)."""

    site: int  # index of the site in the plan
    lower: int
    upper: int
    cost: float  # labour + premiums over the measured window [currency]
    cover: np.ndarray  # productive agent-hours in each UTC hour of the horizon
    duty: np.ndarray  # bool, rostered in that hour of the measured window (seats)
    channels: np.ndarray  # bool (n_channels,), channels it serves


@dataclass(frozen=True)
class Solution:
    """A solved program."""

    agents: np.ndarray  # int, x_j
    objective: float  # [currency] over the window, penalty included
    crew_cost: float  # the crews' and seats' part of it, no penalty [currency over the window]
    uncovered: np.ndarray  # (n_channels, n_hours) uncovered requirement [agents or agent-h]
    status: str
    gap: float | None  # relative MIP gap HiGHS reports (None for the LP)
    solve_s: float


def solve(
    columns: list[ShiftColumn],
    seat_cost: np.ndarray,
    need: Requirement,
    *,
    integral: bool = True,
    time_limit_s: float = 30.0,
) -> Solution:
    """Solve the program above (or its LP relaxation with ``integral=False``)."""
    n_channels, n_hours = need.realtime_agents.shape
    n_x, n_sites = len(columns), len(seat_cost)
    cost: list[float] = [c.cost for c in columns] + list(seat_cost)
    lower: list[float] = [c.lower for c in columns] + [0.0] * n_sites
    upper: list[float] = [c.upper for c in columns] + [np.inf] * n_sites
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo_rows: list[float] = []
    hi_rows: list[float] = []

    def var(price: float, hi: float = np.inf) -> int:
        cost.append(price)
        lower.append(0.0)
        upper.append(hi)
        return len(cost) - 1

    def row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(lo_rows)
        for col, val in entries:
            rows.append(r)
            cols.append(col)
            vals.append(val)
        lo_rows.append(lo)
        hi_rows.append(hi)

    dearest = max(
        (c.cost / c.cover.sum() for c in columns if c.cover.sum() > 0 and c.cost > 0), default=1.0
    )
    penalty = PENALTY_FACTOR * dearest
    serving: dict[tuple[int, int], list[int]] = {}  # (c, h) → y variables
    for j, col in enumerate(columns):
        for h in (int(v) for v in np.flatnonzero(col.cover > 0)):
            ys = []
            for c in (int(v) for v in np.flatnonzero(col.channels)):
                if need.realtime_agents[c, h] > 0 or need.async_work_hours[c].any():
                    y = var(0.0)
                    ys.append(y)
                    serving.setdefault((c, h), []).append(y)
            if ys:
                row([(y, 1.0) for y in ys] + [(j, -float(col.cover[h]))], -np.inf, 0.0)
    slack: dict[tuple[int, int], int] = {}
    for c in range(n_channels):
        if need.async_work_hours[c].any():
            work = need.async_work_hours[c]
            lag = int(need.async_lag_hours[c])
            cumulative = np.concatenate([[0.0], np.cumsum(work)])
            backlog_prev: int | None = None
            for h in range(n_hours):
                u = slack[(c, h)] = var(penalty)
                b = var(0.0, hi=float(cumulative[h + 1] - cumulative[max(0, h + 1 - lag)]))
                entries = [(b, 1.0), (u, 1.0)] + [(y, 1.0) for y in serving.get((c, h), [])]
                if backlog_prev is not None:
                    entries.append((backlog_prev, -1.0))
                row(entries, float(work[h]), np.inf)
                backlog_prev = b
            continue
        for h in (int(v) for v in np.flatnonzero(need.realtime_agents[c] > 0)):
            u = slack[(c, h)] = var(penalty)
            ys = serving.get((c, h), [])
            row([(u, 1.0)] + [(y, 1.0) for y in ys], float(need.realtime_agents[c, h]), np.inf)
    for s in range(n_sites):
        if seat_cost[s] <= 0:
            continue
        mine = [j for j, col in enumerate(columns) if col.site == s]
        for h in range(n_hours):
            on = [(j, 1.0) for j in mine if columns[j].duty[h]]
            if on:
                row([*on, (n_x + s, -1.0)], -np.inf, 0.0)
    n_vars = len(cost)
    matrix = coo_array((vals, (rows, cols)), shape=(len(lo_rows), n_vars)).tocsr()
    integrality = np.zeros(n_vars)
    if integral:
        integrality[:n_x] = 1
    start = time.perf_counter()
    result = milp(
        np.asarray(cost),
        integrality=integrality,
        bounds=Bounds(np.asarray(lower), np.asarray(upper)),
        constraints=LinearConstraint(matrix, np.asarray(lo_rows), np.asarray(hi_rows)),
        options={"time_limit": time_limit_s, "mip_rel_gap": 1e-3},
    )
    solve_s = time.perf_counter() - start
    if result.x is None:
        raise RuntimeError(f"the sizing program has no solution: {result.message}")
    x = np.asarray(result.x)
    uncovered = np.zeros((n_channels, n_hours))
    for (c, h), u in slack.items():
        uncovered[c, h] = x[u]
    agents = np.rint(x[:n_x]).astype(np.int64) if integral else x[:n_x]
    gap = getattr(result, "mip_gap", None)
    return Solution(
        agents=agents,
        objective=float(result.fun),
        crew_cost=float(np.asarray(cost[: n_x + n_sites]) @ x[: n_x + n_sites]),
        uncovered=uncovered,
        status=str(result.message),
        gap=float(gap) if gap is not None and integral else None,
        solve_s=solve_s,
    )

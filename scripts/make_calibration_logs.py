"""Generate the example call logs with outcomes: two months of a phone queue with known truth.

    .venv/bin/python scripts/make_calibration_logs.py          # writes the two shipped files
    .venv/bin/python scripts/make_calibration_logs.py --first 2026-03-01 --days 31 \\
        --scale 3.3 --seed 5 --out /tmp/big.csv                # one month, ~40,000 calls

The files `scenarios/data/example-calls-2026-03.csv` (March 2026) and `…-2026-04.csv` (April)
are what a phone system exports: one row per call, `timestamp` naive in Europe/Berlin local time
(as many call-centre exports are — read them with `--time-zone Europe/Berlin`), `channel`
(always `phone`), `handle_time_s` (answered calls), `wait_s`, `outcome` and `agent` (who
answered; blank when the caller hung up).

The truth behind them (module constants, used by the tests):

* **Arrivals**: a non-homogeneous Poisson process per local hour, rate
  ``PEAK_PER_HOUR × CURVE[hour] × WEEKDAY_FACTORS[weekday] × G[date]`` with G a Gamma day
  multiplier of mean 1 and CV `BUSYNESS_CV` (the demand model of docs/scenario-format.md).
* **Handle time**: lognormal, mean `HANDLE_MEAN_S`, `HANDLE_SIGMA` the std. dev. of its log.
* **Patience**: exponential with mean `PATIENCE_MEAN_S` (or lognormal, for tests).
* **Staffing**: per local hour the crew of the square-root rule on the offered load divided by
  the availability (`rostered_agents`), give or take one agent on 30% of date-hours; nobody from
  23:00 to 07:00 (night calls wait and abandon, as in a real log).
* **Availability**: each rostered agent answers this queue for `AVAILABILITY` of every hour; the
  other part of the hour (a break, after-call work, another queue) is one block at a staggered
  phase — agent i of n starts it at (i/n + u) of the hour, u uniform per date-hour — so the
  agents away at any moment are as few as the share allows, as a supervisor would schedule it.

The queue itself is simulated by the project's compiled engine (FCFS; an agent going away
finishes the call it holds). Agents are named `agent-01`, `agent-02`, … by their rank on the
crew, and every agent on duty answers calls in a busy hour, so the agents seen answering are the
rostered crew — of whom only `AVAILABILITY` is really there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data"
TIME_ZONE = "Europe/Berlin"
PEAK_PER_HOUR = 36.0
CURVE = np.array(
    [0.06, 0.04, 0.03, 0.03, 0.04, 0.06, 0.15, 0.45, 0.8, 1.0, 1.0, 0.95,
     0.85, 0.9, 0.95, 0.9, 0.8, 0.65, 0.5, 0.4, 0.3, 0.22, 0.15, 0.1]
)  # fmt: skip
WEEKDAY_FACTORS = np.array([1.1, 1.0, 1.0, 1.0, 0.95, 0.55, 0.4])  # Mon..Sun
BUSYNESS_CV = 0.1
HANDLE_MEAN_S, HANDLE_SIGMA = 240.0, 0.8
PATIENCE_MEAN_S = 180.0
AVAILABILITY = 0.7
OPEN_HOURS = range(7, 23)
MONTHS = (("2026-03-01", 31), ("2026-04-01", 30))


def rostered_agents(per_hour: float, handle_mean_s: float, availability: float) -> int:
    """Crew for one hour: ⌈(load + 0.5 √load) / availability⌉, load in Erlang."""
    load = per_hour * handle_mean_s / 3600.0
    return math.ceil((load + 0.5 * math.sqrt(load)) / availability) if load > 0 else 0


def _hour_bins(first: dt.date, days: int) -> tuple[float, np.ndarray, np.ndarray, int]:
    """Start [s since 1970 UTC], local hour and weekday of each hour bin, and their number."""
    zone = ZoneInfo(TIME_ZONE)
    start = dt.datetime(first.year, first.month, first.day, tzinfo=zone)
    end_day = first + dt.timedelta(days=days)
    end = dt.datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)
    n_hours = round((end.timestamp() - start.timestamp()) / 3600)  # not end - start: wall clock
    utc = pd.date_range(start.astimezone(dt.UTC), periods=n_hours, freq="h")
    local = utc.tz_convert(TIME_ZONE)
    return start.timestamp(), np.asarray(local.hour), np.asarray(local.day_of_week), n_hours


def _durations(spec: tuple, n: int, rng: np.random.Generator) -> np.ndarray:
    if spec[0] == "exponential":
        return rng.exponential(spec[1], n)
    mean_s, sigma = spec[1], spec[2]
    return rng.lognormal(math.log(mean_s) - sigma**2 / 2, sigma, n)


def generate_log(
    first: dt.date,
    days: int,
    *,
    seed: int,
    scale: float = 1.0,
    availability: float = AVAILABILITY,
    patience: tuple = ("exponential", PATIENCE_MEAN_S),
    handle: tuple = ("lognormal", HANDLE_MEAN_S, HANDLE_SIGMA),
) -> pd.DataFrame:
    """One log (rows in arrival order) from the model above; `scale` multiplies the demand."""
    from coverage.simulation.dispatch import ANSWERED, EngineInput
    from coverage.simulation.fast_engine import simulate

    rng = np.random.default_rng(seed)
    start_s, hour, weekday, n_hours = _hour_bins(first, days)
    handle_mean_s = handle[1]
    day = np.arange(n_hours) // 24  # date index (DST days shift it by an hour: fine for G)
    g = rng.gamma(1 / BUSYNESS_CV**2, BUSYNESS_CV**2, days + 1)[day]
    planned = scale * PEAK_PER_HOUR * CURVE[hour] * WEEKDAY_FACTORS[weekday]
    counts = rng.poisson(planned * g)
    arrival_s = np.sort(np.repeat(np.arange(n_hours), counts) + rng.random(counts.sum())) * 3600
    crew = np.array(
        [
            rostered_agents(p, handle_mean_s, availability) if h in OPEN_HOURS else 0
            for p, h in zip(planned, hour, strict=True)
        ]
    )
    jitter = rng.choice([-1, 0, 1], n_hours, p=[0.15, 0.7, 0.15])
    crew = np.where(crew > 0, np.maximum(crew + jitter, 1), 0)
    windows: list[tuple[int, float, float]] = []
    away_s = (1 - availability) * 3600
    for k in range(n_hours):
        u = rng.random()
        for i in range(int(crew[k])):
            t0 = k * 3600.0
            off = ((i / crew[k] + u) % 1.0) * 3600
            if off + away_s <= 3600:
                parts = [(t0, t0 + off), (t0 + off + away_s, t0 + 3600)]
            else:
                parts = [(t0 + off + away_s - 3600, t0 + off)]
            windows += [(i, a, b) for a, b in parts if b > a]
    windows.sort(key=lambda w: (w[0], w[1]))
    merged: list[list] = []
    for agent, a, b in windows:
        if merged and merged[-1][0] == agent and a <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], b)
        else:
            merged.append([agent, a, b])
    merged.sort(key=lambda w: (w[1], w[0]))
    win = np.array(merged, dtype=float).reshape(-1, 3)
    n = len(arrival_s)
    n_agents = int(crew.max())
    handle_s = _durations(handle, n, rng)
    patience_s = _durations(patience, n, rng)
    out = simulate(
        EngineInput(
            contact=np.arange(n, dtype=np.int64),
            joined_at_s=arrival_s,
            deadline_s=arrival_s + patience_s,
            handle_s=handle_s,
            klass=np.zeros(n, dtype=np.int32),
            class_priority=np.ones(1, dtype=np.int64),
            class_channel=np.zeros(1, dtype=np.int32),
            channel_concurrency=np.ones(1, dtype=np.int32),
            can_serve=np.ones((n_agents, 1), dtype=bool),
            window_agent=win[:, 0].astype(np.int32),
            window_start_s=win[:, 1].copy(),
            window_end_s=win[:, 2].copy(),
            window_paid_end=np.ones(len(win), dtype=bool),
            end_s=n_hours * 3600.0 + 86400.0,
        )
    )
    answered = out.outcome == ANSWERED
    left = np.where(np.isnan(out.left_at_s), n_hours * 3600.0 + 86400.0, out.left_at_s)
    wait_s = np.where(answered, out.started_at_s - arrival_s, left - arrival_s)
    stamps = (
        pd.to_datetime(start_s + arrival_s, unit="s", utc=True)
        .tz_convert(TIME_ZONE)
        .tz_localize(None)
    )
    frame = pd.DataFrame(
        {
            "timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
            "channel": "phone",
            "handle_time_s": np.where(answered, np.round(handle_s, 1), np.nan),
            "wait_s": np.round(wait_s, 1),
            "outcome": np.where(answered, "answered", "abandoned"),
            "agent": np.where(answered, [f"agent-{a + 1:02d}" for a in out.agent], ""),
        }
    )
    # the truth behind "agents seen": rostered agent-hours, and the share of them an agent was
    # on this queue — available, or finishing a call it held when its break began
    frame.attrs["rostered_agent_hours"] = int(crew.sum())
    on_queue_s = (win[:, 2] - win[:, 1]).sum() + (out.overtime_end_s - out.overtime_start_s).sum()
    frame.attrs["effective_availability"] = float(on_queue_s / (crew.sum() * 3600.0))
    return frame


def write_log(frame: pd.DataFrame, path: Path) -> None:
    """Write a generated log as CSV (blank cells for missing values)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format="%.1f")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--first", help="first local date (default: both shipped months)")
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--scale", type=float, default=1.0, help="demand multiplier")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.first:
        first = dt.date.fromisoformat(args.first)
        frame = generate_log(first, args.days, seed=args.seed, scale=args.scale)
        write_log(frame, args.out or DATA / f"calls-{first:%Y-%m}.csv")
        return
    for k, (first_text, days) in enumerate(MONTHS):
        first = dt.date.fromisoformat(first_text)
        frame = generate_log(first, days, seed=args.seed + k, scale=args.scale)
        write_log(frame, DATA / f"example-calls-{first:%Y-%m}.csv")


if __name__ == "__main__":
    main()

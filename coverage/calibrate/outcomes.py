"""A contact log with outcomes as a period to simulate and the outcomes to compare with.

A :class:`Period` holds only what a prediction may use (docs/contact-logs.md):
the arrival instants of one queue and the agents seen working each hour. The waits and outcomes
live apart in :class:`Observed`, so the backtest can predict a period without reading them.

**Clock.** The period is the whole local days (in `time_zone`) from the first row's date to the
last row's; hour bins are counted from its first local midnight, so each bin is one local hour
(a DST day has 23 or 25 bins).

**Agents seen working.** An agent is present in an hour bin when it answered a contact that
arrived in that hour — "the agents seen answering each hour". The arrival is used rather than
the moment of answer (arrival + wait) on purpose: the presence of a period's agents can then be
read without its waits (the backtest rule), and waits are seconds to minutes. Service time that
runs on into the next hour does not count there: an agent finishing a call after its shift is
not there to take new ones. Rows without an agent do not count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from coverage.demand.log_outcomes import OUTCOME_COLUMNS
from coverage.demand.log_reader import RawLog, utc_ns
from coverage.demand.logfit import NS_PER_S
from coverage.errors import ScenarioError
from coverage.units import SECONDS_PER_HOUR

NS_PER_HOUR = 3600 * NS_PER_S


@dataclass(frozen=True)
class Period:
    """One queue of a log: arrivals and agents present per hour bin.

    Attributes
    ----------
    file, channel, time_zone : where it comes from; `channel` is the log's text (or "all")
    start_ns : first local midnight [ns since 1970 UTC]
    arrival_s : float64 sorted arrival instants [s from `start_ns`]
    present_by_hour : int64 (n_hours,) distinct agents seen working in each hour bin
    local_hour, weekday : int64 (n_hours,) local hour of day and weekday (Mon = 0) of each bin
    skipped : bad rows left out (only with `skip_bad`)
    """

    file: str
    channel: str
    time_zone: str
    start_ns: int
    arrival_s: np.ndarray
    present_by_hour: np.ndarray
    local_hour: np.ndarray
    weekday: np.ndarray
    skipped: int = 0

    @property
    def n_hours(self) -> int:
        """Hour bins in the period."""
        return len(self.present_by_hour)

    @property
    def first_date(self) -> dt.date:
        """The period's first local date."""
        return _local(self.start_ns, self.time_zone).date()

    @property
    def days(self) -> int:
        """Local days in the period."""
        return round(self.n_hours / 24)


@dataclass(frozen=True)
class Observed:
    """What happened to each arrival of a :class:`Period` (aligned with `arrival_s`).

    `wait_s` [s] is the time queued before answer or abandonment; `answered` and `abandoned`
    are masks (a row with neither has no recorded outcome); `handle_s` [s] the recorded handle
    times (nan when blank; None for simulated outcomes).
    """

    wait_s: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    handle_s: np.ndarray | None = None


def _local(at_ns: int, time_zone: str) -> dt.datetime:
    utc = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=at_ns // 1000)
    return utc.astimezone(ZoneInfo(time_zone))


def _midnight_ns(day: dt.date, time_zone: str) -> int:
    local = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(time_zone))
    return int(local.timestamp()) * NS_PER_S


def log_channels(raw: RawLog, channel: str | None) -> np.ndarray:
    """Rows of the queue: those of `channel`, or every row when None."""
    if channel is None:
        return np.ones(len(raw), dtype=bool)
    rows = raw.channel == channel
    if not rows.any():
        known = ", ".join(sorted(set(raw.channel.tolist()))) or "none"
        raise ScenarioError("--channel", f"{channel!r} is not in {raw.file} (channels: {known})")
    return rows


def read_period(
    raw: RawLog,
    *,
    time_zone: str,
    channel: str | None = None,
    outcomes: bool = True,
    skip_bad: bool = False,
) -> tuple[Period, Observed]:
    """The queue of `channel` (all rows when None) as a period, and its observed outcomes.

    With `outcomes`, every row must have `wait_s` and `outcome` and some row must be answered
    with a handle time and an agent (a calibration needs them); rows without a wait or an outcome
    are an error, or left out and counted with `skip_bad`.
    """
    rows = log_channels(raw, channel)
    skipped = raw.skipped
    if outcomes:
        kept = check_outcomes(raw, rows, skip_bad=skip_bad)
        skipped += int((rows & ~kept).sum())
        rows = kept
    at_ns = utc_ns(raw, time_zone)[rows]
    order = np.argsort(at_ns, kind="stable")
    at_ns = at_ns[order]
    first = _local(int(at_ns[0]), time_zone).date()
    last = _local(int(at_ns[-1]), time_zone).date()
    start_ns = _midnight_ns(first, time_zone)
    end_ns = _midnight_ns(last + dt.timedelta(days=1), time_zone)
    n_hours = round((end_ns - start_ns) / NS_PER_HOUR)
    arrival_s = (at_ns - start_ns) / NS_PER_S
    agent = raw.agent[rows][order]
    bins = pd.DatetimeIndex(start_ns + np.arange(n_hours, dtype=np.int64) * NS_PER_HOUR, tz="UTC")
    local = bins.tz_convert(time_zone)
    period = Period(
        file=raw.file,
        channel=channel if channel is not None else _sole_channel(raw),
        time_zone=time_zone,
        start_ns=start_ns,
        arrival_s=arrival_s,
        present_by_hour=agents_present(arrival_s, agent, n_hours),
        local_hour=np.asarray(local.hour, dtype=np.int64),
        weekday=np.asarray(local.day_of_week, dtype=np.int64),
        skipped=skipped,
    )
    outcome = raw.outcome[rows][order]
    observed = Observed(
        wait_s=raw.wait_s[rows][order],
        answered=outcome == "answered",
        abandoned=outcome == "abandoned",
        handle_s=raw.handle_s[rows][order],
    )
    return period, observed


def _sole_channel(raw: RawLog) -> str:
    names = sorted(set(raw.channel.tolist()) - {""})
    return names[0] if len(names) == 1 else "all"


def check_outcomes(raw: RawLog, rows: np.ndarray, *, skip_bad: bool = False) -> np.ndarray:
    """The rows a calibration can use; ScenarioError when something it needs is missing.

    Rows with a blank outcome or wait are errors naming the line (left out with `skip_bad`).
    """
    for name in ("wait_s", "outcome"):
        if name not in raw.columns:
            raise ScenarioError(
                "columns",
                f"missing column {name!r}: calibration needs {', '.join(OUTCOME_COLUMNS)} "
                "(and handle_time_s on answered rows)",
                file=raw.file,
            )
    for problem, bad in (
        ("outcome is blank (answered or abandoned)", rows & (raw.outcome == "")),
        ("wait_s is blank", rows & (raw.outcome != "") & np.isnan(raw.wait_s)),
    ):
        if bad.any() and not skip_bad:
            raise ScenarioError(raw.where(int(np.flatnonzero(bad)[0])), problem, file=raw.file)
    rows = rows & (raw.outcome != "") & ~np.isnan(raw.wait_s)
    if not (rows & (raw.outcome == "answered")).any():
        raise ScenarioError(
            "outcome",
            "no answered contact in the log: handle times and staffing cannot be fitted",
            file=raw.file,
        )
    answered = rows & (raw.outcome == "answered")
    if np.isnan(raw.handle_s[answered]).all():
        raise ScenarioError(
            "handle_time_s",
            "no answered contact has a handle_time_s: handle times cannot be fitted",
            file=raw.file,
        )
    if (raw.agent[answered] == "").all():
        raise ScenarioError(
            "agent",
            "no answered contact names its agent: staffing cannot be read",
            file=raw.file,
        )
    return rows


def agents_present(arrival_s: np.ndarray, agent: np.ndarray, n_hours: int) -> np.ndarray:
    """Distinct agents who answered contacts arriving in each hour bin (module docstring)."""
    named = agent != ""
    if not named.any():
        return np.zeros(n_hours, dtype=np.int64)
    _, agent_id = np.unique(agent[named], return_inverse=True)
    hour = np.clip(np.floor(arrival_s[named] / SECONDS_PER_HOUR), 0, n_hours - 1).astype(np.int64)
    n_agents = int(agent_id.max()) + 1
    pairs = np.unique(hour * n_agents + agent_id)
    return np.bincount(pairs // n_agents, minlength=n_hours).astype(np.int64)

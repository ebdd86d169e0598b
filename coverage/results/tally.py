"""One compiled pass over a plan-replication's contacts: what every figure is measured from.

A replication used to be measured through a per-contact DataFrame (`contact_log`, 13 columns),
then masks per channel for the figures, a second pass for the hourly counts and a third for the
backlog. `tally_contacts` instead scatters the engine's output back to contact order and walks
the contacts once, in order, collecting:

* per channel, the counts of the metric contract (offered, deflected, answered, …);
* per channel, the waits of the measured answered contacts and of the measured queued contacts,
  and every contact's busy time, each channel's values contiguous and in contact order;
* the hourly and breakdown sums (`coverage.results.hourly`);
* per channel, the backlog at the start and the end of the window and the workload
  (`coverage.results.sustainability`).

**Bit for bit.** The float figures are numpy reductions (``mean``, ``sum``, ``percentile``) of
these arrays, which hold the same values in the same order as the masked arrays the DataFrame
path reduced (zeros included: a pairwise sum depends on where they sit), so the reductions are
the same; the hourly sums and the workload are added one contact at a time in contact order, as
``np.bincount`` adds. The DataFrame is still there for callers that want one
(`coverage.results.metrics.contact_log`, built from the same scatter); `tally_log` measures it
with the same kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage.calendar import Timeline
from coverage.demand.arrivals import Contacts
from coverage.demand.automation import BotOutcome
from coverage.results.hourly import HOURS_PER_WEEK, HourlyCounts, hourly_columns
from coverage.scenario.model import Scenario
from coverage.simulation._jit import deferred_interrupts, kernel_arg, njit
from coverage.simulation.dispatch import (
    ABANDONED,
    ANSWERED,
    UNFINISHED,
    EngineInput,
    EngineOutput,
)

_NONE = np.zeros(0)  # an empty float argument (no waits given, no abandonment instants)
# The kernels below freeze ANSWERED/ABANDONED/UNFINISHED (dispatch.py) and HOURS_PER_WEEK
# (hourly.py) into their machine code, and numba's cache follows this file only: after changing
# one of those constants, touch this file (or clear coverage/__pycache__) so the kernels rebuild.

# columns of `Tallies.counts`, per channel, of the contacts that arrived in the measured window
COUNTS = (
    "offered",
    "deflected",
    "answered",
    "answered_within_target",
    "abandoned",
    "short_abandoned",
    "unfinished",
    "waited",  # queued, and waited (wait > 0) or did not end answered
)


@njit(nogil=True)
def _outcomes(n, contact, outcome_q, started_q, ended_q, left_q, joined_at_s, end_s):
    """Scatter the engine's output (queued order) to contact order; each contact's wait [s]."""
    outcome = np.zeros(n, dtype=np.int8)
    started = np.full(n, np.nan)
    ended = np.full(n, np.nan)
    wait = np.full(n, np.nan)
    for j in range(len(contact)):
        i = contact[j]
        oc = outcome_q[j]
        outcome[i] = oc
        started[i] = started_q[j]
        ended[i] = ended_q[j]
        if oc == ANSWERED:
            wait[i] = started_q[j] - joined_at_s[i]
        elif oc == ABANDONED:
            wait[i] = left_q[j] - joined_at_s[i]
        elif oc == UNFINISHED:
            wait[i] = end_s - joined_at_s[i]
    return outcome, wait, started, ended


@njit(nogil=True)
def _wait(oc, started, left, joined, end_s):
    """A queued contact's wait [s]: to its start of service, to abandoning, or to the end of the
    drain; NaN for any other outcome."""
    if oc == ANSWERED:
        return started - joined
    if oc == ABANDONED:
        return left - joined
    if oc == UNFINISHED:
        return end_s - joined
    return np.nan


@njit(nogil=True)
def _busy(started, ended, warmup_s, horizon_s, end_s):
    """An answered contact's handling time inside [warmup_s, horizon_s) (an end still NaN is the
    end of the drain) [s]."""
    if np.isnan(ended):
        ended = end_s
    b = min(ended, horizon_s) - max(started, warmup_s)
    if b < 0.0:
        b = 0.0
    return b


@njit(nogil=True)
def _tally(
    arrived_at_s,
    joined_at_s,
    channel,
    region,
    segment,
    language,
    handle_s,
    contact_q,
    outcome_q,
    started_q,
    ended_q,
    left_q,
    wait_q,
    warmup_s,
    horizon_s,
    end_s,
    offset_h,
    n_regions,
    threshold_s,
    short_s,
    concurrency,
    language_col,
    segment_col,
    n_cols,
    busy,
    busy_by_channel,
    answered_wait,
    queued_wait,
):
    """Scatter the queued contacts' outcomes to contact order, then walk the contacts once in
    order (see the module docstring); returns the tallies.

    ``contact_q`` maps the outcome arrays (``*_q``) to contacts; a contact not in it was
    deflected. Each wait is ``wait_q[j]`` when given (non-empty), else computed as
    `contact_outcomes` does. ``busy``, ``busy_by_channel`` (empty with one channel: ``busy`` is
    used), ``answered_wait`` and ``queued_wait`` are per-contact buffers to fill, of any content.
    """
    n = len(arrived_at_s)
    n_channels = len(short_s)
    n_queued = len(contact_q)
    given = len(wait_q) > 0
    # In queue order contacts usually are in contact order too (no bot delays them); then the
    # walk below reads the queued arrays alongside. Otherwise scatter them to contact order.
    in_order = True
    for j in range(1, n_queued):
        if contact_q[j] <= contact_q[j - 1]:
            in_order = False
            break
    outcome = np.zeros(0 if in_order else n, dtype=np.int8)
    wait_s = np.full(0 if in_order else n, np.nan)
    if not in_order:
        busy[:] = 0.0  # busy time inside the window, 1/concurrency per contact (answered only)
        for j in range(n_queued):
            i = contact_q[j]
            oc = outcome_q[j]
            outcome[i] = oc
            wait_s[i] = (
                wait_q[j] if given else _wait(oc, started_q[j], left_q[j], joined_at_s[i], end_s)
            )
            if oc == ANSWERED:
                busy[i] = (
                    _busy(started_q[j], ended_q[j], warmup_s, horizon_s, end_s)
                    / concurrency[channel[i]]
                )
    first = np.zeros(n_channels + 1, dtype=np.int64)  # each channel's block in the arrays below
    for i in range(n):
        first[channel[i] + 1] += 1
    for c in range(n_channels):
        first[c + 1] += first[c]
    if n_channels == 1:  # its busy times in contact order are `busy` itself
        busy_by_channel = busy
    next_busy = first[:-1].copy()
    next_answered = first[:-1].copy()
    next_queued = first[:-1].copy()
    counts = np.zeros((n_channels, 8), dtype=np.int64)
    backlog = np.zeros((n_channels, 2), dtype=np.int64)  # waiting at warmup_s, at horizon_s
    work_s = np.zeros(n_channels)
    sums = np.zeros((n_channels * n_regions * HOURS_PER_WEEK, n_cols))
    base_to_breakdown = (0, 1, 2, 3, 4, 5, 7, 6)  # BASE_FIELDS index → BREAKDOWN_FIELDS index
    values = np.zeros(8)
    j = 0  # the next queued contact (in order)
    for i in range(n):
        c = channel[i]
        if not in_order:
            oc = outcome[i]
            w = wait_s[i]
        elif j < n_queued and contact_q[j] == i:
            oc = outcome_q[j]
            w = wait_q[j] if given else _wait(oc, started_q[j], left_q[j], joined_at_s[i], end_s)
            busy[i] = 0.0
            if oc == ANSWERED:
                busy[i] = (
                    _busy(started_q[j], ended_q[j], warmup_s, horizon_s, end_s) / concurrency[c]
                )
            j += 1
        else:  # deflected by the bot
            oc = 0
            w = np.nan
            busy[i] = 0.0
        if n_channels > 1:
            busy_by_channel[next_busy[c]] = busy[i]
            next_busy[c] += 1
        # in an agent queue at the window's start / end: joined, not yet taken or gone
        if ANSWERED <= oc <= UNFINISHED:  # answered, abandoned or unfinished
            left = joined_at_s[i] + (0.0 if np.isnan(w) else w)
            if joined_at_s[i] <= warmup_s and left > warmup_s:
                backlog[c, 0] += 1
            if joined_at_s[i] <= horizon_s and left > horizon_s:
                backlog[c, 1] += 1
        a = arrived_at_s[i]
        if not (a >= warmup_s and a < horizon_s):
            continue
        answered = oc == ANSWERED
        threshold = threshold_s[c, segment[i] + 1]
        counts[c, 0] += 1
        if oc == 0:
            counts[c, 1] += 1
        else:
            queued_wait[next_queued[c]] = w
            next_queued[c] += 1
            if w > 0 or not answered:
                counts[c, 7] += 1
        if answered:
            counts[c, 2] += 1
            answered_wait[next_answered[c]] = w
            next_answered[c] += 1
            if w <= threshold:
                counts[c, 3] += 1
        if oc == ABANDONED:
            counts[c, 4] += 1
            if w <= short_s[c]:
                counts[c, 5] += 1
        if oc == UNFINISHED:
            counts[c, 6] += 1
        if answered or oc == UNFINISHED:
            work_s[c] += handle_s[i] / concurrency[c]
        # hourly and breakdown sums of the group (channel, region, UTC hour of week)
        hour = (np.int64(np.floor(a / 3600.0)) + offset_h) % HOURS_PER_WEEK
        r = (c * n_regions + region[i]) * HOURS_PER_WEEK + hour
        values[0] = 1.0
        values[1] = 1.0 if oc == 0 else 0.0
        values[2] = 1.0 if answered else 0.0
        values[3] = 1.0 if answered and w <= threshold else 0.0
        values[4] = 1.0 if oc == ABANDONED else 0.0
        values[5] = 1.0 if oc == ABANDONED and w <= short_s[c] else 0.0
        values[6] = w if answered else 0.0
        values[7] = 1.0 if oc == UNFINISHED else 0.0
        for f in range(8):
            sums[r, f] += values[f]
        if len(language_col):
            start = language_col[language[i] + 1]
            for f in range(8):
                sums[r, start + base_to_breakdown[f]] += values[f]
        if len(segment_col):
            start = segment_col[segment[i] + 1]
            for f in range(8):
                sums[r, start + base_to_breakdown[f]] += values[f]
    return first, counts, backlog, work_s, sums


@dataclass(frozen=True)
class TallyBasis:
    """What the pass needs from a scenario and its timeline (the same for every plan).

    Attributes
    ----------
    warmup_s, horizon_s, end_s : float
        The measured window [warmup_s, horizon_s) and the end of the drain [s].
    offset_h : int
        UTC hour of the week at the timeline's origin (Monday 00:00 = 0).
    n_regions : int
        Regions of the scenario.
    threshold_s : numpy.ndarray
        (channels, segments + 1): a contact's target answer_within_s by channel and segment
        code + 1 (its segment's if the segment sets one, else its channel's) [s].
    short_s : numpy.ndarray
        Per channel, short_abandon_s [s].
    concurrency : numpy.ndarray
        Per channel, contacts an agent may hold at once (float).
    language_col, segment_col : numpy.ndarray
        By code + 1, the first hourly column of the language's (segment's) breakdown block;
        empty when the scenario has no such breakdown.
    names : tuple of str
        The hourly table's columns after the keys.
    """

    warmup_s: float
    horizon_s: float
    end_s: float
    offset_h: int
    n_regions: int
    threshold_s: np.ndarray
    short_s: np.ndarray
    concurrency: np.ndarray
    language_col: np.ndarray
    segment_col: np.ndarray
    names: tuple[str, ...]


def tally_basis(scenario: Scenario, timeline: Timeline) -> TallyBasis:
    """The scenario's part of the pass, built once per run.

    Parameters
    ----------
    scenario : Scenario
        Channels (targets, short_abandon_s, concurrency), segments, regions, languages.
    timeline : Timeline
        The measured window, the drain end and the UTC start.

    Returns
    -------
    TallyBasis
        Thresholds, column layout and window of the pass.
    """
    chans = list(scenario.channels.values())
    threshold = np.array(
        [[c.target.answer_within_s] * (len(scenario.segments) + 1) for c in chans], dtype=float
    )
    for s_idx, seg in enumerate(scenario.segments.values()):
        if seg.target is not None:
            threshold[:, s_idx + 1] = seg.target.answer_within_s
    names, blocks = hourly_columns(scenario)
    cols = {"language": np.zeros(0, np.int64), "segment": np.zeros(0, np.int64)}
    for dim, first in blocks:
        cols[dim] = np.array([first[code] for code in sorted(first)], dtype=np.int64)
    start = timeline.start_utc
    return TallyBasis(
        warmup_s=float(timeline.warmup_s),
        horizon_s=float(timeline.horizon_s),
        end_s=float(timeline.end_s),
        offset_h=start.weekday() * 24 + start.hour,
        n_regions=len(scenario.regions),
        threshold_s=threshold,
        short_s=np.array([c.short_abandon_s for c in chans], dtype=float),
        concurrency=np.array([c.concurrency for c in chans], dtype=float),
        language_col=cols["language"],
        segment_col=cols["segment"],
        names=tuple(names),
    )


@dataclass(frozen=True)
class Tallies:
    """What one pass over a plan-replication's contacts collected.

    Attributes
    ----------
    busy_s : numpy.ndarray
        Per contact (contact order), handling time inside the window ÷ concurrency; 0 unless
        answered [s].
    busy_by_channel_s, answered_wait_s, queued_wait_s : numpy.ndarray
        Each channel's block ``first[c]:first[c + 1]`` holds, in contact order: every contact's
        busy time [s]; then, from its start, the waits of its measured answered contacts and of
        its measured queued (not deflected) contacts [s].
    first : numpy.ndarray
        (channels + 1,) start of each channel's block.
    counts : numpy.ndarray
        (channels, len(COUNTS)) counts of the contacts that arrived in the window [contacts].
    backlog : numpy.ndarray
        (channels, 2) contacts waiting in an agent queue at the window's start and end.
    work_s : numpy.ndarray
        Per channel, handle time ÷ concurrency of window contacts answered or unfinished [s].
    hourly : HourlyCounts
        The hourly and breakdown counts.
    """

    busy_s: np.ndarray
    busy_by_channel_s: np.ndarray
    answered_wait_s: np.ndarray
    queued_wait_s: np.ndarray
    first: np.ndarray
    counts: np.ndarray
    backlog: np.ndarray
    work_s: np.ndarray
    hourly: HourlyCounts

    def count(self, c: int, name: str) -> int:
        """Channel `c`'s count `name` (one of `COUNTS`) [contacts]."""
        return int(self.counts[c, COUNTS.index(name)])

    def channel_busy_s(self, c: int) -> np.ndarray:
        """Channel `c`'s contacts' busy times, in contact order [s]."""
        return self.busy_by_channel_s[self.first[c] : self.first[c + 1]]

    def answered_waits_s(self, c: int) -> np.ndarray:
        """Waits of channel `c`'s measured answered contacts, in contact order [s] (a view:
        `coverage.results.metrics.channel_figures` takes their mean, then partitions them in
        place for the percentiles)."""
        lo = self.first[c]
        return self.answered_wait_s[lo : lo + self.counts[c, 2]]

    def queued_waits_s(self, c: int) -> np.ndarray:
        """Waits of channel `c`'s measured queued contacts, in contact order [s]."""
        lo = self.first[c]
        return self.queued_wait_s[lo : lo + self.counts[c, 0] - self.counts[c, 1]]


class Scratch:
    """Per-contact buffers for the pass, kept between calls so that a run's replications reuse
    the same memory (fresh pages cost a page fault each: about a quarter of the pass).

    `Tallies` from a pass with a `Scratch` hold views of its buffers: valid until the next pass
    with the same `Scratch`. One caller at a time (e.g. one per thread).
    """

    def __init__(self) -> None:
        self._buffers = np.empty((4, 0))

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Four float64 buffers of `n` elements (contents undefined), reallocated when short.

        Parameters
        ----------
        n : int
            Contacts of the replication.

        Returns
        -------
        tuple of numpy.ndarray
            Busy times, busy times by channel, answered waits, queued waits.
        """
        if self._buffers.shape[1] < n:
            self._buffers = np.empty((4, n + n // 8))  # room for a somewhat larger replication
        b = self._buffers
        return b[0, :n], b[1, :n], b[2, :n], b[3, :n]


def _run_tally(
    basis: TallyBasis,
    arrived_at_s: np.ndarray,
    joined_at_s: np.ndarray,
    codes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    handle_s: np.ndarray,
    queued: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    scratch: Scratch | None,
) -> Tallies:
    f8 = np.float64
    channel, region, segment, language = (kernel_arg(x, np.int16) for x in codes)
    contact_q, outcome_q, started_q, ended_q, left_q, wait_q = queued
    n, n_channels = len(arrived_at_s), len(basis.short_s)
    busy, by_channel, answered, waits = (scratch or Scratch()).take(n)
    if n_channels == 1:
        by_channel = _NONE
    warm_up()  # loads the kernels with interrupts held; then calls need no guard
    first, counts, backlog, work_s, sums = _tally(
        kernel_arg(arrived_at_s, f8),
        kernel_arg(joined_at_s, f8),
        channel,
        region,
        segment,
        language,
        kernel_arg(handle_s, f8),
        kernel_arg(contact_q, np.int64),
        kernel_arg(outcome_q, np.int8),
        kernel_arg(started_q, f8),
        kernel_arg(ended_q, f8),
        kernel_arg(left_q, f8),
        kernel_arg(wait_q, f8),
        basis.warmup_s,
        basis.horizon_s,
        basis.end_s,
        basis.offset_h,
        basis.n_regions,
        basis.threshold_s,
        basis.short_s,
        basis.concurrency,
        basis.language_col,
        basis.segment_col,
        len(basis.names),
        busy,
        by_channel,
        answered,
        waits,
    )
    if n_channels == 1:
        by_channel = busy
    present = np.flatnonzero(sums[:, 0] > 0)
    hourly = HourlyCounts(present, sums[present], basis.names, basis.n_regions)
    return Tallies(busy, by_channel, answered, waits, first, counts, backlog, work_s, hourly)


def contact_outcomes(
    contacts: Contacts, bot: BotOutcome, inp: EngineInput, out: EngineOutput
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each contact's outcome, wait and service start and end, in contact order.

    Parameters
    ----------
    contacts : Contacts
        The replication's contacts.
    bot : BotOutcome
        When each contact joined the agent queue [s].
    inp, out : EngineInput, EngineOutput
        The engine's input and output (queued contacts only).

    Returns
    -------
    (outcome, wait_s, started_at_s, ended_at_s)
        outcome int8 (0 deflected, 1 answered, 2 abandoned, 3 unfinished); wait [s]: to the start
        of service, to abandoning, or to the end of the drain (NaN when deflected); start and end
        of service [s] (NaN unless answered).
    """
    warm_up()  # loads the kernels with interrupts held; then calls need no guard
    return _outcomes(  # type: ignore[no-any-return]
        len(contacts),
        kernel_arg(inp.contact, np.int64),
        kernel_arg(out.outcome, np.int8),
        kernel_arg(out.started_at_s, np.float64),
        kernel_arg(out.ended_at_s, np.float64),
        kernel_arg(out.left_at_s, np.float64),
        kernel_arg(bot.joined_at_s, np.float64),
        float(inp.end_s),
    )


def tally_contacts(
    basis: TallyBasis,
    contacts: Contacts,
    bot: BotOutcome,
    inp: EngineInput,
    out: EngineOutput,
    *,
    scratch: Scratch | None = None,
) -> Tallies:
    """Measure one plan-replication from the engine's arrays (no DataFrame).

    Parameters
    ----------
    basis : TallyBasis
        `tally_basis` of the scenario and timeline.
    contacts : Contacts
        The replication's contacts.
    bot : BotOutcome
        The bot's outcome under this plan's automation.
    inp, out : EngineInput, EngineOutput
        The engine's input and output.
    scratch : Scratch, optional
        Buffers to reuse (the result is then valid until their next use); fresh ones otherwise.

    Returns
    -------
    Tallies
        Per channel counts, waits and busy times, hourly counts and backlog.
    """
    codes = (contacts.channel, contacts.region, contacts.segment, contacts.language)
    queued = (inp.contact, out.outcome, out.started_at_s, out.ended_at_s, out.left_at_s, _NONE)
    return _run_tally(
        basis, contacts.arrived_at_s, bot.joined_at_s, codes, contacts.handle_s, queued, scratch
    )


def tally_log(basis: TallyBasis, log: pd.DataFrame) -> Tallies:
    """Measure a contact log (`coverage.results.metrics.contact_log`) with the same pass.

    Parameters
    ----------
    basis : TallyBasis
        `tally_basis` of the scenario and timeline.
    log : pandas.DataFrame
        One row per contact.

    Returns
    -------
    Tallies
        As `tally_contacts`.
    """
    codes = tuple(log[k].to_numpy() for k in ("channel", "region", "segment", "language"))
    queued = (
        np.arange(len(log)),  # every row, deflected ones included (outcome 0)
        log["outcome"].to_numpy(),
        log["started_at_s"].to_numpy(),
        log["ended_at_s"].to_numpy(),
        _NONE,
        log["wait_s"].to_numpy(),
    )
    return _run_tally(
        basis,
        log["arrived_at_s"].to_numpy(),
        log["joined_at_s"].to_numpy(),
        codes,  # type: ignore[arg-type]
        log["handle_s"].to_numpy(),
        queued,
        None,
    )


def warm_up() -> None:
    """Load (or compile) both kernels now, unless this process already has them (before a
    process pool forks, so workers inherit them)."""
    if _tally.signatures and _outcomes.signatures:
        return
    one_i = np.zeros(1, dtype=np.int64)
    one_f = np.zeros(1)
    codes = np.zeros(1, dtype=np.int16)
    with deferred_interrupts():
        _outcomes(1, one_i, np.ones(1, np.int8), one_f, one_f, one_f, one_f, 1.0)
        _tally(
            one_f,
            one_f,
            codes,
            codes,
            codes,
            codes,
            one_f,
            one_i,
            np.ones(1, np.int8),
            one_f,
            one_f,
            one_f,
            one_f,
            0.0,
            1.0,
            2.0,
            0,
            1,
            np.zeros((1, 1)),
            one_f,
            np.ones(1),
            one_i[:0],
            one_i[:0],
            8,
            np.zeros(1),
            np.zeros(0),
            np.zeros(1),
            np.zeros(1),
        )

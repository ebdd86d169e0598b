"""One compiled pass over a plan-replication's contacts: what every figure is measured from.

A replication used to be measured through a per-contact DataFrame (`contact_log`, 13 columns),
then masks per channel for the figures, a second pass for the hourly counts and a third for the
backlog. `tally_contacts` instead walks the contacts once, in contact order (finding each one's
row in the engine's queued arrays through a reused index), collecting:

* per channel, the counts of the metric contract (offered, deflected, answered, …), as counts
  per contact class (`_CLASS_COUNTS`);
* per channel, the waits of the measured answered contacts and of the measured queued contacts,
  and every contact's busy time, each channel's values contiguous and in contact order, and the
  bot costs of the window's contacts;
* the hourly and breakdown counts (`coverage.results.hourly`): per (channel, region, UTC hour of
  week) and block (all contacts, each language, each segment), contacts per class and the summed
  wait of the answered;
* per channel, the backlog at the start and the end of the window and the workload
  (`coverage.results.sustainability`).

It then reduces those values itself: the sums, means and percentiles the figures need.

**Bit for bit.** The former figures were numpy reductions (``sum``, ``mean``, ``percentile``) of
masked arrays holding these values in this order (zeros included: a pairwise sum depends on where
they sit). The kernel reproduces numpy's arithmetic exactly — `_sum` is numpy's pairwise
summation, `_order_statistics` its "linear" percentile — on the same values in the same order,
so the figures are the same bits (tests/test_tally.py checks the helpers against numpy and every
figure against the former DataFrame implementation). Counts are integers, exact in any order;
the hourly wait sums and the workload are added one contact at a time in contact order, as
``np.bincount`` added (skipping the ``+ 0.0`` of a contact that was not answered changes no sum).
The DataFrame is still there for callers that want one (`coverage.results.metrics.contact_log`,
built from the same scatter); `tally_log` measures it with the same kernel.
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
_NO_BOT = np.zeros(0, dtype=np.bool_)  # an empty bot mask (no bot costs to collect)
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
N_COUNTS = len(COUNTS)


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


# --- numpy's own float arithmetic, reproduced for the figures the pass reduces ----------------
# `_sum` is ``np.sum`` of a float64 array (``0.0 +`` numpy's pairwise sum: blocks of at most 128
# values, each added in 8 interleaved partial sums), `_order_statistics` is ``np.percentile``'s
# default ("linear") method. tests/test_tally.py checks both against numpy bit for bit.
_PAIRWISE_BLOCK = 128
FRT_PERCENTILES = (50, 90, 100)  # frt_p50_s, frt_p90_s, frt_max_s
_FRT_QUANTILES = np.true_divide(FRT_PERCENTILES, 100)  # as np.percentile turns them into q


@njit(nogil=True)
def _pairwise_block(a, lo, n):
    """numpy's ``pairwise_sum`` of a block ``a[lo:lo + n]`` of at most 128 values."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        k = lo + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(nogil=True)
def _pairwise(a, lo, n):
    """numpy's ``pairwise_sum`` of ``a[lo:lo + n]``: a block of at most 128 values directly,
    else the sum of the first ``n2`` values (half of n, rounded down to a multiple of 8) plus the
    sum of the rest, recursively. Written with an explicit stack: numba's cache does not reload
    self-recursive functions reliably."""
    if n <= _PAIRWISE_BLOCK:
        return _pairwise_block(a, lo, n)
    depth = 64  # halving from at most 2**63 values
    frame_lo = np.empty(depth, dtype=np.int64)
    frame_n = np.empty(depth, dtype=np.int64)
    frame_stage = np.empty(depth, dtype=np.int64)  # 0: left next, 1: right next, 2: add them
    values = np.empty(depth + 1)
    top, n_values = 0, 0
    frame_lo[0], frame_n[0], frame_stage[0] = lo, n, 0
    while top >= 0:
        f_lo, f_n = frame_lo[top], frame_n[top]
        if f_n <= _PAIRWISE_BLOCK:
            values[n_values] = _pairwise_block(a, f_lo, f_n)
            n_values += 1
            top -= 1
            continue
        half = f_n // 2
        half -= half % 8
        stage = frame_stage[top]
        frame_stage[top] = stage + 1
        if stage == 0:
            top += 1
            frame_lo[top], frame_n[top], frame_stage[top] = f_lo, half, 0
        elif stage == 1:
            top += 1
            frame_lo[top], frame_n[top], frame_stage[top] = f_lo + half, f_n - half, 0
        else:
            n_values -= 1
            values[n_values - 1] = values[n_values - 1] + values[n_values]
            top -= 1
    return values[0]


@njit(nogil=True)
def _sum(a, lo, n):
    """``np.sum(a[lo:lo + n])`` (float64), bit for bit."""
    return 0.0 + _pairwise(a, lo, n)


@njit(nogil=True)
def _select(a, lo, hi, k):
    """Reorder ``a[lo:hi]`` (no NaN) so that ``a[k]`` holds what sorting would put there, with
    nothing larger before it and nothing smaller after it (quickselect, three-way partitions
    written without data-dependent branches)."""
    levels = 0
    while hi - lo > 16:
        levels += 1
        if levels > 64:  # pivots keep missing (adversarial order): sort what is left
            a[lo:hi].sort()
            return
        mid = (lo + hi - 1) // 2
        x, y, z = a[lo], a[mid], a[hi - 1]
        if x > y:
            x, y = y, x
        if y > z:
            y = z
            if x > y:
                y = x
        pivot = y  # the median of three
        p = lo  # a[lo:p] < pivot <= a[p:i]
        for i in range(lo, hi):
            v = a[i]
            a[i] = a[p]
            a[p] = v
            p += v < pivot
        if k < p:
            hi = p
            continue
        q = p  # a[p:q] == pivot < a[q:i]
        for i in range(p, hi):
            v = a[i]
            a[i] = a[q]
            a[q] = v
            q += v <= pivot
        if k < q:
            return
        lo = q
    for i in range(lo + 1, hi):  # insertion sort of the last few
        v = a[i]
        m = i - 1
        while m >= lo and a[m] > v:
            a[m + 1] = a[m]
            m -= 1
        a[m + 1] = v


@njit(nogil=True)
def _order_statistics(a, lo, n, quantiles, out):
    """``np.percentile(a[lo:lo + n], 100 * quantiles)`` (numpy's "linear" method, ascending
    quantiles, n >= 1) into ``out``, reordering ``a[lo:lo + n]`` in place as
    ``overwrite_input=True`` may."""
    hi = lo + n
    for i in range(lo, hi):
        if np.isnan(a[i]):  # numpy: every quantile of a slice holding a NaN is NaN
            for q in range(len(quantiles)):
                out[q] = a[i]
            return
    # a[lo:done] and a[top:hi] hold the smallest and the largest values, each in sorted place
    done, top = lo, hi
    for q in range(len(quantiles)):
        virtual = (n - 1) * quantiles[q]
        if virtual >= n - 1:  # numpy takes the last value, with the index -1 in gamma
            previous, after, below = n - 1, n - 1, -1.0
        else:
            below = np.floor(virtual)
            previous = np.int64(below)
            after = previous + 1
        gamma = virtual - below
        for k in (lo + previous, lo + after):
            if done <= k < top:
                if k == done:  # the smallest of the rest: one scan
                    m = done
                    for i in range(done + 1, top):
                        if a[i] < a[m]:
                            m = i
                    a[done], a[m] = a[m], a[done]
                    done += 1
                elif k == top - 1:  # the largest of the rest: one scan
                    m = top - 1
                    for i in range(done, top - 1):
                        if a[i] > a[m]:
                            m = i
                    a[top - 1], a[m] = a[m], a[top - 1]
                    top -= 1
                else:
                    _select(a, done, top, k)
                    done = k + 1
        first, second = a[lo + previous], a[lo + after]
        diff = second - first
        if gamma >= 0.5:
            out[q] = second - diff * (1 - gamma)
        else:
            out[q] = first + diff * gamma


# A measured contact's class in the pass's counts: every count of the metric contract (and of
# the hourly table) is a sum of some of these, so the pass adds one integer per group instead of a
# float per count. `_CLASS_COUNTS[k]` lists which of `COUNTS` class k adds to.
DEFLECTED_K = 0  # deflected by the bot
# answered: 1 + (wait within target) + 2 × (waited: wait > 0), i.e. 1 to 4
ABANDONED_K = 5  # abandoned after the short-abandon time; 6 within it
UNFINISHED_K = 7
N_CLASSES = 8
_CLASS_COUNTS = np.array(
    [  # offered, deflected, answered, within target, abandoned, short, unfinished, waited
        [1, 1, 0, 0, 0, 0, 0, 0],
        [1, 0, 1, 0, 0, 0, 0, 0],
        [1, 0, 1, 1, 0, 0, 0, 0],
        [1, 0, 1, 0, 0, 0, 0, 1],
        [1, 0, 1, 1, 0, 0, 0, 1],
        [1, 0, 0, 0, 1, 0, 0, 1],
        [1, 0, 0, 0, 1, 1, 0, 1],
        [1, 0, 0, 0, 0, 0, 1, 1],
    ],
    dtype=np.int64,
)
# where each of the first seven `COUNTS` goes in an hourly block: the base block's columns are
# BASE_FIELDS (wait_answered_s 7th), a breakdown block's BREAKDOWN_FIELDS (wait_answered_s last)
_BASE_COLUMN = np.array([0, 1, 2, 3, 4, 5, 7], dtype=np.int64)
_BREAKDOWN_COLUMN = np.array([0, 1, 2, 3, 4, 5, 6], dtype=np.int64)
_BASE_WAIT, _BREAKDOWN_WAIT = 6, 7


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
    bot,
    bot_cost,
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
    base_column,
    breakdown_column,
    busy,
    busy_by_channel,
    answered_wait,
    queued_wait,
    bot_costs,
    queued_at,
    quantiles,
):
    """Walk the contacts once in contact order (see the module docstring), then reduce what
    the figures need; returns counts, backlog, workload, the hourly rows and sums, and the
    figures (total and per-channel busy time, mean waits, wait percentiles at ``quantiles``,
    bot cost).

    ``contact_q`` maps the outcome arrays (``*_q``) to contacts; a contact not in it was
    deflected. Each wait is ``wait_q[j]`` when given (non-empty), else computed as
    `contact_outcomes` does. ``bot``/``bot_cost`` (empty: no bot) give each contact's bot
    conversation and its cost. ``busy``, ``busy_by_channel`` (empty with one channel: ``busy``
    is used), ``answered_wait``, ``queued_wait``, ``bot_costs`` and ``queued_at`` (int32, used
    only when the queued contacts are not in contact order) are per-contact buffers to fill, of
    any content.

    The counts of the window's contacts are gathered as integers per (group, class) —
    `_CLASS_COUNTS` maps a class to the counts it adds to — and the waits of answered contacts
    are added per group in contact order, as the former float sums did (a skipped ``+ 0.0``
    changes no sum: a sum starting at +0.0 never becomes -0.0).
    ``answered_wait`` ends reordered (each channel's block partitioned for the percentiles).
    """
    n = len(arrived_at_s)
    n_channels = len(short_s)
    n_queued = len(contact_q)
    given = len(wait_q) > 0
    has_bot = len(bot) > 0
    # In queue order contacts usually are in contact order too (no bot delays them); then the
    # walk below reads the queued arrays alongside. Otherwise scatter them to contact order.
    in_order = True
    for j in range(1, n_queued):
        if contact_q[j] <= contact_q[j - 1]:
            in_order = False
            break
    first = np.zeros(n_channels + 1, dtype=np.int64)  # each channel's block in the arrays below
    if in_order:
        for i in range(n):
            first[channel[i] + 1] += 1
    else:  # each contact's place in the queued arrays (-1: deflected)
        for i in range(n):
            first[channel[i] + 1] += 1
            queued_at[i] = -1
        for j in range(n_queued):
            queued_at[contact_q[j]] = j
    for c in range(n_channels):
        first[c + 1] += first[c]
    if n_channels == 1:  # its busy times in contact order are `busy` itself
        busy_by_channel = busy
    next_busy = first[:-1].copy()
    next_answered = first[:-1].copy()
    next_queued = first[:-1].copy()
    n_bot = 0
    backlog = np.zeros((n_channels, 2), dtype=np.int64)  # waiting at warmup_s, at horizon_s
    work_s = np.zeros(n_channels)
    by_class = np.zeros((n_channels, N_CLASSES), dtype=np.int64)
    # per group (channel, region, UTC hour of week) and block (all, then each language and each
    # segment + 1): contacts per class, and the summed wait of the answered
    n_languages = len(language_col)
    n_blocks = 1 + n_languages + len(segment_col)
    n_groups = n_channels * n_regions * HOURS_PER_WEEK
    classes = np.zeros((n_groups * n_blocks, N_CLASSES), dtype=np.int32)  # row g × n_blocks + b
    waits = np.zeros(n_groups * n_blocks)
    hour, hour_from_s, hour_until_s = 0, np.inf, np.inf  # the last window contact's hour
    j_next = 0  # in order: the next queued contact
    for i in range(n):
        c = channel[i]
        if not in_order:
            j = queued_at[i]
        elif j_next < n_queued and contact_q[j_next] == i:
            j = j_next
            j_next += 1
        else:
            j = -1
        b = 0.0  # busy time inside the window, 1/concurrency per contact (answered only)
        if j < 0:  # deflected by the bot
            oc = 0
            w = np.nan
        else:
            oc = outcome_q[j]
            w = wait_q[j] if given else _wait(oc, started_q[j], left_q[j], joined_at_s[i], end_s)
            if oc == ANSWERED:
                b = _busy(started_q[j], ended_q[j], warmup_s, horizon_s, end_s) / concurrency[c]
        busy[i] = b
        if n_channels > 1:
            busy_by_channel[next_busy[c]] = b
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
        if oc == 0:
            k = DEFLECTED_K
        else:
            queued_wait[next_queued[c]] = w
            next_queued[c] += 1
            if answered:
                k = 1
                if w <= threshold_s[c, segment[i] + 1]:
                    k += 1
                if w > 0:
                    k += 2
                answered_wait[next_answered[c]] = w
                next_answered[c] += 1
            elif oc == ABANDONED:
                k = ABANDONED_K + 1 if w <= short_s[c] else ABANDONED_K
            else:
                k = UNFINISHED_K
            if answered or oc == UNFINISHED:
                work_s[c] += handle_s[i] / concurrency[c]
        if has_bot and bot[i]:
            bot_costs[n_bot] = bot_cost[i]
            n_bot += 1
        by_class[c, k] += 1
        if not (a >= hour_from_s and a < hour_until_s):  # floor(a / 3600.0) changed, maybe
            q = np.floor(a / 3600.0)
            hour = (np.int64(q) + offset_h) % HOURS_PER_WEEK
            # floor(x / 3600.0) is q for x in [a, (q + 1) * 3600 * (1 - 2**-50)): the quotient
            # only grows with x and stays more than an ulp below q + 1 there
            hour_from_s = a
            hour_until_s = (q + 1.0) * 3600.0 * (1.0 - 2.0**-50) if q >= 0.0 else a
        g = (c * n_regions + region[i]) * HOURS_PER_WEEK + hour
        cell = g * n_blocks  # the group's block 0 (all its contacts)
        classes[cell, k] += 1
        if answered:
            waits[cell] += w
        if n_languages:
            b = cell + 1 + language[i] + 1
            classes[b, k] += 1
            if answered:
                waits[b] += w
        if n_blocks > 1 + n_languages:
            b = cell + 1 + n_languages + segment[i] + 1
            classes[b, k] += 1
            if answered:
                waits[b] += w
    counts = _class_sums(by_class)
    # the hourly table: the groups with measured contacts, each block's counts and summed wait
    present = np.zeros(n_groups, dtype=np.bool_)
    for g in range(n_groups):
        for k in range(N_CLASSES):
            if classes[g * n_blocks, k]:
                present[g] = True
                break
    rows = np.flatnonzero(present)
    sums = np.zeros((len(rows), n_cols))
    fields = np.zeros(N_COUNTS, dtype=np.int64)
    for p in range(len(rows)):
        g = rows[p]
        for b in range(n_blocks):
            if b == 0:
                start, columns, wait_col = 0, base_column, _BASE_WAIT
            elif b <= n_languages:
                start, columns, wait_col = language_col[b - 1], breakdown_column, _BREAKDOWN_WAIT
            else:
                start = segment_col[b - 1 - n_languages]
                columns, wait_col = breakdown_column, _BREAKDOWN_WAIT
            cell = g * n_blocks + b
            _count_fields(classes[cell], fields)
            for f in range(len(columns)):
                sums[p, start + columns[f]] = fields[f]
            sums[p, start + wait_col] = waits[cell]
    # the figures reduced from the per-contact values, as numpy reduces the same arrays
    busy_total_s = _sum(busy, 0, n)
    busy_channel_s = np.empty(n_channels)
    asa_s = np.full(n_channels, np.nan)
    mean_wait_s = np.full(n_channels, np.nan)
    frt_s = np.full((n_channels, len(quantiles)), np.nan)
    for c in range(n_channels):
        lo = first[c]
        busy_channel_s[c] = _sum(busy_by_channel, lo, first[c + 1] - lo)
        n_answered = counts[c, 2]
        if n_answered:  # the mean first: the order statistics reorder the waits in place
            asa_s[c] = _sum(answered_wait, lo, n_answered) / n_answered
            _order_statistics(answered_wait, lo, n_answered, quantiles, frt_s[c])
        n_reached = counts[c, 0] - counts[c, 1]
        if n_reached:
            mean_wait_s[c] = _sum(queued_wait, lo, n_reached) / n_reached
    bot_cost = _sum(bot_costs, 0, n_bot)
    figures = (busy_total_s, busy_channel_s, asa_s, mean_wait_s, frt_s, bot_cost)
    return counts, backlog, work_s, rows, sums, figures


@njit(nogil=True)
def _count_fields(by_class, out):
    """`COUNTS` of contacts counted per class (``by_class``, one row of N_CLASSES) into `out`:
    `_CLASS_COUNTS` written out (tests/test_tally.py checks that they agree)."""
    answered = by_class[1] + by_class[2] + by_class[3] + by_class[4]
    abandoned = by_class[5] + by_class[6]
    out[0] = by_class[0] + answered + abandoned + by_class[7]  # offered
    out[1] = by_class[0]  # deflected
    out[2] = answered
    out[3] = by_class[2] + by_class[4]  # answered within target
    out[4] = abandoned
    out[5] = by_class[6]  # short abandoned
    out[6] = by_class[7]  # unfinished
    out[7] = by_class[3] + by_class[4] + abandoned + by_class[7]  # waited


@njit(nogil=True)
def _class_sums(by_class):
    """Per channel, the counts (`COUNTS`) of its contacts per class."""
    out = np.zeros((by_class.shape[0], N_COUNTS), dtype=np.int64)
    for c in range(by_class.shape[0]):
        _count_fields(by_class[c], out[c])
    return out


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

    The float figures are what numpy's reductions of the former per-contact arrays gave, bit for
    bit: ``np.sum`` of the busy times (every contact's, in contact order, zeros included), the
    ``mean`` of the measured waits in contact order, ``np.percentile`` of the answered waits.

    Attributes
    ----------
    counts : numpy.ndarray
        (channels, len(COUNTS)) counts of the contacts that arrived in the window [contacts].
    backlog : numpy.ndarray
        (channels, 2) contacts waiting in an agent queue at the window's start and end.
    work_s : numpy.ndarray
        Per channel, handle time ÷ concurrency of window contacts answered or unfinished [s].
    hourly : HourlyCounts
        The hourly and breakdown counts.
    busy_s : float
        Handling time inside the window ÷ concurrency, summed over every contact [s].
    busy_by_channel_s : numpy.ndarray
        The same per channel [s].
    asa_s, mean_wait_all_s : numpy.ndarray
        Per channel, the mean wait of the measured answered contacts and of the measured queued
        (not deflected) contacts; NaN when there are none [s].
    frt_s : numpy.ndarray
        (channels, len(FRT_PERCENTILES)) percentiles of the answered waits, numpy's linear
        method; NaN without answered contacts [s].
    bot_cost : float
        Cost of the bot conversations of the contacts that arrived in the window (0.0 from a
        contact log, which has no bot columns) [currency].
    """

    counts: np.ndarray
    backlog: np.ndarray
    work_s: np.ndarray
    hourly: HourlyCounts
    busy_s: float
    busy_by_channel_s: np.ndarray
    asa_s: np.ndarray
    mean_wait_all_s: np.ndarray
    frt_s: np.ndarray
    bot_cost: float

    def count(self, c: int, name: str) -> int:
        """Channel `c`'s count `name` (one of `COUNTS`) [contacts]."""
        return int(self.counts[c, COUNTS.index(name)])


class Scratch:
    """Per-contact buffers for the pass, kept between calls so that a run's replications reuse
    the same memory (fresh pages cost a page fault each: about a quarter of the pass).

    One caller at a time (e.g. one per thread): the buffers hold a pass's intermediate values
    only while it runs (nothing in `Tallies` refers to them).
    """

    def __init__(self) -> None:
        self._floats = np.empty((5, 0))
        self._places = np.empty(0, dtype=np.int32)

    def take(self, n: int) -> tuple[np.ndarray, ...]:
        """Buffers of `n` elements (contents undefined), reallocated when short.

        Parameters
        ----------
        n : int
            Contacts of the replication.

        Returns
        -------
        tuple of numpy.ndarray
            Busy times, busy times by channel, answered waits, queued waits, bot costs (float64),
            and each contact's place in the queued arrays (int32).
        """
        if self._floats.shape[1] < n:
            room = n + n // 8  # room for a somewhat larger replication
            self._floats = np.empty((5, room))
            self._places = np.empty(room, dtype=np.int32)
        b = self._floats
        return b[0, :n], b[1, :n], b[2, :n], b[3, :n], b[4, :n], self._places[:n]


def _arg(values: np.ndarray, dtype: type) -> np.ndarray:
    """`kernel_arg`, with the common case (already the right array) checked first: a fifth of
    its time, and the pass takes 15 arguments."""
    if (
        type(values) is np.ndarray
        and values.dtype == dtype
        and values.flags.c_contiguous
        and values.flags.writeable
    ):
        return values
    return kernel_arg(values, dtype)  # type: ignore[no-any-return]


def _run_tally(
    basis: TallyBasis,
    arrived_at_s: np.ndarray,
    joined_at_s: np.ndarray,
    codes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    handle_s: np.ndarray,
    queued: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    bot: tuple[np.ndarray, np.ndarray],
    scratch: Scratch | None,
) -> Tallies:
    f8 = np.float64
    channel, region, segment, language = (_arg(x, np.int16) for x in codes)
    contact_q, outcome_q, started_q, ended_q, left_q, wait_q = queued
    n, n_channels = len(arrived_at_s), len(basis.short_s)
    busy, by_channel, answered, waits, bot_costs, queued_at = (scratch or Scratch()).take(n)
    if n_channels == 1:
        by_channel = _NONE
    if not _tally.overloads:
        warm_up()  # loads the kernels with interrupts held; then calls need no guard
    counts, backlog, work_s, rows, sums, figures = _tally(
        _arg(arrived_at_s, f8),
        _arg(joined_at_s, f8),
        channel,
        region,
        segment,
        language,
        _arg(handle_s, f8),
        _arg(contact_q, np.int64),
        _arg(outcome_q, np.int8),
        _arg(started_q, f8),
        _arg(ended_q, f8),
        _arg(left_q, f8),
        _arg(wait_q, f8),
        _arg(bot[0], np.bool_),
        _arg(bot[1], f8),
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
        _BASE_COLUMN,
        _BREAKDOWN_COLUMN,
        busy,
        by_channel,
        answered,
        waits,
        bot_costs,
        queued_at,
        _FRT_QUANTILES,
    )
    busy_s, busy_by_channel_s, asa_s, mean_wait_s, frt_s, bot_cost = figures
    return Tallies(
        counts=counts,
        backlog=backlog,
        work_s=work_s,
        hourly=HourlyCounts(rows, sums, basis.names, basis.n_regions),
        busy_s=busy_s,
        busy_by_channel_s=busy_by_channel_s,
        asa_s=asa_s,
        mean_wait_all_s=mean_wait_s,
        frt_s=frt_s,
        bot_cost=bot_cost,
    )


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
        basis,
        contacts.arrived_at_s,
        bot.joined_at_s,
        codes,
        contacts.handle_s,
        queued,
        (bot.bot, bot.bot_cost),
        scratch,
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
        (_NO_BOT, _NONE),  # a log has no bot columns: `Tallies.bot_costs` stays empty
        None,
    )


def warm_up() -> None:
    """Load (or compile) both kernels now, unless this process already has them (before a
    process pool forks, so workers inherit them)."""
    if _tally.overloads and _outcomes.overloads:
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
            np.zeros(1, dtype=np.bool_),
            one_f,
            0.0,
            1.0,
            2.0,
            0,
            1,
            np.zeros((1, 2)),  # threshold_s: (channels, segments + 1)
            one_f,
            np.ones(1),
            one_i[:0],
            one_i[:0],
            8,
            _BASE_COLUMN,
            _BREAKDOWN_COLUMN,
            np.zeros(1),
            np.zeros(0),
            np.zeros(1),
            np.zeros(1),
            np.zeros(1),
            np.zeros(1, dtype=np.int32),
            _FRT_QUANTILES,
        )

"""Compiled passes of drawing: expected arrivals per minute, arrival instants, the merge of entries.

`coverage.demand.arrivals.draw_contacts` did this as a dozen numpy operations per demand entry
(gathers of the rate by minute, ``np.repeat`` of the minute of every arrival, a sort of each
entry's instants) and then concatenated every entry's columns, sorted them all with a stable
argsort and gathered every column in that order. The kernels here do the same work in one pass
each, with the same floating-point operations in the same order, so every array is bit for bit
what the numpy code gave (tests/test_draw_setup.py keeps that code as the reference):

- `expected_busy`: ``rate_per_hour[rate_key] × G[day] × length / 3600`` per minute;
- `place_minutes`: a minute's Poisson count of arrivals placed at ``start + u × length`` and
  sorted inside the minute. A value drawn in minute m is at most the start of minute m + 1 (the
  rounded sum of the start and a product below the length), and a value of minute m + 1 is at
  least that start, so sorting minute by minute gives the values of one global sort;
- `merge_entries`: a k-way merge (binary heap keyed by (instant, entry)) of the entries'
  sorted instants, which is the order of a stable sort of their concatenation (ties in entry
  order, then in each entry's own order); it gives each contact's merged position, and
  `place_entry` writes an entry's columns there.

The random draws themselves (the Poisson counts, uniforms, durations) stay numpy calls on the
entry's streams, the same calls in the same order with the same sizes.

Kernels are loaded by :func:`warm_up`, with interrupts held
(`coverage.simulation._jit.deferred_interrupts`); `coverage.demand.arrivals.prepare_draws` calls
it (so a run loads them before any worker forks or thread starts), and so does each function here.
"""

from __future__ import annotations

import numpy as np

from coverage.simulation._jit import deferred_interrupts, njit
from coverage.units import SECONDS_PER_MINUTE

# a minute with more arrivals than this is sorted with numba's quicksort, not by insertion
_INSERTION_MAX = 24


@njit(nogil=True)
def _place_minutes(counts, u, starts_s, lengths_s, out, in_order):
    """Arrivals of each minute at start + u × length into `out`, minute by minute; sorted
    inside each minute when `in_order` (then all of `out` is sorted).

    Few arrivals per minute (up to 4 on average): the minute of each arrival by a branch-free
    expansion (each minute writes its index where its arrivals start; a running maximum fills
    the rest), then an insertion pass that only acts where two arrivals of one minute are out of
    order. More: minute by minute, each minute's arrivals sorted (insertion, or numba's sort for
    a long minute).
    """
    n = len(u)
    n_minutes = len(counts)
    if n <= 4 * n_minutes:
        minute = np.zeros(n + 1, np.int32)
        pos = 0
        for m in range(n_minutes):
            minute[pos] = m
            pos += counts[m]
        cur = 0
        for i in range(n):
            cur = max(cur, minute[i])
            out[i] = starts_s[cur] + u[i] * lengths_s[cur]
        if in_order:
            for i in range(1, n):
                x = out[i]
                if x < out[i - 1]:  # only inside a minute: values never decrease across minutes
                    h = i - 1
                    while h >= 0 and out[h] > x:
                        out[h + 1] = out[h]
                        h -= 1
                    out[h + 1] = x
        return
    i = 0
    for m in range(n_minutes):
        c = counts[m]
        if c == 0:
            continue
        start = starts_s[m]
        length = lengths_s[m]
        end = i + c
        for j in range(i, end):
            out[j] = start + u[j] * length
        if not in_order:
            pass
        elif c > _INSERTION_MAX:
            out[i:end].sort()
        else:
            for j in range(i + 1, end):  # insertion sort of a few values
                x = out[j]
                h = j - 1
                while h >= i and out[h] > x:
                    out[h + 1] = out[h]
                    h -= 1
                out[h + 1] = x
        i = end


@njit(nogil=True)
def _merge_by_minute(
    times, offsets, starts_s, per_s, handle_s, patience_s, bot_u, codes, rows, row_start,
    out_t, out_handle, out_patience, out_bot, out_channel, out_region, out_segment, out_language,
    out_entry,
):  # fmt: skip
    """Entries' contacts in the order of a stable sort of `times` (ties: entry order).

    Entry e's instants are times[offsets[e]:offsets[e + 1]]. Each contact goes to the minute
    its instant falls in (starts_s[m] <= t < starts_s[m + 1]; the first and last minutes take
    everything below and above), entry after entry, and each minute is then sorted stably by
    instant: minutes partition the instants in order, so this is the stable sort. Entry e's
    contacts come out in order of instant, and the r-th takes entry e's r-th handle time,
    patience, bot draw and — when ``row_start[e] >= 0`` — codes from ``rows[:, row_start[e] +
    r]`` (else ``codes[e]``): the columns of an entry must be in the order of its sorted
    instants. Returns False (and stops) on a NaN instant.
    """
    n = len(times)
    n_entries = len(offsets) - 1
    n_minutes = len(starts_s)
    per_minute = 1.0 / per_s
    fill = np.zeros(n_minutes + 1, np.int64)
    for i in range(n):
        t = times[i]
        if t != t:
            return False
        x = t * per_minute
        m = 0 if x < 0 else (n_minutes - 1 if x >= n_minutes else int(x))
        while m + 1 < n_minutes and t >= starts_s[m + 1]:
            m += 1
        while m > 0 and t < starts_s[m]:
            m -= 1
        fill[m + 1] += 1
    largest = 0
    for m in range(n_minutes):
        largest = max(largest, fill[m + 1])
        fill[m + 1] += fill[m]  # now fill[m] is where minute m starts
    for e in range(n_entries):
        for i in range(offsets[e], offsets[e + 1]):
            t = times[i]
            x = t * per_minute
            m = 0 if x < 0 else (n_minutes - 1 if x >= n_minutes else int(x))
            while m + 1 < n_minutes and t >= starts_s[m + 1]:
                m += 1
            while m > 0 and t < starts_s[m]:
                m -= 1
            d = fill[m]
            fill[m] = d + 1
            out_t[d] = t
            out_entry[d] = e  # the entry, until its codes are written below
    if largest <= _INSERTION_MAX:
        for i in range(1, n):  # stable insertion, acting only inside a minute
            x = out_t[i]
            if x < out_t[i - 1]:
                xe = out_entry[i]
                h = i - 1
                while h >= 0 and out_t[h] > x:
                    out_t[h + 1] = out_t[h]
                    out_entry[h + 1] = out_entry[h]
                    h -= 1
                out_t[h + 1] = x
                out_entry[h + 1] = xe
    else:
        first = 0
        for m in range(n_minutes):
            last = fill[m]  # the end of minute m (its start plus its contacts)
            if last - first > _INSERTION_MAX:
                order = np.argsort(out_t[first:last], kind="mergesort")  # stable
                block_t = out_t[first:last][order]
                block_e = out_entry[first:last][order]
                out_t[first:last] = block_t
                out_entry[first:last] = block_e
            else:
                for i in range(first + 1, last):
                    x = out_t[i]
                    xe = out_entry[i]
                    h = i - 1
                    while h >= first and out_t[h] > x:
                        out_t[h + 1] = out_t[h]
                        out_entry[h + 1] = out_entry[h]
                        h -= 1
                    out_t[h + 1] = x
                    out_entry[h + 1] = xe
            first = last
    nxt = offsets[:-1].copy()  # each entry's next contact
    for d in range(n):
        e = out_entry[d]
        p = nxt[e]
        nxt[e] = p + 1
        out_handle[d] = handle_s[p]
        out_patience[d] = patience_s[p]
        out_bot[d] = bot_u[p]
        r = row_start[e]
        if r < 0:
            out_channel[d] = codes[e, 0]
            out_region[d] = codes[e, 1]
            out_segment[d] = codes[e, 2]
            out_language[d] = codes[e, 3]
        else:
            q = r + p - offsets[e]
            out_channel[d] = rows[0, q]
            out_region[d] = rows[1, q]
            out_segment[d] = rows[2, q]
            out_language[d] = rows[3, q]
        out_entry[d] = codes[e, 4]
    return True


_KERNELS = (_place_minutes, _merge_by_minute)


def _outputs(n: int) -> tuple[np.ndarray, ...]:
    """Empty merged columns: instant, handle, patience, bot, then five int16 codes."""
    return (*(np.empty(n) for _ in range(4)), *(np.empty(n, np.int16) for _ in range(5)))


def warm_up() -> None:
    """Load (or compile) the kernels now, with interrupts held, unless this process has them."""
    if all(k.overloads for k in _KERNELS):
        return
    one = np.ones(1)
    with deferred_interrupts():
        _place_minutes(np.ones(1, np.int64), one, one, one, np.empty(1), True)
        _merge_by_minute(
            one, np.array([0, 1], np.int64), one, 60.0, one, one, one,
            np.zeros((1, 5), np.int16), np.zeros((4, 0), np.int16), np.full(1, -1, np.int64),
            *_outputs(1),
        )  # fmt: skip


def place_minutes(
    counts: np.ndarray,
    u: np.ndarray,
    minutes: tuple[np.ndarray, np.ndarray],
    out: np.ndarray | None = None,
    *,
    in_order: bool = True,
) -> np.ndarray:
    """Arrival instants from Poisson counts per minute and uniforms.

    Parameters
    ----------
    counts : numpy.ndarray
        int64 arrivals in each minute.
    u : numpy.ndarray
        ``counts.sum()`` uniforms in [0, 1), minute by minute.
    minutes : (numpy.ndarray, numpy.ndarray)
        float64 start and length of each minute [s].
    out : numpy.ndarray, optional
        float64 array of ``counts.sum()`` values to write to (absent: a new one).
    in_order : bool
        Sort them (else minute by minute, unsorted inside a minute, as `merge_by_minute`
        takes them).

    Returns
    -------
    numpy.ndarray
        The instants ``start + u × length``; sorted: the values of
        ``np.sort(starts[minute] + u * lengths[minute])`` [s].
    """
    warm_up()
    if out is None:
        out = np.empty(len(u))
    _place_minutes(counts, u, *minutes, out, in_order)
    return out


def merge_by_minute(
    times: np.ndarray,
    offsets: np.ndarray,
    starts_s: np.ndarray,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
    codes: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, ...] | None:
    """Entries' contacts in the order of a stable sort of their instants (ties: entry order).

    Parameters
    ----------
    times : numpy.ndarray
        The entries' instants, one entry after the other, each entry's sorted at least minute
        by minute [s].
    offsets : numpy.ndarray
        int64 start of each entry in `times` and `columns`, and the total at the end.
    starts_s : numpy.ndarray
        float64 start of each minute [s], 60 s apart.
    columns : tuple of numpy.ndarray
        Handle times [s], patience [s] and bot draws, aligned with `times`, each entry's in the
        order of its sorted instants.
    codes : tuple of numpy.ndarray
        int16 (entries, 5) channel, region, segment, language and entry code of each entry;
        int16 (4, m) per-contact channel, region, segment and language of the entries that have
        them; int64 where each entry's start in those (-1: the entry's codes).

    Returns
    -------
    tuple of numpy.ndarray or None
        Instant [s], handle [s], patience [s], bot draw, channel, region, segment, language and
        entry code of every contact in arrival order; None for a NaN instant.
    """
    warm_up()
    out = _outputs(len(times))
    ok = _merge_by_minute(times, offsets, starts_s, SECONDS_PER_MINUTE, *columns, *codes, *out)
    return out if ok else None

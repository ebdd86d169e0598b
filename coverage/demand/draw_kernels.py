"""Compiled passes of drawing: arrival instants, the streams' seeds, the merge of the entries.

`coverage.demand.arrivals.draw_contacts` did this as numpy operations per demand entry and per
stream (``np.repeat`` of the minute of every arrival, a gather of the minute starts, a sort of
each entry's instants, a ``SeedSequence`` and a ``Generator`` per stream), then concatenated
every entry's columns, sorted them all with a stable argsort and gathered every column in that
order. The passes here give the same arrays bit for bit (tests/test_draw_setup.py keeps the
former code as the reference):

- `place_minutes`: a minute's Poisson count of arrivals placed at ``start + u × length`` with
  the same floating-point operations, and sorted. A value drawn in minute m is at most the start
  of minute m + 1 (the rounded sum of the start and a product below the length) and a value of
  minute m + 1 at least that start, so sorting minute by minute gives the values of one sort;
- `ReplicationStreams`: every (entry, purpose) stream of a replication hashed in one pass as
  ``numpy.random.SeedSequence`` does, the PCG64 state computed as numpy seeds it, one generator
  set to it on demand — the state, hence every draw, of `coverage.demand.streams.entry_rng`;
- `merge_by_bucket`: the entries' contacts in the order of a stable sort of their instants, one
  entry after the other (ties in entry order), by a counting sort into buckets of time and a
  stable sort inside each bucket, writing every merged column directly from the entries' own
  arrays (no concatenated copies).

The random draws themselves (day multipliers, Poisson counts, uniforms, durations) stay the
numpy calls they were, on the same streams, in the same order, with the same sizes.

Kernels are loaded by :func:`warm_up`, with interrupts held
(`coverage.simulation._jit.deferred_interrupts`); `coverage.demand.arrivals.prepare_draws` calls
it (so a run loads them before any worker forks or thread starts), and so does each function here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from coverage.demand.streams import entry_rng
from coverage.simulation._jit import deferred_interrupts, njit, numba

# a minute or bucket with more contacts than this is sorted by numba's sort, not by insertion
_INSERTION_MAX = 24
# contacts per bucket of the merge, on average
_PER_BUCKET = 1.0


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
        if in_order and c > _INSERTION_MAX:
            out[i:end].sort()
        elif in_order:
            for j in range(i + 1, end):  # insertion sort of a few values
                x = out[j]
                h = j - 1
                while h >= i and out[h] > x:
                    out[h + 1] = out[h]
                    h -= 1
                out[h + 1] = x
        i = end


@numba.extending.intrinsic
def _float64_at(typingctx, address):  # type: ignore[no-untyped-def]
    """The float64 pointer at an address (an int64, from ``ndarray.ctypes.data``)."""
    signature = numba.types.CPointer(numba.types.float64)(numba.types.int64)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


@njit(nogil=True)
def _merge_by_bucket(
    sources, sizes, n_buckets, per_s, codes, rows, row_start,
    out_t, out_handle, out_patience, out_bot, out_channel, out_region, out_segment, out_language,
    out_entry,
):  # fmt: skip
    """Entries' contacts in the order of a stable sort of their instants (ties: entry order).

    Entry e has ``sizes[e]`` contacts; ``sources[e]`` holds the addresses of its float64
    instants, handle times, patience (0: none, inf) and bot draws, read in place (the entries'
    columns are never copied into one array). Each contact goes to bucket ``int(t × per_s)``
    (clipped to [0, n_buckets)), entry after entry, and each bucket is then sorted stably by
    instant. The bucket is a non-decreasing function of the instant, so buckets hold consecutive
    ranges of instants (equal instants share one) and this is the stable sort of the entries'
    instants one after the other. Entry e's contacts come out in order of instant, and the r-th
    takes entry e's r-th handle time, patience, bot draw and — when ``row_start[e] >= 0`` —
    codes from ``rows[:, row_start[e] + r]`` (else ``codes[e]``): an entry's columns follow its
    sorted instants. Returns False (and stops) on a NaN instant.
    """
    n = len(out_t)
    n_entries = len(sizes)
    top = n_buckets - 1
    fill = np.zeros(n_buckets + 1, np.int32)
    for e in range(n_entries):
        times = numba.carray(_float64_at(sources[e, 0]), (sizes[e],))
        for i in range(sizes[e]):
            x = times[i] * per_s
            if x != x:
                return False
            fill[(0 if x < 0 else (top if x >= top else int(x))) + 1] += 1
    largest = 0
    for b in range(n_buckets):
        largest = max(largest, fill[b + 1])
        fill[b + 1] += fill[b]  # now fill[b] is where bucket b starts
    for e in range(n_entries):
        times = numba.carray(_float64_at(sources[e, 0]), (sizes[e],))
        for i in range(sizes[e]):
            t = times[i]
            x = t * per_s
            b = 0 if x < 0 else (top if x >= top else int(x))
            d = fill[b]
            fill[b] = d + 1
            out_t[d] = t
            out_entry[d] = e  # the entry, until its codes are written below
    if largest <= _INSERTION_MAX:
        for i in range(1, n):  # stable insertion, acting only inside a bucket
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
        for b in range(n_buckets):
            last = fill[b]  # the end of bucket b
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
    nxt = np.zeros(n_entries, np.int64)  # each entry's next contact
    for d in range(n):
        e = out_entry[d]
        p = nxt[e]
        nxt[e] = p + 1
        out_handle[d] = numba.carray(_float64_at(sources[e, 1]), (sizes[e],))[p]
        if sources[e, 2] == 0:
            out_patience[d] = np.inf
        else:
            out_patience[d] = numba.carray(_float64_at(sources[e, 2]), (sizes[e],))[p]
        out_bot[d] = numba.carray(_float64_at(sources[e, 3]), (sizes[e],))[p]
        r = row_start[e]
        if r < 0:
            out_channel[d] = codes[e, 0]
            out_region[d] = codes[e, 1]
            out_segment[d] = codes[e, 2]
            out_language[d] = codes[e, 3]
        else:
            out_channel[d] = rows[0, r + p]
            out_region[d] = rows[1, r + p]
            out_segment[d] = rows[2, r + p]
            out_language[d] = rows[3, r + p]
        out_entry[d] = codes[e, 4]
    return True


# numpy.random.SeedSequence's hash constants (numpy/random/bit_generator.pyx) and PCG64's multiplier
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_MASK32 = 0xFFFFFFFF
_PCG64_MULTIPLIER = (2549297995355413924 << 64) + 4865540595714422341
_MASK128 = (1 << 128) - 1


@njit(nogil=True)
def _seed_words(entropy, out):
    """Per row of `entropy` (32-bit words, as ``SeedSequence`` assembles them from the seed and
    spawn key), the 8 words of ``SeedSequence(...).generate_state(4, np.uint64)``, in int64
    arithmetic masked to 32 bits (the low bits of a product do not depend on the sign)."""
    n_streams, n_words = entropy.shape
    pool = np.empty(4, np.int64)
    for s in range(n_streams):
        h = _INIT_A
        for i in range(4):  # mix_entropy: the pool from the first words
            v = entropy[s, i] if i < n_words else 0
            v ^= h
            h = (h * _MULT_A) & _MASK32
            v = (v * h) & _MASK32
            pool[i] = v ^ (v >> 16)
        for i_src in range(4):  # every pool word into every other
            for i_dst in range(4):
                if i_src != i_dst:
                    v = pool[i_src] ^ h
                    h = (h * _MULT_A) & _MASK32
                    v = (v * h) & _MASK32
                    v ^= v >> 16
                    r = (_MIX_MULT_L * pool[i_dst] - _MIX_MULT_R * v) & _MASK32
                    pool[i_dst] = r ^ (r >> 16)
        for i_src in range(4, n_words):  # the remaining words into every pool word
            for i_dst in range(4):
                v = entropy[s, i_src] ^ h
                h = (h * _MULT_A) & _MASK32
                v = (v * h) & _MASK32
                v ^= v >> 16
                r = (_MIX_MULT_L * pool[i_dst] - _MIX_MULT_R * v) & _MASK32
                pool[i_dst] = r ^ (r >> 16)
        h = _INIT_B
        for i in range(8):  # generate_state: cycle through the pool
            v = pool[i % 4] ^ h
            h = (h * _MULT_B) & _MASK32
            v = (v * h) & _MASK32
            out[s, i] = v ^ (v >> 16)


def _uint32_words(value: int) -> list[int]:
    """An int as ``SeedSequence`` reads it: 32-bit words, least significant first ([0] for 0)."""
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


class ReplicationStreams:
    """The random streams of one replication's demand entries, seeded all at once.

    `rng` gives the generator `coverage.demand.streams.entry_rng` gives — the same state, so the
    same draws — without building a ``SeedSequence`` and a ``Generator`` for every stream: one
    compiled pass hashes the keys of every (entry, purpose) as ``SeedSequence`` does
    (`_seed_words`), the state of a PCG64 seeded with them is computed as numpy's
    ``pcg64_set_seed`` does, and one generator is set to it on demand.

    Parameters
    ----------
    seed : int
        The run's seed.
    replication : int
        Replication index.
    n_entries : int
        How many demand entries.
    n_purposes : int
        How many purposes per entry.
    """

    def __init__(self, seed: int, replication: int, n_entries: int, n_purposes: int) -> None:
        self._key = (seed, replication)
        self._n_purposes = n_purposes
        self._words: np.ndarray | None = None
        if seed < 0 or not 0 <= replication < 2**32 or n_entries > 2**32:
            return  # as SeedSequence reads them no longer: entry_rng builds each (or refuses)
        base = _uint32_words(seed)
        base += [0] * (4 - len(base))  # SeedSequence pads the seed to its pool with a spawn key
        entropy = np.empty((n_entries * n_purposes, len(base) + 3), np.int64)
        entropy[:, : len(base)] = base
        entropy[:, len(base)] = replication
        entropy[:, len(base) + 1] = np.repeat(np.arange(n_entries), n_purposes)
        entropy[:, len(base) + 2] = np.tile(np.arange(n_purposes), n_entries)
        self._words = np.empty((len(entropy), 8), np.int64)
        warm_up()
        _seed_words(entropy, self._words)
        self._bits = np.random.PCG64()
        self._generator = np.random.Generator(self._bits)

    def rng(self, entry: int, purpose: int) -> np.random.Generator:
        """The generator of one stream, at its start.

        Parameters
        ----------
        entry : int
            Index of the demand entry.
        purpose : int
            One of the ``STREAM_*`` purposes of `coverage.demand.streams`.

        Returns
        -------
        numpy.random.Generator
            In the state of ``entry_rng(seed, replication, entry, purpose)``. The same object
            for every stream: it is valid until the next call.
        """
        if self._words is None:
            return entry_rng(*self._key, entry, purpose)
        w = self._words[entry * self._n_purposes + purpose].tolist()
        # generate_state(4, np.uint64): words 0-3 the 128-bit seed, 4-7 the increment
        init_state = ((w[0] | w[1] << 32) << 64) | w[2] | w[3] << 32
        increment = (((w[4] | w[5] << 32) << 64 | w[6] | w[7] << 32) << 1 | 1) & _MASK128
        state = ((increment + init_state) * _PCG64_MULTIPLIER + increment) & _MASK128
        self._bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": increment},
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self._generator


_KERNELS = (_place_minutes, _merge_by_bucket, _seed_words)


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
        _seed_words(np.zeros((1, 7), np.int64), np.empty((1, 8), np.int64))
        _merge_by_bucket(
            np.zeros((1, 4), np.int64), np.zeros(1, np.int64), 1, 1.0, np.zeros((1, 5), np.int16),
            np.zeros((4, 0), np.int16), np.full(1, -1, np.int64), *_outputs(0),
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
        Sort them (else minute by minute, unsorted inside a minute, as `merge_by_bucket`
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


def merge_by_bucket(
    entries: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]],
    span_s: float,
    codes: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    per_bucket: float = _PER_BUCKET,
) -> tuple[np.ndarray, ...] | None:
    """Entries' contacts in the order of a stable sort of their instants (ties: entry order).

    Parameters
    ----------
    entries : sequence of tuples of numpy.ndarray
        Per entry: its instants [s] (in any order), and its handle times [s], patience [s]
        (None: inf for all) and bot draws in the order of its sorted instants (for equal
        instants, in the order given). Read in place, never copied.
    span_s : float
        Where the instants end (the horizon) [s]: buckets of equal length cover [0, span_s).
    codes : tuple of numpy.ndarray
        int16 (entries, 5) channel, region, segment, language and entry code of each entry;
        int16 (4, m) per-contact channel, region, segment and language of the entries that have
        them (in the order of their sorted instants); int64 where each entry's start in those
        (-1: the entry's codes).
    per_bucket : float
        Contacts per bucket on average.

    Returns
    -------
    tuple of numpy.ndarray or None
        Instant [s], handle [s], patience [s], bot draw, channel, region, segment, language and
        entry code of every contact in arrival order; None for a NaN instant, or 2**31 contacts
        or more (then sort instead).
    """
    warm_up()
    sizes = np.array([len(columns[0]) for columns in entries], np.int64)
    n = int(sizes.sum())
    if n >= 2**31:
        return None
    sources = np.zeros((len(entries), 4), np.int64)
    kept = []  # the arrays whose addresses the kernel reads: alive until it returns
    for e, columns in enumerate(entries):
        for j, column in enumerate(columns):
            if column is not None:
                column = np.ascontiguousarray(column, np.float64)
                assert len(column) == sizes[e]
                kept.append(column)
                sources[e, j] = column.ctypes.data
    n_buckets = max(1, int(n / per_bucket))
    per_s = n_buckets / span_s if span_s > 0 else 0.0
    out = _outputs(n)
    ok = _merge_by_bucket(sources, sizes, n_buckets, per_s, *codes, *out)
    del kept
    return out if ok else None

"""Compiled passes that turn a replication's contacts into a plan's bot outcome and engine input.

`coverage.demand.automation.apply_automation` and
`coverage.simulation.dispatch.build_engine_input` did their work as a dozen numpy operations,
each a pass over every contact (lookups by channel, masks, gathers of the queued contacts, the
routing code of each). These kernels do the same in one pass each, with the same floating-point
operations in the same order, so every array is bit for bit what the numpy code gave
(tests/test_draw_setup.py keeps that code as the reference).

Kernels are loaded by :func:`warm_up`, with interrupts held
(`coverage.simulation._jit.deferred_interrupts`); `coverage.simulation.pipeline.prepare_run` calls
it before any worker process forks, and each function here calls it before its first use.
"""

from __future__ import annotations

import numpy as np

from coverage.simulation._jit import deferred_interrupts, njit


@njit(nogil=True)
def _bot_pass(arrived_s, channel, bot_u, has_bot, deflection, bot_time_s, cost):
    """bot, deflected, joined (nan when deflected) and bot cost of every contact."""
    n = len(arrived_s)
    bot = np.empty(n, np.bool_)
    deflected = np.empty(n, np.bool_)
    joined = np.empty(n)
    bot_cost = np.empty(n)
    for i in range(n):
        c = channel[i]
        bot[i] = has_bot[c]
        gone = bot_u[i] < deflection[c]
        deflected[i] = gone
        joined[i] = np.nan if gone else arrived_s[i] + bot_time_s[c]
        bot_cost[i] = cost[c]
    return bot, deflected, joined, bot_cost


@njit(nogil=True)
def _queue_scan(deflected, joined, channel, segment, language, n_seg, n_lang, n_combos):
    """Which routing-code combinations the queued contacts use, how many are queued, and
    whether their joining times are already in order."""
    present = np.zeros(n_combos, np.bool_)
    n_queued = 0
    in_order = True
    last = -np.inf
    for i in range(len(deflected)):
        if deflected[i]:
            continue
        t = joined[i]
        if t < last:
            in_order = False
        last = t
        n_queued += 1
        present[(channel[i] * n_seg + segment[i] + 1) * n_lang + language[i] + 1] = True
    return present, n_queued, in_order


@njit(nogil=True)
def _queue_fill(
    deflected, joined, patience_s, handle_s, channel, segment, language, n_seg, n_lang,
    class_of_combo, n_queued,
):  # fmt: skip
    """The queued contacts in arrival order: index, joined, deadline, handle time, class."""
    contact = np.empty(n_queued, np.int64)
    joined_q = np.empty(n_queued)
    deadline = np.empty(n_queued)
    handle = np.empty(n_queued)
    klass = np.empty(n_queued, np.int32)
    q = 0
    for i in range(len(deflected)):
        if deflected[i]:
            continue
        t = joined[i]
        contact[q] = i
        joined_q[q] = t
        deadline[q] = t + patience_s[i]
        handle[q] = handle_s[i]
        klass[q] = class_of_combo[(channel[i] * n_seg + segment[i] + 1) * n_lang + language[i] + 1]
        q += 1
    return contact, joined_q, deadline, handle, klass


@njit(nogil=True)
def _queue_fill_ordered(
    order, joined, patience_s, handle_s, channel, segment, language, n_seg, n_lang,
    class_of_combo,
):  # fmt: skip
    """As `_queue_fill`, for the contacts `order` (queued, in order of joining)."""
    n_queued = len(order)
    joined_q = np.empty(n_queued)
    deadline = np.empty(n_queued)
    handle = np.empty(n_queued)
    klass = np.empty(n_queued, np.int32)
    for q in range(n_queued):
        i = order[q]
        t = joined[i]
        joined_q[q] = t
        deadline[q] = t + patience_s[i]
        handle[q] = handle_s[i]
        klass[q] = class_of_combo[(channel[i] * n_seg + segment[i] + 1) * n_lang + language[i] + 1]
    return joined_q, deadline, handle, klass


@njit(nogil=True)
def _queue_fill_merged(
    deflected, joined, patience_s, handle_s, channel, segment, language, n_seg, n_lang,
    class_of_combo, n_queued, max_moves,
):  # fmt: skip
    """As `_queue_fill`, in order of joining, ties by arrival (the order of a stable sort by
    joining time), for contacts that join nearly in arrival order (a bot delays a channel's
    contacts by seconds): each queued contact is inserted behind the ones that joined no later,
    moving the later ones up. ok is False (and the arrays unusable) when that would take more
    than `max_moves` moves."""
    contact = np.empty(n_queued, np.int64)
    joined_q = np.empty(n_queued)
    deadline = np.empty(n_queued)
    handle = np.empty(n_queued)
    klass = np.empty(n_queued, np.int32)
    moves = 0
    q = 0
    for i in range(len(deflected)):
        if deflected[i]:
            continue
        t = joined[i]
        if t != t:  # nan: no place in the order
            return False, contact, joined_q, deadline, handle, klass
        j = q
        while j > 0 and joined_q[j - 1] > t:
            contact[j] = contact[j - 1]
            joined_q[j] = joined_q[j - 1]
            j -= 1
        moves += q - j
        if moves > max_moves:
            return False, contact, joined_q, deadline, handle, klass
        contact[j] = i
        joined_q[j] = t
        q += 1
    for q in range(n_queued):
        i = contact[q]
        deadline[q] = joined_q[q] + patience_s[i]
        handle[q] = handle_s[i]
        klass[q] = class_of_combo[(channel[i] * n_seg + segment[i] + 1) * n_lang + language[i] + 1]
    return True, contact, joined_q, deadline, handle, klass


def warm_up() -> None:
    """Load (or compile) the kernels now, with interrupts held, unless this process has them."""
    kernels = (_bot_pass, _queue_scan, _queue_fill, _queue_fill_merged, _queue_fill_ordered)
    if all(k.signatures for k in kernels):
        return
    codes = np.zeros(1, np.int16)
    one, no = np.ones(1), np.zeros(1, np.bool_)
    with deferred_interrupts():
        _bot_pass(one, codes, one, no, one, one, one)
        _queue_scan(no, one, codes, codes, codes, 1, 1, 1)
        _queue_fill(no, one, one, one, codes, codes, codes, 1, 1, np.zeros(1, np.int32), 1)
        _queue_fill_merged(
            no, one, one, one, codes, codes, codes, 1, 1, np.zeros(1, np.int32), 1, 1
        )
        _queue_fill_ordered(
            np.zeros(1, np.int64), one, one, one, codes, codes, codes, 1, 1, np.zeros(1, np.int32)
        )


def bot_pass(
    arrived_s: np.ndarray,
    channel: np.ndarray,
    bot_u: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What a bot does with each contact, in one pass.

    Parameters
    ----------
    arrived_s, channel, bot_u : numpy.ndarray
        The contacts' arrival [s], channel code and uniform draw.
    tables : tuple of numpy.ndarray
        Per channel: has a bot (bool), deflection [0–1], bot time [s], cost per contact.

    Returns
    -------
    (numpy.ndarray, ...)
        bot, deflected (``bot_u < deflection``), joined (arrival + bot time; nan when deflected)
        [s], bot cost [currency].
    """
    warm_up()
    has_bot, deflection, bot_time_s, cost = tables
    return _bot_pass(  # type: ignore[no-any-return]
        np.ascontiguousarray(arrived_s, np.float64),
        np.ascontiguousarray(channel, np.int16),
        np.ascontiguousarray(bot_u, np.float64),
        np.ascontiguousarray(has_bot, np.bool_),
        np.ascontiguousarray(deflection, np.float64),
        np.ascontiguousarray(bot_time_s, np.float64),
        np.ascontiguousarray(cost, np.float64),
    )


def queue_scan(
    deflected: np.ndarray,
    joined: np.ndarray,
    codes: tuple[np.ndarray, ...],
    strides: tuple[int, int, int],
) -> tuple[np.ndarray, int, bool]:
    """The code combinations present among the queued contacts, their count, and whether they
    joined in arrival order (`_queue_scan`); `strides` is (n_seg, n_lang, n_combos)."""
    warm_up()
    channel, segment, language = codes
    present, n_queued, in_order = _queue_scan(
        deflected, joined, channel, segment, language, *strides
    )
    return present, int(n_queued), bool(in_order)


def queue_fill(
    deflected: np.ndarray,
    joined: np.ndarray,
    patience_s: np.ndarray,
    handle_s: np.ndarray,
    codes: tuple[np.ndarray, ...],
    strides: tuple[int, int],
    class_of_combo: np.ndarray,
    n_queued: int,
) -> tuple[np.ndarray, ...]:
    """Index, joined [s], deadline [s], handle time [s] and class of the queued contacts, in
    arrival order (`_queue_fill`)."""
    warm_up()
    channel, segment, language = codes
    return _queue_fill(  # type: ignore[no-any-return]
        deflected, joined, patience_s, handle_s, channel, segment, language, *strides,
        class_of_combo, n_queued,
    )  # fmt: skip


def queue_fill_ordered(
    order: np.ndarray,
    joined: np.ndarray,
    patience_s: np.ndarray,
    handle_s: np.ndarray,
    codes: tuple[np.ndarray, ...],
    strides: tuple[int, int],
    class_of_combo: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Joined [s], deadline [s], handle time [s] and class of the contacts `order` (the queued
    ones in order of joining), in one pass (`_queue_fill_ordered`)."""
    warm_up()
    channel, segment, language = codes
    return _queue_fill_ordered(  # type: ignore[no-any-return]
        np.ascontiguousarray(order, np.int64), joined, patience_s, handle_s, channel, segment,
        language, *strides, class_of_combo,
    )  # fmt: skip


def queue_fill_merged(
    deflected: np.ndarray,
    joined: np.ndarray,
    patience_s: np.ndarray,
    handle_s: np.ndarray,
    codes: tuple[np.ndarray, ...],
    strides: tuple[int, int],
    class_of_combo: np.ndarray,
    n_queued: int,
) -> tuple[np.ndarray, ...] | None:
    """Index, joined [s], deadline [s], handle time [s] and class of the queued contacts in order
    of joining (ties by arrival), by inserting each behind those that joined no later
    (`_queue_fill_merged`); None when they are too far from arrival order for that (more than
    8 moves per contact on average: a sort is then faster)."""
    warm_up()
    channel, segment, language = codes
    ok, *filled = _queue_fill_merged(
        deflected, joined, patience_s, handle_s, channel, segment, language, *strides,
        class_of_combo, n_queued, 8 * n_queued + 1024,
    )  # fmt: skip
    return tuple(filled) if ok else None

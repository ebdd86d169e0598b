"""The fast engine: the routing rule of `coverage.simulation.dispatch` as a compiled event loop
over arrays.

Same contract as the SimPy reference (`coverage.simulation.simpy_engine`): ``simulate(EngineInput)
->
EngineOutput``, a deterministic function of drawn inputs, and the *same per-contact outcomes,
start times, agents and overtime rows, bit for bit*. It gets there by replaying SimPy's clock,
not by approximating it:

* **Instants.** SimPy orders events by (time, priority, creation number). Duty-window events are
  all created before the run, so at one instant they come first, in window order (a window's
  start before its end); completions and arrivals follow; the assignment step (priority 2) comes
  after every ordinary event of the instant. Completions, arrivals and window events of
  *different* agents commute (assignment is deferred), so the loop handles one instant as:
  window events in that order → completions → arrivals → one assignment step. The one order that
  matters — a window end and a completion of the same agent at the same instant — is SimPy's:
  the window end first, so the agent leaves holding the contact and a zero-length overtime row
  is written, exactly as in the reference.
* **Clock arithmetic.** A completion happens at ``start + handle_s`` (float64, as
  ``env.timeout`` computes it). Arrivals are fed by one SimPy process that sleeps
  ``joined − now`` from the previous arrival, so a contact joins at
  ``prev + (joined − prev)``, which can differ from ``joined`` by one ulp; the loop uses that
  same recurrence. A completion with zero handle time lands at the current instant *after* the
  assignment step and triggers a second step there, as in SimPy.
* **Horizon.** Events at or after ``end_s`` are not processed (SimPy's ``run(until=)`` stops
  before ordinary events at that time); a window whose end is at or after ``end_s`` has no end.
* **Abandonment** is lazy (a queue head whose deadline is ``<= now`` left at its deadline, see
  `coverage.simulation.dispatch`); at the end, unanswered contacts with deadline ``< end_s``
  abandoned and
  the rest are unfinished. Overtime still open at the end closes at ``end_s``.

Data structures: contacts join in sorted order, so each class's FIFO queue is a slice of one
array of contact numbers with a head and a tail pointer; completions live in a binary heap keyed
by (time, contact); window events are pre-sorted into SimPy's order; agents available to take
work sit in a dense list so the agent choice scans only them; ``avail_count[k]`` counts the
available agents that may serve class k. All state is preallocated: memory is linear in contacts
and agents, and nothing is allocated inside the loop.

The kernel is compiled by numba (imported only through `coverage.simulation._jit`, which explains
why) with
an on-disk cache, so only the first process after a code change pays the compile time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coverage.simulation._jit import deferred_interrupts, njit
from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED, EngineInput, EngineOutput

_NONE, _ALL = -2, -1  # agent modes; a mode >= 0 means "more contacts of that channel"


@njit
def _run(
    joined,
    deadline,
    handle,
    klass,
    class_priority,
    class_channel,
    concurrency,
    can_serve,
    wev_time,
    wev_agent,
    wev_is_end,
    wev_paid,
    n_ot_max,
    end_s,
):  # pragma: no cover - compiled
    # One flat function on purpose: helper functions taking arrays cost numba reference-count
    # updates (atomic instructions) per call, which were a third of the run time.
    n = joined.shape[0]
    n_agents = can_serve.shape[0]
    n_classes = class_channel.shape[0]
    n_wev = wev_time.shape[0]

    outcome = np.full(n, UNFINISHED, dtype=np.int8)
    started = np.full(n, np.nan)
    ended = np.full(n, np.nan)
    served_by = np.full(n, -1, dtype=np.int32)
    ot_agent = np.empty(n_ot_max, dtype=np.int32)
    ot_start = np.empty(n_ot_max)
    ot_end = np.empty(n_ot_max)
    ot_paid = np.empty(n_ot_max, dtype=np.bool_)
    n_ot = 0

    on_duty = np.zeros(n_agents, dtype=np.bool_)
    leaving = np.zeros(n_agents, dtype=np.bool_)
    in_hand = np.zeros(n_agents, dtype=np.int64)
    hand_channel = np.full(n_agents, -1, dtype=np.int64)
    idle_since = np.zeros(n_agents)
    mode = np.full(n_agents, _NONE, dtype=np.int64)  # what the agent may take now
    ot_row = np.full(n_agents, -1, dtype=np.int64)
    dirty = np.empty(n_agents, dtype=np.int64)  # agents whose mode must be recomputed
    is_dirty = np.zeros(n_agents, dtype=np.bool_)
    n_dirty = 0
    avail_list = np.empty(n_agents, dtype=np.int64)  # agents with a mode other than _NONE
    avail_pos = np.full(n_agents, -1, dtype=np.int64)
    n_avail = 0
    avail_count = np.zeros(n_classes, dtype=np.int64)  # available agents that may serve k
    # each class's FIFO queue is a slice of `class_members` (its contacts in joining order, by a
    # counting sort), consumed from `head`; contacts up to `tail` have joined
    head = np.zeros(n_classes, dtype=np.int64)
    for c in range(n):
        head[klass[c]] += 1
    start = 0
    for k in range(n_classes):
        size = head[k]
        head[k] = start
        start += size
    tail = head.copy()
    class_members = np.empty(n, dtype=np.int64)
    for c in range(n):
        class_members[tail[klass[c]]] = c
        tail[klass[c]] += 1
    tail[:] = head
    waiting = 0

    max_conc = 1
    for ch in range(concurrency.shape[0]):
        max_conc = max(max_conc, concurrency[ch])
    cap = n_agents * max_conc + 1
    ht = np.empty(cap)  # completion heap: time, contact, agent; ordered by (time, contact)
    hc = np.empty(cap, dtype=np.int64)
    ha = np.empty(cap, dtype=np.int64)
    hsize = 0

    wp = 0  # next window event
    ap = 0  # next contact to join
    arr_clock = 0.0  # the arrival process's clock (SimPy's env.now when it last woke)
    next_arr = np.inf
    if n > 0:
        next_arr = arr_clock + (joined[0] - arr_clock) if joined[0] > arr_clock else arr_clock

    while True:
        t = np.inf
        if wp < n_wev:
            t = wev_time[wp]
        if hsize > 0 and ht[0] < t:
            t = ht[0]
        if ap < n and next_arr < t:
            t = next_arr
        if not t < end_s:
            break

        # 1. duty-window events, in SimPy's creation order
        while wp < n_wev and wev_time[wp] == t:
            a = wev_agent[wp]
            if wev_is_end[wp]:
                on_duty[a] = False
                if in_hand[a] > 0:
                    leaving[a] = True
                    ot_row[a] = n_ot
                    ot_agent[n_ot] = a
                    ot_start[n_ot] = t
                    ot_end[n_ot] = np.nan
                    ot_paid[n_ot] = wev_paid[wp]
                    n_ot += 1
            else:
                if leaving[a]:
                    leaving[a] = False
                    ot_end[ot_row[a]] = t
                on_duty[a] = True
                if in_hand[a] == 0:
                    idle_since[a] = t
            if not is_dirty[a]:
                is_dirty[a] = True
                dirty[n_dirty] = a
                n_dirty += 1
            wp += 1

        # 2. completions
        while hsize > 0 and ht[0] == t:
            c = hc[0]
            a = ha[0]
            hsize -= 1  # pop the root: move the last entry up and sift it down
            ht[0] = ht[hsize]
            hc[0] = hc[hsize]
            ha[0] = ha[hsize]
            i = 0
            while True:
                m = 2 * i + 1
                if m >= hsize:
                    break
                r = m + 1
                if r < hsize and (ht[r] < ht[m] or (ht[r] == ht[m] and hc[r] < hc[m])):
                    m = r
                if ht[m] < ht[i] or (ht[m] == ht[i] and hc[m] < hc[i]):
                    ht[i], ht[m] = ht[m], ht[i]
                    hc[i], hc[m] = hc[m], hc[i]
                    ha[i], ha[m] = ha[m], ha[i]
                    i = m
                else:
                    break
            ended[c] = t
            in_hand[a] -= 1
            if in_hand[a] == 0:
                hand_channel[a] = -1
                idle_since[a] = t
                if leaving[a]:
                    leaving[a] = False
                    ot_end[ot_row[a]] = t
            if not is_dirty[a]:
                is_dirty[a] = True
                dirty[n_dirty] = a
                n_dirty += 1

        # 3. arrivals (joining the agent queue)
        while ap < n and next_arr == t:
            tail[klass[ap]] += 1
            waiting += 1
            arr_clock = next_arr
            ap += 1
            if ap < n:
                if joined[ap] > arr_clock:
                    next_arr = arr_clock + (joined[ap] - arr_clock)
                else:
                    next_arr = arr_clock

        # 4. the assignment step, refreshing the modes of agents whose state changed first
        while True:
            while n_dirty > 0:
                n_dirty -= 1
                a = dirty[n_dirty]
                is_dirty[a] = False
                if not on_duty[a]:
                    new = _NONE
                elif in_hand[a] == 0:
                    new = _ALL
                elif in_hand[a] < concurrency[hand_channel[a]]:
                    new = hand_channel[a]
                else:
                    new = _NONE
                old = mode[a]
                if new == old:
                    continue
                for k in range(n_classes):
                    if can_serve[a, k]:
                        ch = class_channel[k]
                        if old == _ALL or old == ch:  # noqa: SIM109  (plain compares compile simplest)
                            avail_count[k] -= 1
                        if new == _ALL or new == ch:  # noqa: SIM109
                            avail_count[k] += 1
                mode[a] = new
                if new == _NONE:
                    p = avail_pos[a]
                    last = avail_list[n_avail - 1]
                    avail_list[p] = last
                    avail_pos[last] = p
                    avail_pos[a] = -1
                    n_avail -= 1
                elif old == _NONE:
                    avail_list[n_avail] = a
                    avail_pos[a] = n_avail
                    n_avail += 1
            if waiting == 0 or n_avail == 0:
                break
            best_k = -1
            best_c = -1
            for k in range(n_classes):
                if avail_count[k] == 0:
                    continue
                while head[k] < tail[k] and deadline[class_members[head[k]]] <= t:
                    outcome[class_members[head[k]]] = ABANDONED  # left at its deadline
                    head[k] += 1
                    waiting -= 1
                if head[k] < tail[k]:
                    c = class_members[head[k]]
                    if best_k < 0:
                        better = True
                    elif class_priority[k] != class_priority[best_k]:
                        better = class_priority[k] < class_priority[best_k]
                    elif joined[c] != joined[best_c]:
                        better = joined[c] < joined[best_c]
                    else:
                        better = c < best_c
                    if better:
                        best_k = k
                        best_c = c
            if best_k < 0:
                break
            head[best_k] += 1
            waiting -= 1
            ch = class_channel[best_k]
            best_a = -1
            for i in range(n_avail):
                b = avail_list[i]
                if not can_serve[b, best_k] or (mode[b] != _ALL and mode[b] != ch):
                    continue
                if best_a < 0:
                    best_a = b
                elif in_hand[b] != in_hand[best_a]:
                    if in_hand[b] < in_hand[best_a]:
                        best_a = b
                elif idle_since[b] != idle_since[best_a]:
                    if idle_since[b] < idle_since[best_a]:
                        best_a = b
                elif b < best_a:
                    best_a = b
            a = best_a
            outcome[best_c] = ANSWERED
            started[best_c] = t
            served_by[best_c] = a
            in_hand[a] += 1
            hand_channel[a] = ch
            is_dirty[a] = True
            dirty[n_dirty] = a
            n_dirty += 1
            i = hsize  # push the completion and sift it up
            ht[i] = t + handle[best_c]
            hc[i] = best_c
            ha[i] = a
            hsize += 1
            while i > 0:
                p = (i - 1) >> 1
                if ht[i] < ht[p] or (ht[i] == ht[p] and hc[i] < hc[p]):
                    ht[i], ht[p] = ht[p], ht[i]
                    hc[i], hc[p] = hc[p], hc[i]
                    ha[i], ha[p] = ha[p], ha[i]
                    i = p
                else:
                    break

    for i in range(n_ot):
        if np.isnan(ot_end[i]):
            ot_end[i] = end_s  # still busy when the drain ends
    return (
        outcome,
        started,
        ended,
        served_by,
        ot_agent[:n_ot].copy(),
        ot_start[:n_ot].copy(),
        ot_end[:n_ot].copy(),
        ot_paid[:n_ot].copy(),
    )


def _window_events(inp: EngineInput) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Window starts and ends (those before `end_s`) in SimPy's processing order.

    The reference schedules, for window i in order, its start then (if before `end_s`) its end,
    before anything else; SimPy runs events of equal time in scheduling order. So the order is
    (time, window, start before end).
    """
    n_win = len(inp.window_start_s)
    has_end = inp.window_end_s < inp.end_s
    win = np.arange(n_win, dtype=np.int64)
    time = np.concatenate([inp.window_start_s, inp.window_end_s[has_end]]).astype(np.float64)
    number = np.concatenate([2 * win, 2 * win[has_end] + 1])
    order = np.lexsort((number, time))
    is_end = (number % 2 == 1)[order]
    window = (number // 2)[order]
    return (
        np.ascontiguousarray(time[order]),
        np.ascontiguousarray(inp.window_agent[window].astype(np.int64)),
        np.ascontiguousarray(is_end),
        np.ascontiguousarray(inp.window_paid_end[window].astype(np.bool_) & is_end),
    )


def _arg(values: np.ndarray, dtype: type) -> np.ndarray:
    """An argument for the kernel: C-contiguous and writable, so one compiled signature fits all
    (numba compiles read-only arrays as a separate type)."""
    return np.require(values, dtype=dtype, requirements=["C", "W"])


def _kernel_args(inp: EngineInput) -> tuple[Any, ...]:
    wev_time, wev_agent, wev_is_end, wev_paid = _window_events(inp)
    return (
        _arg(inp.joined_at_s, np.float64),
        _arg(inp.deadline_s, np.float64),
        _arg(inp.handle_s, np.float64),
        _arg(inp.klass, np.int32),
        _arg(inp.class_priority, np.int64),
        _arg(inp.class_channel, np.int64),
        _arg(inp.channel_concurrency, np.int64),
        _arg(inp.can_serve, np.bool_),
        wev_time,
        wev_agent,
        wev_is_end,
        wev_paid,
        int(wev_is_end.sum()),
        float(inp.end_s),
    )


def simulate(inp: EngineInput) -> EngineOutput:
    """Simulate one plan on one replication's contacts (compiled numba event loop).

    Parameters
    ----------
    inp : EngineInput
        Contacts in order of joining the agent queue and the agents' availability windows
        (`coverage.simulation.dispatch.build_engine_input`).

    Returns
    -------
    EngineOutput
        Per contact: outcome, start and end of service [s] (NaN when not answered) and agent; the
        agents' overtime stretches [s]. A deterministic function of `inp`; both engines give the
        same output bit for bit.
    """
    warm_up()
    args = _kernel_args(inp)
    deadline = args[1]
    outcome, started, ended, agent, ot_agent, ot_start, ot_end, ot_paid = _run(*args)
    gone = (outcome == UNFINISHED) & (deadline < inp.end_s)  # left before reaching the head
    outcome[gone] = ABANDONED
    return EngineOutput(
        outcome=outcome,
        started_at_s=started,
        ended_at_s=ended,
        left_at_s=np.where(outcome == ABANDONED, deadline, np.nan),
        agent=agent,
        overtime_agent=ot_agent,
        overtime_start_s=ot_start,
        overtime_end_s=ot_end,
        overtime_paid=ot_paid,
    )


def warm_up() -> None:
    """Load (or compile) the kernel now, on one tiny input, unless this process already has it.

    Interrupts are held meanwhile (see `coverage.simulation._jit.deferred_interrupts`). Also called
    before a
    process pool forks, so every worker inherits the loaded machine code instead of each loading
    it again (about a second per worker).
    """
    if _run.signatures:
        return
    tiny = EngineInput(
        contact=np.zeros(1, np.int64),
        joined_at_s=np.zeros(1),
        deadline_s=np.full(1, np.inf),
        handle_s=np.ones(1),
        klass=np.zeros(1, np.int32),
        class_priority=np.ones(1, np.int64),
        class_channel=np.zeros(1, np.int32),
        channel_concurrency=np.ones(1, np.int32),
        can_serve=np.ones((1, 1), bool),
        window_agent=np.zeros(1, np.int32),
        window_start_s=np.zeros(1),
        window_end_s=np.full(1, 10.0),
        window_paid_end=np.ones(1, bool),
        end_s=20.0,
    )
    with deferred_interrupts():
        _run(*_kernel_args(tiny))

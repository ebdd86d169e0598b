"""The fast engine: the routing rule of `coverage.simulation.dispatch` as a compiled event loop
over arrays.

Same contract as the SimPy reference (`coverage.simulation.simpy_engine`):
``simulate(EngineInput) -> EngineOutput``, a deterministic function of drawn inputs, and the
*same per-contact outcomes, start times, agents and overtime rows, bit for bit*. It gets there
by replaying SimPy's clock, not by approximating it:

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
  abandoned and the rest are unfinished. Overtime still open at the end closes at ``end_s``.

Data structures: contacts join in sorted order, so each class's FIFO queue is a slice of one
array of contact numbers with a head and a tail pointer; window events are pre-sorted into
SimPy's order. Pending completions sit in a bucket queue keyed by (time, contact): a ring of
time buckets (a quarter of the mean time between joins wide, so most hold no completion or
one), each a sorted list, with a 4-ary heap for those beyond the ring, so a completion costs
O(1) on average instead of a heap's O(log agents).
Agents with identical rows of ``can_serve`` form a skill group (computed before the kernel,
`_skill_groups`). A group's idle agents wait in a FIFO ordered by (idle since, agent): an agent
becomes idle at the current instant, which never decreases, so it joins at the back (ahead of
higher agent numbers of the same instant). Per channel with concurrency, the group's partly
loaded agents sit in an indexed binary heap keyed (contacts in hand, idle since, agent).
Choosing an agent for class k looks at the front of each group serving k (an idle agent has
fewer contacts in hand than any other), else at the heap tops for k's channel; an agent's state
change costs O(1) (idle) or O(log agents) (partly loaded) plus the classes of its group, whose
``avail_count[k]`` counts the available agents that may serve class k. The earlier dense scan
of every available agent per assignment made the engine's time grow with contacts × agents.
All state is preallocated: memory is linear in contacts and agents, and nothing is allocated
inside the loop.

The kernel is compiled by numba (imported only through `coverage.simulation._jit`, which explains
why) with an on-disk cache, so only the first process after a code change pays the compile time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coverage.simulation._jit import deferred_interrupts, kernel_arg, njit
from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED, EngineInput, EngineOutput

_NONE, _ALL = -2, -1  # agent modes; a mode >= 0 means "more contacts of that channel"
_RING_BUCKETS = 0  # buckets in the completion ring; 0: sized from the input (tests set 2 or 4)


@njit(nogil=True)
def _run(
    joined,
    deadline,
    handle,
    klass,
    class_priority,
    class_channel,
    concurrency,
    agent_group,
    cg_ptr,
    cg_idx,
    gc_ptr,
    gc_idx,
    wev_time,
    wev_agent,
    wev_is_end,
    wev_paid,
    n_ot_max,
    end_s,
    ring_buckets,
):  # pragma: no cover - compiled
    # One flat function on purpose: helper functions taking arrays cost numba reference-count
    # updates (atomic instructions) per call, which were a third of the run time.
    n = joined.shape[0]
    n_agents = agent_group.shape[0]
    n_classes = class_channel.shape[0]
    n_groups = gc_ptr.shape[0] - 1
    n_channels = concurrency.shape[0]
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
    # Available agents, per skill group, in the agent rule's order (contacts in hand, idle
    # since, file order). Set h = g < n_groups holds the idle agents (mode _ALL) of group g; set
    # h = n_groups + g * n_channels + ch the partly loaded agents of group g that may take more
    # contacts of channel ch. An agent is in at most one set (`agent_set`), under the key it had
    # when it entered (`key_hand`, `key_idle`); every state change marks the agent dirty and its
    # refresh moves or re-keys it.
    # * Idle agents enter with idle since = now, and now never decreases, so an idle set is a
    #   FIFO sorted by (idle since, agent): an entry goes in at the back (moved in front of
    #   entries of the same instant with a higher agent number), the best is at the front. An
    #   agent that leaves the set leaves its entry behind, stale (its stamp no longer matches);
    #   stale entries are skipped at the front and dropped when the group's buffer is full.
    # * Partly loaded agents sit in indexed binary heaps (their keys are not monotone).
    n_sets = n_groups * (1 + n_channels)
    group_start = np.zeros(n_groups + 1, dtype=np.int64)
    for a in range(n_agents):
        group_start[agent_group[a] + 1] += 1
    for g in range(n_groups):
        group_start[g + 1] += group_start[g]
    agent_set = np.full(n_agents, -1, dtype=np.int64)
    idle_agent = np.empty(2 * (n_agents + n_groups), dtype=np.int64)  # FIFO entries: agent,
    idle_time = np.empty(2 * (n_agents + n_groups))  # its idle since, and the stamp it got
    idle_stamp = np.empty(2 * (n_agents + n_groups), dtype=np.int64)
    agent_stamp = np.zeros(n_agents, dtype=np.int64)  # stamp of the agent's live entry
    n_stamps = 0
    idle_base = np.empty(n_groups, dtype=np.int64)  # group g's buffer: [base, stop), twice its
    idle_stop = np.empty(n_groups, dtype=np.int64)  # size plus 2; entries in [lo, hi)
    idle_lo = np.empty(n_groups, dtype=np.int64)
    idle_hi = np.empty(n_groups, dtype=np.int64)
    for g in range(n_groups):
        idle_base[g] = 2 * (group_start[g] + g)
        idle_stop[g] = 2 * (group_start[g + 1] + g + 1)
        idle_lo[g] = idle_base[g]
        idle_hi[g] = idle_base[g]
    heap_off = np.zeros(n_sets, dtype=np.int64)  # start of each partly-loaded heap in `heap`
    heap_size = np.zeros(n_sets, dtype=np.int64)
    for g in range(n_groups):
        for ch in range(n_channels):
            heap_off[n_groups + g * n_channels + ch] = ch * n_agents + group_start[g]
    heap = np.empty(n_agents * n_channels, dtype=np.int64)
    agent_pos = np.zeros(n_agents, dtype=np.int64)  # position in its heap
    key_hand = np.zeros(n_agents, dtype=np.int64)
    key_idle = np.zeros(n_agents)
    n_avail = 0  # agents in a set
    avail_count = np.zeros(n_classes, dtype=np.int64)  # available agents that may serve k
    gc_channel = np.empty(gc_idx.shape[0], dtype=np.int64)  # channel of each group's class
    for j in range(gc_idx.shape[0]):
        gc_channel[j] = class_channel[gc_idx[j]]
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
    class_members = np.empty(n, dtype=np.int32)  # int32: half the memory (n < 2**31)
    for c in range(n):
        class_members[tail[klass[c]]] = c
        tail[klass[c]] += 1
    tail[:] = head
    waiting = 0

    max_conc = 1
    for ch in range(concurrency.shape[0]):
        max_conc = max(max_conc, concurrency[ch])
    cap = n_agents * max_conc + 1
    # Pending completions (time, contact, agent), taken in (time, contact) order, sit in a
    # bucket queue: time is cut into buckets of `width` s (a quarter of the mean time between
    # joins: a list rarely holds more than one completion, so inserting into it seldom walks;
    # skipping empty buckets is a cheap sequential scan; wider buckets, e.g. two joins' time,
    # were 3-4 % slower in the default scenario) and the `n_buckets` buckets from `cur_b` (the
    # bucket of the last completion)
    # on form a ring, each bucket a list sorted by (time, contact). A completion is never
    # earlier than now, so the ring only moves forward; one beyond the ring waits in a 4-ary
    # heap (`ht`, `hc`, `ha`) and moves into the ring when the ring reaches it. `next_done` is
    # the earliest pending completion. A binary heap costs O(log agents) per completion, which
    # made the engine's time per contact grow with the number of agents.
    # A contact's end is written when it starts (writing it when it ends was a cache miss per
    # contact on large inputs: contacts end out of order).
    inv_width = 1.0
    if n > 0 and end_s > joined[0]:
        inv_width = 4.0 * n / (end_s - joined[0])
    n_buckets = 1024
    while n_buckets < 4 * cap:
        n_buckets *= 2
    if ring_buckets > 0:  # a power of two given by the caller (tests: a tiny ring)
        n_buckets = ring_buckets
    ring_mask = n_buckets - 1
    bucket_head = np.full(n_buckets, -1, dtype=np.int64)  # first slot of each bucket's list
    slot_t = np.empty(cap)
    slot_c = np.empty(cap, dtype=np.int64)
    slot_a = np.empty(cap, dtype=np.int64)
    slot_next = np.empty(cap, dtype=np.int64)
    free_slots = np.arange(cap)
    n_free = cap
    n_ring = 0
    cur_b = 0
    next_done = np.inf
    ht = np.empty(cap)
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
        if next_done < t:
            t = next_done
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
        while next_done == t:
            cur_b = np.int64(np.floor(min(t * inv_width, 4e18)))  # the ring starts at now
            while hsize > 0 and np.floor(min(ht[0] * inv_width, 4e18)) < cur_b + n_buckets:
                xt = ht[0]  # into the ring: pop the heap's root
                xc = hc[0]
                xa = ha[0]
                hsize -= 1
                if hsize > 0:
                    yt = ht[hsize]
                    yc = hc[hsize]
                    ya = ha[hsize]
                    i = 0
                    while True:
                        m = 4 * i + 1
                        if m >= hsize:
                            break
                        last = min(m + 4, hsize)
                        mt = ht[m]
                        mc = hc[m]
                        for j in range(m + 1, last):  # the least child, without branches
                            tj = ht[j]
                            cj = hc[j]
                            less = (tj < mt) | ((tj == mt) & (cj < mc))
                            m = j if less else m
                            mt = tj if less else mt
                            mc = cj if less else mc
                        if mt < yt or (mt == yt and mc < yc):
                            ht[i] = mt
                            hc[i] = mc
                            ha[i] = ha[m]
                            i = m
                        else:
                            break
                    ht[i] = yt
                    hc[i] = yc
                    ha[i] = ya
                pos = np.int64(np.floor(min(xt * inv_width, 4e18))) & ring_mask
                n_free -= 1
                q = free_slots[n_free]
                slot_t[q] = xt
                slot_c[q] = xc
                slot_a[q] = xa
                prev = -1
                cur = bucket_head[pos]
                while cur >= 0 and (slot_t[cur] < xt or (slot_t[cur] == xt and slot_c[cur] < xc)):
                    prev = cur
                    cur = slot_next[cur]
                slot_next[q] = cur
                if prev < 0:
                    bucket_head[pos] = q
                else:
                    slot_next[prev] = q
                n_ring += 1
            pos = cur_b & ring_mask  # the earliest completion heads the bucket of now
            q = bucket_head[pos]
            bucket_head[pos] = slot_next[q]
            free_slots[n_free] = q
            n_free += 1
            n_ring -= 1
            a = slot_a[q]  # (its contact's end time was written when it started)
            if n_ring > 0:  # the next one heads the first non-empty bucket
                b = cur_b
                while bucket_head[b & ring_mask] < 0:
                    b += 1
                next_done = slot_t[bucket_head[b & ring_mask]]
            elif hsize > 0:
                next_done = ht[0]
            else:
                next_done = np.inf
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
        ap_before = ap
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
        # the one waiting contact joined just now: the first pass need look at its class only
        solo = klass[ap - 1] if ap > ap_before and waiting == 1 else -1

        # 4. the assignment step, refreshing the modes of agents whose state changed first
        while True:
            for q in range(n_dirty):  # in marking order: a crew's starts enter in file order
                a = dirty[q]
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
                if new == old and (
                    new == _NONE or (key_hand[a] == in_hand[a] and key_idle[a] == idle_since[a])
                ):
                    continue
                if new != old:
                    g = agent_group[a]
                    for j in range(gc_ptr[g], gc_ptr[g + 1]):
                        ch = gc_channel[j]
                        if old == _ALL or old == ch:  # noqa: SIM109  (plain compares compile simplest)
                            avail_count[gc_idx[j]] -= 1
                        if new == _ALL or new == ch:  # noqa: SIM109
                            avail_count[gc_idx[j]] += 1
                    mode[a] = new
                h = agent_set[a]
                if h >= n_groups and new == old:  # re-keyed in its heap: sift it in place
                    key_hand[a] = in_hand[a]
                    key_idle[a] = idle_since[a]
                    off = heap_off[h]
                    size = heap_size[h]
                    i = agent_pos[a]
                    moved = False
                    while i > 0:  # sift up
                        p = (i - 1) >> 1
                        y = heap[off + p]
                        if key_hand[a] < key_hand[y] or (
                            key_hand[a] == key_hand[y]
                            and (
                                key_idle[a] < key_idle[y] or (key_idle[a] == key_idle[y] and a < y)
                            )
                        ):
                            heap[off + i] = y
                            agent_pos[y] = i
                            i = p
                            moved = True
                        else:
                            break
                    while not moved:  # sift down
                        m = 2 * i + 1
                        if m >= size:
                            break
                        y = heap[off + m]
                        if m + 1 < size:
                            z = heap[off + m + 1]
                            if key_hand[z] < key_hand[y] or (
                                key_hand[z] == key_hand[y]
                                and (
                                    key_idle[z] < key_idle[y]
                                    or (key_idle[z] == key_idle[y] and z < y)
                                )
                            ):
                                m += 1
                                y = z
                        if key_hand[y] < key_hand[a] or (
                            key_hand[y] == key_hand[a]
                            and (
                                key_idle[y] < key_idle[a]
                                or (key_idle[y] == key_idle[a] and y < a)
                            )
                        ):
                            heap[off + i] = y
                            agent_pos[y] = i
                            i = m
                        else:
                            break
                    heap[off + i] = a
                    agent_pos[a] = i
                    continue
                if h >= 0:  # take `a` out
                    agent_set[a] = -1
                    n_avail -= 1
                if h >= n_groups:  # from a heap: its last entry fills the place
                    off = heap_off[h]
                    size = heap_size[h] - 1
                    heap_size[h] = size
                    i = agent_pos[a]
                    if i < size:
                        x = heap[off + size]
                        moved = False
                        while i > 0:  # sift up
                            p = (i - 1) >> 1
                            y = heap[off + p]
                            if key_hand[x] < key_hand[y] or (
                                key_hand[x] == key_hand[y]
                                and (
                                    key_idle[x] < key_idle[y]
                                    or (key_idle[x] == key_idle[y] and x < y)
                                )
                            ):
                                heap[off + i] = y
                                agent_pos[y] = i
                                i = p
                                moved = True
                            else:
                                break
                        while not moved:  # sift down
                            m = 2 * i + 1
                            if m >= size:
                                break
                            y = heap[off + m]
                            if m + 1 < size:
                                z = heap[off + m + 1]
                                if key_hand[z] < key_hand[y] or (
                                    key_hand[z] == key_hand[y]
                                    and (
                                        key_idle[z] < key_idle[y]
                                        or (key_idle[z] == key_idle[y] and z < y)
                                    )
                                ):
                                    m += 1
                                    y = z
                            if key_hand[y] < key_hand[x] or (
                                key_hand[y] == key_hand[x]
                                and (
                                    key_idle[y] < key_idle[x]
                                    or (key_idle[y] == key_idle[x] and y < x)
                                )
                            ):
                                heap[off + i] = y
                                agent_pos[y] = i
                                i = m
                            else:
                                break
                        heap[off + i] = x
                        agent_pos[x] = i
                if new == _ALL:  # to the back of its group's idle FIFO
                    g = agent_group[a]
                    key_hand[a] = 0
                    key_idle[a] = idle_since[a]
                    agent_set[a] = g
                    n_avail += 1
                    lo = idle_lo[g]
                    hi = idle_hi[g]
                    if hi == idle_stop[g]:  # full: drop the stale entries
                        w = idle_base[g]
                        for i in range(lo, hi):
                            b = idle_agent[i]
                            if agent_set[b] == g and agent_stamp[b] == idle_stamp[i] and b != a:
                                idle_agent[w] = b
                                idle_time[w] = idle_time[i]
                                idle_stamp[w] = idle_stamp[i]
                                w += 1
                        lo = idle_base[g]
                        hi = w
                        idle_lo[g] = lo
                    i = hi
                    idle_hi[g] = hi + 1
                    x_time = idle_since[a]
                    while i > lo and (
                        idle_time[i - 1] > x_time
                        or (idle_time[i - 1] == x_time and idle_agent[i - 1] > a)
                    ):
                        idle_agent[i] = idle_agent[i - 1]
                        idle_time[i] = idle_time[i - 1]
                        idle_stamp[i] = idle_stamp[i - 1]
                        i -= 1
                    n_stamps += 1
                    idle_agent[i] = a
                    idle_time[i] = x_time
                    idle_stamp[i] = n_stamps
                    agent_stamp[a] = n_stamps
                elif new != _NONE:  # into its heap of partly loaded agents
                    g = agent_group[a]
                    h = n_groups + g * n_channels + new
                    key_hand[a] = in_hand[a]
                    key_idle[a] = idle_since[a]
                    off = heap_off[h]
                    i = heap_size[h]
                    heap_size[h] = i + 1
                    agent_set[a] = h
                    n_avail += 1
                    while i > 0:  # sift up
                        p = (i - 1) >> 1
                        y = heap[off + p]
                        if key_hand[a] < key_hand[y] or (
                            key_hand[a] == key_hand[y]
                            and (
                                key_idle[a] < key_idle[y] or (key_idle[a] == key_idle[y] and a < y)
                            )
                        ):
                            heap[off + i] = y
                            agent_pos[y] = i
                            i = p
                        else:
                            break
                    heap[off + i] = a
                    agent_pos[a] = i
            n_dirty = 0
            if waiting == 0 or n_avail == 0:
                break
            best_k = -1
            best_c = -1
            k_first, k_stop = 0, n_classes
            if solo >= 0:  # every other class's queue is empty
                k_first, k_stop = solo, solo + 1
                solo = -1
            for k in range(k_first, k_stop):
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
            # the best idle agent over the groups serving the class, else the best partly loaded
            # one holding this channel (an idle agent has fewer contacts in hand than any other)
            best_a = -1
            for j in range(cg_ptr[best_k], cg_ptr[best_k + 1]):
                g = cg_idx[j]
                lo = idle_lo[g]
                hi = idle_hi[g]
                while lo < hi and not (
                    agent_set[idle_agent[lo]] == g and agent_stamp[idle_agent[lo]] == idle_stamp[lo]
                ):
                    lo += 1  # a stale entry
                idle_lo[g] = lo
                if lo < hi:
                    b = idle_agent[lo]
                    if (
                        best_a < 0
                        or key_idle[b] < key_idle[best_a]
                        or (key_idle[b] == key_idle[best_a] and b < best_a)
                    ):
                        best_a = b
            if best_a < 0:
                for j in range(cg_ptr[best_k], cg_ptr[best_k + 1]):
                    h = n_groups + cg_idx[j] * n_channels + ch
                    if heap_size[h] > 0:
                        b = heap[heap_off[h]]
                        if (
                            best_a < 0
                            or key_hand[b] < key_hand[best_a]
                            or (
                                key_hand[b] == key_hand[best_a]
                                and (
                                    key_idle[b] < key_idle[best_a]
                                    or (key_idle[b] == key_idle[best_a] and b < best_a)
                                )
                            )
                        ):
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
            xt = t + handle[best_c]  # the completion: into the ring, or the heap beyond it
            ended[best_c] = xt  # the instant it will pop; NaN again if that is past the end
            next_done = min(next_done, xt)
            b = np.int64(np.floor(min(xt * inv_width, 4e18)))
            if b < cur_b + n_buckets:
                pos = b & ring_mask
                n_free -= 1
                q = free_slots[n_free]
                slot_t[q] = xt
                slot_c[q] = best_c
                slot_a[q] = a
                prev = -1
                cur = bucket_head[pos]
                while cur >= 0 and (
                    slot_t[cur] < xt or (slot_t[cur] == xt and slot_c[cur] < best_c)
                ):
                    prev = cur
                    cur = slot_next[cur]
                slot_next[q] = cur
                if prev < 0:
                    bucket_head[pos] = q
                else:
                    slot_next[prev] = q
                n_ring += 1
            else:
                i = hsize
                hsize += 1
                while i > 0:
                    p = (i - 1) >> 2
                    if xt < ht[p] or (xt == ht[p] and best_c < hc[p]):
                        ht[i] = ht[p]
                        hc[i] = hc[p]
                        ha[i] = ha[p]
                        i = p
                    else:
                        break
                ht[i] = xt
                hc[i] = best_c
                ha[i] = a

    for i in range(hsize):
        ended[hc[i]] = np.nan  # still in service when the drain ends
    for pos in range(n_buckets):
        q = bucket_head[pos]
        while q >= 0:
            ended[slot_c[q]] = np.nan
            q = slot_next[q]
    for i in range(n_ot):
        if np.isnan(ot_end[i]):
            ot_end[i] = end_s  # still busy when the drain ends
    left = np.empty(n)
    for c in range(n):
        if outcome[c] == UNFINISHED and deadline[c] < end_s:
            outcome[c] = ABANDONED  # left before reaching the head of its queue
        left[c] = deadline[c] if outcome[c] == ABANDONED else np.nan
    return (
        outcome,
        started,
        ended,
        left,
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


def _skill_groups(
    can_serve: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Agents grouped by the classes they may serve (identical rows of `can_serve`).

    Parameters
    ----------
    can_serve : bool array (n_agents, n_classes)
        Whether each agent may serve each routing class.

    Returns
    -------
    agent_group : int64 array (n_agents,)
        Each agent's skill group, 0 .. n_groups - 1.
    class_group_ptr, class_group : int64 arrays (n_classes + 1,), (n_links,)
        The groups serving class k are ``class_group[class_group_ptr[k]:class_group_ptr[k + 1]]``.
    group_class_ptr, group_class : int64 arrays (n_groups + 1,), (n_links,)
        The classes group g serves, likewise.
    """
    n_agents, n_classes = can_serve.shape
    if n_agents == 0:
        group_serves = np.zeros((0, n_classes), dtype=bool)
        agent_group = np.zeros(0, dtype=np.int64)
    else:
        rows = np.packbits(can_serve, axis=1)  # one byte per 8 classes: rows compare as bytes
        if rows.shape[1] == 0:
            rows = np.zeros((n_agents, 1), dtype=np.uint8)
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        agent_group = np.asarray(inverse, dtype=np.int64).reshape(-1)
        group_serves = can_serve[first]
    g_of, k_of = np.nonzero(group_serves)  # sorted by group, then class
    group_class_ptr = np.zeros(len(group_serves) + 1, dtype=np.int64)
    np.cumsum(np.bincount(g_of, minlength=len(group_serves)), out=group_class_ptr[1:])
    order = np.lexsort((g_of, k_of))  # by class, then group
    class_group_ptr = np.zeros(n_classes + 1, dtype=np.int64)
    np.cumsum(np.bincount(k_of, minlength=n_classes), out=class_group_ptr[1:])
    return (
        agent_group,
        class_group_ptr,
        np.ascontiguousarray(g_of[order], dtype=np.int64),
        group_class_ptr,
        np.ascontiguousarray(k_of, dtype=np.int64),
    )


def _kernel_args(inp: EngineInput) -> tuple[Any, ...]:
    wev_time, wev_agent, wev_is_end, wev_paid = _window_events(inp)
    agent_group, cg_ptr, cg_idx, gc_ptr, gc_idx = _skill_groups(kernel_arg(inp.can_serve, np.bool_))
    return (
        kernel_arg(inp.joined_at_s, np.float64),
        kernel_arg(inp.deadline_s, np.float64),
        kernel_arg(inp.handle_s, np.float64),
        kernel_arg(inp.klass, np.int32),
        kernel_arg(inp.class_priority, np.int64),
        kernel_arg(inp.class_channel, np.int64),
        kernel_arg(inp.channel_concurrency, np.int64),
        agent_group,
        cg_ptr,
        cg_idx,
        gc_ptr,
        gc_idx,
        wev_time,
        wev_agent,
        wev_is_end,
        wev_paid,
        int(wev_is_end.sum()),
        float(inp.end_s),
        int(_RING_BUCKETS),
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
    outcome, started, ended, left, agent, ot_agent, ot_start, ot_end, ot_paid = _run(
        *_kernel_args(inp)
    )
    return EngineOutput(
        outcome=outcome,
        started_at_s=started,
        ended_at_s=ended,
        left_at_s=left,
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

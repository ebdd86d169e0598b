"""The discrete-event engine (SimPy): the readable reference implementation.

One call simulates one (plan, replication) from an
:class:`~coverage.simulation.dispatch.EngineInput`: the
contacts joining the agent queue (already drawn), the agents' duty windows and the routing
classes. It is a deterministic function of its input; `coverage.simulation.dispatch` states the
routing
rule, and `coverage.simulation.fast_engine` implements the same rule compiled.

How the event order of docs/model.md is kept: every state change (service completion, window end,
window start, a contact joining) is an ordinary SimPy event; the assignment step is an event of
lower precedence (priority 2, after SimPy's NORMAL = 1) scheduled at most once per instant, so it
runs after everything else that happens at that instant. Abandonment is resolved lazily: a
contact whose deadline has passed when it reaches the head of its queue left at its deadline.
"""

from __future__ import annotations

from collections import deque
from typing import cast

import numpy as np
import simpy
from simpy.events import EventPriority

from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED, EngineInput, EngineOutput

# after simpy's URGENT (0) and NORMAL (1) events of the same instant
ASSIGN_PRIORITY = EventPriority(2)


class _AssignStep(simpy.Event):
    """An event already triggered, scheduled after every NORMAL event of the current instant."""

    def __init__(self, env: simpy.Environment):
        super().__init__(env)
        self._ok = True  # as simpy.Timeout does: born triggered, value None
        self._value = None
        env.schedule(self, ASSIGN_PRIORITY)


def simulate(inp: EngineInput) -> EngineOutput:
    """Simulate one plan on one replication's contacts (SimPy reference engine).

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
    env = simpy.Environment()
    n = len(inp.joined_at_s)
    n_agents, n_classes = inp.can_serve.shape
    joined = inp.joined_at_s.tolist()
    deadline = inp.deadline_s.tolist()
    handle = inp.handle_s.tolist()
    klass = inp.klass.tolist()
    prio = inp.class_priority.tolist()
    class_channel = inp.class_channel.tolist()
    concurrency = inp.channel_concurrency.tolist()

    outcome = [UNFINISHED] * n
    started = [np.nan] * n
    ended = [np.nan] * n
    served_by = [-1] * n
    ot_agent: list[int] = []
    ot_start: list[float] = []
    ot_end: list[float] = []
    ot_paid: list[bool] = []

    # classes each agent may serve: all, and those of each channel (shared frozensets, so a
    # refresh compares identities)
    empty: frozenset[int] = frozenset()
    all_classes = [frozenset(np.flatnonzero(inp.can_serve[a]).tolist()) for a in range(n_agents)]
    by_channel = [
        {
            ch: frozenset(k for k in all_classes[a] if class_channel[k] == ch)
            for ch in set(class_channel)
        }
        for a in range(n_agents)
    ]
    on_duty = [False] * n_agents
    leaving = [False] * n_agents
    in_hand = [0] * n_agents
    hand_channel = [-1] * n_agents
    idle_since = [0.0] * n_agents
    offered_to = [empty] * n_agents
    overtime_row = [-1] * n_agents
    avail_count = [0] * n_classes
    available: set[int] = set()
    queues: list[deque[int]] = [deque() for _ in range(n_classes)]
    waiting = 0
    assign_pending = False

    def refresh(a: int) -> None:
        """Recount which classes agent `a` is available for."""
        if not on_duty[a]:
            new = empty
        elif in_hand[a] == 0:
            new = all_classes[a]
        elif in_hand[a] < concurrency[hand_channel[a]]:
            new = by_channel[a][hand_channel[a]]
        else:
            new = empty
        old = offered_to[a]
        if new is old:
            return
        for k in old:
            avail_count[k] -= 1
        for k in new:
            avail_count[k] += 1
        offered_to[a] = new
        if new:
            available.add(a)
        else:
            available.discard(a)

    def request_assignment() -> None:
        nonlocal assign_pending
        if not assign_pending:
            assign_pending = True
            _AssignStep(env).callbacks.append(assign)

    def assign(_event: simpy.Event) -> None:
        nonlocal assign_pending, waiting
        assign_pending = False
        now = env.now
        while available and waiting:
            best_k, best_key = -1, None
            for k in range(n_classes):
                if not avail_count[k]:
                    continue
                q = queues[k]
                while q and deadline[q[0]] <= now:  # left at its deadline, before this instant
                    c = q.popleft()
                    waiting -= 1
                    outcome[c] = ABANDONED
                if q:
                    key = (prio[k], joined[q[0]], q[0])
                    if best_key is None or key < best_key:
                        best_k, best_key = k, key
            if best_k < 0:
                return
            c = queues[best_k].popleft()
            waiting -= 1
            a = min(
                (b for b in available if best_k in offered_to[b]),
                key=lambda b: (in_hand[b], idle_since[b], b),
            )
            outcome[c] = ANSWERED
            started[c] = now
            served_by[c] = a
            in_hand[a] += 1
            hand_channel[a] = class_channel[best_k]
            refresh(a)
            env.timeout(handle[c], value=(a, c)).callbacks.append(complete)

    def complete(event: simpy.Event) -> None:
        a, c = cast(tuple[int, int], event.value)  # set by the timeout in `assign`
        ended[c] = env.now
        in_hand[a] -= 1
        if in_hand[a] == 0:
            hand_channel[a] = -1
            idle_since[a] = env.now
            if leaving[a]:
                leaving[a] = False
                ot_end[overtime_row[a]] = env.now
        refresh(a)
        if waiting and available:
            request_assignment()

    def window_start(event: simpy.Event) -> None:
        a = cast(int, event.value)  # set by the window timeouts below
        if leaving[a]:  # still finishing work from its previous window
            leaving[a] = False
            ot_end[overtime_row[a]] = env.now
        on_duty[a] = True
        if in_hand[a] == 0:
            idle_since[a] = env.now
        refresh(a)
        if waiting:
            request_assignment()

    def window_end(event: simpy.Event) -> None:
        a, paid_end = cast(tuple[int, bool], event.value)  # set by the window timeouts below
        on_duty[a] = False
        if in_hand[a]:
            leaving[a] = True
            overtime_row[a] = len(ot_agent)
            ot_agent.append(a)
            ot_start.append(env.now)
            ot_end.append(np.nan)
            ot_paid.append(paid_end)
        refresh(a)

    def feed_arrivals():  # a SimPy process: contacts join the queue at their times
        nonlocal waiting
        for c in range(n):
            if joined[c] > env.now:
                yield env.timeout(joined[c] - env.now)
            queues[klass[c]].append(c)
            waiting += 1
            if available:
                request_assignment()

    for a, start, end, paid_end in zip(
        inp.window_agent.tolist(),
        inp.window_start_s.tolist(),
        inp.window_end_s.tolist(),
        inp.window_paid_end.tolist(),
        strict=True,
    ):
        env.timeout(start, value=a).callbacks.append(window_start)
        if end < inp.end_s:
            env.timeout(end, value=(a, paid_end)).callbacks.append(window_end)
    env.process(feed_arrivals())
    env.run(until=inp.end_s)

    out = np.asarray(outcome, dtype=np.int8)
    dl = np.asarray(deadline)
    gone = (out == UNFINISHED) & (dl < inp.end_s)  # left while waiting, never reached the head
    out[gone] = ABANDONED
    left = np.where(out == ABANDONED, dl, np.nan)
    ot_end_arr = np.asarray(ot_end, dtype=np.float64)
    ot_end_arr = np.where(np.isnan(ot_end_arr), inp.end_s, ot_end_arr)  # still busy at drain end
    return EngineOutput(
        outcome=out,
        started_at_s=np.asarray(started, dtype=np.float64),
        ended_at_s=np.asarray(ended, dtype=np.float64),
        left_at_s=left,
        agent=np.asarray(served_by, dtype=np.int32),
        overtime_agent=np.asarray(ot_agent, dtype=np.int32),
        overtime_start_s=np.asarray(ot_start, dtype=np.float64),
        overtime_end_s=ot_end_arr,
        overtime_paid=np.asarray(ot_paid, dtype=bool),
    )

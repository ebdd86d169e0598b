"""Tests for coverage.simulation.simpy_engine (the SimPy reference engine) on hand-built inputs.

All tests are kind 1 (unit): an EngineInput built by hand with deterministic times, so every
start, end and outcome is known exactly from the routing rules of docs/model.md ("Routing",
"Shifts and crews", "Horizon and drain") as `coverage.simulation.dispatch` states them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from coverage.simulation.dispatch import ABANDONED, ANSWERED, UNFINISHED, EngineInput, EngineOutput
from coverage.simulation.simpy_engine import simulate

INF = math.inf


@dataclass
class Case:
    """A hand-made engine input: classes, agents with windows, contacts."""

    classes: list[tuple[int, int]]  # (priority, channel) per class
    concurrency: list[int]  # per channel
    windows: list[tuple[int, float, float, bool]]  # (agent, start, end, paid_end)
    n_agents: int
    can_serve: list[list[bool]] | None = None  # (agent, class); default: everyone serves all
    contacts: list[tuple[float, float, float, int]] = field(default_factory=list)
    # (joined_at_s, handle_s, patience_s, class)
    end_s: float = 10_000.0

    def add(self, joined: float, handle: float, patience: float = INF, klass: int = 0) -> int:
        self.contacts.append((joined, handle, patience, klass))
        return len(self.contacts) - 1

    def run(self) -> EngineOutput:
        joined = np.array([c[0] for c in self.contacts], dtype=float)
        order = np.argsort(joined, kind="stable")
        assert np.array_equal(order, np.arange(len(joined))), "add contacts in joining order"
        windows = sorted(self.windows, key=lambda w: (w[1], w[0]))
        can = self.can_serve or [[True] * len(self.classes) for _ in range(self.n_agents)]
        inp = EngineInput(
            contact=np.arange(len(self.contacts), dtype=np.int64),
            joined_at_s=joined,
            deadline_s=joined + np.array([c[2] for c in self.contacts], dtype=float),
            handle_s=np.array([c[1] for c in self.contacts], dtype=float),
            klass=np.array([c[3] for c in self.contacts], dtype=np.int32),
            class_priority=np.array([k[0] for k in self.classes], dtype=np.int64),
            class_channel=np.array([k[1] for k in self.classes], dtype=np.int32),
            channel_concurrency=np.array(self.concurrency, dtype=np.int32),
            can_serve=np.array(can, dtype=bool).reshape(self.n_agents, len(self.classes)),
            window_agent=np.array([w[0] for w in windows], dtype=np.int32),
            window_start_s=np.array([w[1] for w in windows], dtype=float),
            window_end_s=np.array([w[2] for w in windows], dtype=float),
            window_paid_end=np.array([w[3] for w in windows], dtype=bool),
            end_s=self.end_s,
        )
        return simulate(inp)


def _one_queue(agents: int = 1, concurrency: int = 1, end_s: float = 10_000.0) -> Case:
    return Case(
        classes=[(1, 0)],
        concurrency=[concurrency],
        windows=[(a, 0.0, end_s, False) for a in range(agents)],
        n_agents=agents,
        end_s=end_s,
    )


def test_fcfs_single_agent_unit():
    # Unit: one agent, contacts served in joining order, back to back.
    case = _one_queue()
    for t in (0.0, 1.0, 2.0):
        case.add(t, 10.0)
    out = case.run()
    assert out.outcome.tolist() == [ANSWERED] * 3
    assert out.started_at_s.tolist() == [0.0, 10.0, 20.0]
    assert out.ended_at_s.tolist() == [10.0, 20.0, 30.0]
    assert out.agent.tolist() == [0, 0, 0]
    assert np.isnan(out.left_at_s).all()
    assert len(out.overtime_agent) == 0


def test_fcfs_within_a_channel_across_agents_unit():
    # Unit: two agents, four contacts at once: the first two start at once, the others in
    # joining order as agents free up (not by shortest handle time).
    case = _one_queue(agents=2)
    case.add(0.0, 30.0)
    case.add(0.0, 10.0)
    case.add(0.0, 5.0)
    case.add(0.0, 1.0)
    out = case.run()
    assert out.started_at_s.tolist() == [0.0, 0.0, 10.0, 15.0]
    assert out.agent.tolist() == [0, 1, 1, 1]


def test_priority_between_channels_unit():
    # Unit: when the agent frees up, the waiting contact of the lower priority number goes
    # first even though it joined later; equal priorities go by joining time.
    case = Case(
        classes=[(2, 0), (1, 1), (2, 2)],
        concurrency=[1, 1, 1],
        windows=[(0, 0.0, 10_000.0, False)],
        n_agents=1,
    )
    case.add(0.0, 10.0, klass=0)  # busy until 10
    case.add(1.0, 5.0, klass=0)  # priority 2, joined first
    case.add(2.0, 5.0, klass=2)  # priority 2, joined second
    case.add(3.0, 5.0, klass=1)  # priority 1, joined last
    out = case.run()
    assert out.started_at_s.tolist() == [0.0, 15.0, 20.0, 10.0]


def test_concurrency_slots_unit():
    # Unit: concurrency 2: one agent takes two contacts at once; the third waits for a slot.
    case = _one_queue(concurrency=2)
    case.add(0.0, 10.0)
    case.add(0.0, 20.0)
    case.add(0.0, 5.0)
    case.add(1.0, 5.0)
    out = case.run()
    assert out.started_at_s.tolist() == [0.0, 0.0, 10.0, 15.0]
    assert out.agent.tolist() == [0, 0, 0, 0]


def test_one_channel_at_a_time_per_agent_unit():
    # Unit: an agent holding a chat (concurrency 3) takes more chats but no phone call until its
    # hands are empty; then the phone call (priority 1) goes first.
    case = Case(
        classes=[(2, 0), (1, 1)],  # chat (channel 0), phone (channel 1)
        concurrency=[3, 1],
        windows=[(0, 0.0, 10_000.0, False)],
        n_agents=1,
    )
    case.add(0.0, 10.0, klass=0)  # chat: agent holds chat until 10
    case.add(1.0, 5.0, klass=1)  # phone: must wait although chat slots are free
    case.add(2.0, 4.0, klass=0)  # chat: joins the agent at once (slot 2 of 3)
    case.add(12.0, 3.0, klass=0)  # chat: agent is on the phone 10-15, waits
    out = case.run()
    assert out.started_at_s.tolist() == [0.0, 10.0, 2.0, 15.0]
    assert out.ended_at_s.tolist() == [10.0, 15.0, 6.0, 18.0]


def test_crew_change_overtime_and_incoming_crew_unit():
    # Unit: agent 0 on duty [0, 100) (paid end), agent 1 from 100. Agent 0 finishes its call
    # (overtime 100 → 120, paid) and takes nothing new; a contact waiting at 100 goes to agent 1
    # at once; one joining at 110 waits for agent 1 (agent 0 is leaving) although agent 0 frees
    # up at 120.
    case = Case(
        classes=[(1, 0)],
        concurrency=[1],
        windows=[(0, 0.0, 100.0, True), (1, 100.0, 10_000.0, False)],
        n_agents=2,
    )
    case.add(90.0, 30.0)  # agent 0, 90 → 120
    case.add(95.0, 50.0)  # waits; agent 1 at 100 → 150
    case.add(110.0, 5.0)  # waits for agent 1 until 150
    out = case.run()
    assert out.started_at_s.tolist() == [90.0, 100.0, 150.0]
    assert out.agent.tolist() == [0, 1, 1]
    assert out.overtime_agent.tolist() == [0]
    assert out.overtime_start_s.tolist() == [100.0]
    assert out.overtime_end_s.tolist() == [120.0]
    assert out.overtime_paid.tolist() == [True]


def test_free_agent_leaves_at_once_at_shift_end_unit():
    # Unit: an idle agent whose window ends leaves: no overtime row; later contacts wait for the
    # next window of the same agent.
    case = Case(
        classes=[(1, 0)],
        concurrency=[1],
        windows=[(0, 0.0, 100.0, True), (0, 200.0, 10_000.0, False)],
        n_agents=1,
    )
    case.add(10.0, 5.0)
    case.add(100.0, 5.0)  # joins exactly at the shift end: the agent has already left
    out = case.run()
    assert out.started_at_s.tolist() == [10.0, 200.0]
    assert len(out.overtime_agent) == 0


def test_crew_change_at_the_same_instant_as_an_arrival_unit():
    # Unit: event order at one instant: shift end, shift start, arrival, assignment. A contact
    # joining at 100 goes to the incoming agent 1, never to the outgoing agent 0.
    case = Case(
        classes=[(1, 0)],
        concurrency=[1],
        windows=[(0, 0.0, 100.0, True), (1, 100.0, 10_000.0, False)],
        n_agents=2,
    )
    case.add(100.0, 5.0)
    out = case.run()
    assert out.agent.tolist() == [1]
    assert out.started_at_s.tolist() == [100.0]


def test_abandonment_at_deadline_beats_assignment_at_the_same_instant_unit():
    # Unit: the agent frees up at 10, exactly the deadline of contact 1 (joined 1, patience 9):
    # abandonments run before assignments, so it abandons at 10 and contact 2 is answered.
    case = _one_queue()
    case.add(0.0, 10.0)
    case.add(1.0, 5.0, patience=9.0)
    case.add(2.0, 5.0, patience=100.0)
    out = case.run()
    assert out.outcome.tolist() == [ANSWERED, ABANDONED, ANSWERED]
    assert out.left_at_s[1] == pytest.approx(10.0, abs=0)
    assert np.isnan(out.started_at_s[1])
    assert out.agent[1] == -1
    assert out.started_at_s[2] == pytest.approx(10.0, abs=0)


def test_abandonment_just_after_assignment_is_answered_unit():
    # Unit: a deadline a hair after the agent frees up: the contact is answered.
    case = _one_queue()
    case.add(0.0, 10.0)
    case.add(1.0, 5.0, patience=9.0 + 1e-9)
    out = case.run()
    assert out.outcome.tolist() == [ANSWERED, ANSWERED]
    assert out.started_at_s[1] == pytest.approx(10.0, abs=0)


def test_abandoners_never_use_an_agent_unit():
    # Unit: an abandoner deep in the queue leaves at its deadline (left_at = joined + patience)
    # and the contacts behind it move up.
    case = _one_queue()
    case.add(0.0, 100.0)
    case.add(1.0, 10.0, patience=20.0)  # leaves at 21
    case.add(2.0, 10.0, patience=50.0)  # leaves at 52
    case.add(3.0, 10.0)  # answered at 100
    out = case.run()
    assert out.outcome.tolist() == [ANSWERED, ABANDONED, ABANDONED, ANSWERED]
    assert out.left_at_s[1:3].tolist() == [21.0, 52.0]
    assert out.started_at_s[3] == pytest.approx(100.0, abs=0)


def test_agent_choice_fewest_in_hand_then_file_order_unit():
    # Unit: concurrency 3, two agents. Contact 0: both empty, both idle since 0 → file order
    # (agent 0). Contact 1: agent 1 holds fewer. Contact 2: both hold one, both idle since 0
    # → file order (agent 0). Contact 3: agent 1 holds fewer.
    case = _one_queue(agents=2, concurrency=3)
    for t in (0.0, 1.0, 2.0, 3.0):
        case.add(t, 100.0)
    out = case.run()
    assert out.agent.tolist() == [0, 1, 0, 1]


def test_agent_choice_idle_longest_unit():
    # Unit: agent 1 has been idle since 2, agent 0 only since 5: a contact joining at 10 goes
    # to agent 1 (idle longest), although file order would prefer agent 0.
    case = _one_queue(agents=2)
    case.add(0.0, 5.0)  # agent 0 (file order), free at 5
    case.add(1.0, 1.0)  # agent 1 (fewest in hand), free at 2
    case.add(10.0, 1.0)
    out = case.run()
    assert out.agent.tolist() == [0, 1, 1]


def test_agent_choice_idle_longest_counts_from_coming_on_duty_unit():
    # Unit: agent 1 came on duty at 0, agent 0 at 50: at 60 agent 1 has been idle longer.
    case = Case(
        classes=[(1, 0)],
        concurrency=[1],
        windows=[(0, 50.0, 10_000.0, False), (1, 0.0, 10_000.0, False)],
        n_agents=2,
    )
    case.add(60.0, 1.0)
    out = case.run()
    assert out.agent.tolist() == [1]


def test_agents_only_take_classes_they_may_serve_unit():
    # Unit: agent 0 may serve class 0 only; a class-1 contact waits for agent 1's window.
    case = Case(
        classes=[(1, 0), (1, 1)],
        concurrency=[1, 1],
        windows=[(0, 0.0, 10_000.0, False), (1, 50.0, 10_000.0, False)],
        n_agents=2,
        can_serve=[[True, False], [True, True]],
    )
    case.add(0.0, 5.0, klass=1)
    out = case.run()
    assert out.agent.tolist() == [1]
    assert out.started_at_s.tolist() == [50.0]


def test_unfinished_at_end_of_drain_and_in_service_counts_answered_unit():
    # Unit: nobody on duty after 100: a contact joining at 150 is still waiting at the end of
    # the drain (unfinished). A contact in service at the end of the drain counts as answered
    # (its end is beyond the run: nan), and the overtime of an agent still busy then ends at
    # the drain end.
    case = Case(
        classes=[(1, 0)],
        concurrency=[1],
        windows=[(0, 0.0, 100.0, True)],
        n_agents=1,
        end_s=200.0,
    )
    case.add(90.0, 500.0)  # in service from 90, past the drain end at 200
    case.add(150.0, 5.0)  # nobody will take it
    case.add(160.0, 5.0, patience=100.0)  # deadline 260 is after the drain: unfinished too
    out = case.run()
    assert out.outcome.tolist() == [ANSWERED, UNFINISHED, UNFINISHED]
    assert out.started_at_s[0] == pytest.approx(90.0, abs=0)
    assert np.isnan(out.ended_at_s[0])
    assert np.isnan(out.started_at_s[1:]).all()
    assert np.isnan(out.left_at_s).all()
    assert out.overtime_start_s.tolist() == [100.0]
    assert out.overtime_end_s.tolist() == [200.0]


def test_abandonment_during_the_drain_unit():
    # Unit: a contact whose deadline falls before the drain ends abandons even if no agent
    # ever comes back.
    case = Case(
        classes=[(1, 0)],
        concurrency=[1],
        windows=[(0, 0.0, 10.0, True)],
        n_agents=1,
        end_s=200.0,
    )
    case.add(20.0, 5.0, patience=30.0)
    out = case.run()
    assert out.outcome.tolist() == [ABANDONED]
    assert out.left_at_s.tolist() == [50.0]


def test_no_contacts_unit():
    # Unit: an empty input runs and returns empty arrays.
    out = _one_queue().run()
    assert len(out.outcome) == 0
    assert len(out.overtime_agent) == 0

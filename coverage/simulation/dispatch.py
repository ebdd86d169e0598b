"""What an engine is fed and what it returns: the routing rules as arrays.

Both engines (the SimPy reference in `engine.py` and the compiled one in `fast_engine.py`) are
deterministic functions of an :class:`EngineInput`; everything random was drawn before.

**Classes.** Contacts that join the agent queue are grouped into classes
(effective priority, channel, language); a class is FCFS inside. An agent may serve a class when
its shift lists the channel and (for a contact with a language) speaks the language.

**The routing rule** (docs/model.md), as both engines implement it. After all the events of
one instant have run (completions and shift ends, shift starts, abandonments, arrivals), the
assignment step repeats: among the waiting contacts that some available agent may serve, take the
one with the lowest effective priority, then the earliest time of joining the queue, then the
lowest contact number; give it to the available agent with the fewest contacts in hand, then the
one idle longest (whose hands became empty earliest, or who came on duty earliest), then the
first in file order (site, shift, agent index). Stop when no such pair is left. An agent is
available for a class when it is on duty, not leaving, and holds fewer than the channel's
`concurrency` contacts, all of that class's channel. With one event per instant this is exactly
"a free agent takes the best contact it may serve" and "a joining contact goes to the best free
agent"; at a crew change it serves contacts in priority order.

**Abandonment** needs no event of its own: a contact waiting at its deadline (joined + patience)
leaves then; abandonments at an instant run before assignments, so a contact whose deadline is
the assignment instant has left. An engine may therefore detect it lazily when it reaches the
head of its queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coverage.demand.arrivals import Contacts
from coverage.demand.automation import BotOutcome
from coverage.scenario.model import Scenario
from coverage.simulation.roster import Roster

ANSWERED, ABANDONED, UNFINISHED = 1, 2, 3


@dataclass(frozen=True)
class EngineInput:
    """Everything an engine needs for one (plan, replication).

    Contact arrays hold only the contacts that join the agent queue, sorted by `joined_at_s`
    (ties by arrival order); `contact` maps them back to the replication's `Contacts`.
    """

    contact: np.ndarray  # int64 index into Contacts
    joined_at_s: np.ndarray  # float64 [s]
    deadline_s: np.ndarray  # float64 joined + patience [s] (inf: never abandons)
    handle_s: np.ndarray  # float64 [s]
    klass: np.ndarray  # int32 class of each contact
    class_priority: np.ndarray  # int64 (n_classes,)
    class_channel: np.ndarray  # int32 (n_classes,)
    channel_concurrency: np.ndarray  # int32 (n_channels,)
    can_serve: np.ndarray  # bool (n_agents, n_classes)
    window_agent: np.ndarray  # int32 (n_windows,) sorted by start
    window_start_s: np.ndarray  # float64
    window_end_s: np.ndarray  # float64
    window_paid_end: np.ndarray  # bool
    end_s: float  # end of the drain [s]


@dataclass(frozen=True)
class EngineOutput:
    """Outcome of every queued contact (aligned with `EngineInput.contact`) and agent overtime."""

    outcome: np.ndarray  # int8: ANSWERED, ABANDONED, UNFINISHED
    started_at_s: np.ndarray  # float64, service start (nan if not answered)
    ended_at_s: np.ndarray  # float64, service end (nan if not answered)
    left_at_s: np.ndarray  # float64, abandonment instant (nan otherwise)
    agent: np.ndarray  # int32, serving agent (-1 if not answered)
    overtime_agent: np.ndarray  # int32, agent finishing contacts after a window ended
    overtime_start_s: np.ndarray  # float64, the window end [s]
    overtime_end_s: np.ndarray  # float64, when its last contact ended [s]
    overtime_paid: np.ndarray  # bool, the window end was a paid shift end


@dataclass(frozen=True)
class QueueInput:
    """The part of an engine input that depends only on the contacts and the bot's outcome, not
    on the roster: plans with the same automation share it within a replication.

    Contact arrays hold the contacts that join the agent queue, sorted by `joined_at_s` (ties by
    arrival order), as in `EngineInput`; the class arrays are per routing class.
    """

    contact: np.ndarray  # int64 index into Contacts
    joined_at_s: np.ndarray  # float64 [s]
    deadline_s: np.ndarray  # float64 joined + patience [s] (inf: never abandons)
    handle_s: np.ndarray  # float64 [s]
    klass: np.ndarray  # int32 class of each contact
    class_priority: np.ndarray  # int64 (n_classes,)
    class_channel: np.ndarray  # int32 (n_classes,)
    class_language: np.ndarray  # int64 (n_classes,), -1: none
    channel_concurrency: np.ndarray  # int32 (n_channels,)


def build_engine_input(
    scenario: Scenario, contacts: Contacts, bot: BotOutcome, roster: Roster, end_s: float
) -> EngineInput:
    """Join a replication's contacts, the bot's outcome and a roster into engine arrays.

    Parameters
    ----------
    scenario : Scenario
        Channels (priority, concurrency, mode) and segments (priority).
    contacts : Contacts
        The replication's contacts (`coverage.demand.arrivals.draw_contacts`).
    bot : BotOutcome
        Which contacts the bot resolved, and when the others join the agent queue [s].
    roster : Roster
        The plan's agents, what they serve and their availability windows [s].
    end_s : float
        End of the drain: contacts still waiting then are unfinished [s].

    Returns
    -------
    EngineInput
        The queued (not deflected) contacts in order of joining, with their routing class,
        effective priority, handle time [s] and abandonment deadline [s], and the agents' windows.
    """
    return engine_input(queue_input(scenario, contacts, bot), roster, end_s)


def engine_input(queue: QueueInput, roster: Roster, end_s: float) -> EngineInput:
    """A roster's engine input on queued contacts (`queue_input`); the contact arrays are
    `queue`'s own, not copies.

    Parameters
    ----------
    queue : QueueInput
        The queued contacts and routing classes of a replication under a plan's automation.
    roster : Roster
        The plan's agents, what they serve and their availability windows [s].
    end_s : float
        End of the drain [s].

    Returns
    -------
    EngineInput
        As `build_engine_input` gives it.
    """
    return EngineInput(
        contact=queue.contact,
        joined_at_s=queue.joined_at_s,
        deadline_s=queue.deadline_s,
        handle_s=queue.handle_s,
        klass=queue.klass,
        class_priority=queue.class_priority,
        class_channel=queue.class_channel,
        channel_concurrency=queue.channel_concurrency,
        can_serve=class_can_serve(roster, queue.class_channel, queue.class_language),
        window_agent=roster.window_agent,
        window_start_s=roster.window_start_s,
        window_end_s=roster.window_end_s,
        window_paid_end=roster.window_paid_end,
        end_s=float(end_s),
    )


def queue_input(scenario: Scenario, contacts: Contacts, bot: BotOutcome) -> QueueInput:
    """The contacts that join the agent queue, in order of joining, and their routing classes.

    Parameters
    ----------
    scenario : Scenario
        Channels (priority, concurrency) and segments (priority).
    contacts : Contacts
        The replication's contacts.
    bot : BotOutcome
        Which contacts the bot resolved, and when the others join the agent queue [s].

    Returns
    -------
    QueueInput
        Index, joining time [s], deadline [s], handle time [s] and class of each queued contact;
        priority, channel and language of each class; concurrency of each channel.
    """
    n_seg, n_lang, n_combos = _code_strides(contacts)
    # a bot deflected some: one compiled pass finds the routing codes, one fills the queue (when
    # nobody is deflected, copies of whole columns are faster than a pass picking contacts)
    if n_combos <= max(len(contacts), 1 << 16) and bool(bot.deflected.any()):
        from coverage.simulation.input_kernels import (
            queue_fill,
            queue_fill_merged,
            queue_fill_ordered,
            queue_scan,
        )

        codes = tuple(
            np.ascontiguousarray(c, np.int16)
            for c in (contacts.channel, contacts.segment, contacts.language)
        )
        deflected = np.ascontiguousarray(bot.deflected, np.bool_)
        joined_all = np.ascontiguousarray(bot.joined_at_s, np.float64)
        present, n_queued, in_order = queue_scan(
            deflected, joined_all, codes, (n_seg, n_lang, n_combos)
        )
        combos = np.flatnonzero(present)
        uniq, class_of_present = _classes_of_combos(scenario, combos, n_seg, n_lang)
        class_of_combo = np.zeros(n_combos, np.int32)
        class_of_combo[combos] = class_of_present
        patience = np.ascontiguousarray(contacts.patience_s, np.float64)
        handles = np.ascontiguousarray(contacts.handle_s, np.float64)
        # when a bot delayed some, each channel's contacts still join in arrival order: merged
        fill = queue_fill if in_order else queue_fill_merged
        filled = fill(
            deflected,
            joined_all,
            patience,
            handles,
            codes,
            (n_seg, n_lang),
            class_of_combo,
            n_queued,
        )
        if filled is not None:
            queued, joined, deadline, handle, klass = filled
        else:  # not even per channel: by joining time, ties by arrival (deflected: nan, last)
            queued = np.argsort(joined_all, kind="stable")[:n_queued].copy()
            joined, deadline, handle, klass = queue_fill_ordered(
                queued, joined_all, patience, handles, codes, (n_seg, n_lang), class_of_combo
            )
    else:  # nobody deflected, or too many code combinations for a table: the numpy way
        queued = np.flatnonzero(~bot.deflected)
        everyone = len(queued) == len(contacts)  # nobody deflected: copies instead of gathers
        joined = bot.joined_at_s.copy() if everyone else bot.joined_at_s[queued]
        if len(joined) > 1 and not bool(np.all(joined[1:] >= joined[:-1])):  # bot delays
            order = np.lexsort((queued, joined))
            queued, joined = queued[order], joined[order]
            everyone = False  # queued is no longer 0, 1, ..., n - 1
            del order
        klass, uniq = _routing_classes(scenario, contacts, None if everyone else queued)
        deadline = joined + (contacts.patience_s if everyone else contacts.patience_s[queued])
        handle = contacts.handle_s.copy() if everyone else contacts.handle_s[queued]
    channels = list(scenario.channels.values())
    return QueueInput(
        contact=queued.astype(np.int64, copy=False),
        joined_at_s=joined.astype(np.float64, copy=False),
        deadline_s=deadline,
        handle_s=handle,
        klass=klass,
        class_priority=uniq[:, 0].astype(np.int64),
        class_channel=uniq[:, 1].astype(np.int32),
        class_language=uniq[:, 2].astype(np.int64),
        channel_concurrency=np.array([c.concurrency for c in channels], dtype=np.int32),
    )


def class_can_serve(
    roster: Roster, class_channel: np.ndarray, class_language: np.ndarray
) -> np.ndarray:
    """Which agent may serve which routing class: its shift serves the class's channel and, for a
    class with a language (code >= 0), the agent speaks it.

    Parameters
    ----------
    roster : Roster
        The agents' channels and languages.
    class_channel, class_language : numpy.ndarray
        Per class, the channel code and the language code (-1: none).

    Returns
    -------
    numpy.ndarray
        bool, C-contiguous, shape (agents, classes).
    """
    can_serve = roster.agent_channels[:, class_channel]
    speaks = class_language >= 0
    if speaks.any() and roster.n_agents:
        lang = np.where(speaks, class_language, 0)
        can_serve = can_serve & (~speaks | roster.agent_languages[:, lang])
    return np.ascontiguousarray(can_serve, dtype=bool).reshape(roster.n_agents, len(class_channel))


def _routing_classes(
    scenario: Scenario, contacts: Contacts, queued: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The routing class of each queued contact and the classes (priority, channel, language).

    Classes are the distinct (effective priority, channel, language) rows of the queued contacts
    in sorted order (as ``np.unique(axis=0)`` gives them). A contact's class depends only on its
    (channel, segment, language) codes, so the classes are found among the few code combinations
    present (one counting pass) instead of by sorting every contact.

    Parameters
    ----------
    scenario : Scenario
        Channel and segment priorities.
    contacts : Contacts
        The replication's contacts.
    queued : numpy.ndarray or None
        Indices of the contacts that join the agent queue, in order of joining; None when all
        join, in their order.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        int32 class of each queued contact; int64 (n_classes, 3) rows (priority, channel,
        language), language -1 for none.
    """
    n = len(contacts) if queued is None else len(queued)
    n_seg, n_lang, n_combos = _code_strides(contacts)
    # combo = (channel × n_seg + segment + 1) × n_lang + language + 1, built in place
    combo = (contacts.channel if queued is None else contacts.channel[queued]).astype(
        np.int32 if n_combos < 2**31 else np.int64
    )
    for codes, stride in ((contacts.segment, n_seg), (contacts.language, n_lang)):
        if stride > 1:
            combo *= stride
            combo += codes if queued is None else codes[queued]
            combo += 1
    counted = n_combos <= max(n, 1 << 16)
    if n_combos == 1:  # one combination (or no contact)
        present = np.zeros(min(n, 1), np.int64)
    elif counted:  # a counting pass finds the combinations present
        present = np.flatnonzero(np.bincount(combo, minlength=n_combos))
    else:  # too many possible combinations to count: sort the contacts' ones
        present = np.unique(combo).astype(np.int64)
    uniq, class_of_present = _classes_of_combos(scenario, present, n_seg, n_lang)
    if n_combos == 1:
        return np.zeros(n, np.int32), uniq
    if counted:
        class_of_combo = np.zeros(n_combos, np.int32)
        class_of_combo[present] = class_of_present
        return class_of_combo[combo], uniq
    return class_of_present[np.searchsorted(present, combo)], uniq


def _code_strides(contacts: Contacts) -> tuple[int, int, int]:
    """Strides of the routing code ``(channel × n_seg + segment + 1) × n_lang + language + 1``
    from the codes of all contacts (codes are >= -1): n_seg, n_lang and how many codes."""
    if not len(contacts):
        return 1, 1, 1
    n_ch = int(contacts.channel.max()) + 1
    n_seg = int(contacts.segment.max()) + 2  # segment + 1: 0 for none
    n_lang = int(contacts.language.max()) + 2  # language + 1: 0 for none
    return n_seg, n_lang, n_ch * n_seg * n_lang


def _classes_of_combos(
    scenario: Scenario, present: np.ndarray, n_seg: int, n_lang: int
) -> tuple[np.ndarray, np.ndarray]:
    """The routing classes of the code combinations `present` (sorted): int64 (n_classes, 3)
    rows (priority, channel, language) in sorted order, and the int32 class of each combination.
    """
    chan_prio = np.array([c.priority for c in scenario.channels.values()], dtype=np.int64)
    present = np.asarray(present, np.int64)
    c_lang = present % n_lang - 1
    c_seg = present // n_lang % n_seg - 1
    c_ch = present // (n_lang * n_seg)
    prio = chan_prio[c_ch]
    for s_idx, seg in enumerate(scenario.segments.values()):
        if seg.priority is not None:
            prio = np.where(c_seg == s_idx, seg.priority, prio)
    # classes = distinct (priority, channel, language) rows in sorted order; one packed int64
    # key per combination gives the same rows and order as np.unique(axis=0)
    # (priority is within ±1000, channel and language indices are int16)
    packed = ((prio + 1000) << 32) | (c_ch << 16) | (c_lang + 1)
    uniq_packed, class_of_present = np.unique(packed, return_inverse=True)
    uniq = np.stack(
        [(uniq_packed >> 32) - 1000, (uniq_packed >> 16) & 0xFFFF, (uniq_packed & 0xFFFF) - 1],
        axis=1,
    ).astype(np.int64)
    return uniq, np.asarray(class_of_present, np.int32).reshape(-1)

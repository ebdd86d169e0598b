"""Up-front estimates of a run's memory and time, sized to the machine (docs/reliability.md).

A run's peak memory in one process is about

    BASE_BYTES + contacts per replication × BYTES_PER_CONTACT + agent-days × BYTES_PER_AGENT_DAY

(contacts of one replication are alive at a time; every plan's roster is built once), and its
single-core time about

    replications × (plans × contacts × cpu per contact + agent-days × cpu per agent-day)

where agent-days = Σ over the simulated plans' shifts of max(agents, holiday_agents) × (days of
the timeline, burn-in and drain included, + 1 for the day before): one availability window per
agent and day.
The per-unit figures were measured with ``benchmarks/bench_limits.py`` (marginal peak RSS and
CPU between two sizes, fast engine: 223 B and 0.9 µs per contact, 260 B and 1.7 µs per
agent-day on one plan; 472 B and 1.1 µs per contact and plan on two plans, 1.2 M → 4.8 M
contacts; the global-saas scenario, four channels, three regions: 0.8–5.9 µs per contact and
plan on the fast engine, 10.6 on simpy) and rounded up, so estimates err on the safe side. A
44.6 M-contact run estimated at 13.8 GB with 300 B per contact was killed by the kernel's
out-of-memory killer at 20.4 GB; with 600 B it is estimated at 27.2 GB and refused.

Available memory is the smallest of the kernel's ``MemAvailable`` and the cgroup's remaining
allowance (``memory.max`` − ``memory.current``, or cgroup v1's
``memory.limit_in_bytes`` − ``memory.usage_in_bytes``); workers × per-worker memory must fit in it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from coverage.calendar import Timeline
from coverage.errors import ScenarioError
from coverage.scenario.model import Scenario

BASE_BYTES = 450_000_000  # interpreter, pandas, numba and the compiled kernel, per process
BYTES_PER_CONTACT = 600  # measured 472 B (two plans), 223 B (one plan); rounded up
BYTES_PER_AGENT_DAY = 300
CPU_S_PER_CONTACT = {"fast": 6e-6, "simpy": 15e-6}  # per contact and simulated plan
CPU_S_PER_AGENT_DAY = {"fast": 2e-6, "simpy": 6e-6}
MAX_RUN_CPU_S = 12 * 3600.0  # refused above this estimate unless the caller overrides it
MEMORY_HEADROOM = 0.8  # share of the available memory a run may plan to use


@dataclass(frozen=True)
class RunEstimate:
    """What a run is expected to need.

    Attributes
    ----------
    contacts_per_replication : expected contacts [contacts]
    agent_days : rostered agent-days over every simulated plan [agent-days]
    memory_bytes : peak of one process [bytes]
    cpu_s : single-core time of the whole run [s]
    """

    contacts_per_replication: float
    agent_days: float
    memory_bytes: float
    cpu_s: float


def agent_days(scenario: Scenario, timeline: Timeline, plans: Sequence[str]) -> float:
    """Rostered agent-days of `plans` over the timeline (burn-in, horizon, drain, day before).

    Parameters
    ----------
    scenario : Scenario
        Its plans' shifts.
    timeline : Timeline
        Its end (drain included) bounds the rostered days.
    plans : sequence of str
        The plans to count.

    Returns
    -------
    float
        Agent-days [agent-days].
    """
    days = timeline.end_s / 86400.0 + 1.0
    crews = 0
    for name in plans:
        for site in scenario.plans[name].sites.values():
            for shift in site.shifts:
                crews += max(shift.agents, shift.holiday_agents or 0)
    return float(crews) * days


def estimate_run(
    scenario: Scenario,
    timeline: Timeline,
    *,
    plans: Sequence[str],
    replications: int,
    engine: str,
    contacts_per_replication: float | None = None,
) -> RunEstimate:
    """Estimate memory and time of simulating `plans` over `replications`.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    timeline : Timeline
        Its timeline.
    plans : sequence of str
        Plans to simulate.
    replications : int
        Replications to run.
    engine : str
        Engine name (their costs per contact differ).
    contacts_per_replication : float, optional
        Expected contacts per replication if already known [contacts].

    Returns
    -------
    RunEstimate
        Contacts [contacts], agent-days, peak memory of one process [bytes], CPU time [s].
    """
    if contacts_per_replication is None:
        from coverage.demand.arrivals import check_contact_budget

        contacts_per_replication = check_contact_budget(scenario, timeline, limit=2**62)
    roster = agent_days(scenario, timeline, plans)
    memory = BASE_BYTES + contacts_per_replication * BYTES_PER_CONTACT
    memory += roster * BYTES_PER_AGENT_DAY
    per_contact = CPU_S_PER_CONTACT.get(engine, max(CPU_S_PER_CONTACT.values()))
    per_day = CPU_S_PER_AGENT_DAY.get(engine, max(CPU_S_PER_AGENT_DAY.values()))
    cpu = replications * (len(plans) * contacts_per_replication * per_contact + roster * per_day)
    return RunEstimate(contacts_per_replication, roster, memory, cpu)


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_memory_bytes() -> int:
    """Memory this process may still use: min(MemAvailable, cgroup limit − cgroup usage).

    Returns
    -------
    int
        Bytes [bytes].
    """
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    cgroup = Path("/sys/fs/cgroup")
    for limit_file, used_file in (
        (cgroup / "memory.max", cgroup / "memory.current"),  # cgroup v2
        (cgroup / "memory" / "memory.limit_in_bytes", cgroup / "memory" / "memory.usage_in_bytes"),
    ):
        limit, used = _read_int(limit_file), _read_int(used_file)
        if limit is not None:
            found.append(max(0, limit - (used or 0)))
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            found.append(2**40)  # unknown: no memory-based refusal
    return min(found)


def fit_workers(
    estimate: RunEstimate,
    workers: int,
    *,
    available_bytes: int | None = None,
    max_cpu_s: float = MAX_RUN_CPU_S,
    override: bool = False,
) -> int:
    """The workers that fit in memory (at most `workers`).

    Each worker process holds about `estimate.memory_bytes`; the parent holds the rosters and the
    results. With `override` nothing is refused (the caller asked for it explicitly).

    Parameters
    ----------
    estimate : RunEstimate
        From `estimate_run`.
    workers : int
        Workers asked for [processes].
    available_bytes : int, optional
        Memory available (default: `available_memory_bytes`) [bytes].
    max_cpu_s : float
        Longest run accepted [s of CPU].
    override : bool
        Refuse nothing.

    Returns
    -------
    int
        Workers to use [processes].

    Raises
    ------
    ScenarioError
        When not even one worker fits, or the run would take longer than `max_cpu_s`.
    """
    avail = available_memory_bytes() if available_bytes is None else available_bytes
    usable = avail * MEMORY_HEADROOM
    fit = int(usable // estimate.memory_bytes) if estimate.memory_bytes > 0 else workers
    if override:
        return max(1, min(workers, fit))
    if fit < 1:
        raise ScenarioError(
            "demand",
            f"this run needs about {estimate.memory_bytes / 1e9:.1f} GB "
            f"({estimate.contacts_per_replication:,.0f} contacts per replication, "
            f"{estimate.agent_days:,.0f} agent-days) and about {avail / 1e9:.1f} GB is available "
            "(use --force to run it anyway)",
        )
    if estimate.cpu_s > max_cpu_s:
        raise ScenarioError(
            "replications",
            f"this run would take about {estimate.cpu_s / 3600:,.1f} CPU hours; the limit is "
            f"{max_cpu_s / 3600:g} (fewer replications or plans, or --force to run it anyway)",
        )
    return min(workers, fit)

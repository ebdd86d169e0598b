"""Defaults and limits shared by the command line, the app and batch runs.

Kept free of heavy imports, so that building the command line (and printing an error for bad
input) does not load pandas, scipy or numba. docs/reliability.md explains the limits and how to
raise them.
"""

from __future__ import annotations

ENGINES = ("simpy", "fast")  # the SimPy reference engine and the compiled one (identical outcomes)
DEFAULT_ENGINE = "fast"
MAX_CONTACTS_PER_REPLICATION = 50_000_000  # refused up front above this expected count
MAX_AGENTS_PER_PLAN = 100_000  # distinct agents a plan may roster
MAX_REPLICATIONS = 10_000  # the scenario model's bound; --replications too
MAX_SWEEP_VARIANTS = 10_000  # variants one batch may expand to (checked before expanding)
# Below this many (expected contacts × replications × plans) a run stays in one process: a
# worker process costs about a second of start-up (numba loading its compiled code).
PARALLEL_MIN_CONTACT_RUNS = {"fast": 1_000_000, "simpy": 200_000}

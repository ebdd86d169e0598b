"""The app's boundary: every page runs inside it, and every app simulation goes through it.

Two rules hold for every page, including pages added later (docs/app.md, "Adding a page"):

* **No internals on the page.** `page_boundary()` catches every exception a page raises: a
  `ScenarioError` shows its one line (file: field.path: message); anything else shows one line
  naming the exception's type only — never its text, a traceback or a server path — and the full
  traceback goes to the server's log. Streamlit's own control flow (`st.stop`, `st.rerun`)
  derives from `BaseException` and passes through. `.streamlit/config.toml` sets
  `client.showErrorDetails = "none"` as the second line of defence.
* **Bounded work, in this process.** `run_in_app()` estimates a run (contacts × plans ×
  replications and rostered agent-days, `coverage.simulation.budget`) before it starts and
  refuses one above the app's budget with the estimate in the message; it simulates in the
  server's own process (``workers=1``, replications in up to two threads): no process pool is
  forked from the multithreaded Streamlit server. A page that runs something else than
  `run_scenario` calls `check_app_work` with its own count of runs first.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator, Sequence

import streamlit as st

from coverage.calendar import build_timeline
from coverage.errors import ScenarioError
from coverage.scenario.model import Scenario
from coverage.simulation.budget import RunEstimate, estimate_run
from coverage.simulation.replications import RunResult, run_scenario

LOG = logging.getLogger("coverage.app")

APP_MAX_CONTACTS = 300_000  # expected per replication; bigger runs belong in coverage-sim
APP_MAX_CPU_S = 60.0  # estimated single-core time of one page's simulation
APP_MAX_MEMORY_BYTES = 1_500_000_000  # estimated peak of one simulation inside the server
APP_MAX_THREADS = 2  # replications side by side in the server's process (kernels release the GIL)


@contextlib.contextmanager
def page_boundary() -> Iterator[None]:
    """Show any exception of the block as one line on the page and stop the script run."""
    try:
        yield
    except ScenarioError as exc:
        st.error(str(exc))
        st.stop()
    except Exception as exc:  # the boundary: nothing a page raises may reach the browser
        LOG.exception("app page failed")
        st.error(
            f"Something went wrong inside the app ({type(exc).__name__}); nothing was changed. "
            "The details are in the server's log."
        )
        st.stop()


def content_key(scenario: Scenario) -> str:
    """A widget-key prefix that changes with the scenario's content, not only its name.

    Levers are keyed by it, so a scenario with the same name but other values (an edited
    download uploaded again) starts from its own values, never from the widgets of another.
    """
    from coverage.scenario.model import dump_scenario_yaml

    digest = hashlib.sha256(dump_scenario_yaml(scenario).encode("utf-8")).hexdigest()[:12]
    return f"{scenario.name}@{digest}:"


def check_app_work(
    scenario: Scenario, *, runs: int, plans: Sequence[str] | None = None, engine: str = "fast"
) -> RunEstimate:
    """Refuse work above the app's budget; `runs` = replications × repeats of the whole scenario.

    Raises
    ------
    ScenarioError
        Path ``app``; the message gives the estimate, the limit and what to lower.
    """
    names = list(plans or scenario.plans)
    est = estimate_run(
        scenario, build_timeline(scenario), plans=names, replications=runs, engine=engine
    )
    if est.contacts_per_replication > APP_MAX_CONTACTS:
        raise ScenarioError(
            "app",
            f"about {est.contacts_per_replication:,.0f} contacts per replication; the app's limit "
            f"is {APP_MAX_CONTACTS:,} (run it with coverage-sim run)",
        )
    if est.memory_bytes > APP_MAX_MEMORY_BYTES:
        raise ScenarioError(
            "app",
            f"this run would need about {est.memory_bytes / 1e9:.1f} GB of memory "
            f"({est.agent_days:,.0f} rostered agent-days); the app's limit is "
            f"{APP_MAX_MEMORY_BYTES / 1e9:.1f} GB (run it with coverage-sim run)",
        )
    if est.cpu_s > APP_MAX_CPU_S:
        raise ScenarioError(
            "app",
            f"this run would take about {est.cpu_s:,.0f} s ({runs} replications × {len(names)} "
            f"plans × {est.contacts_per_replication:,.0f} contacts, {est.agent_days:,.0f} "
            f"agent-days); the app's limit is {APP_MAX_CPU_S:.0f} s: lower the replications "
            "or run it with coverage-sim run",
        )
    return est


def run_in_app(
    scenario: Scenario,
    *,
    replications: int,
    seed: int,
    engine: str,
    plans: Sequence[str] | None = None,
) -> RunResult:
    """`run_scenario` for a page: budget checked first, then simulated in this process.

    Replications run in up to `APP_MAX_THREADS` threads of the server's process (never forked
    workers: the server is multithreaded): the compiled kernels release the GIL, so a lever
    change on 2 cores takes about two thirds of the wall time of one thread, with the same
    figures. A run whose memory estimate would not fit twice runs in one thread.
    """
    est = check_app_work(scenario, runs=replications, plans=plans, engine=engine)
    fits_twice = est.memory_bytes * APP_MAX_THREADS <= APP_MAX_MEMORY_BYTES
    threads = app_threads() if engine == "fast" and fits_twice else 1  # SimPy holds the GIL
    return run_scenario(
        scenario,
        replications=replications,
        seed=seed,
        plans=plans,
        engine=engine,
        workers=1,
        threads=threads,
        max_contacts=APP_MAX_CONTACTS,
    )


def app_threads() -> int:
    """Threads for the app's replications: the cores this process may use, at most
    `APP_MAX_THREADS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(APP_MAX_THREADS, cores or 1))

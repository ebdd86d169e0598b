"""Forked worker pools: one lifecycle for every pool the package starts.

Replications (`replications.run_scenario`), candidate rosters (`evaluate.evaluation_pool`),
capacity's demand levels and a batch's variants (`sweeps.runner`) all run in a pool from
:func:`worker_pool`. Where the platform has fork, workers inherit the loaded modules, the drawn
contacts and the compiled kernel (loaded once in the parent first, with ``engine="fast"``).
Workers leave interrupts to the parent, which stops them at once on Ctrl-C, SIGTERM or an error
(no worker tracebacks), and they end by themselves when the parent is killed outright
(`parent_watch.exit_with_parent`).

A worker that dies without reporting — most often killed by the system's out-of-memory killer —
breaks the pool: every task still pending fails at once with :class:`WorkerDiedError` instead of
waiting forever (the pool is a :class:`concurrent.futures.ProcessPoolExecutor`, which notices a
dead worker; ``multiprocessing.Pool`` quietly replaces it and loses its task).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from coverage.errors import WorkerDiedError
from coverage.simulation.parent_watch import exit_with_parent


def quiet_worker(
    parent_pid: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()
) -> None:
    """A worker's start: ignore Ctrl-C, die on SIGTERM and with the parent, then `initializer`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    exit_with_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


@contextmanager
def worker_pool(
    processes: int,
    *,
    engine: str | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[ProcessPoolExecutor]:
    """A pool of `processes` workers, shut down on exit, its workers killed on any exception.

    Parameters
    ----------
    processes : int
        Worker processes [count].
    engine : str, optional
        ``"fast"`` loads the compiled kernel in the parent first, so forked workers inherit it.
    initializer, initargs
        Run in each worker after :func:`quiet_worker`'s own set-up.

    Yields
    ------
    concurrent.futures.ProcessPoolExecutor
        Forked where the platform has fork, else the platform's default start method; its
        ``_max_workers`` is `processes`.

    Raises
    ------
    WorkerDiedError
        When a worker died without returning (the block's pending results fail at once).
    """
    if engine == "fast":
        from coverage.simulation.fast_engine import warm_up

        warm_up()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ProcessPoolExecutor(
        processes,
        mp_context=context,
        initializer=quiet_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
    try:
        yield pool
    except BrokenProcessPool:
        _stop(pool)
        raise WorkerDiedError() from None
    except BaseException:
        _stop(pool)  # Ctrl-C / SIGTERM / an error: stop the workers now, not later
        raise
    pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers and reap them; pending tasks are cancelled."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for process in workers:
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)

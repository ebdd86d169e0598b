"""Forked worker pools: one lifecycle for every pool the package starts.

Replications (`replications.run_scenario`), candidate rosters (`evaluate.evaluation_pool`) and
capacity's demand levels all run in a pool from :func:`worker_pool`. Where the platform has fork,
workers inherit the loaded modules, the drawn contacts and the compiled kernel (loaded once in
the parent first, with ``engine="fast"``). Workers leave interrupts to the parent, which stops
them at once on Ctrl-C, SIGTERM or an error (no worker tracebacks), and they end by themselves
when the parent is killed outright (`parent_watch.exit_with_parent`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool
from typing import Any

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
) -> Iterator[Pool]:
    """A pool of `processes` workers, closed and joined on exit, terminated on any exception.

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
    multiprocessing.pool.Pool
        Forked where the platform has fork, else the platform's default start method.
    """
    if engine == "fast":
        from coverage.simulation.fast_engine import warm_up

        warm_up()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = context.Pool(
        processes, initializer=quiet_worker, initargs=(os.getpid(), initializer, initargs)
    )
    try:
        yield pool
        pool.close()
    except BaseException:
        pool.terminate()  # Ctrl-C / SIGTERM / an error: stop the workers now, not later
        raise
    finally:
        pool.join()

"""Long-lived worker processes for the app's simulations: started once, never forked.

The Streamlit server is multithreaded, so it must not fork (a forked child inherits whatever
locks other threads held at that instant). `AppWorkers` starts up to `APP_MAX_WORKERS` processes
once per server with the ``spawn`` method (a fresh interpreter, started the way `subprocess`
starts one), and each loads the package and the compiled kernels in its initializer. Runs use
them only once they are ready: until then, and after a worker died, a run is simulated in the
server's own process, as with one worker. Results do not depend on it (`run_scenario`: each
replication depends only on the seed and its number).

Workers ignore Ctrl-C and end within a second of the server (they watch their parent process;
the kernel's parent-death signal is not used because it follows the *thread* that started the
process, and Streamlit runs every rerun in a new thread).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor

from coverage.simulation.parent_watch import watch_parent

APP_MAX_WORKERS = 2  # processes (each holds the package, ~250 MB); 1 keeps runs in the server


def app_worker_count() -> int:
    """Worker processes for the app: the cores this process may use, at most `APP_MAX_WORKERS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(APP_MAX_WORKERS, cores or 1))


def _start_worker(parent_pid: int) -> None:
    """A worker's initializer: quiet on Ctrl-C, ends with the server, kernels loaded."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(
        target=watch_parent, args=(parent_pid,), daemon=True, name="parent-watch"
    ).start()
    from coverage.results.tally import warm_up as warm_up_tally
    from coverage.simulation import replications  # noqa: F401  # what a task unpickles
    from coverage.simulation.fast_engine import warm_up

    warm_up()
    warm_up_tally()


def _ready() -> int:
    return os.getpid()


class AppWorkers:
    """`processes` spawned workers, started on the first `start` and shared by every session.

    Parameters
    ----------
    processes : int, optional
        Worker processes [count]; default `app_worker_count()`. With 1, `start` does nothing
        and every run stays in the server's process.
    """

    def __init__(self, processes: int | None = None) -> None:
        self.processes = app_worker_count() if processes is None else processes
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._probes: list[Future[int]] = []

    def start(self) -> None:
        """Start the workers in the background unless they are running (returns at once)."""
        with self._lock:
            if self._pool is not None or self.processes < 2:
                return
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            self._probes = [self._pool.submit(_ready) for _ in range(self.processes)]

    def ready(self) -> ProcessPoolExecutor | None:
        """The pool once its workers have started and loaded the kernels; else None."""
        with self._lock:
            if self._pool is None or not all(p.done() for p in self._probes):
                return None
            if any(p.exception() is not None for p in self._probes):
                self._discard()
                return None
            return self._pool

    def discard(self) -> None:
        """Drop a pool whose worker died; the next `start` begins a new one."""
        with self._lock:
            self._discard()

    def _discard(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool, self._probes = None, []

"""Worker processes end with their parent: no orphan keeps computing after a `kill -9`.

A pool's workers are stopped by their parent on Ctrl-C, SIGTERM or an error. When the parent is
killed outright (SIGKILL, the out-of-memory killer) it cannot, and the workers would compute on
for minutes holding hundreds of megabytes each. Every worker therefore calls
`exit_with_parent` first: on Linux the kernel sends it SIGTERM when the parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread checks ``os.getppid()`` once a second.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_S = 1.0


def exit_with_parent(parent_pid: int) -> str:
    """Make this process end when `parent_pid` does; returns the mechanism used."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before prctl took effect
                    os._exit(1)
                return "prctl"
    thread = threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="parent-watch")
    thread.start()
    return "thread"


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    os._exit(1)  # the parent is gone: nobody will read our result

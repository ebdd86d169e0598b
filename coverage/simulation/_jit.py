"""The one place numba is imported, shielded from our own package name.

Why a shield: our import package is called ``coverage``, like the coverage.py tool. While numba
loads, ``numba/misc/coverage_support.py`` runs ``try: import coverage`` to support coverage.py;
the import succeeds on *our* package, and numba then evaluates ``coverage.types.Tracer`` and
crashes with ``AttributeError: module 'coverage' has no attribute 'types'`` (upstream considers a
package named ``coverage`` to be coverage.py and will not change this).

The probe only catches ``ImportError``, so while numba loads we make ``import coverage`` raise
exactly that: ``sys.modules["coverage"] = None`` is the import system's documented way of saying
"this module cannot be imported" (``ModuleNotFoundError``). numba concludes that coverage.py is
absent (correct: this project never depends on it), finishes loading, and we put the entry back
exactly as it was. Submodules such as ``coverage.simulation.replications`` stay in ``sys.modules``
the whole time,
so code that already holds them is unaffected; only a *fresh* ``import coverage`` in another
thread during those few hundred milliseconds would fail, which is why this module is imported
once, at import time of ``coverage.simulation.fast_engine``, before any worker thread needs it.

Every other module imports numba's decorators from here, never numba itself.

A second shield keeps scipy off the run path: numba's ``numba.np.arraymath`` probes for BLAS at
import (``import scipy.linalg.cython_blas``, 0.3–0.7 s of scipy.linalg) so that kernels may call
``np.dot``; ours do no linear algebra, so while that module loads ``scipy.linalg`` is hidden the
same way (numba records "no BLAS"; a kernel calling ``np.dot`` would fail to compile, loudly).
When scipy.linalg is already loaded (the optimizer, the app) nothing is hidden.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

_MISSING = object()


def _import_numba_shielded() -> Any:
    """Import numba with ``import coverage`` hidden, then restore ``sys.modules`` exactly."""
    if "numba" in sys.modules and "numba.misc.coverage_support" in sys.modules:
        return sys.modules["numba"]
    saved = sys.modules.get("coverage", _MISSING)
    sys.modules["coverage"] = None  # type: ignore[assignment]  # makes `import coverage` fail
    try:
        import numba
        import numba.misc.coverage_support  # the probe, in case a numba version loads it lazily
    finally:
        if saved is _MISSING:
            sys.modules.pop("coverage", None)
        else:
            sys.modules["coverage"] = saved  # type: ignore[assignment]
    return numba


@contextlib.contextmanager
def _hidden(name: str) -> Iterator[None]:
    """While the block runs, ``import name`` raises ModuleNotFoundError; then restore exactly."""
    saved = sys.modules.get(name, _MISSING)
    sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if saved is _MISSING:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved  # type: ignore[assignment]


def _import_arraymath_without_blas() -> None:
    """Import ``numba.np.arraymath`` (numba's numpy support) without scipy.linalg's 0.3–0.7 s."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    with _hidden("scipy.linalg"):
        import numba.np.arraymath  # noqa: F401  # its BLAS probe finds none: kernels use no BLAS


numba = _import_numba_shielded()
_import_arraymath_without_blas()

F = TypeVar("F", bound=Callable[..., Any])


def njit(*args: Any, **kwargs: Any) -> Any:
    """``numba.njit`` with the on-disk cache on by default (``cache=True``).

    Options are written at each kernel (``@njit(nogil=True)``: the kernels touch no Python
    object, so threads run them side by side), never defaulted here: numba's cache index is keyed
    by the kernel's source file and signature, not by its options, so an option changed here
    would leave every cached kernel compiled the old way until its own file changes.

    The cache lives in ``coverage/__pycache__`` (numba's in-tree locator, or numba's user-wide
    cache directory when that is read-only), keyed by the source file, so only the first process
    after a code change compiles; later processes and pool workers load machine code in well
    under a second.
    """
    kwargs.setdefault("cache", True)
    return numba.njit(*args, **kwargs)


def kernel_arg(values: Any, dtype: Any) -> Any:
    """An argument for a kernel: C-contiguous and writable, so one compiled signature fits every
    call (numba compiles read-only and non-contiguous arrays as separate types)."""
    import numpy as np

    return np.require(values, dtype=dtype, requirements=["C", "W"])


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while numba loads or compiles a kernel, then deliver them.

    numba's dispatcher is Python code; a KeyboardInterrupt raised inside it while it loads machine
    code from the cache leaves it half-initialised, and the next call crashes the process
    (SIGSEGV, seen in tests/test_outputs.py). Outside the main thread (where no handler can be set)
    this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    watched = (signal.SIGINT, signal.SIGTERM)
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: caught.append(signum)) for sig in watched
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in caught[:1]:  # deliver the first one as if it had arrived just now
            os.kill(os.getpid(), signum)


__all__ = ["deferred_interrupts", "njit", "numba"]

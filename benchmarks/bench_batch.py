"""Batch benchmark: the local process pool against a local Dask cluster, with and without Dask's
``MALLOC_TRIM_THRESHOLD_=65536``, on `scenarios/sweeps/night-crew-and-bot.yaml`.

Usage::

    .venv/bin/python benchmarks/bench_batch.py              # 2 workers, 2 rounds (~5 min)
    .venv/bin/python benchmarks/bench_batch.py --rounds 1 --replications 5

Each configuration runs ``coverage-sim batch ... --force`` in a fresh process; the configurations
are interleaved round by round, so a ratio compares runs made under the same load. Printed per
run: wall time, CPU time of the command and every worker it waited for (``RUSAGE_CHILDREN``:
user + system), minor page faults, and the 1-minute load average. Configurations:

* ``pool``: ``--workers N`` (forked workers; glibc's default trimming);
* ``dask``: ``--dask local:N`` as shipped (workers without the trim setting);
* ``dask-trim65536``: the same with ``MALLOC_TRIM_THRESHOLD_=65536`` exported, which is what
  Dask's nanny sets by default (and what remote workers get unless configured, docs/batch.md).

Nothing is asserted; docs/batch.md and docs/performance.md quote the results.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "scenarios" / "sweeps" / "night-crew-and-bot.yaml"
CLI = Path(sys.executable).with_name("coverage-sim")


def run_once(config: str, workers: int, replications: int) -> dict[str, float]:
    """One batch in a fresh process; wall [s], CPU [s] and minor faults of it and its workers."""
    env = dict(os.environ)
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    where = ["--workers", str(workers)] if config == "pool" else ["--dask", f"local:{workers}"]
    if config == "dask-trim65536":
        env["MALLOC_TRIM_THRESHOLD_"] = "65536"
    with tempfile.TemporaryDirectory() as out:
        argv = [str(CLI), "batch", str(SWEEP), "--out", out, "--force", *where]
        argv += ["--replications", str(replications)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        wall_s = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": wall_s,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "minor_faults": float(after.ru_minflt - before.ru_minflt),
        "load_1min": os.getloadavg()[0],
    }


def main() -> None:
    """Interleave the configurations and print every run and the per-round CPU ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    configs = ("pool", "dask", "dask-trim65536")
    print(f"{SWEEP.name}, {args.workers} workers, {args.replications} replications per variant")
    for r in range(args.rounds):
        runs = {c: run_once(c, args.workers, args.replications) for c in configs}
        for c, m in runs.items():
            print(
                f"round {r + 1} {c:15} wall {m['wall_s']:6.1f} s  cpu {m['cpu_s']:6.1f} s  "
                f"minor faults {m['minor_faults']:>10,.0f}  load {m['load_1min']:.1f}"
            )
        base = runs["pool"]["cpu_s"]
        print(
            f"round {r + 1} cpu ratios to pool: "
            + ", ".join(f"{c} {runs[c]['cpu_s'] / base:.2f}" for c in configs[1:])
        )


if __name__ == "__main__":
    main()

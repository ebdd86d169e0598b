"""Running a batch: variants as tasks on a local pool or a Dask cluster, resumable outputs.

Each variant is one task (`run_variant`): it parses its resolved scenario, runs its replications
serially and returns its result JSON and hourly table as bytes; only this process writes files,
each atomically, so workers need no access to the output folder and an interrupted batch leaves
only complete files. A variant whose ``runs/<id>.json`` exists with the same key is skipped, and
the summaries are rebuilt from ``runs/`` at the end, so a resumed batch gives the same summaries
as an uninterrupted one. Results do not depend on the executor: each replication's streams
depend only on (seed, replication).
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from coverage.errors import ScenarioError
from coverage.outputs import (
    atomic_write_bytes,
    atomic_write_text,
    check_output_folder,
    csv_bytes,
    remove_stale_temps,
)
from coverage.scenario.model import parse_scenario, scenario_to_dict
from coverage.simulation.replications import DEFAULT_ENGINE, default_workers, engine_function
from coverage.simulation.workers import worker_pool
from coverage.sweeps.report import summary_frame, summary_rows
from coverage.sweeps.spec import (
    BatchInput,
    Variant,
    VariantTask,
    code_version,
    resolve_inputs,
    to_json_value,
)

ProgressFn = Callable[[int, int], None]


# --- running a variant (inside a worker) -------------------------------------------------


@dataclass(frozen=True)
class VariantOutput:
    """A finished variant: its result JSON and hourly table as bytes, for the client to write."""

    id: str
    result_json: bytes
    hourly_parquet: bytes
    elapsed_s: float
    code_version: str


def run_variant(task: VariantTask) -> VariantOutput:
    """Run one variant serially (``workers=1``) and serialize its outputs; writes nothing."""
    from coverage.results.report import hourly_table, result_dict
    from coverage.simulation.replications import run_scenario

    start = time.perf_counter()
    scenario = parse_scenario(task.raw, base_dir=task.base_dir)
    result = run_scenario(
        scenario,
        replications=task.replications,
        seed=task.seed,
        engine=task.engine,
        workers=1,
    )
    payload = result_dict(result)
    payload["variant"] = {
        "id": task.id,
        "key": task.key,
        "engine": result.engine,
        "code_version": code_version(),
        "scenario": scenario_to_dict(scenario),
    }
    text = json.dumps(payload, indent=2, allow_nan=False) + "\n"
    hourly = hourly_table(result)
    hourly.insert(0, "variant", task.id)
    buffer = io.BytesIO()
    hourly.to_parquet(buffer, index=False)
    return VariantOutput(
        task.id,
        text.encode("utf-8"),
        buffer.getvalue(),
        time.perf_counter() - start,
        code_version(),
    )


# --- executors ---------------------------------------------------------------------------


def _run_serial(tasks: list[VariantTask]) -> Iterator[VariantOutput]:
    for task in tasks:
        yield run_variant(task)


def _run_pool(tasks: list[VariantTask], workers: int) -> Iterator[VariantOutput]:
    # `worker_pool`: workers ignore Ctrl-C (the client reacts), die with the client, are killed
    # at once on an interrupt or error, and a killed worker ends the batch with WorkerDiedError;
    # finished variants stay in --out and a rerun reuses them.
    with worker_pool(workers) as pool:
        futures = [pool.submit(run_variant, t) for t in tasks]
        for future in as_completed(futures):
            yield future.result()


def check_dask_address(address: str) -> str:
    """`local:N` or a scheduler address such as ``tcp://host:8786``; ScenarioError otherwise."""
    if address.startswith("local:"):
        count = address.split(":", 1)[1]
        if not count.isdigit() or int(count) < 1:
            raise ScenarioError("--dask", f"{address!r}: give local:N with N >= 1 workers")
        return address
    if not re.fullmatch(r"([a-z]+://)?[^\s/:]+(:\d+)?/?", address):
        raise ScenarioError(
            "--dask", f"{address!r} is not local:N or a scheduler address (tcp://host:8786)"
        )
    return address


# Dask's nanny exports MALLOC_TRIM_THRESHOLD_=65536 to its workers, so glibc returns freed memory
# to the system after every large free; our replications allocate and free per-contact arrays
# constantly, and the workers then spend their time in page faults (190k per variant instead of
# 2.4k, 40% slower than pool workers). Local clusters leave the variable unset (glibc's default,
# the same as pool workers); docs/batch.md says how to do the same on remote workers.
TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def local_cluster(n_workers: int) -> Any:
    """A `distributed.LocalCluster` of single-threaded worker processes, glibc trimming untouched.

    Parameters
    ----------
    n_workers : int
        Worker processes.

    Returns
    -------
    distributed.LocalCluster
        Its workers do not get Dask's ``MALLOC_TRIM_THRESHOLD_=65536`` (see `TRIM_SETTING`).
    """
    import logging

    import dask
    from distributed import LocalCluster

    with dask.config.set({TRIM_SETTING: None}):
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )


def _run_dask(tasks: list[VariantTask], address: str) -> Iterator[VariantOutput]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ScenarioError(
            "--dask", "Dask is not installed: pip install 'coverage-planner[dask]'"
        ) from None
    cluster = None
    try:
        if address.startswith("local:"):
            cluster = local_cluster(int(address.split(":", 1)[1]))
            client = Client(cluster)
        else:
            client = Client(address, timeout="20s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise ScenarioError("--dask", f"cannot reach the Dask scheduler {address}: {exc}") from None
    futures = []
    try:
        futures = [client.submit(run_variant, t, pure=False) for t in tasks]
        for future in dask_completed(futures):
            yield future.result()
    finally:
        client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()


# --- the batch ---------------------------------------------------------------------------


def _run_path(out: Path, variant_id: str, suffix: str) -> Path:
    return out / "runs" / f"{variant_id}{suffix}"


def _is_done(out: Path, variant: Variant) -> bool:
    """A variant is done when its hourly table and its result (written last) exist for its key."""
    result = _run_path(out, variant.id, ".json")
    hourly = _run_path(out, variant.id, ".hourly.parquet")
    if not (result.is_file() and hourly.is_file()):
        return False
    try:
        stored = json.loads(result.read_text(encoding="utf-8"))
        pq.read_metadata(hourly)  # a corrupt or truncated table is rerun, not counted as done
    except (OSError, ValueError):
        return False
    return isinstance(stored, dict) and stored.get("variant", {}).get("key") == variant.key


def _write_summaries(out: Path, variants: list[Variant]) -> list[str]:
    rows, hourly = [], []
    for v in variants:
        result = json.loads(_run_path(out, v.id, ".json").read_text(encoding="utf-8"))
        rows.extend(summary_rows(_meta(v), result))
        hourly.append(pd.read_parquet(_run_path(out, v.id, ".hourly.parquet")))
    paths = list(dict.fromkeys(p for v in variants for p in v.overrides))
    frame = summary_frame(rows, paths)
    written = []
    for name, data in (
        ("summary.csv", csv_bytes(frame)),  # override text cannot become a formula
        ("summary.parquet", _parquet(frame)),
        ("hourly.parquet", _parquet(pd.concat(hourly, ignore_index=True))),
    ):
        atomic_write_bytes(out / name, data)
        written.append(name)
    return written


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _meta(v: Variant) -> dict[str, Any]:
    return {
        "variant": v.id,
        "source": v.source,
        "scenario": v.scenario.name,
        "currency": v.scenario.currency,
        "seed": v.seed,
        "replications": v.replications,
        "overrides": to_json_value(v.overrides),
        "targets": {
            name: (ch.target.answer_within_s, ch.target.share)
            for name, ch in v.scenario.channels.items()
        },
    }


def run_batch(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    workers: int | None = None,
    dask: str | None = None,
    force: bool = False,
    seed: int | None = None,
    replications: int | None = None,
    engine: str = DEFAULT_ENGINE,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Resolve, validate and run every variant not already in `out_dir`; write the outputs.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default: every core); 1 runs in this process.
    dask : str, optional
        ``local:N`` (a ``distributed.LocalCluster`` of N workers) or a scheduler address.
    force : bool
        Run every variant even when its result exists.
    engine : str
        Simulation engine (see `coverage.simulation.replications.ENGINES`); part of each variant's
        key.
    progress : callable, optional
        ``progress(done, total)`` in variants, reused ones counted as done.

    Returns
    -------
    dict
        The manifest, also written to ``manifest.json``.
    """
    start = time.perf_counter()
    if dask is not None:
        check_dask_address(dask)
    engine_function(engine)  # an unknown engine is bad input, before anything runs
    inputs, variants = resolve_inputs(paths, seed=seed, replications=replications, engine=engine)
    out = check_output_folder(out_dir)  # writable, before anything runs
    validated_at = time.perf_counter()
    (out / "runs").mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)
    remove_stale_temps(out / "runs")
    pending = [v for v in variants if force or not _is_done(out, v)]
    elapsed: dict[str, float] = {}
    done = len(variants) - len(pending)
    if progress:
        progress(done, len(variants))
    tasks = [v.task() for v in pending]
    n_workers = min(workers or default_workers(), max(1, len(tasks)))
    if dask is not None:
        results, executor = _run_dask(tasks, dask), f"dask {dask}"
    elif n_workers > 1:
        results, executor = _run_pool(tasks, n_workers), f"local pool, {n_workers} processes"
    else:
        results, executor = _run_serial(tasks), "this process"
    for output in results:
        if output.code_version != code_version():
            raise RuntimeError(
                f"a worker runs coverage-planner {output.code_version}, this process "
                f"{code_version()}: install the same version everywhere"
            )
        # The hourly table first: the result JSON is the marker that a variant is complete.
        atomic_write_bytes(_run_path(out, output.id, ".hourly.parquet"), output.hourly_parquet)
        atomic_write_bytes(_run_path(out, output.id, ".json"), output.result_json)
        elapsed[output.id] = round(output.elapsed_s, 4)
        done += 1
        if progress:
            progress(done, len(variants))
    ran_at = time.perf_counter()
    files = _write_summaries(out, variants)
    manifest = _manifest(inputs, variants, elapsed, executor, files)
    manifest["timings"] = {
        "validate_s": round(validated_at - start, 4),
        "run_s": round(ran_at - validated_at, 4),
        "summarize_s": round(time.perf_counter() - ran_at, 4),
        "total_s": round(time.perf_counter() - start, 4),
    }
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


def _manifest(
    inputs: list[BatchInput],
    variants: list[Variant],
    elapsed: dict[str, float],
    executor: str,
    files: list[str],
) -> dict[str, Any]:
    seeds = sorted({v.seed for v in variants})
    return {
        "code_version": code_version(),
        "engine": variants[0].engine,
        "seed": seeds[0] if len(seeds) == 1 else None,
        "executor": executor,
        "counts": {
            "variants": len(variants),
            "ran": len(elapsed),
            "reused": len(variants) - len(elapsed),
        },
        "override_columns": list(dict.fromkeys(p for v in variants for p in v.overrides)),
        "inputs": [
            {
                "path": i.path,
                "kind": i.kind,
                "sha256": i.sha256,
                **({"base": i.base, "base_sha256": i.base_sha256} if i.base else {}),
                **({"logs": i.logs} if i.logs else {}),
                "variants": i.variants,
            }
            for i in inputs
        ],
        "variants": [
            {
                "id": v.id,
                "key": v.key,
                "source": v.source,
                "index": v.index,
                "scenario": v.scenario.name,
                "seed": v.seed,
                "replications": v.replications,
                "overrides": to_json_value(v.overrides),
                "status": "ran" if v.id in elapsed else "reused",
                "elapsed_s": elapsed.get(v.id),
            }
            for v in variants
        ],
        "files": [*files, "runs/"],
    }

"""`coverage-sim`: the command line (its commands are listed in README.md).

Exit codes: 0 success; 2 bad input, with one line on stderr naming the file and field path and
never a traceback; 1 an internal failure. The CLI is thin: it parses arguments and calls the same
library functions the tests and the app call.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from coverage.errors import ScenarioError, WorkerDiedError
from coverage.settings import MAX_CONTACTS_PER_REPLICATION, MAX_REPLICATIONS

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
COMMANDS: dict[
    str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {}


def command(name: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register a subcommand: `configure` adds its arguments, the decorated function runs it."""

    def register(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = (configure, run)
        return run

    return register


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit 2 (no usage block).

    ``argument --workers: must be at least 1, got 0`` reads ``error: --workers: must be at
    least 1, got 0``. Subcommands' parsers are of the same class (argparse makes them so).
    """

    def error(self, message: str) -> typing.NoReturn:
        text = " ".join(message.split())
        if text.startswith("argument "):
            text = text[len("argument ") :]
        self.exit(EXIT_BAD_INPUT, f"error: {text}\n")


class AppendOnce(argparse.Action):
    """``action="append"`` that keeps each value once, in first-seen order (``--plan a --plan a``
    is ``[a]``: a plan named twice is sized, simulated and written once)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        seen = list(getattr(namespace, self.dest, None) or [])
        if values not in seen:
            seen.append(values)
        setattr(namespace, self.dest, seen)


def whole_number(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from `lo` to `hi` (inclusive; no upper bound if None).

    Every subcommand's counts, seeds and worker numbers use it, so a bad value reads the same
    everywhere (`OneLineParser` prints it as one line).
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < lo:
            raise argparse.ArgumentTypeError(
                f"must be 0 or more, got {value}"
                if lo == 0
                else f"must be at least {lo}, got {value}"
            )
        if hi is not None and value > hi:
            raise argparse.ArgumentTypeError(f"at most {hi:,}, got {value:,}")
        return value

    return parse


_positive_int = whole_number(1)
_seed = whole_number(0)
_replications = whole_number(1, MAX_REPLICATIONS)


def _configure_run(p: argparse.ArgumentParser) -> None:
    from coverage.settings import (
        DEFAULT_ENGINE,
        ENGINES,
        MAX_AGENTS_PER_PLAN,
        MAX_CONTACTS_PER_REPLICATION,
    )

    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--plan", action=AppendOnce, help="simulate only this plan (repeatable)")
    p.add_argument(
        "--replications", type=_replications, help="override the scenario's (at most 10,000)"
    )
    p.add_argument("--seed", type=_seed, help="override the scenario's seed")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    p.add_argument("--out", help="write channels/hourly CSV and Parquet tables here")
    p.add_argument("--timing", action="store_true", help="add timing to the JSON result")
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE)
    p.add_argument(
        "--workers",
        type=_positive_int,
        help="processes for replications (default: all cores for large runs)",
    )
    p.add_argument(
        "--max-contacts",
        type=_positive_int,
        default=MAX_CONTACTS_PER_REPLICATION,
        help="refuse scenarios expecting more contacts per replication",
    )
    p.add_argument(
        "--max-agents",
        type=_positive_int,
        default=MAX_AGENTS_PER_PLAN,
        help="refuse plans rostering more distinct agents",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="run even when the estimate exceeds the machine's memory or the time limit",
    )


@command("run", _configure_run)
def run_command(args: argparse.Namespace) -> int:
    """Simulate every plan (or --plan) and print the comparison or the JSON result."""
    from coverage.scenario.model import load_scenario

    scenario = load_scenario(args.file)  # before the heavy imports: a bad file is told at once

    from coverage.calendar import build_timeline
    from coverage.demand.arrivals import check_contact_budget
    from coverage.outputs import (
        atomic_write_text,
        check_output_folder,
        remove_stale_temps,
        write_table,
    )
    from coverage.results.report import (
        channels_table,
        comparison_text,
        costs_table,
        hourly_table,
        result_json,
    )
    from coverage.settings import PARALLEL_MIN_CONTACT_RUNS
    from coverage.simulation.budget import estimate_run, fit_workers
    from coverage.simulation.replications import default_workers, run_scenario

    names = list(args.plan or scenario.plans)
    for name in names:
        if name not in scenario.plans:
            raise ScenarioError("--plan", f"no plan {name!r} (plans: {', '.join(scenario.plans)})")
    if args.out:  # before simulating: an unwritable folder is told now, not after the run
        check_output_folder(args.out)
        remove_stale_temps(args.out)
    reps = args.replications or scenario.replications
    try:
        timeline = build_timeline(scenario)
        expected = check_contact_budget(scenario, timeline, limit=args.max_contacts)
        workers = args.workers
        if workers is None:
            runs = expected * reps * len(names)
            big = runs > PARALLEL_MIN_CONTACT_RUNS.get(args.engine, 0)
            workers = default_workers() if big else 1
        estimate = estimate_run(
            scenario,
            timeline,
            plans=names,
            replications=reps,
            engine=args.engine,
            contacts_per_replication=expected,
        )
        fitted = fit_workers(estimate, workers, override=args.force)
        if fitted < workers and args.workers:
            print(f"note: {fitted} workers instead of {workers}, to fit in memory", file=sys.stderr)
        workers = fitted
        if estimate.cpu_s / workers > 60:
            print(
                f"note: about {estimate.cpu_s / workers / 60:,.0f} min on {workers} worker(s) "
                f"({estimate.cpu_s / 3600:,.1f} CPU hours estimated)",
                file=sys.stderr,
            )
        result = run_scenario(
            scenario,
            replications=args.replications,
            seed=args.seed,
            plans=args.plan,
            engine=args.engine,
            workers=workers,
            max_contacts=args.max_contacts,
            max_agents=args.max_agents,
        )
    except ScenarioError as exc:
        raise exc.with_file(args.file) if not exc.path.startswith("--") else exc from None
    text = result_json(result, timing=args.timing)
    if args.out:
        out = Path(args.out)
        try:
            write_table(channels_table(result), out, "channels")
            write_table(hourly_table(result), out, "hourly")
            write_table(costs_table(result), out, "costs")
            atomic_write_text(out / "result.json", text + "\n")
        except OSError as exc:  # the disk filled up or the folder went away during the run
            raise ScenarioError("--out", f"cannot write in {out}: {exc.strerror or exc}") from None
    if args.json:
        print(text)
    else:
        print(comparison_text(result))
        if args.out:
            print(
                f"\nwrote channels, hourly and costs (.csv/.parquet) and result.json in {args.out}"
            )
    return EXIT_OK


def _configure_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="+", help="scenario YAML file(s)")


@command("validate", _configure_validate)
def validate_command(args: argparse.Namespace) -> int:
    """Check scenario files; report the first problem of each."""
    from coverage.scenario.model import load_scenario

    worst = EXIT_OK
    for file in args.file:
        try:
            sc = load_scenario(file)
            expected = _check_limits(sc, file)
        except ScenarioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            worst = EXIT_BAD_INPUT
            continue
        print(
            f"ok: {file}: {sc.name} — {len(sc.channels)} channels, {len(sc.regions)} regions, "
            f"{len(sc.demand)} demand entries (about {expected:,.0f} contacts per replication), "
            f"plans: {', '.join(sc.plans)}"
        )
    return worst


def _check_limits(scenario: Any, file: str) -> float:
    """The run's resource limits (defaults) as `validate` applies them; expected contacts."""
    from coverage.calendar import build_timeline
    from coverage.demand.arrivals import check_contact_budget
    from coverage.simulation.roster import check_agent_budget

    try:
        check_agent_budget(scenario)
        return check_contact_budget(
            scenario, build_timeline(scenario), limit=MAX_CONTACTS_PER_REPLICATION
        )
    except ScenarioError as exc:
        raise exc.with_file(file) from None


def _configure_erlang(p: argparse.ArgumentParser) -> None:
    p.add_argument("--per-hour", type=float, required=True, help="arrivals per hour")
    p.add_argument("--aht-s", type=float, required=True, help="mean handle time [s]")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--agents", type=int, help="agents on duty")
    group.add_argument("--target-share", type=float, help="find the fewest agents meeting it")
    p.add_argument("--target-s", type=float, default=20.0, help="service-level threshold [s]")
    p.add_argument("--patience-s", type=float, help="mean patience [s] (Erlang A)")
    p.add_argument("--concurrency", type=int, default=1, help="contacts per agent at once")
    p.add_argument("--json", action="store_true", help="print only JSON")


@command("erlang", _configure_erlang)
def erlang_command(args: argparse.Namespace) -> int:
    """Analytic Erlang C / Erlang A for one steady interval."""
    from coverage.erlang import erlang_summary

    try:
        summary = erlang_summary(
            args.per_hour,
            args.aht_s,
            agents=args.agents,
            target_share=args.target_share,
            target_s=args.target_s,
            patience_s=args.patience_s,
            concurrency=args.concurrency,
        )
    except ValueError as exc:
        raise ScenarioError("erlang", str(exc)) from None
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False))  # always valid JSON
        return EXIT_OK
    model = "Erlang A (M/M/c+M)" if args.patience_s else "Erlang C (M/M/c)"
    print(f"{model}: {args.per_hour:g}/h, AHT {args.aht_s:g} s, concurrency {args.concurrency}")
    labels = {
        "agents": "agents",
        "p_wait": "P(wait)",
        "service_level": f"service level ({args.target_s:g} s)",
        "asa_s": "ASA [s]",
        "abandon_rate": "abandon rate",
        "occupancy": "occupancy",
        "mean_wait_all_s": "mean wait, all [s]",
    }
    for key, label in labels.items():
        value = summary.get(key)
        shown = "—" if value is None else (f"{value}" if key == "agents" else f"{value:.4f}")
        print(f"  {label:<24}{shown:>10}")
    return EXIT_OK


def _configure_schema(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print the field tables of docs/scenario-format.md instead",
    )


@command("schema", _configure_schema)
def schema_command(args: argparse.Namespace) -> int:
    """Print the JSON Schema of scenario files (for editors), or the field tables."""
    from coverage.scenario.reference import fields_markdown, schema_json_text

    sys.stdout.write(fields_markdown() if args.markdown else schema_json_text())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    _load_extra_commands()
    parser = OneLineParser(
        prog="coverage-sim",
        description="Staffing and 24/7 coverage planning simulator for support teams.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (configure, run) in COMMANDS.items():
        p = sub.add_parser(name, help=(run.__doc__ or "").strip().splitlines()[0])
        configure(p)
        p.set_defaults(run=run)
    return parser


def _load_extra_commands() -> None:
    """Import the modules that register further subcommands (batch, report, profile)."""
    import importlib

    for module in (
        "coverage.sweeps.cli",
        "coverage.demand.profile_cli",
        "coverage.calibrate.cli",
        "coverage.capacity.cli",
        "coverage.optimize.cli",
    ):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `coverage-sim`; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = _interrupt_on_sigterm()
    try:
        return int(args.run(args))
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no partial output was written", file=sys.stderr)
        return 130
    except MemoryError:  # a backstop: the up-front estimate should have refused this run
        print(
            "error: the machine ran out of memory; run fewer replications, plans or --workers",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except WorkerDiedError as exc:  # killed from outside; the run's outputs were not written
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK
    finally:
        if argv is None and threading.current_thread() is threading.main_thread():
            # the command's work is done (outputs complete or untouched): an interrupt during
            # interpreter shutdown could only crash native libraries' teardown (numba/LLVM)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        elif previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _interrupt_on_sigterm() -> Any:
    """Make SIGTERM behave like Ctrl-C, so temp files are removed and the user is told.

    Returns the previous handler (None when not in the main thread, where it cannot be set).
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


if __name__ == "__main__":
    sys.exit(main())

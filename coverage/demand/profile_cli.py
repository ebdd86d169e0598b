"""`coverage-sim profile LOG`: the demand profile a contact log implies, for a human or a plot.

Prints, per channel and region, the contacts, the days covered, the day-to-day busyness CV and
the recorded handle times, then the fitted rate per local hour (rows) and weekday (columns);
``--json`` prints the same as JSON and ``--out FILE.csv`` (or ``.parquet``) writes the plot-ready
long table (channel, region, weekday, local_hour, per_hour, contacts, exposure_hours). The
estimator is the one `fit` demand entries use (`coverage.demand.logfit`).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from typing import Any

from coverage.cli import EXIT_OK, command
from coverage.errors import ScenarioError
from coverage.scenario.fields import check_time_zone
from coverage.scenario.model import WEEKDAYS as WEEKDAY_NAMES


def _configure_profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("log", help="contact log (.csv or .parquet)")
    p.add_argument(
        "--time-zone",
        help="clock of the profile and of naive timestamps (default: each timestamp as written)",
    )
    p.add_argument("--json", action="store_true", help="print only JSON")
    p.add_argument("--out", help="write the plot-ready table here (.csv or .parquet)")
    p.add_argument(
        "--skip-bad-rows", action="store_true", help="drop unparseable rows (and count them)"
    )


def _number(value: Any) -> Any:
    import pandas as pd  # here, not at the top: the command line starts without pandas

    return None if value is None or pd.isna(value) else value


def profile_dict(profile: Any) -> dict[str, Any]:
    """The profile as plain data (the ``--json`` output).

    Parameters
    ----------
    profile : LogProfile
        From `coverage.demand.logs.profile_log`.

    Returns
    -------
    dict
        The clock used, the window's dates and per (channel, region): contacts, busyness cv,
        handle-time summary [s] and rates by weekday × local hour [contacts/h].
    """
    groups = []
    for g in profile.groups.to_dict("records"):
        rates = profile.table[
            (profile.table["channel"] == g["channel"]) & (profile.table["region"] == g["region"])
        ]
        by_day = {
            day: [round(float(v), 4) for v in rates.loc[rates["weekday"] == day, "per_hour"]]
            for day in WEEKDAY_NAMES
        }
        groups.append(
            {
                "channel": g["channel"],
                "region": g["region"] or None,
                "contacts": int(g["contacts"]),
                "per_day": round(float(g["per_day"]), 3),
                "busyness_cv": round(float(g["busyness_cv"]), 4),
                "handle_time_mean_s": _number(g["handle_time_mean_s"]),
                "handle_time_log_sd": _number(g["handle_time_log_sd"]),
                "handle_time_recorded": round(float(g["handle_time_recorded"]), 4),
                "per_hour_by_weekday": by_day,
            }
        )
    return {
        "file": profile.file,
        "rows": profile.rows,
        "skipped_rows": profile.skipped,
        "time_zone": profile.time_zone,
        "first_date": profile.first_date.isoformat(),
        "last_date": profile.last_date.isoformat(),
        "days": (profile.last_date - profile.first_date).days + 1,
        "groups": groups,
    }


def profile_text(profile: Any) -> str:
    """The profile as the plain text ``coverage-sim profile`` prints.

    Parameters
    ----------
    profile : LogProfile
        From `coverage.demand.logs.profile_log`.

    Returns
    -------
    str
        One block per (channel, region).
    """
    data = profile_dict(profile)
    clock = data["time_zone"] or "each timestamp's own clock"
    lines = [
        f"{data['file']}: {data['rows']:,} contacts, {data['first_date']} to {data['last_date']} "
        f"({data['days']} days), local hours in {clock}"
    ]
    if data["skipped_rows"]:
        lines.append(f"skipped {data['skipped_rows']:,} bad rows")
    lines += [
        "",
        f"{'channel':<12}{'region':<12}{'contacts':>10}{'per day':>10}{'busyness_cv':>13}"
        f"{'handle mean':>13}{'ln sd':>7}",
    ]
    for g in data["groups"]:
        mean = g["handle_time_mean_s"]
        log_sd = g["handle_time_log_sd"]
        lines.append(
            f"{g['channel']:<12}{g['region'] or '-':<12}{g['contacts']:>10,}{g['per_day']:>10.1f}"
            f"{g['busyness_cv']:>13.3f}{'—' if mean is None else f'{mean:,.0f} s':>13}"
            f"{'—' if log_sd is None else f'{log_sd:.2f}':>7}"
        )
    for g in data["groups"]:
        lines += [
            "",
            f"{g['channel']} / {g['region'] or '-'}: contacts per hour by local hour and weekday",
            "hour " + "".join(f"{day:>7}" for day in WEEKDAY_NAMES),
        ]
        table = g["per_hour_by_weekday"]
        for hour in range(24):
            cells = "".join(f"{table[day][hour]:>7.2f}" for day in WEEKDAY_NAMES)
            lines.append(f"{hour:02d}   {cells}")
    return "\n".join(lines)


@command("profile", _configure_profile)
def profile_command(args: argparse.Namespace) -> int:
    """Fit and print the demand profile of a contact log (rates by local hour and weekday).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``coverage-sim profile`` arguments.

    Returns
    -------
    int
        The exit code (0; bad input raises ScenarioError, exit 2).
    """
    from coverage.demand.log_reader import read_log
    from coverage.demand.logs import profile_log
    from coverage.outputs import atomic_write_bytes, csv_bytes

    time_zone = None
    if args.time_zone is not None:
        try:
            time_zone = check_time_zone(args.time_zone)
        except ValueError as exc:
            raise ScenarioError("--time-zone", str(exc)) from None
    profile = profile_log(read_log(args.log, skip_bad=args.skip_bad_rows), time_zone=time_zone)
    if args.out:
        buffer = io.BytesIO()
        if args.out.lower().endswith(".parquet"):
            profile.table.to_parquet(buffer, index=False)
        else:
            buffer.write(csv_bytes(profile.table))  # log text cannot become a formula
        atomic_write_bytes(args.out, buffer.getvalue())
    if args.json:
        sys.stdout.write(json.dumps(profile_dict(profile), indent=2) + "\n")
    else:
        sys.stdout.write(profile_text(profile) + "\n")
        if args.out:
            sys.stdout.write(f"\nwrote {args.out}\n")
    return EXIT_OK

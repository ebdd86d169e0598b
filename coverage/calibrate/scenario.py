"""The calibrated scenario: a runnable scenario file that reproduces the calibrated history.

What `calibrated.yaml` holds (docs/calibration.md):

* one channel (the log's name made a scenario name: lower case, other characters → `-`) with the
  fitted handle time and patience and the service-level threshold used (share 0.8);
* one region, `customers`, in the calibration's time zone;
* demand: the fitted arrival rates per local weekday × hour, as seven rate entries (one per
  weekday: its 24 hourly rates and a weekday factor of 1 on that day, 0 elsewhere) with the
  fitted busyness CV — fresh arrivals every replication, like a `fit` entry, with no path to
  the log to keep valid;
* one plan, `as-observed`, with one site in the same time zone whose one-hour shifts hold the
  mean agents seen per weekday × hour, rounded (`coverage.calibrate.staffing.hourly_shifts`),
  and whose shrinkage is 1 − availability;
* the horizon of the log's period (from 00:00 UTC of its first local date, its number of days).

`hourly_cost` is 0 (a log says nothing about pay): set it before reading costs.
"""

from __future__ import annotations

import re
from typing import Any

from coverage.calibrate.run import Calibration
from coverage.calibrate.staffing import hourly_shifts
from coverage.scenario.model import dump_scenario_yaml, parse_scenario


def scenario_name(text: str) -> str:
    """A scenario name ([a-z0-9-]+) for a log's channel text."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return name or "queue"


def calibrated_scenario_dict(cal: Calibration, *, replications: int = 20) -> dict[str, Any]:
    """The calibrated scenario as plain data in the file format."""
    period = cal.period
    channel = scenario_name(period.channel)
    channel_block: dict[str, Any] = {
        "mode": "realtime",
        "handle_time": cal.handle.distribution,
        "target": {"answer_within_s": cal.target_s, "share": 0.8},
    }
    if cal.patience.distribution is not None:
        channel_block["patience"] = cal.patience.distribution
    demand = []
    for day in range(7):
        factors = [1.0 if d == day else 0.0 for d in range(7)]
        entry: dict[str, Any] = {
            "channel": channel,
            "region": "customers",
            "per_hour": [round(float(v), 4) for v in cal.per_hour[day]],
            "weekday_factors": factors,
        }
        if cal.busyness_cv > 0:
            entry["busyness_cv"] = round(cal.busyness_cv, 4)
        demand.append(entry)
    shifts = hourly_shifts(cal.staffing, channel)
    if not shifts:  # nobody was seen at any hour on average: a crew of none keeps it valid
        shifts = [{"start": "00:00", "hours": 24, "days": "all", "agents": 0}]
    return {
        "name": f"calibrated-{channel}",
        "description": (
            f"Calibrated to {period.file} ({period.first_date} for {period.days} days, local "
            f"time {period.time_zone}): availability {cal.availability:.3f} of the agents seen"
        ),
        "horizon": {"start": period.first_date.isoformat(), "days": period.days},
        "replications": replications,
        "seed": cal.seed,
        "channels": {channel: channel_block},
        "regions": {"customers": {"time_zone": period.time_zone}},
        "demand": demand,
        "plans": {
            "as-observed": {
                "sites": {
                    "observed": {
                        "time_zone": period.time_zone,
                        "hourly_cost": 0.0,
                        "shrinkage": round(1.0 - cal.availability, 4),
                        "shifts": shifts,
                    }
                }
            }
        },
    }


def calibrated_yaml(cal: Calibration, *, replications: int = 20) -> str:
    """The calibrated scenario as YAML text (validated: it loads as written)."""
    data = calibrated_scenario_dict(cal, replications=replications)
    header = (
        "# Calibrated by coverage-sim calibrate: demand, handle time, patience, staffing and\n"
        "# availability fitted to a contact log with outcomes (docs/calibration.md).\n"
    )
    return header + dump_scenario_yaml(parse_scenario(data))

"""The only unit conversions in the package.

Inside the package every duration and clock time is seconds as ``float``; rates are per hour at
the boundary and per second inside the engine.
"""

from __future__ import annotations

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY
HOURS_PER_MONTH = 730.5  # 365.25 × 24 / 12: the month of the cost contract (docs/results.md)
DRAIN_S = SECONDS_PER_DAY  # the roster keeps running this long past the horizon


def hours_to_s(hours: float) -> float:
    """Convert hours to seconds [h → s]."""
    return float(hours) * SECONDS_PER_HOUR


def s_to_hours(seconds: float) -> float:
    """Convert seconds to hours [s → h]."""
    return float(seconds) / SECONDS_PER_HOUR


def per_hour_to_per_s(per_hour: float) -> float:
    """Convert a rate per hour to a rate per second [1/h → 1/s]."""
    return float(per_hour) / SECONDS_PER_HOUR


def clock_to_s(text: str) -> float:
    """Seconds after local midnight of an "HH:MM" clock time [s]; the caller validates `text`."""
    hours, minutes = text.split(":")
    return int(hours) * SECONDS_PER_HOUR + int(minutes) * SECONDS_PER_MINUTE

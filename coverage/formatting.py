"""Numbers for people: the one place that turns figures into display text.

The CLI's comparison, the app and the batch report all format through here, so a duration, a
share or an amount of money reads the same everywhere. Exact values stay in JSON, CSV and
Parquet; these strings are for display only.

* Durations: below 10 s with one decimal (`7.5 s`), below 2 min in seconds (`45 s`), below 2 h in
  minutes (`90 min`), then hours with one decimal and no trailing `.0` (`7.3 h`, `24 h`).
* Shares: percent with one decimal (`92.0%`); differences in percentage points (`+1.5 pp`).
* Money: currency code, thousands separators, rounded to whole units (`USD 790,283`), or to
  cents for small amounts such as a cost per contact (`USD 4.21`).
"""

from __future__ import annotations

import math
from typing import Any


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_duration_s(value: float | None) -> str:
    """A duration [s] for people: `7.5 s`, `45 s`, `12 min`, `7.3 h`, `24 h`; None → `—`."""
    if _missing(value):
        return "—"
    assert value is not None
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value < 10:
        return f"{sign}{value:.1f} s"
    if value < 120:
        return f"{sign}{value:.0f} s"
    if value < 7200:
        return f"{sign}{value / 60:.0f} min"
    hours = f"{value / 3600:.1f}".removesuffix(".0")
    return f"{sign}{hours} h"


def format_share(value: float | None, *, digits: int = 1) -> str:
    """A share [0–1] as a percentage: `92.0%`; None → `—`."""
    if _missing(value):
        return "—"
    assert value is not None
    return f"{100 * value:.{digits}f}%"


def format_points(value: float | None) -> str:
    """A difference of two shares in percentage points: `+1.5 pp`; None → `—`."""
    if _missing(value):
        return "—"
    assert value is not None
    return f"{100 * value:+.1f} pp"


def format_money(value: float | None, currency: str, *, cents: bool = False) -> str:
    """Money: `USD 790,283` (rounded to whole units) or with `cents` `USD 4.21`; None → `—`."""
    if _missing(value):
        return "—"
    assert value is not None
    sign = "-" if value < 0 else ""
    amount = f"{abs(value):,.2f}" if cents else f"{abs(value):,.0f}"
    return f"{sign}{currency} {amount}"


def format_money_delta(value: float | None, currency: str, *, cents: bool = False) -> str:
    """A difference of money with its sign: `+USD 12,400` / `-USD 3.10`."""
    if _missing(value):
        return "—"
    assert value is not None
    return ("+" if value >= 0 else "") + format_money(value, currency, cents=cents)


def format_count(value: float | None) -> str:
    """A count with thousands separators, rounded: `12,345`; None → `—`."""
    if _missing(value):
        return "—"
    assert value is not None
    return f"{value:,.0f}"


def format_hours(value: float | None) -> str:
    """Hours [h] with one decimal and separators: `1,404.2 h`; None → `—`."""
    if _missing(value):
        return "—"
    assert value is not None
    return f"{value:,.1f} h"


def format_target(answer_within_s: float, share: float) -> str:
    """A service target: `90% within 24 h`."""
    return f"{format_share(share, digits=0)} within {format_duration_s(answer_within_s)}"

"""What every scenario model shares: the strict pydantic base class, the value types and limits.

`_Model` forbids unknown keys, freezes instances and refuses NaN or infinite numbers; `Name` is
the lower-case name type of channels, regions, plans, sites, …; `Share` (0–1), `NonNegative`,
`Positive`, `Money` and `Premium` carry their bounds. The limits keep every figure finite.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_NESTING = 40
MAX_SIGMA = 10.0  # lognormal sigma (of ln): sigma**2 must not overflow; 3 is already extreme
MAX_CV = 10.0  # busyness_cv: 1/cv**2 is a gamma shape; larger values only overflow
# Money and premiums are bounded so that every cost total is finite: at most 1e12 per hour,
# contact or seat-month and premiums of 100 (10,000 %), a plan's total stays below 1e30.
MAX_MONEY = 1e12
MAX_PREMIUM = 100.0
DEFAULT_START = dt.date(2026, 1, 5)  # a Monday
# horizons start in these years: time zones and holiday calendars are known there, and every
# instant of the horizon and its drain fits pandas' nanosecond timestamps (1677–2262)
FIRST_START, LAST_START = dt.date(1970, 1, 1), dt.date(2200, 12, 31)

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY)]
Premium = Annotated[float, Field(ge=0.0, le=MAX_PREMIUM)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, validate_default=True
    )

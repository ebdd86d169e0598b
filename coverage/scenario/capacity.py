"""The scenario's optional `capacity` block: a plan over months (docs/capacity.md).

Finance budgets a year, not a week. This block says how demand moves month by month (compound
growth and seasonal factors, applied to the scenario's weekly demand as given) and, per site, how
people come and go: the starting headcount, monthly attrition, the hiring lead time, paid but
unproductive training, the proficiency curve after training, the cost per hire, a hiring limit and
the hours one full-time equivalent (FTE) works in a week.

A site entry applies to the site of that name in every plan (each plan starts from the same
team); every site of every plan needs one. The planner itself is `coverage.capacity`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from coverage.scenario.fields import FieldError

MAX_MONTHS = 120
WEEKS_PER_MONTH = 365.25 / 12 / 7  # 4.348 weeks: the month of the cost contract (docs/results.md)

SiteName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Proficiency = Annotated[float, Field(gt=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, validate_default=True
    )


class CapacitySite(_Model):
    """How people come and go at one site."""

    headcount: (
        Annotated[int, Field(ge=0, le=100_000)]
        | dict[SiteName, Annotated[int, Field(ge=0, le=100_000)]]
    ) = Field(
        description="people employed at the start of the plan [people]: one number for every "
        "plan, or a number per plan name (plans start from different teams)"
    )
    attrition_per_month: float = Field(
        0.0, ge=0.0, lt=1.0, description="share of the paid staff who leave each month [0–1/month]"
    )
    hiring_lead_months: float = Field(
        0.0,
        ge=0.0,
        le=MAX_MONTHS,
        description="from the decision to hire to the first day [months]; a hire starts on the "
        "first day of a month, so the earliest start is month ceil(lead)",
    )
    training_weeks: float = Field(
        0.0, ge=0.0, le=104.0, description="paid training before a hire handles contacts [weeks]"
    )
    proficiency: list[Proficiency] = Field(
        default_factory=lambda: [1.0],
        min_length=1,
        max_length=MAX_MONTHS,
        description="productivity by month of tenure after training, each in (0, 1]; the last "
        "value holds from then on [FTE per person]",
    )
    cost_per_hire: float = Field(
        0.0,
        ge=0.0,
        description="recruiting cost of one hire, paid in the month they start [currency]",
    )
    max_hires_per_month: int | None = Field(
        None, ge=0, le=100_000, description="most hires that can start in one month [people/month]"
    )
    hours_per_week: float = Field(
        40.0, gt=0.0, le=168.0, description="paid hours of one FTE in a week [h/week]"
    )

    def headcount_for(self, plan: str) -> int:
        """Starting headcount in `plan` [people]."""
        if isinstance(self.headcount, dict):
            return self.headcount[plan]
        return self.headcount

    def for_plan(self, plan: str) -> CapacitySite:
        """This site with the plain starting headcount of `plan`."""
        return self.model_copy(update={"headcount": self.headcount_for(plan)})

    @property
    def earliest_start_month(self) -> int:
        """The first month index (0-based) in which a hire decided at the plan start can start."""
        return math.ceil(self.hiring_lead_months - 1e-9)


class Capacity(_Model):
    """A plan over months: demand by month and, per site, hiring, training and attrition."""

    start: str = Field(description='first month of the plan, "YYYY-MM"')
    months: int = Field(ge=1, le=MAX_MONTHS, description="length of the plan [months]")
    demand_growth_per_month: float = Field(
        0.0,
        gt=-1.0,
        le=1.0,
        description="compound growth of demand per month: month m has (1 + g)^m times the "
        "scenario's demand [share/month]",
    )
    seasonality: list[Annotated[float, Field(ge=0.0, le=100.0)]] | None = Field(
        None,
        min_length=12,
        max_length=12,
        description="demand factors by calendar month, Jan..Dec, used as given (not "
        "normalised); absent = 1 every month",
    )
    sites: dict[SiteName, CapacitySite] = Field(
        min_length=1, description="per site name (the site of that name in every plan)"
    )

    @field_validator("start", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}", value):
            raise ValueError(f'{value!r} is not a month: write it in quotes as "YYYY-MM"')
        year, month = (int(p) for p in value.split("-"))
        if not 1 <= month <= 12 or not 1900 <= year <= 2999:
            raise ValueError(f"{value!r} is not a month (YYYY-MM)")
        return value

    @model_validator(mode="after")
    def _lead_inside_plan(self) -> Capacity:
        for name, site in self.sites.items():
            if site.earliest_start_month >= self.months:
                raise FieldError(
                    ("sites", name, "hiring_lead_months"),
                    f"{site.hiring_lead_months:g} months is not shorter than the plan "
                    f"({self.months} months): no hire could ever start",
                )
        return self

    @property
    def first_month(self) -> dt.date:
        """The first day of the plan's first month."""
        year, month = (int(p) for p in self.start.split("-"))
        return dt.date(year, month, 1)

    def month_labels(self) -> list[str]:
        """The plan's months as "YYYY-MM"."""
        first = self.first_month
        labels = []
        for m in range(self.months):
            index = first.month - 1 + m
            labels.append(f"{first.year + index // 12:04d}-{index % 12 + 1:02d}")
        return labels

    def demand_factors(self) -> list[float]:
        """Demand of each month relative to the scenario's: (1 + g)^m × seasonality[month]."""
        first = self.first_month
        out = []
        for m in range(self.months):
            season = 1.0
            if self.seasonality is not None:
                season = self.seasonality[(first.month - 1 + m) % 12]
            out.append((1.0 + self.demand_growth_per_month) ** m * season)
        return out


def check_capacity_sites(capacity: Capacity, plan_sites: dict[str, list[str]]) -> None:
    """Every site of every plan has a capacity entry, and every entry names a site.

    Raises FieldError located under ``capacity.sites``.
    """
    used = {site for sites in plan_sites.values() for site in sites}
    for plan, sites in plan_sites.items():
        for site in sites:
            if site not in capacity.sites:
                raise FieldError(
                    ("capacity", "sites"),
                    f"site {site!r} of plan {plan!r} has no entry (give headcount, attrition, "
                    "hiring for every site)",
                )
            heads = capacity.sites[site].headcount
            if isinstance(heads, dict) and plan not in heads:
                raise FieldError(
                    ("capacity", "sites", site, "headcount"),
                    f"no headcount for plan {plan!r} (give one per plan with this site)",
                )
    for site, entry in capacity.sites.items():
        if isinstance(entry.headcount, dict):
            for plan in entry.headcount:
                if site not in plan_sites.get(plan, []):
                    raise FieldError(
                        ("capacity", "sites", site, "headcount", plan),
                        f"plan {plan!r} has no site {site!r}",
                    )
    for site in capacity.sites:
        if site not in used:
            raise FieldError(
                ("capacity", "sites", site),
                f"{site!r} is not a site of any plan (sites: {', '.join(sorted(used))})",
            )

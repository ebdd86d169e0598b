"""Typed results: the figures a run reports, as frozen dataclasses.

The field order of each class is the order of the JSON result contract (docs/results.md, "JSON
result"), and every table of figures derives its columns from these fields: the JSON
(`coverage.results.report.result_dict`), ``channels.csv`` (`channel_row`), ``costs.csv`` and the
comparison text (the fields with a ``label``). Each field's metadata holds its description with
the unit (``doc``) and, where the comparison text shows it, its ``label`` and ``style`` (``n``
count, ``pct`` share, ``s`` duration, ``money``).

The same classes hold one replication's figures and the means over replications: a count is an
integer in one replication and a mean (float) across them; a figure whose denominator is empty is
None (null in JSON).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

SHARE, DURATION, COUNT, MONEY = "pct", "s", "n", "money"


def _figure(
    doc: str,
    *,
    label: str | None = None,
    style: str | None = None,
    count: bool = False,
    default: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field carrying its description (with unit), its comparison-table label and
    whether it counts contacts."""
    metadata = {"doc": doc, "label": label, "style": style, "count": count}
    return field(default=default, metadata=metadata)


def field_docs(cls: type) -> dict[str, str]:
    """Each field of a result class with its description.

    Parameters
    ----------
    cls : type
        A result dataclass of this module.

    Returns
    -------
    dict of str to str
        Field name → description, unit in brackets at the end.
    """
    return {f.name: f.metadata["doc"] for f in dataclasses.fields(cls)}


def fields_in(cls: type, unit: str) -> tuple[str, ...]:
    """Names of the fields of a result class measured in `unit`.

    Parameters
    ----------
    cls : type
        A result dataclass of this module.
    unit : str
        As written in the descriptions' brackets, e.g. ``"s"`` or ``"0–1"``.

    Returns
    -------
    tuple of str
        Field names, in field order.
    """
    return tuple(f.name for f in dataclasses.fields(cls) if f.metadata["doc"].endswith(f"[{unit}]"))


def labelled_fields(cls: type) -> list[tuple[str, str, str]]:
    """The fields a comparison table shows.

    Parameters
    ----------
    cls : type
        A result dataclass of this module.

    Returns
    -------
    list of (str, str, str)
        (name, label, style) in field order; style is ``n``, ``pct``, ``s`` or ``money``.
    """
    return [
        (f.name, f.metadata["label"], f.metadata["style"])
        for f in dataclasses.fields(cls)
        if f.metadata.get("label")
    ]


@dataclass(frozen=True)
class ChannelCI95:
    """95% confidence intervals over replications: mean ± t(0.975, n−1)·s/√n as (low, high);
    None with fewer than two replications with a value."""

    service_level: tuple[float, float] | None = _figure(
        "service level interval [0–1]", default=None
    )
    abandon_rate: tuple[float, float] | None = _figure("abandon rate interval [0–1]", default=None)
    asa_s: tuple[float, float] | None = _figure(
        "average speed of answer interval [s]", default=None
    )


@dataclass(frozen=True)
class ChannelFigures:
    """One channel's figures for a plan: in one replication, or means over replications.

    Definitions: docs/results.md; every count is of contacts that arrived in
    the measured window [warm-up, end of horizon).
    """

    offered: float = _figure(
        "contacts that arrived [contacts]", label="offered / replication", style=COUNT, count=True
    )
    deflected: float = _figure(
        "resolved by the bot [contacts]", label="deflected by bot", style=COUNT, count=True
    )
    answered: float = _figure("an agent started handling them [contacts]", count=True)
    answered_within_target: float = _figure(
        "answered with a wait at most the target's answer_within_s [contacts]", count=True
    )
    abandoned: float = _figure("left the queue before an agent took them [contacts]", count=True)
    short_abandoned: float = _figure(
        "abandoned with a wait at most short_abandon_s (a subset of abandoned) [contacts]",
        count=True,
    )
    unfinished: float = _figure("still waiting at the end of the drain [contacts]", count=True)
    service_level: float | None = _figure(
        "answered_within_target / (offered − deflected − short_abandoned) [0–1]",
        label="service level",
        style=SHARE,
    )
    abandon_rate: float | None = _figure(
        "(abandoned − short_abandoned) / (offered − deflected − short_abandoned) [0–1]",
        label="abandon rate",
        style=SHARE,
    )
    p_wait: float | None = _figure(
        "contacts that waited (abandoners included) / (offered − deflected) [0–1]"
    )
    p_miss_target: float | None = _figure(
        "share of replications whose service level is below the target share (in one "
        "replication: 1 if it is, else 0) [0–1]",
        label="P(miss target)",
        style=SHARE,
    )
    asa_s: float | None = _figure("mean wait of answered contacts [s]", label="ASA", style=DURATION)
    mean_wait_all_s: float | None = _figure(
        "mean wait of every contact that reached the queue (an abandoner's wait is its time to "
        "abandon) [s]"
    )
    frt_p50_s: float | None = _figure(
        "median wait of answered contacts (first response time) [s]",
        label="FRT p50",
        style=DURATION,
    )
    frt_p90_s: float | None = _figure(
        "90th percentile wait of answered contacts [s]", label="FRT p90", style=DURATION
    )
    frt_max_s: float | None = _figure("longest wait of an answered contact [s]")
    occupancy: float | None = _figure(
        "handling time in the window / available time of the agents serving the channel [0–1]",
        label="occupancy",
        style=SHARE,
    )
    backlog_start: float | None = _figure(
        "contacts waiting for an agent at the start of the measured window, mean per "
        "replication (None in one replication's figures) [contacts]",
        label="backlog at start",
        style=COUNT,
        default=None,
    )
    backlog_end: float | None = _figure(
        "contacts waiting for an agent at the end of the measured window, mean per "
        "replication (None in one replication's figures) [contacts]",
        label="backlog at end",
        style=COUNT,
        default=None,
    )
    ci95: ChannelCI95 = _figure(
        "95% confidence intervals over replications (all None for one replication's figures)",
        default=ChannelCI95(),
    )


COUNT_FIELDS = tuple(f.name for f in dataclasses.fields(ChannelFigures) if f.metadata["count"])
CI_FIELDS = tuple(f.name for f in dataclasses.fields(ChannelCI95))


@dataclass(frozen=True)
class ReplicationFigures:
    """What one plan measured in one replication: per channel, and the plan's occupancy."""

    channels: dict[str, ChannelFigures] = _figure("figures per channel name, in scenario order")
    occupancy: float | None = _figure(
        "handling time in the window / available time of all the plan's agents [0–1]"
    )


@dataclass(frozen=True)
class CrewGroupSustainability:
    """Can a crew group clear its work? One entry of a plan's ``sustainability`` list
    (`coverage.results.sustainability`; docs/verdicts.md)."""

    site: str = _figure("the group's sites in file order, joined by ' + '")
    channels: list[str] = _figure("the channels the group serves, in scenario order")
    workload_hours: float = _figure(
        "Σ handle time ÷ concurrency of the window's contacts of its channels that reached a "
        "queue without abandoning, mean per replication [h]"
    )
    available_hours: float = _figure("paid time of its shifts in the window × (1 − shrinkage) [h]")
    ratio: float | None = _figure("workload_hours / available_hours [ratio]")
    sustainable: bool = _figure(
        "false when it serves an async channel and ratio ≥ 1, or its backlog grows [bool]"
    )
    backlog_start: float = _figure(
        "contacts of its channels waiting at the start of the window, mean [contacts]"
    )
    backlog_end: float = _figure(
        "contacts of its channels waiting at the end of the window, mean [contacts]"
    )
    backlog_growth_per_week: float | None = _figure(
        "(backlog_end − backlog_start) per week of window [contacts/week]"
    )


@dataclass(frozen=True)
class SiteCost:
    """A site's cost in the measured window (one replication, or means over replications)."""

    labor: float = _figure("paid hours × hourly_cost [currency]")
    premiums: float = _figure(
        "paid time × hourly_cost × the premiums in force (night, weekend, holiday, overtime) "
        "[currency]"
    )
    paid_hours: float = _figure("rostered time in the window plus paid overtime [h]")
    overtime_hours: float = _figure("time agents spent finishing contacts after their shift [h]")
    seats: float = _figure(
        "seat_cost_per_month × peak agents on duty × window hours / 730.5 [currency]"
    )
    peak_agents: float = _figure("most agents on duty at once in the window [agents]")
    night_premium: float = _figure(
        "the part of premiums from the night premium [currency]", default=0.0
    )
    weekend_premium: float = _figure(
        "the part of premiums from the weekend premium [currency]", default=0.0
    )
    holiday_premium: float = _figure(
        "the part of premiums from the holiday premium [currency]", default=0.0
    )
    overtime_premium: float = _figure(
        "the part of premiums from the overtime premium [currency]", default=0.0
    )


@dataclass(frozen=True)
class PlanCost:
    """A plan's cost in the measured window (one replication, or means over replications)."""

    total: float = _figure(
        "labor + premiums + automation + seats [currency]", label="total", style=MONEY
    )
    labor: float = _figure(
        "paid hours × hourly_cost, all sites [currency]", label="labor", style=MONEY
    )
    premiums: float = _figure("premiums, all sites [currency]", label="premiums", style=MONEY)
    automation: float = _figure(
        "bot conversations × cost_per_contact [currency]", label="automation", style=MONEY
    )
    seats: float = _figure("seat costs, all sites [currency]", label="seats", style=MONEY)
    per_contact: float | None = _figure(
        "total / offered contacts (across replications: mean total / mean offered) [currency]",
        label="per contact",
        style=MONEY,
    )
    per_month: float = _figure(
        "total × 730.5 / window hours [currency/month]", label="per month", style=MONEY
    )
    paid_hours: float = _figure("paid hours, all sites [h]", label="paid hours", style=COUNT)
    by_site: dict[str, SiteCost] = _figure("the same figures per site name")


def to_dict(figures: Any) -> dict[str, Any]:
    """A result dataclass as plain data in field order (nested ones included).

    Parameters
    ----------
    figures : dataclass instance
        E.g. `ChannelFigures` or `PlanCost`.

    Returns
    -------
    dict
        The JSON form (intervals as tuples; `coverage.results.report` makes them lists).
    """
    return dataclasses.asdict(figures)


def cost_row_fields() -> tuple[str, ...]:
    """The PlanCost fields of a flat cost row.

    Returns
    -------
    tuple of str
        Every field but ``by_site``, in field order.
    """
    return tuple(f.name for f in dataclasses.fields(PlanCost) if f.name != "by_site")


def cost_row(cost: PlanCost) -> dict[str, Any]:
    """A plan's cost figures as flat columns.

    Parameters
    ----------
    cost : PlanCost
        One replication's or the mean cost.

    Returns
    -------
    dict
        `cost_row_fields` → value [currency, h].
    """
    return {name: getattr(cost, name) for name in cost_row_fields()}


def channel_figures_from_dict(data: dict[str, Any]) -> ChannelFigures:
    """ChannelFigures from their JSON form.

    Parameters
    ----------
    data : dict
        A channel's figures as the JSON result holds them (intervals as lists or null).

    Returns
    -------
    ChannelFigures
        The typed figures.
    """
    values = dict(data)
    ci = values.get("ci95")
    if ci is not None:
        values["ci95"] = ChannelCI95(**{k: tuple(v) if v else None for k, v in ci.items()})
    return ChannelFigures(**values)


def channel_row(figures: ChannelFigures, *, ci95: bool = True) -> dict[str, Any]:
    """A channel's figures as flat columns in field order.

    Parameters
    ----------
    figures : ChannelFigures
        One replication's or the mean figures.
    ci95 : bool
        Add each interval as ``<metric>_ci95_lo`` / ``<metric>_ci95_hi`` (default) or leave
        them out.

    Returns
    -------
    dict
        Column → value, the channels.csv row of the channel.
    """
    row = {f.name: getattr(figures, f.name) for f in dataclasses.fields(ChannelFigures)}
    intervals: ChannelCI95 = row.pop("ci95")
    if ci95:
        for metric in CI_FIELDS:
            bounds = getattr(intervals, metric)
            row[f"{metric}_ci95_lo"] = bounds[0] if bounds else None
            row[f"{metric}_ci95_hi"] = bounds[1] if bounds else None
    return row

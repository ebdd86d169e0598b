"""Verdicts: does each plan meet each channel's target, is it sustainable, which plan to pick.

Rules (docs/verdicts.md):

* A channel **meets** its target when the mean service level over replications is at least the
  target share (the optimizer's rule for a window target); otherwise it **misses**. The verdict
  shows the 95 % interval over replications; it is **borderline** when that interval contains the
  target share (more replications could change the answer).
* A channel with no contacts to serve has no verdict ("no contacts").
* A plan is **sound** when every channel with contacts meets its target and every crew group is
  sustainable (`coverage.results.sustainability`).
* The recommendation is the cheapest sound plan per month; when no plan is sound, the plan with
  the fewest misses, then the cheapest, is named with what it misses.
"""

from __future__ import annotations

from dataclasses import dataclass

from coverage.formatting import format_money, format_share, format_target
from coverage.results.sustainability import sustainability_warning
from coverage.simulation.replications import RunResult


@dataclass(frozen=True)
class ChannelVerdict:
    """One plan × channel against its target."""

    plan: str
    channel: str
    target: str  # e.g. "90% within 24 h"
    service_level: float | None
    interval: tuple[float, float] | None  # 95 % over replications
    meets: bool | None  # None: no contacts to serve
    borderline: bool

    @property
    def word(self) -> str:
        """`meets`, `misses` or `no contacts`."""
        return "no contacts" if self.meets is None else ("meets" if self.meets else "misses")


def channel_verdicts(result: RunResult, plan: str) -> list[ChannelVerdict]:
    """The verdict of every channel of `plan`, in scenario order.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    plan : str
        The plan.

    Returns
    -------
    list of ChannelVerdict
        Per channel: its target, the mean service level and its 95% interval [0–1], and whether
        the target is met.
    """
    out = []
    for name, channel in result.scenario.channels.items():
        fig = result.plans[plan].channels[name]
        level = fig.service_level
        bounds = fig.ci95.service_level
        share = channel.target.share
        interval = (bounds[0], bounds[1]) if bounds else None
        out.append(
            ChannelVerdict(
                plan=plan,
                channel=name,
                target=format_target(channel.target.answer_within_s, share),
                service_level=level,
                interval=interval,
                meets=None if level is None else level >= share,
                borderline=interval is not None and interval[0] <= share <= interval[1],
            )
        )
    return out


def verdict_text(v: ChannelVerdict) -> str:
    """One channel's verdict as text.

    e.g. ``email misses 90% within 24 h: 85.2% (95% CI 84.1–86.3%)``.

    Parameters
    ----------
    v : ChannelVerdict
        From `channel_verdicts`.

    Returns
    -------
    str
        The line.
    """
    if v.meets is None:
        return f"{v.channel}: no contacts (target {v.target})"
    ci = ""
    if v.interval is not None:
        lo, hi = max(v.interval[0], 0.0), min(v.interval[1], 1.0)  # a share stays in [0, 1]
        ci = f" (95% CI {format_share(lo)}–{format_share(hi)})"
    note = ", borderline" if v.borderline else ""
    return f"{v.channel} {v.word} {v.target}: {format_share(v.service_level)}{ci}{note}"


def plan_is_sound(result: RunResult, plan: str) -> bool:
    """Whether every channel with contacts meets its target and every crew group is sustainable.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    plan : str
        The plan.

    Returns
    -------
    bool
        True when the plan is sound.
    """
    return shortfalls(result, plan) == 0


def shortfalls(result: RunResult, plan: str) -> int:
    """Targets missed plus crew groups that are not sustainable.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    plan : str
        The plan.

    Returns
    -------
    int
        The count.
    """
    n = sum(v.meets is False for v in channel_verdicts(result, plan))
    return n + sum(not e.sustainable for e in result.plans[plan].sustainability)


def recommended_plan(result: RunResult) -> str:
    """The plan to pick.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    str
        The cheapest sound plan per month; if none is sound, the fewest shortfalls, then the
        cheapest.
    """
    cost = {p: result.plans[p].cost.per_month for p in result.plans}
    return min(result.plans, key=lambda p: (shortfalls(result, p), cost[p]))


def recommendation(result: RunResult) -> str:
    """One line: the cheapest plan that meets every target sustainably, and by how much.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    str
        The line.
    """
    cur = result.scenario.currency
    plans = list(result.plans)
    cost = {p: result.plans[p].cost.per_month for p in plans}
    sound = sorted((p for p in plans if plan_is_sound(result, p)), key=lambda p: cost[p])
    if len(plans) == 1:
        p = plans[0]
        state = "meets every target sustainably" if sound else "does not meet every target"
        return f"{p} {state} at {format_money(cost[p], cur)} a month."
    if sound:
        best = sound[0]
        others = [p for p in plans if p != best]
        cheaper = [p for p in others if cost[p] < cost[best]]
        text = f"Pick {best}: it meets every target sustainably at {format_money(cost[best], cur)}"
        text += " a month"
        dearer = [p for p in others if cost[p] >= cost[best]]
        if dearer:
            saving = min(cost[p] for p in dearer) - cost[best]
            text += f", {format_money(saving, cur)} a month less than {_cheapest(dearer, cost)}"
        if cheaper:
            text += f"; {', '.join(cheaper)} cost less but miss a target or are not sustainable"
        return text + "."

    best = recommended_plan(result)
    n = shortfalls(result, best)
    return (
        f"No plan meets every target sustainably; {best} comes closest "
        f"({n} shortfall{'s' if n > 1 else ''}) at {format_money(cost[best], cur)} a month."
    )


def _cheapest(plans: list[str], cost: dict[str, float]) -> str:
    return min(plans, key=lambda p: cost[p])


def verdict_lines(result: RunResult) -> list[str]:
    """The verdict block that opens the CLI comparison.

    Per plan, its cost, one line per channel (misses marked ``✗``), unsustainable crew groups
    (``!``), then the recommendation.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    list of str
        Lines of text.
    """
    cur = result.scenario.currency
    lines = ["verdict (mean over replications; 95% CI)"]
    for plan in result.plans:
        cost = result.plans[plan].cost
        lines.append(
            f"  {plan}: {format_money(cost.per_month, cur)} a month, "
            f"{format_money(cost.per_contact, cur, cents=True)} per contact"
        )
        for v in channel_verdicts(result, plan):
            mark = "✗" if v.meets is False else ("✓" if v.meets else " ")
            lines.append(f"    {mark} {verdict_text(v)}")
        for entry in result.plans[plan].sustainability:
            warning = sustainability_warning(entry, plan)
            if warning:
                lines.append(f"    ! not sustainable: {warning}")
    lines.append(f"  {recommendation(result)}")
    return lines

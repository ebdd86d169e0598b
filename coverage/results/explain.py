"""Why a plan wins: a short explanation generated from the figures of two plans.

Each sentence comes from a table the run already has: the cost components per month, the channel
figures, the hour-of-week tables (the hours whose service differs most, weighted by the contacts
they carry), the premiums and seats per site, the language hours without a speaker and the
sustainability of the crew groups. Nothing is estimated here; it only picks the largest
differences and says them in words (docs/verdicts.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage.formatting import format_duration_s, format_money, format_share
from coverage.results.verdict import channel_verdicts, recommended_plan
from coverage.simulation.replications import RunResult
from coverage.units import HOURS_PER_MONTH, SECONDS_PER_HOUR

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
COMPONENTS = ("labor", "premiums", "seats", "automation")


def hour_label(hour_of_week: int) -> str:
    """A UTC hour of the week as text, e.g. ``Tue 03:00 UTC``.

    Parameters
    ----------
    hour_of_week : int
        0 (Monday 00:00 UTC) … 167.

    Returns
    -------
    str
        Weekday, hour and ``UTC``.
    """
    return f"{_DAYS[hour_of_week // 24]} {hour_of_week % 24:02d}:00 UTC"


def service_by_hour(result: RunResult, plan: str) -> pd.DataFrame:
    """Per channel and UTC hour of week: offered and pooled service level (regions together).

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    plan : str
        The plan.

    Returns
    -------
    pandas.DataFrame
        channel, hour_of_week, offered [contacts per replication], service_level [0–1].
    """
    h = result.plans[plan].hourly
    g = h.groupby(["channel", "hour_of_week"], as_index=False)[
        ["offered", "deflected", "short_abandoned", "answered_within_target"]
    ].sum()
    base = g["offered"] - g["deflected"] - g["short_abandoned"]
    g["service_level"] = np.where(
        base > 0, g["answered_within_target"] / base.clip(lower=1), np.nan
    )
    g["offered"] = g["offered"] / result.replications
    g["channel"] = [list(result.scenario.channels)[i] for i in g["channel"]]
    return g


def differing_hours(result: RunResult, a: str, b: str, *, top: int = 3) -> pd.DataFrame:
    """The channel × hour-of-week cells where two plans' service differs most.

    Cells are weighted by the contacts of the hour: |Δ service level| × offered (contacts served
    late or early).

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    a, b : str
        The two plans.
    top : int
        How many cells.

    Returns
    -------
    pandas.DataFrame
        The `top` cells, largest weighted difference first.
    """
    ha = service_by_hour(result, a).set_index(["channel", "hour_of_week"])
    hb = service_by_hour(result, b).set_index(["channel", "hour_of_week"])
    both = ha.merge(hb, left_index=True, right_index=True, suffixes=("_a", "_b")).dropna()
    both["weight"] = (both["service_level_a"] - both["service_level_b"]).abs() * both["offered_a"]
    both = both[both["weight"] > 0].sort_values("weight", ascending=False)
    return both.head(top).reset_index()


def explain(result: RunResult, a: str, b: str) -> list[str]:
    """Sentences on why plan `a` is preferred to plan `b` (largest differences first).

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.
    a, b : str
        The preferred plan and the other.

    Returns
    -------
    list of str
        Sentences, generated from the two plans' figures.
    """
    cur = result.scenario.currency
    ca, cb = result.plans[a].cost, result.plans[b].cost
    to_month = HOURS_PER_MONTH / (result.timeline.window_s / SECONDS_PER_HOUR)
    out = []
    diff = cb.per_month - ca.per_month
    parts = sorted(
        ((k, (getattr(cb, k) - getattr(ca, k)) * to_month) for k in COMPONENTS),
        key=lambda kv: -abs(kv[1]),
    )
    named = [f"{k} {'+' if v >= 0 else '-'}{format_money(abs(v), cur)}" for k, v in parts if v]
    word = "more" if diff >= 0 else "less"
    out.append(
        f"Cost: {b} costs {format_money(abs(diff), cur)} a month {word} than {a}"
        + (f" ({', '.join(named[:3])})" if named else "")
        + "."
    )
    out += _premium_and_seat_lines(result, a, b)
    va = {v.channel: v for v in channel_verdicts(result, a)}
    vb = {v.channel: v for v in channel_verdicts(result, b)}
    gaps = []
    for name in result.scenario.channels:
        la, lb = va[name].service_level, vb[name].service_level
        fa = result.plans[a].channels[name].asa_s
        fb = result.plans[b].channels[name].asa_s
        if la is None or lb is None:
            continue
        gaps.append((abs(la - lb), abs((fa or 0) - (fb or 0)), name, la, lb, fa, fb))
    gaps.sort(reverse=True)
    for _, _, name, la, lb, fa, fb in gaps[:2]:
        if va[name].meets != vb[name].meets:
            verdicts = f" — {a} {va[name].word}, {b} {vb[name].word} {va[name].target}"
        else:
            verdicts = ""
        out.append(
            f"Service, {name}: {format_share(la)} vs {format_share(lb)} within target; "
            f"mean first response {format_duration_s(fa)} vs {format_duration_s(fb)}{verdicts}."
        )
    hours = differing_hours(result, a, b)
    if len(hours):
        cells = [
            f"{r.channel} {hour_label(int(r.hour_of_week))} ({format_share(r.service_level_a)} vs "
            f"{format_share(r.service_level_b)}, {r.offered_a:,.0f} contacts)"
            for r in hours.itertuples()
        ]
        out.append(f"Hours that differ most: {'; '.join(cells)}.")
    out += _language_lines(result, a, b)
    for plan in (a, b):
        for e in result.plans[plan].sustainability:
            if not e.sustainable:
                out.append(
                    f"Sustainability: {plan}'s {'/'.join(e.channels)} crew ({e.site}) has "
                    f"{e.ratio:.2f}× its available time in work; its backlog goes "
                    f"{e.backlog_start:,.0f} → {e.backlog_end:,.0f} over the window."
                    if e.ratio is not None
                    else f"Sustainability: {plan}'s {'/'.join(e.channels)} crew has no time."
                )
    return out


def _premium_and_seat_lines(result: RunResult, a: str, b: str) -> list[str]:
    cur = result.scenario.currency
    to_month = HOURS_PER_MONTH / (result.timeline.window_s / SECONDS_PER_HOUR)
    out = []
    for kind in ("premiums", "seats"):
        bits = []
        for plan in (a, b):
            sites = result.plans[plan].cost.by_site
            paid = [
                (s, getattr(f, kind) * to_month) for s, f in sites.items() if getattr(f, kind) > 0
            ]
            if paid:
                where = ", ".join(f"{s} {format_money(v, cur)}" for s, v in paid)
                bits.append(f"{plan}: {where}")
        if bits:
            out.append(f"{kind.capitalize()} a month — {'; '.join(bits)}.")
    return out


def _language_lines(result: RunResult, a: str, b: str) -> list[str]:
    from coverage.results.breakdowns import language_gaps_table, uncovered_hours

    gaps = language_gaps_table(result)
    if gaps.empty:
        return []
    bits = []
    for language in sorted(set(gaps["language"])):
        ha, hb = uncovered_hours(gaps, a, language), uncovered_hours(gaps, b, language)
        if ha or hb:
            bits.append(f"{language} {ha:,.1f} h vs {hb:,.1f} h")
    return [f"Hours with demand but no speaker on duty: {'; '.join(bits)}."] if bits else []


def explanation_lines(result: RunResult) -> list[str]:
    """The CLI block: why the recommended plan beats each other plan.

    Parameters
    ----------
    result : RunResult
        From `coverage.simulation.replications.run_scenario`.

    Returns
    -------
    list of str
        Lines of text.
    """
    if len(result.plans) < 2:
        return []
    best = recommended_plan(result)
    out = []
    for other in result.plans:
        if other != best:
            out += ["", f"why {best} over {other}"]
            out += [f"  - {line}" for line in explain(result, best, other)]
    return out

"""What "meets its targets" means, judged on an :class:`~coverage.simulation.evaluate.Evaluation`.

For each channel with contacts (replications without contacts in a channel or hour are left out
of its figures):

* **window** (every channel): the mean over replications of the window service level is at
  least the target `share` (+ `margin_se` standard errors of that mean);
* **hour** (`scope: hour`): in addition, every UTC hour of the week with contacts in any
  replication has a mean service level (over the replications with contacts in it) of at least
  `share` − 2 standard errors over replications (so noise in a quiet hour does not buy agents),
  + `hour_margin_se` standard errors. An hour with contacts in a single replication (every hour
  with `--replications 1`) has no standard error: its mean is compared with `share` itself;
* **abandonment** (`max_abandon_rate`): the mean window abandon rate is at most the limit
  (− `margin_se` standard errors);
* **sustainable** (given the plan): every crew group serving an async channel is sustainable
  by `run`'s rule (coverage.results.sustainability): workload below its available time and a
  backlog that does not grow — a plan that meets this week's targets by eating into a growing
  backlog is not a plan.

With no margins this is the contract's definition (docs/optimizer.md). The search uses
margins so that a plan trimmed to the edge on its own seed still meets on an independent seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coverage.calendar import Timeline
from coverage.results.metrics import ci95
from coverage.results.sustainability import GROWTH_MIN_SHARE, available_hours, crew_groups
from coverage.scenario.model import Plan, Scenario
from coverage.simulation.evaluate import HOURS_PER_WEEK, Evaluation
from coverage.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class Failure:
    """A missed target: the channel, what failed, by how much, and the UTC hours of week."""

    channel: str
    kind: str  # "service_level", "hour", "abandon_rate", "workload", "backlog"
    value: float
    limit: float
    hours: tuple[int, ...]  # UTC hours of the week that miss (all below share for "service_level")
    hour_se: str = "all"  # "hour": which failing hours had a standard error ("all", "some", "none")

    def describe(self) -> str:
        """One line for people."""
        if self.kind == "workload":
            return (
                f"{self.channel}: crew group's workload is {self.value:.2f}× its available time "
                f"(must stay below {self.limit:g}×)"
            )
        if self.kind == "backlog":
            return f"{self.channel}: crew group's backlog grows by {self.value:.0f} contacts"
        if self.kind == "hour":
            allowance = {
                "all": " − 2 SE",
                "some": " (− 2 SE where contacts came in 2+ replications)",
                "none": "",
            }[self.hour_se]
            return (
                f"{self.channel}: {len(self.hours)} UTC hour(s) of the week below "
                f"{self.limit:.1%}{allowance} ({_hours_text(self.hours)}; worst {self.value:.1%})"
            )
        what = "service level" if self.kind == "service_level" else "abandon rate"
        side = "below" if self.kind == "service_level" else "above"
        return f"{self.channel}: {what} {self.value:.2%} {side} {self.limit:.2%}"


def _hours_text(hours: tuple[int, ...]) -> str:
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    shown = [f"{days[h // 24]} {h % 24:02d}h" for h in hours[:6]]
    return ", ".join(shown) + (f" and {len(hours) - 6} more" if len(hours) > 6 else "")


def _mean_se(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard error of the mean, and count over axis 0, ignoring nan."""
    n = np.sum(~np.isnan(values), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(n > 0, values, 0.0), axis=0)
        var = np.nansum((values - mean) ** 2, axis=0) / np.maximum(n - 1, 1)
        se = np.sqrt(var / np.maximum(n, 1))
    return mean, se, n


def hourly_service_level(evaluation: Evaluation) -> np.ndarray:
    """Service level per (replication, channel, UTC hour of week); nan without contacts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            evaluation.base > 0, evaluation.within / np.maximum(evaluation.base, 1), np.nan
        )


def judge(
    scenario: Scenario,
    evaluation: Evaluation,
    *,
    margin_se: float = 0.0,
    hour_margin_se: float = 0.0,
    plan: Plan | None = None,
    timeline: Timeline | None = None,
    max_ratio: float = 1.0,
) -> list[Failure]:
    """Every target the evaluated roster misses (empty: it meets them all).

    `margin_se` and `hour_margin_se` (0: the contract's definition) ask the window figures and
    each hour's mean to clear their limits by that many standard errors more. With `plan` and
    `timeline`, every crew group serving an async channel must also be sustainable as `run`
    judges it, with its workload ratio below `max_ratio` (1: `run`'s rule).
    """
    failures = []
    window_mean, window_se, window_n = _mean_se(evaluation.service_level())
    ab_mean, ab_se, _ = _mean_se(evaluation.abandon_rate())
    hourly = hourly_service_level(evaluation)
    for c, (name, channel) in enumerate(scenario.channels.items()):
        if window_n[c] == 0:
            continue  # no contacts reach this channel's agents: nothing to meet
        share = channel.target.share
        se = float(window_se[c]) if window_n[c] > 1 else 0.0
        mean_c = float(window_mean[c])
        if mean_c - margin_se * se < share - 1e-12:
            levels, _, _ = _mean_se(hourly[:, c])
            below = tuple(int(h) for h in np.flatnonzero(np.nan_to_num(levels, nan=1.0) < share))
            failures.append(Failure(name, "service_level", mean_c, share, below))
        if channel.target.scope == "hour":
            mean_h, se_h, n_h = _mean_se(hourly[:, c])
            se_h = np.where(n_h >= 2, se_h, 0.0)  # one replication: no spread, the share itself
            judged = n_h >= 1  # every hour with demand in any replication
            bad = judged & (mean_h - hour_margin_se * se_h < share - 2.0 * se_h - 1e-12)
            if bad.any():
                hours = tuple(int(h) for h in np.flatnonzero(bad))
                worst = float(np.min(mean_h[bad]))
                with_se = n_h[bad] >= 2
                hour_se = "all" if with_se.all() else ("some" if with_se.any() else "none")
                failures.append(Failure(name, "hour", worst, share, hours, hour_se))
        limit = channel.max_abandon_rate
        if limit is not None and not math.isnan(float(ab_mean[c])):
            ab_se_c = float(ab_se[c]) if window_n[c] > 1 else 0.0
            if float(ab_mean[c]) + margin_se * ab_se_c > limit + 1e-12:
                rates = evaluation.abandoned[:, c].sum(axis=0) / np.maximum(
                    evaluation.base[:, c].sum(axis=0), 1
                )
                hours = tuple(int(h) for h in np.flatnonzero(rates > limit))
                failures.append(Failure(name, "abandon_rate", float(ab_mean[c]), limit, hours))
    if plan is not None and timeline is not None:
        failures.extend(_unsustainable(scenario, evaluation, plan, timeline, max_ratio))
    return failures


def _unsustainable(
    scenario: Scenario, evaluation: Evaluation, plan: Plan, timeline: Timeline, max_ratio: float
) -> list[Failure]:
    """Crew groups with async channels that `run` would flag (coverage.results.sustainability)."""
    names = list(scenario.channels)
    out = []
    for group in crew_groups(scenario, plan):
        c = list(group.channels)
        if not any(scenario.channels[names[k]].mode == "async" for k in c):
            continue
        workload_h = float(evaluation.work_s[:, c].sum(axis=1).mean()) / SECONDS_PER_HOUR
        available_h = available_hours(group, plan, evaluation.roster, timeline)
        label = "+".join(names[k] for k in c)
        if workload_h > 0 and (available_h <= 0 or workload_h / available_h >= max_ratio):
            ratio = workload_h / available_h if available_h > 0 else math.inf
            out.append(Failure(label, "workload", ratio, max_ratio, ()))
            continue
        growth = (evaluation.backlog_end[:, c] - evaluation.backlog_start[:, c]).sum(axis=1)
        contacts = float(evaluation.base[:, c].sum(axis=(1, 2)).mean())
        interval = ci95(list(growth.astype(float)))
        significant = interval is None or interval[0] > 0
        if float(growth.mean()) > GROWTH_MIN_SHARE * contacts and significant:
            out.append(Failure(label, "backlog", float(growth.mean()), 0.0, ()))
    return out


__all__ = ["HOURS_PER_WEEK", "Failure", "hourly_service_level", "judge"]

"""Cohorts: what a hire contributes in each month after starting, and the monthly balance.

Timing within a month (the rule the whole planner follows, docs/capacity.md):

* hires start on the first day of a month and are paid from then on;
* the first ``training_weeks`` after the start are training: paid, not productive;
* after training, a person's productivity follows ``proficiency[k]`` in the k-th month of tenure
  after training (0-based), the last value held;
* leavers leave on the last day of a month (they are paid that whole month);
* leavers come from every cohort pro rata, including the starting staff: in expectation each
  cohort keeps (1 − attrition) of its people at each month end;
* the starting staff are fully productive (proficiency 1).

A training period that ends inside a month counts that month pro rata: a hire with 6 weeks of
training (1.38 months) is unproductive all of its first month, and in its second month trains for
0.38 of it and works at ``proficiency[0]`` for the remaining 0.62.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from coverage.scenario.capacity import WEEKS_PER_MONTH


def training_months(training_weeks: float) -> float:
    """Length of training in months [weeks → months of 365.25/12 days]."""
    return float(training_weeks) / WEEKS_PER_MONTH


def _proficiency_at(tenure_months: float, proficiency: list[float]) -> float:
    """Productivity at a tenure after training [FTE per person]; 0 during training."""
    if tenure_months < 0:
        return 0.0
    return float(proficiency[min(math.floor(tenure_months), len(proficiency) - 1)])


def productive_weights(
    months: int, *, training_weeks: float, proficiency: list[float]
) -> np.ndarray:
    """Productive FTE of one hire in each month after starting (month 0 = the start month).

    ``w[k] = ∫_k^{k+1} p(s − T) ds`` with ``T`` the training length in months and ``p`` the
    proficiency curve (0 before training ends). Exact: ``p`` is piecewise constant, so the
    integral is a sum over the pieces that meet the month.

    Returns
    -------
    np.ndarray
        Shape ``(months,)`` [FTE per person, 0–1].
    """
    train_m = training_months(training_weeks)
    out = np.zeros(months)
    for k in range(months):
        # breakpoints of p(s − T) inside [k, k + 1]: the end of training and each tenure month
        points = {float(k), float(k + 1)}
        first = max(0, math.floor(k - train_m))
        for i in range(first, first + 3):
            edge = train_m + i
            if k < edge < k + 1:
                points.add(edge)
        ordered = sorted(points)
        total = 0.0
        for lo, hi in itertools.pairwise(ordered):
            total += (hi - lo) * _proficiency_at((lo + hi) / 2 - train_m, proficiency)
        out[k] = total
    return out


def training_shares(months: int, *, training_weeks: float) -> np.ndarray:
    """Share of each month after starting that a hire spends in training [0–1], shape (months,)."""
    train_m = training_months(training_weeks)
    k = np.arange(months, dtype=float)
    return np.clip(train_m - k, 0.0, 1.0)


def survival(months: int, attrition_per_month: float) -> np.ndarray:
    """Expected share of a cohort still employed k month ends after it started, shape (months,)."""
    return (1.0 - attrition_per_month) ** np.arange(months, dtype=float)


def cohort_matrix(weights: np.ndarray, attrition_per_month: float) -> np.ndarray:
    """``A[m, j]``: expected contribution in month m of one hire who started in month j.

    ``A[m, j] = (1 − a)^(m − j) × weights[m − j]`` for j ≤ m, else 0 (lower triangular).
    """
    months = len(weights)
    keep = survival(months, attrition_per_month)
    out = np.zeros((months, months))
    for m in range(months):
        ages = m - np.arange(m + 1)
        out[m, : m + 1] = keep[ages] * weights[ages]
    return out

"""Hourly counts of a replication, and their sum over replications in constant memory.

`hourly_counts` counts one replication's measured contacts per (channel, region, UTC hour of
week), with the same counts per language and segment (the breakdown columns of
`coverage.results.metrics`). It used to build a column per field and per breakdown label and sum
each with ``np.bincount``; now the compiled pass of `coverage.results.tally` walks the contacts
once, in order, adding each to its group's row. ``np.bincount`` with weights adds in index order
into float64 bins, and so does the pass, so every sum — the float ``wait_answered_s`` included —
is bit-for-bit the same (tests/test_hourly.py checks this against the former implementation).

`HourlySum` adds the replications' tables as they arrive, exactly as ``pandas.concat`` followed
by ``groupby(...).sum()`` did (pandas sums float64 groups with Kahan compensation, in row order;
integer counts are exact), so a run holds one dense table instead of one per replication.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage.calendar import Timeline
from coverage.results.metrics import (
    BREAKDOWN_FIELDS,
    breakdown_column,
    breakdown_labels,
)
from coverage.scenario.model import Scenario
from coverage.simulation._jit import deferred_interrupts, kernel_arg, njit

HOURS_PER_WEEK = 168
KEYS = ("channel", "region", "hour_of_week")
# the base columns, in the order of the hourly table; the breakdown repeats BREAKDOWN_FIELDS
BASE_FIELDS = (
    "offered",
    "deflected",
    "answered",
    "answered_within_target",
    "abandoned",
    "short_abandoned",
    "wait_answered_s",
    "unfinished",
)
_WAIT = BASE_FIELDS.index("wait_answered_s")


def hourly_columns(scenario: Scenario) -> tuple[list[str], list[tuple[str, dict[int, int]]]]:
    """Column names of the hourly table after the keys, and per breakdown dimension the first
    column of each label's block (by code).

    Parameters
    ----------
    scenario : Scenario
        Its languages and segments (the breakdown dimensions).

    Returns
    -------
    (list of str, list of (str, dict of int to int))
        The column names; per dimension, its name and each code's first column.
    """
    names = list(BASE_FIELDS)
    blocks = []
    for dim, labels in breakdown_labels(scenario).items():
        first = {}
        for code, label in labels.items():
            first[code] = len(names)
            names.extend(breakdown_column(dim, label, f) for f in BREAKDOWN_FIELDS)
        blocks.append((dim, first))
    return names, blocks


@dataclass(frozen=True)
class HourlyCounts:
    """One replication's hourly counts, compactly: the groups with contacts and their sums.

    Attributes
    ----------
    rows : numpy.ndarray
        Group index ``(channel × n_regions + region) × 168 + hour_of_week`` of each group with
        measured contacts, ascending.
    sums : numpy.ndarray
        Per group (row) and column of `names`, the sum (float64; counts are whole numbers).
    names : tuple of str
        The table's columns after the keys.
    n_regions : int
        Regions of the scenario (to split a group index into its keys).
    """

    rows: np.ndarray
    sums: np.ndarray
    names: tuple[str, ...]
    n_regions: int

    def table(self) -> pd.DataFrame:
        """The hourly table (see `hourly_counts`)."""
        return _table(self.rows, self.sums, self.names, self.n_regions)


def count_hourly(scenario: Scenario, timeline: Timeline, log: pd.DataFrame) -> HourlyCounts:
    """Counts per (channel, region, UTC hour of week) of one replication's measured contacts.

    Parameters
    ----------
    scenario : Scenario
        Targets (for answered within target) and short_abandon_s per channel.
    timeline : Timeline
        The measured window and the UTC start (hour of week: Monday 00:00 UTC = 0).
    log : pandas.DataFrame
        One row per contact (`coverage.results.metrics.contact_log`).

    Returns
    -------
    HourlyCounts
        The groups with contacts and their sums, in one compiled pass over the contacts.
    """
    from coverage.results.tally import tally_basis, tally_log  # tally builds on this module

    return tally_log(tally_basis(scenario, timeline), log).hourly


def hourly_counts(scenario: Scenario, timeline: Timeline, log: pd.DataFrame) -> pd.DataFrame:
    """Counts per (channel, region, UTC hour of week) of one replication's measured contacts.

    Parameters
    ----------
    scenario : Scenario
        Targets (for answered within target) and short_abandon_s per channel.
    timeline : Timeline
        The measured window and the UTC start (hour of week: Monday 00:00 UTC = 0).
    log : pandas.DataFrame
        One row per contact (`coverage.results.metrics.contact_log`).

    Returns
    -------
    pandas.DataFrame
        One row per group with contacts, sorted by (channel, region, hour_of_week); integer counts
        [contacts], ``wait_answered_s`` the summed wait of answered contacts [s], and the same
        counts per language and segment in ``"<dimension>:<label>:<count>"`` columns.
    """
    return count_hourly(scenario, timeline, log).table()


def _is_sum_s(name: str) -> bool:
    """Whether a column holds summed seconds (float) rather than a count (integer)."""
    return name.endswith("wait_answered_s")


def _table(
    rows: np.ndarray, sums: np.ndarray, names: tuple[str, ...], n_regions: int
) -> pd.DataFrame:
    """The hourly table of groups `rows` with their `sums` (counts rounded to int64)."""
    group_channel, rest = np.divmod(rows, n_regions * HOURS_PER_WEEK)
    group_region, group_hour = np.divmod(rest, HOURS_PER_WEEK)
    columns: dict[str, np.ndarray] = {
        "channel": group_channel,
        "region": group_region,
        "hour_of_week": group_hour,
    }
    for j, name in enumerate(names):
        columns[name] = sums[:, j] if _is_sum_s(name) else np.rint(sums[:, j]).astype(np.int64)
    return pd.DataFrame(columns)


@njit(nogil=True)
def _add_sums(sums, compensation, present, rows, values, sum_columns, count_columns):
    """Add one replication's group sums: whole-number columns (`count_columns`) exactly,
    summed-seconds columns (`sum_columns`) with pandas' Kahan compensation (``compensation``
    has one column per such column), element by element — the same arithmetic, in the same
    order for each element, as the former array expressions."""
    for k in range(len(rows)):
        r = rows[k]
        present[r] = True
        for f in range(len(sum_columns)):
            col = sum_columns[f]
            total = sums[r, col]
            y = values[k, col] - compensation[r, f]
            t = total + y
            comp = t - total - y
            compensation[r, f] = 0.0 if np.isnan(comp) else comp
            sums[r, col] = t
        for f in range(len(count_columns)):
            col = count_columns[f]
            sums[r, col] += values[k, col]


def _load() -> None:
    """Load (or compile) `_add_sums` with interrupts held, once per process."""
    if _add_sums.overloads:
        return
    with deferred_interrupts():
        _add_sums(
            np.zeros((1, 2)),
            np.zeros((1, 1)),
            np.zeros(1, dtype=bool),
            np.zeros(1, dtype=np.int64),
            np.zeros((1, 2)),
            np.ones(1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
        )


class HourlySum:
    """The sum of replications' hourly counts, added one at a time in replication order.

    Equal, bit for bit, to ``pd.concat(tables).groupby(KEYS, as_index=False).sum()`` of their
    tables: counts are whole numbers and add exactly, and the float sums follow pandas'
    compensated (Kahan) group sum, adding a group's value only in the replications where the
    group has contacts. Memory is one dense row per (channel, region, hour of week), whatever the
    number of replications.

    Parameters
    ----------
    scenario : Scenario
        For the number of channels and regions (the dense grid).
    """

    def __init__(self, scenario: Scenario) -> None:
        self._n_regions = len(scenario.regions)
        self._n_rows = len(scenario.channels) * self._n_regions * HOURS_PER_WEEK
        self._names: tuple[str, ...] | None = None
        self._present = np.zeros(self._n_rows, dtype=bool)
        self._sums = np.zeros((self._n_rows, 0))
        self._compensation = np.zeros((self._n_rows, 0))
        self._sum_columns = np.zeros(0, dtype=np.int64)
        self._count_columns = np.zeros(0, dtype=np.int64)

    def add(self, counts: HourlyCounts) -> None:
        """Add one replication's counts (`count_hourly`).

        Parameters
        ----------
        counts : HourlyCounts
            The same columns every time.
        """
        if self._names is None:
            self._names = counts.names
            is_sum_s = np.array([_is_sum_s(n) for n in counts.names], dtype=bool)
            self._sum_columns = np.flatnonzero(is_sum_s).astype(np.int64)
            self._count_columns = np.flatnonzero(~is_sum_s).astype(np.int64)
            self._sums = np.zeros((self._n_rows, len(counts.names)))
            self._compensation = np.zeros((self._n_rows, len(self._sum_columns)))
        elif counts.names != self._names:
            raise ValueError("hourly counts of one run must have the same columns")
        _load()
        _add_sums(
            self._sums,
            self._compensation,
            self._present,
            kernel_arg(counts.rows, np.int64),
            kernel_arg(counts.sums, np.float64),
            self._sum_columns,
            self._count_columns,
        )

    def table(self) -> pd.DataFrame:
        """The summed table: one row per group with contacts in some replication, by keys.

        Returns
        -------
        pandas.DataFrame
            Key columns, then the added columns (counts int64, summed seconds float64).
        """
        rows = np.flatnonzero(self._present)
        return _table(rows, self._sums[rows], self._names or (), self._n_regions)


def warm_up() -> None:
    """Load (or compile) the counting kernels now (`coverage.results.tally.warm_up`) and the
    one adding replications."""
    from coverage.results.tally import warm_up as warm_up_tally

    warm_up_tally()
    _load()

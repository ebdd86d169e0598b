"""The optional outcome columns of a contact log: `wait_s`, `outcome` and `agent`.

docs/contact-logs.md: `wait_s` is the time a contact queued before it was
answered or abandoned [s, ≥ 0], `outcome` is `answered` or `abandoned` (read case-insensitively)
and `agent` names who answered (any text; blank on abandoned rows). Logs without these columns
keep working; `coverage.calibrate` needs them. A bad cell gives the row a `reason`, so the reader
reports the first bad row with its line, or skips and counts it (`skip_bad`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OUTCOME_COLUMNS = ("wait_s", "outcome", "agent")
OUTCOMES = ("answered", "abandoned")


def seconds_column(columns: dict[str, list[str]], key: str, reason: np.ndarray) -> np.ndarray:
    """A column of seconds ≥ 0 read from text cells.

    Parameters
    ----------
    columns : dict of str to list of str
        The log's columns as text.
    key : str
        The column, e.g. ``wait_s``.
    reason : numpy.ndarray
        Per row, why it is bad ('' when fine); bad cells get a reason (modified in place).

    Returns
    -------
    numpy.ndarray
        Seconds [s]; NaN where blank, absent or bad.
    """
    out = np.full(len(reason), np.nan)
    if key not in columns:
        return out
    raw = np.asarray(columns[key], dtype=object)
    given = raw != ""
    out[given] = pd.to_numeric(pd.Series(raw[given], dtype=object), errors="coerce").to_numpy(
        dtype=float
    )
    bad = given & ~(np.isfinite(out) & (out >= 0))
    for i in np.flatnonzero(bad & (reason == "")):
        reason[i] = f"{key} {raw[i]!r} is not a number of seconds >= 0"
    out[bad] = np.nan
    return out


def outcome_columns(
    columns: dict[str, list[str]], reason: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A log's optional outcome columns: ``wait_s``, ``outcome`` and ``agent``.

    Bad rows (a wait that is not seconds ≥ 0, an outcome other than answered/abandoned, an
    abandoned row naming an agent) get a `reason` unless they have one already.

    Parameters
    ----------
    columns : dict of str to list of str
        The log's columns as text.
    reason : numpy.ndarray
        Per row, why it is bad ('' when fine); modified in place.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        wait_s [s] (NaN: blank), outcome (lower case, '' blank) and agent ('' blank).
    """
    n = len(reason)
    wait_s = seconds_column(columns, "wait_s", reason)
    written = np.asarray(columns.get("outcome", [""] * n), dtype=object)
    outcome = np.asarray([v.lower() for v in written], dtype=object)
    agent = np.asarray(columns.get("agent", [""] * n), dtype=object)
    for i in np.flatnonzero(~np.isin(outcome, ("", *OUTCOMES)) & (reason == "")):
        reason[i] = f"outcome {written[i]!r} is not answered or abandoned"
    for i in np.flatnonzero((outcome == "abandoned") & (agent != "") & (reason == "")):
        reason[i] = f"agent {agent[i]!r} on an abandoned contact (agent must be blank there)"
    return wait_s, outcome, agent

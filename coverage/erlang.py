"""Analytic queueing formulas: Erlang B, Erlang C (M/M/c) and exact Erlang A (M/M/c+M).

These figures are the yardstick the simulator is checked against. They hold for one queue
served first come, first served, with constant staffing, Poisson arrivals, exponential handle
times and, for Erlang A, exponential patience. An agent who handles K contacts at once is K
independent servers, so ``agents`` agents with concurrency K form the queue M/M/(agents·K).

Inside formulas: ``lam`` arrival rate [1/s], ``mu`` = 1 / mean handle time [1/s], ``theta`` =
1 / mean patience [1/s], ``c`` servers, ``a`` = lam / mu offered load [Erlang].

References
----------
.. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris, "Fundamentals of Queueing
   Theory," 4th ed. Wiley, 2008.
.. [2] O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with impatient
   customers," Manufacturing & Service Operations Management 4(3), 208-227, 2002.
.. [3] A. Mandelbaum and S. Zeltyn, "Service engineering in action: the Palm/Erlang-A queue,
   with applications to call centers," in Advances in Services Innovations, Springer, 2007,
   17-45.
.. [4] A. H. Al-Mohy and N. J. Higham, "Computing the action of the matrix exponential,"
   SIAM Journal on Scientific Computing 33(2), 488-511, 2011.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.linalg import expm
from scipy.sparse.linalg import expm_multiply
from scipy.special import gammaln, logsumexp

from coverage.units import SECONDS_PER_HOUR

# Stationary probability mass the truncated Erlang A chain may leave out [0–1].
_TAIL_SHARE = 1e-16
_MAX_QUEUE_STATES = 2_000_000
_DENSE_EXPM_STATES = 400
_MAX_AGENTS = 100_000  # agents on duty in one interval (the simulator's plan limit)
MAX_LOAD_ERL = 10_000.0  # offered load [Erlang]; more needs more agents than _MAX_AGENTS allows
MIN_PATIENCE_S = 1e-3  # shorter patience is no queue at all and underflows the chain's rates

Figures = dict[str, float | None]


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _real(name: str, value: object, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):  # type: ignore[operator]
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {kind} number, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def erlang_b(servers: int, offered_load_erl: float) -> float:
    """Probability that an arriving contact is blocked (Erlang B, M/M/c/c).

    Uses the recursion B(k) = a·B(k-1) / (k + a·B(k-1)), B(0) = 1, which stays in [0, 1] and
    is stable for thousands of servers [1]_.

    Parameters
    ----------
    servers : int
        Servers c (agent slots) [count], at least 1.
    offered_load_erl : float
        Arrival rate × mean handle time [Erlang], at least 0.

    Returns
    -------
    float
        Blocking probability [0–1].
    """
    c = _count("servers", servers)
    a = _real("offered_load_erl", offered_load_erl, allow_zero=True)
    blocking = 1.0
    for k in range(1, c + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def erlang_c(servers: int, offered_load_erl: float) -> float:
    """Probability that an arriving contact waits (Erlang C, M/M/c).

    C = c·B / (c - a·(1 - B)) with B the Erlang B value [1]_; 1.0 when the queue is unstable
    (a >= c), because then every arrival eventually waits.

    Parameters
    ----------
    servers : int
        Servers c (agent slots) [count], at least 1.
    offered_load_erl : float
        Arrival rate × mean handle time [Erlang], at least 0.

    Returns
    -------
    float
        Probability of waiting [0–1].
    """
    c = _count("servers", servers)
    a = _real("offered_load_erl", offered_load_erl, allow_zero=True)
    if a >= c:
        return 1.0
    blocking = erlang_b(c, a)
    return c * blocking / (c - a * (1.0 - blocking))


def erlang_c_metrics(servers: int, per_hour: float, aht_s: float, *, target_s: float) -> Figures:
    """Steady-state figures of the M/M/c queue (Erlang C) [1]_.

    P(wait) = C, service level = 1 - C·exp(-(c - a)·T / AHT), ASA = C·AHT / (c - a) and
    occupancy = a / c. When a >= c the queue grows without bound: ``p_wait`` and
    ``occupancy`` are then 1.0 and the undefined figures (``service_level``, ``asa_s``,
    ``mean_wait_all_s``) are None.

    Parameters
    ----------
    servers : int
        Servers c (agents × concurrency) [count].
    per_hour, aht_s : float
        Arrival rate [contacts/h] and mean handle time [s].
    target_s : float
        Service-level threshold T [s], at least 0.

    Returns
    -------
    dict
        The keys of `erlang_a_metrics`; ``abandon_rate`` is 0.0 and ``mean_wait_all_s`` = ASA.
    """
    c = _count("servers", servers)
    load_erl = _real("per_hour", per_hour) * _real("aht_s", aht_s) / SECONDS_PER_HOUR
    threshold_s = _real("target_s", target_s, allow_zero=True)
    if load_erl >= c:  # unstable: the queue grows without bound
        undefined = dict.fromkeys(("service_level", "asa_s", "mean_wait_all_s"))
        return {"p_wait": 1.0, "abandon_rate": 0.0, "occupancy": 1.0, **undefined}
    p_wait = erlang_c(c, load_erl)
    asa_s = p_wait * aht_s / (c - load_erl)
    service_level = 1.0 - p_wait * math.exp(-(c - load_erl) * threshold_s / aht_s)
    return {
        "p_wait": p_wait,
        "service_level": service_level,
        "asa_s": asa_s,
        "abandon_rate": 0.0,
        "mean_wait_all_s": asa_s,
        "occupancy": load_erl / c,
    }


def _erlang_a_stationary(c: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """Stationary law of the M/M/c+M birth-death chain, truncated once the tail is negligible.

    Returns probabilities [0–1] of n = 0..N-1 contacts in system. Above c the death rate is
    c·mu + (n - c)·theta, so the birth/death ratio falls below 1 and the tail past a state n
    is at most p_n·r/(1 - r), r being the next ratio; the chain stops where that bound is
    below ``_TAIL_SHARE`` of the mass so far.
    """
    n = np.arange(c + 1)
    blocks = [n * math.log(lam / mu) - gammaln(n + 1)]  # log of a^n / n!
    log_total = float(logsumexp(blocks[0]))
    queued, size = 0, 256
    while True:
        k = np.arange(queued + 1, queued + size + 1, dtype=float)  # queue length of each state
        log_block = blocks[-1][-1] + np.cumsum(math.log(lam) - np.log(c * mu + k * theta))
        log_total = float(np.logaddexp(log_total, logsumexp(log_block)))
        ratio = lam / (c * mu + (k + 1.0) * theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_tail = log_block - log_total + np.log(ratio / (1.0 - ratio))
        done = np.flatnonzero((ratio < 1.0) & (log_tail < math.log(_TAIL_SHARE)))
        if done.size:
            blocks.append(log_block[: done[0] + 1])
            break
        blocks.append(log_block)
        queued += size
        if queued > _MAX_QUEUE_STATES:
            raise ValueError(
                "patience_s is too long for the exact Erlang A chain at this load; "
                "use patience_s=None (Erlang C)"
            )
        size *= 2
    log_prob = np.concatenate(blocks)
    prob = np.exp(log_prob - log_prob.max())
    return prob / prob.sum()


def _wait_survival(exit_rate_per_s: np.ndarray, threshold_s: float) -> np.ndarray:
    """P(S_j > T) for S_j = sum of independent Exp(exit_rate[i]), i = 0..j, for every j.

    S_j is the absorption time of the pure-death chain j -> j-1 -> ... -> 0 -> done, so the
    survival vector is exp(Q·T)·1 with Q its sub-generator. Small chains use dense scaling and
    squaring, whose cost barely grows with ||Q·T|| (short patience); long ones use the sparse
    action of the exponential [4]_.
    """
    size = exit_rate_per_s.size
    rates = [-exit_rate_per_s * threshold_s, exit_rate_per_s[1:] * threshold_s]
    generator = sparse.diags(rates, [0, -1], shape=(size, size), format="csc")
    if size <= _DENSE_EXPM_STATES:
        survival = expm(generator.toarray()).sum(axis=1)
    else:
        survival = expm_multiply(generator, np.ones(size))
    return np.clip(survival, 0.0, 1.0)


def erlang_a_metrics(
    servers: int, per_hour: float, aht_s: float, patience_s: float, *, target_s: float
) -> Figures:
    """Exact steady-state figures of the M/M/c+M queue (Erlang A, Palm's queue) [2]_, [3]_.

    The number in system is a birth-death chain (birth lam, death min(n, c)·mu +
    max(n - c, 0)·theta); an arrival sees its stationary law (PASTA). P(wait) = P(n >= c),
    ``mean_wait_all_s`` = E[queue] / lam (Little) and occupancy = E[min(n, c)] / c.
    A tagged arrival that finds j contacts queued ahead moves up at rate c·mu + i·theta while
    i are ahead and abandons at rate theta; each state's exit time is independent of its exit
    kind, so P(answered | j) = c·mu / (c·mu + (j+1)·theta) and, given answered, its wait is a
    sum of Exp(c·mu + (i+1)·theta), i = 0..j, whose distribution comes from a matrix
    exponential. Nothing is approximated beyond truncating the queue (tail < 1e-16).

    Parameters
    ----------
    servers : int
        Servers c (agents × concurrency) [count].
    per_hour, aht_s, patience_s : float
        Arrival rate [contacts/h], mean handle time [s], mean exponential patience [s].
    target_s : float
        Service-level threshold T [s], at least 0.

    Returns
    -------
    dict
        ``p_wait`` [0–1], ``service_level`` (answered within T / arrivals) [0–1], ``asa_s``
        (mean wait of answered contacts) [s], ``abandon_rate`` (abandoned / arrivals) [0–1],
        ``mean_wait_all_s`` (abandoners count their time to abandon) [s], ``occupancy`` [0–1].
    """
    c = _count("servers", servers)
    lam = _real("per_hour", per_hour) / SECONDS_PER_HOUR
    mu = 1.0 / _real("aht_s", aht_s)
    theta = 1.0 / _real("patience_s", patience_s)
    threshold_s = _real("target_s", target_s, allow_zero=True)

    prob = _erlang_a_stationary(c, lam, mu, theta)
    p_queue = prob[c:]  # an arrival finds j = 0, 1, ... contacts queued ahead of it
    ahead = np.arange(p_queue.size, dtype=float)
    p_no_wait = float(prob[:c].sum())
    exit_rate_per_s = c * mu + (ahead + 1.0) * theta
    p_answered_given_ahead = c * mu / exit_rate_per_s
    answered_weight = p_queue * p_answered_given_ahead
    p_answered = p_no_wait + float(answered_weight.sum())
    wait_survival = _wait_survival(exit_rate_per_s, threshold_s)
    mean_wait_answered_s = np.cumsum(1.0 / exit_rate_per_s)
    busy_servers = np.minimum(np.arange(prob.size), c)
    return {
        "p_wait": float(p_queue.sum()),
        "service_level": p_no_wait + float((answered_weight * (1.0 - wait_survival)).sum()),
        "asa_s": float((answered_weight * mean_wait_answered_s).sum()) / p_answered,
        # summed directly rather than 1 - p_answered, to keep small rates accurate
        "abandon_rate": float((p_queue * (ahead + 1.0) * theta / exit_rate_per_s).sum()),
        "mean_wait_all_s": float((p_queue * ahead).sum()) / lam,
        "occupancy": min(1.0, float((busy_servers * prob).sum()) / c),  # rounding can pass 1
    }


def _queue_metrics(
    servers: int, per_hour: float, aht_s: float, target_s: float, patience_s: float | None
) -> Figures:
    if patience_s is None:
        return erlang_c_metrics(servers, per_hour, aht_s, target_s=target_s)
    return erlang_a_metrics(servers, per_hour, aht_s, patience_s, target_s=target_s)


def required_agents(
    per_hour: float,
    aht_s: float,
    *,
    target_share: float,
    target_s: float = 20.0,
    patience_s: float | None = None,
    concurrency: int = 1,
) -> int:
    """Fewest agents whose service level within ``target_s`` reaches ``target_share``.

    Service level rises with the number of agents, so the answer is found by doubling and
    then bisection. Erlang C without ``patience_s`` [1]_, exact Erlang A with it [2]_.

    Parameters
    ----------
    per_hour, aht_s : float
        Arrival rate [contacts/h] and mean handle time [s].
    target_share : float
        Required share answered within ``target_s`` (answered within T / arrivals) (0–1).
    target_s : float
        Service-level threshold T [s].
    patience_s : float or None
        Mean exponential patience [s]; None means nobody abandons.
    concurrency : int
        Contacts one agent handles at once [count]; each agent is that many servers.

    Returns
    -------
    int
        Required agents [count].
    """
    share = _real("target_share", target_share)
    if share >= 1.0:
        raise ValueError(f"target_share must be below 1, got {target_share!r}")
    slots = _count("concurrency", concurrency)
    load_erl = _real("per_hour", per_hour) * _real("aht_s", aht_s) / SECONDS_PER_HOUR

    def meets(agents: int) -> bool:
        level = _queue_metrics(agents * slots, per_hour, aht_s, target_s, patience_s)
        return level["service_level"] is not None and level["service_level"] >= share

    # Without abandonment, agents·concurrency <= load can never meet a target.
    failing = math.floor(load_erl / slots) if patience_s is None else 0
    passing = max(failing + 1, math.ceil(load_erl / slots))
    while not meets(passing):
        failing, passing = passing, 2 * passing
        if passing > _MAX_AGENTS:
            raise ValueError(f"target_share {share} is out of reach with {_MAX_AGENTS} agents")
    while passing - failing > 1:
        middle = (failing + passing) // 2
        if meets(middle):
            passing = middle
        else:
            failing = middle
    return passing


def erlang_summary(
    per_hour: float,
    aht_s: float,
    *,
    agents: int | None = None,
    target_share: float | None = None,
    target_s: float = 20.0,
    patience_s: float | None = None,
    concurrency: int = 1,
) -> dict[str, int | float | None]:
    """Queue figures for given agents, or for the fewest agents meeting a target.

    Erlang C (M/M/c) when ``patience_s`` is None [1]_, exact Erlang A (M/M/c+M) otherwise
    [2]_, [3]_, with c = agents × concurrency.

    Parameters
    ----------
    per_hour, aht_s : float
        Arrival rate [contacts/h] and mean handle time [s].
    agents : int or None
        Agents on duty [count]. Give exactly one of ``agents`` and ``target_share``.
    target_share : float or None
        Service level to staff for [0–1]; see `required_agents`.
    target_s : float
        Service-level threshold T [s].
    patience_s : float or None
        Mean exponential patience [s]; None means nobody abandons (Erlang C).
    concurrency : int
        Contacts one agent handles at once [count].

    Returns
    -------
    dict
        ``agents`` [count], ``p_wait`` [0–1], ``service_level`` (answered within T /
        arrivals) [0–1], ``asa_s`` (mean wait of answered contacts) [s], ``abandon_rate``
        [0–1], ``occupancy`` (busy slots / (agents × concurrency)) [0–1] and
        ``mean_wait_all_s`` [s]. For Erlang C with agents × concurrency <= load the queue is
        unstable: ``p_wait`` = ``occupancy`` = 1.0 and ``service_level``, ``asa_s`` and
        ``mean_wait_all_s`` are None.

    Raises
    ------
    ValueError
        If both or neither of ``agents`` and ``target_share`` are given, or a rate, time or
        count is not positive.
    """
    if (agents is None) == (target_share is None):
        raise ValueError("give exactly one of agents and target_share")
    _check_bounds(per_hour, aht_s, agents, patience_s, concurrency)
    if target_share is not None:
        agents = required_agents(
            per_hour,
            aht_s,
            target_share=target_share,
            target_s=target_s,
            patience_s=patience_s,
            concurrency=concurrency,
        )
    staffed = _count("agents", agents)
    servers = staffed * _count("concurrency", concurrency)
    figures = _queue_metrics(servers, per_hour, aht_s, target_s, patience_s)
    for name, value in figures.items():
        if value is not None and not math.isfinite(value):  # never NaN or inf in the output
            raise ValueError(f"{name} cannot be computed for these inputs (got {value})")
    return {"agents": staffed, **figures}


def _check_bounds(
    per_hour: float, aht_s: float, agents: int | None, patience_s: float | None, concurrency: int
) -> None:
    """The ranges `erlang_summary` accepts, so that every answer is finite and quick."""
    load_erl = _real("per_hour", per_hour) * _real("aht_s", aht_s) / SECONDS_PER_HOUR
    if load_erl > MAX_LOAD_ERL:
        raise ValueError(
            f"offered load per_hour × aht_s / 3600 = {load_erl:,.0f} Erlang; at most "
            f"{MAX_LOAD_ERL:,.0f}"
        )
    if agents is not None and _count("agents", agents) > _MAX_AGENTS:
        raise ValueError(f"agents must be at most {_MAX_AGENTS:,}, got {agents:,}")
    if not 1 <= _count("concurrency", concurrency) <= 50:
        raise ValueError(f"concurrency must be 1 to 50, got {concurrency}")
    if patience_s is not None and _real("patience_s", patience_s) < MIN_PATIENCE_S:
        raise ValueError(f"patience_s must be at least {MIN_PATIENCE_S:g} s, got {patience_s!r}")

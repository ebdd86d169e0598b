"""Fitting handle times and patience to a log with outcomes.

**Handle time** (answered rows with a recorded `handle_time_s`): exponential and lognormal (on
the positive times, when at most 1% are 0 s) are fitted by maximum likelihood and the one with
the lower AIC is kept when it fits — its Kolmogorov–Smirnov distance D to the data is at most
max(0.03, 1.36/√n), i.e. it is neither rejected at the 5% level nor off by more than 3 points
of probability anywhere. Otherwise the
channel gets an empirical distribution: 200 evenly spaced quantiles of the data.

**Patience** (every row): a contact abandons after its patience unless answered first, so an
abandoned wait is an observed patience and an answered wait a right-censored one (the patience
was longer). Ignoring the censored waits — averaging the abandoned waits only — biases patience
low, since only the impatient abandon. The estimators:

* exponential MLE: mean = total waiting time of all contacts / abandonments (Zohar, Mandelbaum &
  Shimkin 2002; Brown et al. 2005, "Statistical analysis of a telephone call center");
* lognormal MLE on the censored data (`scipy.stats.lognorm.fit` with `CensoredData`);
* Kaplan–Meier (`scipy.stats.ecdf` with `CensoredData`), non-parametric.

The parametric form with the lower AIC is kept when its survival curve lies within
max(0.03, 1.36/√n_abandoned) of the Kaplan–Meier curve; otherwise the patience is empirical:
200 quantiles of the Kaplan–Meier curve, continued beyond its last point by the exponential
tail (the data say nothing there). Without any abandonment the patience is unbounded (null).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

N_QUANTILES = 200


@dataclass(frozen=True)
class DistributionFit:
    """A fitted duration: the scenario `distribution` plus how well each candidate fits.

    `distribution` is the scenario's format (`{"dist": "lognormal", "mean_s": …, "sigma": …}`,
    or `{"dist": "empirical", "samples_s": […]}`, or None for "never abandons"); `candidates`
    maps a family to its figures (mean_s, sigma, aic, distance); `distance` is the chosen form's
    largest CDF error (KS distance, or the gap to Kaplan–Meier for patience); `n` the data used.
    """

    distribution: dict[str, Any] | None
    candidates: dict[str, dict[str, float]]
    distance: float
    threshold: float
    n: int

    @property
    def family(self) -> str:
        """The chosen family ("none" when it never abandons)."""
        return "none" if self.distribution is None else str(self.distribution["dist"])

    @property
    def mean_s(self) -> float | None:
        """Mean of the chosen distribution [s] (None when unbounded)."""
        if self.distribution is None:
            return None
        if "samples_s" in self.distribution:
            return float(np.mean(self.distribution["samples_s"]))
        return float(self.distribution["mean_s"])


def _threshold(n: int) -> float:
    return max(0.03, 1.36 / math.sqrt(max(n, 1)))


def _quantiles(values: np.ndarray) -> list[float]:
    q = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
    return [round(float(v), 3) for v in np.quantile(values, q)]


def fit_handle_time(handle_s: np.ndarray) -> DistributionFit:
    """Fit the handle-time distribution to recorded handle times [s] (nan ignored)."""
    data = handle_s[np.isfinite(handle_s)]
    if len(data) == 0:
        raise ValueError("no recorded handle times")
    positive = data[data > 0]
    candidates: dict[str, dict[str, float]] = {}
    mean_s = float(data.mean())
    if mean_s > 0:
        d_exp = float(stats.kstest(data, stats.expon(scale=mean_s).cdf).statistic)
        ll_exp = -len(data) * (math.log(mean_s) + 1.0)
        candidates["exponential"] = {"mean_s": mean_s, "aic": 2 - 2 * ll_exp, "distance": d_exp}
    if len(positive) >= 2 and len(positive) >= 0.99 * len(data):  # a few 0 s: a rounding
        logs = np.log(positive)
        mu, sigma = float(logs.mean()), float(logs.std())
        if sigma > 0:
            dist = stats.lognorm(s=sigma, scale=math.exp(mu))
            ll = float(dist.logpdf(positive).sum())
            candidates["lognormal"] = {
                "mean_s": math.exp(mu + sigma**2 / 2),
                "sigma": sigma,
                "aic": 4 - 2 * ll,
                "distance": float(stats.kstest(data, dist.cdf).statistic),
            }
    threshold = _threshold(len(data))
    best = min(candidates, key=lambda k: candidates[k]["aic"]) if candidates else None
    if best is not None and candidates[best]["distance"] <= threshold:
        chosen = candidates[best]
        distribution: dict[str, Any] = {"dist": best, "mean_s": round(chosen["mean_s"], 3)}
        if best == "lognormal":
            distribution["sigma"] = round(chosen["sigma"], 4)
        distance = chosen["distance"]
    else:
        distribution = {"dist": "empirical", "samples_s": _quantiles(data)}
        grid = np.asarray(distribution["samples_s"])
        distance = float(stats.ks_2samp(data, grid).statistic)
    return DistributionFit(distribution, candidates, float(distance), threshold, len(data))


def kaplan_meier(wait_s: np.ndarray, abandoned: np.ndarray) -> Any:
    """Kaplan–Meier estimate of the patience survival function (`scipy.stats.ecdf` result).

    Abandoned waits are observed patience times; the others are right-censored.
    """
    data = stats.CensoredData(uncensored=wait_s[abandoned], right=wait_s[~abandoned])
    return stats.ecdf(data)


def naive_patience_mean_s(wait_s: np.ndarray, abandoned: np.ndarray) -> float | None:
    """Mean of the abandoned waits only — the biased estimator that ignores censoring [s]."""
    return float(wait_s[abandoned].mean()) if abandoned.any() else None


def fit_patience(wait_s: np.ndarray, abandoned: np.ndarray) -> DistributionFit:
    """Fit patience to waits [s] of answered (censored) and abandoned (observed) contacts."""
    n_abandoned = int(abandoned.sum())
    if n_abandoned == 0:
        return DistributionFit(None, {}, 0.0, 0.0, 0)
    total_s = float(wait_s.sum())
    mean_exp = max(total_s / n_abandoned, 1e-3)
    ll_exp = -n_abandoned * math.log(mean_exp) - total_s / mean_exp
    km = kaplan_meier(wait_s, abandoned)
    times = np.asarray(km.sf.quantiles, dtype=float)
    km_sf = np.asarray(km.sf.probabilities, dtype=float)
    candidates = {
        "exponential": {
            "mean_s": mean_exp,
            "aic": 2 - 2 * ll_exp,
            "distance": float(np.max(np.abs(np.exp(-times / mean_exp) - km_sf))),
        }
    }
    observed = np.maximum(wait_s[abandoned], 0.5)  # a 0 s abandonment: within the first second
    censored = wait_s[~abandoned]
    censored = censored[censored > 0]  # censored at 0 carries no information
    if n_abandoned >= 10:
        data = stats.CensoredData(uncensored=observed, right=censored)
        sigma, _, scale = stats.lognorm.fit(data, floc=0)
        dist = stats.lognorm(s=sigma, scale=scale)
        ll = float(dist.logpdf(observed).sum() + dist.logsf(censored).sum())
        candidates["lognormal"] = {
            "mean_s": float(scale * math.exp(sigma**2 / 2)),
            "sigma": float(sigma),
            "aic": 4 - 2 * ll,
            "distance": float(np.max(np.abs(dist.sf(times) - km_sf))),
        }
    threshold = _threshold(n_abandoned)
    best = min(candidates, key=lambda k: candidates[k]["aic"])
    chosen = candidates[best]
    if chosen["distance"] <= threshold:
        distribution: dict[str, Any] = {"dist": best, "mean_s": round(chosen["mean_s"], 3)}
        if best == "lognormal":
            distribution["sigma"] = round(chosen["sigma"], 4)
        return DistributionFit(distribution, candidates, chosen["distance"], threshold, n_abandoned)
    samples = _km_quantiles(times, km_sf, mean_exp)
    return DistributionFit(
        {"dist": "empirical", "samples_s": samples}, candidates, 0.0, threshold, n_abandoned
    )


def _km_quantiles(times: np.ndarray, km_sf: np.ndarray, tail_mean_s: float) -> list[float]:
    """Quantiles of the Kaplan–Meier patience, with an exponential tail beyond its last point."""
    q = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
    cdf = 1.0 - km_sf
    inside = q <= cdf[-1]
    out = np.empty(N_QUANTILES)
    out[inside] = times[np.searchsorted(cdf, q[inside], side="left").clip(0, len(times) - 1)]
    left = max(float(km_sf[-1]), 1e-12)
    out[~inside] = times[-1] + tail_mean_s * -np.log((1.0 - q[~inside]) / left)
    return [round(float(v), 3) for v in out]

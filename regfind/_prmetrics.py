"""Precision-recall metrics without scikit-learn, and seeded BCa bootstrap intervals (scipy).

Definitions (the ones :mod:`regfind.benchmark` reports):

- Thresholds are the distinct scores, from high to low; at threshold ``t`` every pair with
  ``score >= t`` is called positive, so tied scores enter together (a constant score is one
  threshold). ``precision(t) = TP / called``, ``recall(t) = TP / positives``.
- **AUPRC** is the step-wise average precision ``sum_k (R_k - R_{k-1}) * P_k`` over those
  thresholds with ``R_0 = 0`` (scikit-learn's ``average_precision_score``; no interpolation, so
  a random or constant score gives about the fraction of positives).
- **Precision at 70% recall** is the precision at the highest threshold whose recall is at
  least 0.7 (the first point of the curve that reaches it).
- Intervals are bias-corrected and accelerated (BCa) bootstrap intervals over pairs
  resampled with replacement (seeded), as CRISPR_comparison reports them, computed by
  :func:`scipy.stats.bootstrap`; where BCa is undefined (a resample without positives) the
  percentile interval of the resamples that have positives is used, and said so.

What is here and in no library regfind depends on: the precision-recall curve with tied scores
entering together (scikit-learn's definition, checked against it in the tests; scikit-learn is
not a dependency) and the fallback of the bootstrap.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from regfind.errors import InputError

__all__ = ["average_precision", "bootstrap_ci", "bootstrap_intervals", "pr_curve",
           "precision_at_recall"]


def _check(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise InputError(f"labels and scores must be 1-D of the same length, got {y.shape} "
                         f"and {s.shape}")
    if np.isnan(s).any():
        raise InputError("scores contain NaN: fill unscored pairs first")
    return y, s


def pr_curve(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``recall, precision, threshold`` at each distinct score, high to low.

    Parameters
    ----------
    labels : array of bool
        True for positives.
    scores : array of float
        Higher means more likely positive (no NaN).

    Returns
    -------
    recall, precision, threshold : numpy.ndarray
        Empty when there are no positives.
    """
    y, s = _check(labels, scores)
    n_pos = int(y.sum())
    if n_pos == 0 or y.size == 0:
        empty = np.zeros(0)
        return empty, empty, empty
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), s.size - 1]   # last index of each tie group
    tp = np.cumsum(y)[last]
    called = last + 1
    return tp / n_pos, tp / called, s[last]


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Return the step-wise AUPRC ``sum_k (R_k - R_{k-1}) P_k`` (NaN without positives)."""
    recall, precision, _ = pr_curve(labels, scores)
    if recall.size == 0:
        return float("nan")
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def precision_at_recall(labels: np.ndarray, scores: np.ndarray, recall: float = 0.7) -> float:
    """Return the precision at the highest threshold with recall >= ``recall``."""
    if not 0 < recall <= 1:
        raise InputError(f"recall must be in (0, 1], got {recall}")
    r, p, _ = pr_curve(labels, scores)
    if r.size == 0:
        return float("nan")
    return float(p[np.flatnonzero(r >= recall - 1e-12)[0]])


def bootstrap_intervals(labels: np.ndarray, scores: np.ndarray,
                        statistic: Callable[[np.ndarray, np.ndarray], np.ndarray | float], *,
                        n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                        method: str = "BCa") -> tuple[np.ndarray, np.ndarray, str]:
    """Return bootstrap intervals of ``statistic(labels, scores)`` (one or several values).

    :func:`scipy.stats.bootstrap` resamples the pairs (``paired=True``) ``n_boot`` times with a
    generator seeded by ``seed``, so calls with the same data size and seed draw the same
    resamples (a paired comparison of methods). ``method`` 'BCa' adds scipy's jackknife (one
    statistic per pair left out). When the BCa interval is undefined (a resample or a jackknife
    sample has no positive, so the statistic is NaN; or a degenerate distribution), the
    percentile interval of the same resamples without the NaN ones is returned instead.

    Parameters
    ----------
    labels, scores : numpy.ndarray, shape (n,)
        Paired per-pair values, resampled together.
    statistic : callable
        ``statistic(labels, scores)`` -> float or 1-D array (e.g. AUPRC and precision at a
        recall); NaN when undefined.
    n_boot : int, default 1000
        Resamples (0 gives NaN bounds).
    seed : int, default 0
    level : float, default 0.95
    method : {'BCa', 'percentile'}, default 'BCa'

    Returns
    -------
    lo, hi : numpy.ndarray, shape of the statistic, float64
        NaN where no resample had a defined value.
    used : str
        'BCa' or 'percentile' (what the bounds are).
    """
    import warnings

    from scipy import stats

    if method not in ("BCa", "percentile"):
        raise InputError(f"method must be 'BCa' or 'percentile', got {method!r}")
    y, s = _check(labels, scores)
    shape = np.shape(statistic(y, s))
    nan = np.full(shape, np.nan)
    if n_boot < 1 or y.size < 2:
        return nan, nan.copy(), method
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")   # BCa undefined: handled below, not a user matter
        res = stats.bootstrap((y, s), statistic, paired=True, vectorized=False,
                              n_resamples=n_boot, confidence_level=level, method=method,
                              rng=np.random.default_rng(seed))
    lo = np.asarray(res.confidence_interval.low, dtype=np.float64).reshape(shape)
    hi = np.asarray(res.confidence_interval.high, dtype=np.float64).reshape(shape)
    if np.isfinite(lo).all() and np.isfinite(hi).all():
        return lo, hi, method
    dist = np.asarray(res.bootstrap_distribution, dtype=np.float64).reshape(*shape, -1)
    lo, hi = np.full(shape, np.nan), np.full(shape, np.nan)
    alpha = (1 - level) / 2
    for k in np.ndindex(shape):
        v = dist[k][np.isfinite(dist[k])]
        if v.size:
            lo[k], hi[k] = np.quantile(v, [alpha, 1 - alpha])
    return lo, hi, "percentile"


def bootstrap_ci(labels: np.ndarray, scores: np.ndarray,
                 statistic: Callable[[np.ndarray, np.ndarray], float], *,
                 n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                 method: str = "BCa") -> tuple[float, float]:
    """Return a bootstrap interval of a scalar ``statistic(labels, scores)``.

    BCa by default (:func:`bootstrap_intervals`, which says what happens when it is
    undefined); ``method='percentile'`` for the percentile interval.

    Returns
    -------
    (float, float)
        Lower and upper bounds; NaN when no resample had a defined value.
    """
    lo, hi, _ = bootstrap_intervals(labels, scores, statistic, n_boot=n_boot, seed=seed,
                                    level=level, method=method)
    return float(lo), float(hi)

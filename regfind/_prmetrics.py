"""Precision-recall metrics without scikit-learn, and seeded bootstrap intervals.

Definitions (the ones :mod:`regfind.benchmark` reports):

- Thresholds are the distinct scores, from high to low; at threshold ``t`` every pair with
  ``score >= t`` is called positive, so tied scores enter together (a constant score is one
  threshold). ``precision(t) = TP / called``, ``recall(t) = TP / positives``.
- **AUPRC** is the step-wise average precision ``sum_k (R_k - R_{k-1}) * P_k`` over those
  thresholds with ``R_0 = 0`` (scikit-learn's ``average_precision_score``; no interpolation, so
  a random or constant score gives about the fraction of positives).
- **Precision at 70% recall** is the precision at the highest threshold whose recall is at
  least 0.7 (the first point of the curve that reaches it).
- Intervals are percentile bootstrap intervals over pairs resampled with replacement
  (seeded); a resample without positives is left out. CRISPR_comparison reports BCa intervals;
  the percentile interval is simpler and close for these sample sizes (stated, not hidden).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from regfind.errors import InputError

__all__ = ["average_precision", "bootstrap_ci", "pr_curve", "precision_at_recall"]


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


def bootstrap_ci(labels: np.ndarray, scores: np.ndarray,
                 statistic: Callable[[np.ndarray, np.ndarray], float], *,
                 n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Return a percentile bootstrap interval of ``statistic(labels, scores)``.

    Parameters
    ----------
    labels, scores : numpy.ndarray
        Paired per-pair values, resampled together.
    statistic : callable
        E.g. :func:`average_precision`.
    n_boot : int, default 1000
        Resamples (0 gives NaN bounds).
    seed : int, default 0
    level : float, default 0.95

    Returns
    -------
    (float, float)
        Lower and upper bounds; NaN when no resample had a defined value.
    """
    y, s = _check(labels, scores)
    if n_boot < 1 or y.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = np.array([statistic(y[i], s[i])
                       for i in rng.integers(0, y.size, size=(n_boot, y.size))])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    lo, hi = np.quantile(values, [alpha, 1 - alpha])
    return float(lo), float(hi)

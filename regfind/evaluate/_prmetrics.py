"""Precision-recall metrics without scikit-learn, and seeded BCa bootstrap intervals (scipy).

Definitions (the ones :mod:`regfind.evaluate.benchmark` reports):

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


def pr_metrics(labels: np.ndarray, scores: np.ndarray, recall: float = 0.7, *,
               presorted: bool = False) -> np.ndarray:
    """Return AUPRC and precision at ``recall`` of each row, from one curve per row.

    The definitions of the module docstring, vectorised over leading axes (the bootstrap
    evaluates thousands of rows at once).

    Parameters
    ----------
    labels : array of bool, shape (..., n)
    scores : array of float, shape (..., n)
        No NaN.
    recall : float, default 0.7
    presorted : bool, default False
        Rows are already sorted by decreasing score (skips the sort).

    Returns
    -------
    numpy.ndarray, shape (..., 2), float64
        ``[..., 0]`` AUPRC, ``[..., 1]`` precision at ``recall``; NaN for rows without
        positives.
    """
    if not 0 < recall <= 1:
        raise InputError(f"recall must be in (0, 1], got {recall}")
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim < 1:
        raise InputError(f"labels and scores must have the same shape, got {y.shape} and "
                         f"{s.shape}")
    if not presorted:
        order = np.argsort(-s, axis=-1, kind="stable")
        y, s = np.take_along_axis(y, order, -1), np.take_along_axis(s, order, -1)
    n = s.shape[-1]
    tp = np.cumsum(y, axis=-1, dtype=np.float64)
    n_pos = tp[..., -1]
    end = np.ones(s.shape, dtype=bool)                      # last member of a tie group
    end[..., :-1] = s[..., 1:] != s[..., :-1]
    at_end = np.maximum.accumulate(np.where(end, tp, 0.0), axis=-1)
    before = np.concatenate([np.zeros((*s.shape[:-1], 1)), at_end[..., :-1]], axis=-1)
    called = np.arange(1, n + 1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.sum(np.where(end, (tp - before) * tp / called, 0.0), axis=-1) / n_pos
        first = np.argmax(end & (tp / n_pos[..., None] >= recall - 1e-12), axis=-1)
        prec = np.take_along_axis(tp, first[..., None], -1)[..., 0] / (first + 1)
    out = np.stack([ap, prec], axis=-1)
    out[n_pos == 0] = np.nan
    return out


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Return the step-wise AUPRC ``sum_k (R_k - R_{k-1}) P_k`` (NaN without positives)."""
    y, s = _check(labels, scores)
    return float(pr_metrics(y, s)[0]) if y.size else float("nan")


def precision_at_recall(labels: np.ndarray, scores: np.ndarray, recall: float = 0.7) -> float:
    """Return the precision at the highest threshold with recall >= ``recall``."""
    y, s = _check(labels, scores)
    if not 0 < recall <= 1:
        raise InputError(f"recall must be in (0, 1], got {recall}")
    return float(pr_metrics(y, s, recall)[1]) if y.size else float("nan")


def bootstrap_intervals(labels: np.ndarray, scores: np.ndarray,
                        statistic: Callable[[np.ndarray, np.ndarray], np.ndarray], *,
                        n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                        method: str = "BCa") -> tuple[np.ndarray, np.ndarray, str]:
    """Return bootstrap intervals of a statistic of the pairs (one or several values).

    :func:`scipy.stats.bootstrap` computes the intervals. It resamples the pairs ``n_boot``
    times with a generator seeded by ``seed``, so calls with the same number of pairs and seed
    draw the same resamples (a paired comparison of methods; the same resamples as
    ``scipy.stats.bootstrap((labels, scores), ..., paired=True)``); 'BCa' adds its jackknife
    (the statistic with each pair left out). Every resample reaches ``statistic`` sorted by
    decreasing score (ties in input order), so a statistic of a ranking need not sort
    (:func:`pr_metrics` with ``presorted=True``). Where the BCa interval is undefined (a
    resample or a jackknife sample without positives, where the statistic is NaN; a degenerate
    distribution), the percentile interval of the same resamples without the NaN ones is
    returned instead.

    Parameters
    ----------
    labels, scores : numpy.ndarray, shape (n,)
        Per-pair values (no NaN score).
    statistic : callable
        ``statistic(labels, scores)`` on arrays of shape (b, n) -> shape (b,) or (b, k); rows
        come sorted by decreasing score; NaN where undefined.
    n_boot : int, default 1000
        Resamples (0 gives NaN bounds).
    seed : int, default 0
    level : float, default 0.95
    method : {'BCa', 'percentile'}, default 'BCa'

    Returns
    -------
    lo, hi : numpy.ndarray, shape () or (k,), float64
        NaN where no resample had a defined value.
    used : str
        'BCa' or 'percentile' (what the bounds are).
    """
    import warnings

    from scipy import stats

    if method not in ("BCa", "percentile"):
        raise InputError(f"method must be 'BCa' or 'percentile', got {method!r}")
    y, s = _check(labels, scores)
    order = np.argsort(-s, kind="stable")
    ys, ss = y[order], s[order]
    shape = np.shape(statistic(ys[None], ss[None]))[1:]
    nan = np.full(shape, np.nan)
    if n_boot < 1 or y.size < 2:
        return nan, nan.copy(), method

    rank_of = np.empty(y.size, dtype=np.int64)
    rank_of[order] = np.arange(y.size)

    def ranked(index: np.ndarray, axis: int = -1) -> np.ndarray:
        rank = np.sort(rank_of[np.moveaxis(index, axis, -1)], axis=-1)
        flat = rank.reshape(-1, rank.shape[-1])
        value = np.asarray(statistic(ys[flat], ss[flat]), dtype=np.float64)
        value = value.reshape((*rank.shape[:-1], *shape))
        return np.moveaxis(value, tuple(range(rank.ndim - 1)),
                           tuple(range(len(shape), len(shape) + rank.ndim - 1)))

    batch = max(1, 4_000_000 // y.size)   # bounds the memory of a jackknife block
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")   # BCa undefined: handled below, not a user matter
        res = stats.bootstrap((np.arange(y.size),), ranked, vectorized=True, batch=batch,
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
    """Return a bootstrap interval of a scalar ``statistic(labels, scores)`` of 1-D arrays.

    BCa by default (:func:`bootstrap_intervals`, which says what happens where it is
    undefined); ``method='percentile'`` for the percentile interval. The statistic is called
    once per resample; see :func:`bootstrap_intervals` for a vectorised one.

    Returns
    -------
    (float, float)
        Lower and upper bounds; NaN when no resample had a defined value.
    """
    def rows(y: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.array([statistic(a, b) for a, b in zip(y, s, strict=True)], dtype=float)

    lo, hi, _ = bootstrap_intervals(labels, scores, rows, n_boot=n_boot, seed=seed,
                                    level=level, method=method)
    return float(lo), float(hi)

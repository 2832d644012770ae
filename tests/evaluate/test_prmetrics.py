"""The benchmark's statistics against the libraries that define them (scikit-learn, scipy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from regfind.evaluate._prmetrics import (
    average_precision,
    bootstrap_ci,
    bootstrap_intervals,
    pr_curve,
    pr_metrics,
    precision_at_recall,
)

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _data(seed: int, n: int = 120, rate: float = 0.2, decimals: int = 1):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < rate
    s = np.round(y + rng.normal(0, 0.8, n), decimals)   # rounding makes ties
    return y, s


@pytest.mark.parametrize("seed", range(5))
def test_pr_curve_is_scikit_learns(seed):
    y, s = _data(seed)
    precision, recall, thresholds = sklearn_metrics.precision_recall_curve(y, s)
    r, p, t = pr_curve(y, s)
    # scikit-learn: thresholds low -> high, then a final (precision 1, recall 0) point
    np.testing.assert_allclose(r, recall[:-1][::-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(p, precision[:-1][::-1], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(t, thresholds[::-1])


@pytest.mark.parametrize("seed", range(5))
def test_auprc_is_scikit_learns_average_precision(seed):
    y, s = _data(seed, decimals=seed % 3)
    assert average_precision(y, s) == pytest.approx(
        sklearn_metrics.average_precision_score(y, s), abs=1e-12)


def test_constant_and_perfect_scores():
    y = np.array([1, 0, 0, 1, 0], bool)
    assert average_precision(y, np.zeros(5)) == pytest.approx(
        sklearn_metrics.average_precision_score(y, np.zeros(5)))
    assert average_precision(y, y.astype(float)) == pytest.approx(1.0)
    assert np.isnan(average_precision(np.zeros(4, bool), np.arange(4.0)))


@pytest.mark.parametrize("recall", [0.5, 0.7, 1.0])
def test_precision_at_recall_from_scikit_learns_curve(recall):
    y, s = _data(7)
    precision, rec, thresholds = sklearn_metrics.precision_recall_curve(y, s)
    ok = rec[:-1] >= recall                       # the highest threshold reaching the recall
    expect = precision[:-1][ok][np.argmax(thresholds[ok])]
    assert precision_at_recall(y, s, recall) == pytest.approx(expect, abs=1e-12)


def test_pr_metrics_rows_and_presorted():
    rows = [_data(k, n=60) for k in range(6)]
    y = np.stack([r[0] for r in rows])
    s = np.stack([r[1] for r in rows])
    got = pr_metrics(y, s, 0.7)
    for k in range(6):
        assert got[k, 0] == pytest.approx(sklearn_metrics.average_precision_score(y[k], s[k]))
        assert got[k, 1] == pytest.approx(precision_at_recall(y[k], s[k], 0.7))
    order = np.argsort(-s, axis=1, kind="stable")
    np.testing.assert_allclose(pr_metrics(np.take_along_axis(y, order, 1),
                                          np.take_along_axis(s, order, 1), 0.7,
                                          presorted=True), got)


@pytest.mark.parametrize("method", ["BCa", "percentile"])
def test_bootstrap_is_scipys_with_scikit_learns_statistic(method):
    # the same resamples as scipy's paired bootstrap, the statistic computed by scikit-learn
    y, s = _data(3, n=150)
    got = bootstrap_ci(y, s, average_precision, n_boot=300, seed=3, method=method)
    ref = stats.bootstrap((y, s), sklearn_metrics.average_precision_score, paired=True,
                          vectorized=False, n_resamples=300, method=method,
                          rng=np.random.default_rng(3)).confidence_interval
    assert got == pytest.approx((ref.low, ref.high), abs=1e-9)


def test_bootstrap_vectorised_statistic_two_values():
    y, s = _data(4, n=150)

    def both(yy, ss):
        return pr_metrics(yy, ss, 0.7, presorted=True)

    lo, hi, used = bootstrap_intervals(y, s, both, n_boot=200, seed=1)
    assert used == "BCa" and lo.shape == (2,)
    assert (lo[0], hi[0]) == pytest.approx(
        bootstrap_ci(y, s, average_precision, n_boot=200, seed=1), abs=1e-12)
    point = pr_metrics(y, s, 0.7)
    assert np.all(lo <= point) and np.all(point <= hi)


def test_bca_undefined_falls_back_to_percentile():
    # one positive in 25 pairs: resamples without it have no AUPRC, so BCa is undefined
    y = np.zeros(25, bool)
    y[3] = True
    s = np.linspace(1, 0, 25)
    lo, hi, used = bootstrap_intervals(y, s, lambda a, b: pr_metrics(a, b, presorted=True),
                                       n_boot=200, seed=0)
    assert used == "percentile"
    assert np.all(np.isfinite(lo)) and np.all(lo <= hi)
    assert np.isnan(bootstrap_ci(y, s, average_precision, n_boot=0)).all()

"""Motif discovery from scores (TF-MoDISco via modisco-lite, TOMTOM via memelite)."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pytest

from regfind.errors import InputError
from regfind.look import motif_discovery as D
from regfind.look import plot
from regfind.look.motifs import load_jaspar


def test_hypothetical_centres_scores():
    mask = np.array([[0.1, 0.1, 0.9, np.nan, 0.1]])
    hyp = D.hypothetical(mask)
    assert hyp.shape == (1, 5, 4) and hyp.dtype == np.float32
    np.testing.assert_allclose(hyp[0, :, 0], [0, 0, 0.8, -0.1, 0], atol=1e-7)  # median 0.1
    grad = np.arange(8, dtype=float).reshape(1, 2, 4)
    np.testing.assert_allclose(D.hypothetical(grad)[0], [[-1.5, -.5, .5, 1.5]] * 2)
    with pytest.raises(InputError, match="shape"):
        D.hypothetical(np.zeros((2, 3, 5)))


def test_trim_keeps_the_informative_core():
    flat = np.full((12, 4), 0.25)
    ppm = flat.copy()
    ppm[3:9] = np.eye(4)[[0, 2, 0, 3, 0, 0]] * 0.97 + 0.0075     # ~1.8 bit each
    cwm = ppm * 0.5
    core_ppm, core_cwm = D.trim(ppm, cwm)
    assert core_ppm.shape == (6, 4) and np.array_equal(core_ppm, ppm[3:9])
    assert core_cwm.shape == (6, 4)
    assert D.information(np.eye(4))[0] == pytest.approx(2.0, abs=1e-9)
    assert D.trim(flat, flat)[0].shape == (0, 4)                   # no core: not matched


def test_planted_gata_is_discovered_and_matched(tmp_path):
    """A positive control: GATA1 sites planted in random DNA and scored 1 are found again."""
    rng = np.random.default_rng(0)
    pool = load_jaspar()
    gata = next(m for m in pool if m.motif_id.startswith("MA0035"))
    n, length = 300, 200
    tokens = rng.integers(0, 4, (n, length))
    scores = rng.normal(0, 0.02, (n, length))
    freq = gata.counts / gata.counts.sum(axis=1, keepdims=True)
    for i in range(n):
        at = rng.integers(20, length - 20 - len(gata))
        site = [rng.choice(4, p=f) for f in freq]
        tokens[i, at:at + len(gata)] = site
        scores[i, at:at + len(gata)] += 1.0
    onehot = np.eye(4, dtype=np.float32)[tokens]
    found = D.discover(onehot, scores, source="truth", pool=pool)
    table = found.table()
    assert found.n_sequences == n and found.length == length
    assert list(table["pattern"].str[:4]) == ["pos_"] * len(table)   # no negative pattern
    gata_like = table[table["match_name"].str.startswith("GATA")]
    assert table["pattern"].iloc[0] == "pos_0" and "pos_0" in set(gata_like["pattern"])
    assert gata_like["n_seqlets"].sum() >= 100 and (gata_like["match_pvalue"] < 1e-3).all()
    core = found.motifs[0]
    assert len(core.ppm) >= 5 and core.cwm.shape == core.ppm.shape
    np.testing.assert_allclose(core.ppm.sum(axis=1), 1.0, atol=1e-6)
    fig = plot.discovered_logos(found, pool, path=tmp_path / "d.png")
    img = mpimg.imread(tmp_path / "d.png")
    assert img.shape[:2] == tuple(np.round(fig.get_size_inches()[::-1] * fig.dpi).astype(int))
    shown = [m for m in found.motifs if len(m.ppm)]
    assert len(fig.axes) == 2 * len(shown)
    left, right = fig.axes[0], fig.axes[1]
    assert left.get_title(loc="left").startswith("pos_0: ") and left.get_ylabel() == "contribution"
    assert right.get_title(loc="left").startswith("JASPAR MA00")
    assert "GATA" in right.get_title(loc="left") and right.get_ylim() == (0, 2)
    renderer = fig.canvas.get_renderer()                  # titles stay inside the figure
    for ax in fig.axes:
        box = ax._left_title.get_window_extent(renderer)
        assert box.x1 <= fig.bbox.x1 + 0.5
    assert right.get_ylabel() == "bits"
    assert len(left.get_xticks()) and len(right.get_xticks())


def test_discovered_logos_without_a_core():
    empty = D.Discovery("mask", [], 3, 100)
    fig = plot.discovered_logos(empty, [])
    assert "no discovered pattern has an informative core" in fig.axes[0].texts[0].get_text()

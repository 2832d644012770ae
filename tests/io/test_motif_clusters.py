"""Grouping of redundant motifs: similarity on known JASPAR pairs, collapse of a ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regfind.errors import ConfigError
from regfind.io.jaspar import Motif, load_jaspar
from regfind.io.motif_clusters import collapse, similarity


@pytest.fixture(scope="module")
def jaspar():
    ids = ["MA0099", "MA0841", "MA0476", "MA0493", "MA0079", "MA0035", "MA0036", "MA0139",
           "MA0002"]
    return {m.motif_id.split(".")[0]: m for m in load_jaspar(ids)}


def _motif(seq: str, name: str) -> Motif:
    counts = np.array([[10 if b == c else 0 for c in "ACGT"] for b in seq], dtype=float)
    return Motif(name, name, counts)


def test_hand_computed_similarity():
    a = _motif("ACGTAC", "a")
    assert similarity(a, a) == pytest.approx(1.0)
    # a shifted copy: 5 identical columns over an alignment 7 wide -> 5/7
    assert similarity(_motif("ACGTAC", "a"), _motif("CGTACG", "b")) == pytest.approx(5 / 7)
    # reverse complement is found on the other strand
    assert similarity(a, _motif("GTACGT", "rc")) == pytest.approx(1.0)
    assert similarity(a, _motif("GTACGT", "rc")) == pytest.approx(
        similarity(_motif("GTACGT", "rc"), a))


def test_family_members_similar_unrelated_not(jaspar):
    same = [("MA0099", "MA0841"), ("MA0099", "MA0476"), ("MA0493", "MA0079"),
            ("MA0035", "MA0036")]  # AP-1/NFE2, FOS::JUN/FOS, KLF1/SP1, GATA1/GATA2
    other = [("MA0035", "MA0139"), ("MA0493", "MA0139"), ("MA0002", "MA0099")]
    for a, b in same:
        assert similarity(jaspar[a], jaspar[b]) > 0.7, (a, b)
    for a, b in other:
        assert similarity(jaspar[a], jaspar[b]) < 0.4, (a, b)


def test_collapse_groups_a_ranking(jaspar):
    order = ["MA0099", "MA0476", "MA0139", "MA0841", "MA0035", "MA0036"]
    motifs = [jaspar[k] for k in order]
    table = pd.DataFrame({"rank": range(1, 7), "motif_id": [m.motif_id for m in motifs],
                          "motif_name": [m.name for m in motifs], "pvalue": np.geomspace(
                              1e-9, 1e-3, 6)})
    out = collapse(table, motifs)
    assert out["motif_name"].tolist() == ["FOS::JUN", "CTCF", "GATA1"]
    assert out["group_rank"].tolist() == [1, 2, 3] and out["rank"].tolist() == [1, 3, 5]
    assert out["n_members"].tolist() == [3, 1, 2]
    assert out["members"][0].startswith("FOS::JUN (") and "NFE2" in out["members"][0]
    assert len(collapse(table, motifs, max_motifs=2)) == 1
    with pytest.raises(ConfigError, match="threshold"):
        collapse(table, motifs, threshold=0)
    with pytest.raises(ConfigError, match="no matrix"):
        collapse(table, motifs[:2])

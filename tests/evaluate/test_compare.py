"""Region-set comparison metrics on hand-computed toy sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regfind.evaluate.compare import bp_jaccard, enrichment, merged, region_recall


def _bed(rows):
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


A = _bed([("chr1", 0, 100), ("chr1", 50, 150), ("chr1", 300, 400)])
B = _bed([("chr1", 100, 200), ("chr1", 390, 500), ("chr2", 0, 10)])


def test_merge_and_jaccard_by_hand():
    assert merged(A).values.tolist() == [["chr1", 0, 150], ["chr1", 300, 400]]
    # A = 250 bp, B = 220 bp, A & B = [100,150) + [390,400) = 60 bp -> 60 / 410
    assert bp_jaccard(A, B) == pytest.approx(60 / 410)
    w = _bed([("chr1", 0, 200)])
    # within [0, 200): A = 150, B = 100, both = 50 -> 50 / 200
    assert bp_jaccard(A, B, w) == pytest.approx(0.25)


def test_region_recall_any_and_reciprocal():
    assert region_recall(A, B) == pytest.approx(2 / 3)      # chr2 row is missed
    assert region_recall(B, A) == pytest.approx(2 / 3)      # A rows hit by B: 2 of 3
    # [390, 500) vs [300, 400): 10 bp overlap, not 50% of either
    assert region_recall(A, B, reciprocal=0.5) == pytest.approx(1 / 3)


def test_enrichment_seeded_and_significant():
    w = _bed([("chr1", 0, 10_000)])
    a = _bed([("chr1", 1000, 1100)])
    res1 = enrichment(a, a, w, n_shuffles=200, seed=3)
    res2 = enrichment(a, a, w, n_shuffles=200, seed=3)
    assert res1 == res2
    assert res1["observed_bp"] == 100 and res1["fold"] > 10 and res1["p_value"] < 0.05


@pytest.mark.parametrize("reciprocal", [None, 0.5])
def test_region_recall_equals_the_pairwise_definition(reciprocal) -> None:
    """Recall by brute force over every (truth, query) pair, on random nested intervals."""
    import pandas as pd

    from regfind.evaluate.compare import region_recall

    rng = np.random.default_rng(3)

    def random_set(n: int) -> pd.DataFrame:
        start = rng.integers(0, 5_000, n)
        return pd.DataFrame({"chrom": rng.choice(["chr1", "chr2"], n), "start": start,
                             "end": start + rng.integers(1, 600, n)})

    query, truth = random_set(60), random_set(80)
    want = []
    for t in truth.itertuples(index=False):
        found = False
        for q in query.itertuples(index=False):
            ov = min(q.end, t.end) - max(q.start, t.start)
            if q.chrom == t.chrom and ov > 0 and (
                    reciprocal is None or (ov >= reciprocal * (t.end - t.start)
                                           and ov >= reciprocal * (q.end - q.start))):
                found = True
        want.append(found)
    assert region_recall(query, truth, reciprocal=reciprocal) == pytest.approx(np.mean(want))
    assert 0 < np.mean(want) < 1

"""Compare region sets: base-pair Jaccard, region precision/recall, shuffled-region enrichment.

Interval algebra goes through pyranges (pip-installable, no external binary, the NCLS overlap
index; pybedtools would need the bedtools program, which pip cannot install). Regions are
``chrom, start, end`` tables, 0-based half-open. Every set is first merged (overlapping or
touching rows become one) and, with ``windows``, clipped to the windows.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from regfind.errors import InputError

__all__ = ["bp_jaccard", "enrichment", "merged", "region_recall"]


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence pandas 3 deprecation warnings raised inside pyranges 0.1.x."""
    with warnings.catch_warnings():
        category = getattr(pd.errors, "Pandas4Warning", FutureWarning)
        warnings.simplefilter("ignore", category)
        yield


def _pr(df: pd.DataFrame):  # noqa: ANN202 - pyranges is untyped
    import pyranges

    return pyranges.PyRanges(df[["chrom", "start", "end"]].rename(
        columns={"chrom": "Chromosome", "start": "Start", "end": "End"}))


def _df(gr) -> pd.DataFrame:  # noqa: ANN001
    d = gr.df
    if d.empty:
        return pd.DataFrame({"chrom": pd.Series(dtype=object),
                             "start": pd.Series(dtype=np.int64), "end": pd.Series(dtype=np.int64)})
    out = pd.DataFrame({"chrom": d["Chromosome"].astype(str).to_numpy(),
                        "start": d["Start"].to_numpy(np.int64),
                        "end": d["End"].to_numpy(np.int64)})
    return out.sort_values(["chrom", "start"], ignore_index=True)


def merged(regions: pd.DataFrame, windows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Merge overlapping/touching regions; clip to ``windows`` when given (pyranges)."""
    if len(regions) == 0:
        return _df(_pr(regions))
    with _quiet():
        gr = _pr(regions).merge()
        if windows is not None:
            gr = gr.intersect(_pr(windows).merge())
    return _df(gr)


def _intersection_bp(a: pd.DataFrame, b: pd.DataFrame) -> int:
    """Count the base pairs covered by both of two merged (disjoint) sets."""
    total = 0
    for chrom, ga in a.groupby("chrom"):
        gb = b[b["chrom"] == chrom]
        if gb.empty:
            continue
        sa, ea = ga["start"].to_numpy(), ga["end"].to_numpy()
        sb, eb = gb["start"].to_numpy(), gb["end"].to_numpy()
        lo = np.maximum(sa[:, None], sb[None, :])
        hi = np.minimum(ea[:, None], eb[None, :])
        total += int(np.clip(hi - lo, 0, None).sum())
    return total


def bp_jaccard(a: pd.DataFrame, b: pd.DataFrame, windows: pd.DataFrame | None = None) -> float:
    """Return ``|A ∩ B| / |A ∪ B|`` in base pairs (0 when both are empty)."""
    ma, mb = merged(a, windows), merged(b, windows)
    inter = _intersection_bp(ma, mb)
    union = int((ma["end"] - ma["start"]).sum() + (mb["end"] - mb["start"]).sum()) - inter
    return inter / union if union else 0.0


def region_recall(query: pd.DataFrame, truth: pd.DataFrame, *,
                  reciprocal: float | None = None) -> float:
    """Fraction of ``truth`` rows overlapped by some ``query`` row.

    Parameters
    ----------
    query, truth : pandas.DataFrame
        ``chrom, start, end`` (not merged: each truth row counts once).
    reciprocal : float, optional
        Instead of any overlap (>= 1 bp), require an overlap covering at least this fraction of
        both regions (bedtools ``-f F -r``). Precision is ``region_recall(truth, query)``.
    """
    if len(truth) == 0:
        return float("nan")
    if reciprocal is not None and not 0 < reciprocal <= 1:
        raise InputError(f"reciprocal overlap must be in (0, 1], got {reciprocal}")
    hit = np.zeros(len(truth), dtype=bool)
    for i, row in enumerate(truth.itertuples(index=False)):
        q = query[(query["chrom"] == row.chrom) & (query["end"] > row.start)
                  & (query["start"] < row.end)]
        if q.empty:
            continue
        if reciprocal is None:
            hit[i] = True
            continue
        ov = np.minimum(q["end"], row.end) - np.maximum(q["start"], row.start)
        ok = (ov >= reciprocal * (row.end - row.start)) & (ov >= reciprocal
                                                            * (q["end"] - q["start"]))
        hit[i] = bool(ok.any())
    return float(hit.mean())


def _shuffle_within(regions: pd.DataFrame, windows: pd.DataFrame,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Place each region (same length) uniformly inside the window that holds its midpoint."""
    rows = []
    for r in regions.itertuples(index=False):
        mid = (r.start + r.end) // 2
        w = windows[(windows["chrom"] == r.chrom) & (windows["start"] <= mid)
                    & (windows["end"] > mid)]
        if w.empty:
            continue
        ws, we = int(w["start"].iloc[0]), int(w["end"].iloc[0])
        length = min(r.end - r.start, we - ws)
        start = int(rng.integers(ws, we - length + 1))
        rows.append((r.chrom, start, start + length))
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def enrichment(a: pd.DataFrame, b: pd.DataFrame, windows: pd.DataFrame, *,
               n_shuffles: int = 1000, seed: int = 0) -> dict[str, float]:
    """Overlap (bp) of A with B against B shuffled within the same windows.

    Returns
    -------
    dict
        ``observed_bp``, ``expected_bp`` (mean over shuffles), ``fold`` (observed/expected) and
        ``p_value`` = ``(1 + #{shuffled >= observed}) / (1 + n_shuffles)`` (one-sided, seeded).
    """
    ma, mb = merged(a, windows), merged(b, windows)
    observed = _intersection_bp(ma, mb)
    rng = np.random.default_rng(seed)
    null = np.array([_intersection_bp(ma, merged(_shuffle_within(mb, windows, rng)))
                     for _ in range(n_shuffles)], dtype=np.float64)
    expected = float(null.mean()) if n_shuffles else float("nan")
    return {"observed_bp": float(observed), "expected_bp": expected,
            "fold": observed / expected if expected > 0 else float("inf"),
            "p_value": float((1 + (null >= observed).sum()) / (1 + n_shuffles))}

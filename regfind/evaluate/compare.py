"""Compare region sets: base-pair Jaccard, region precision/recall, shuffled-region enrichment.

Interval algebra goes through pyranges (pip-installable, no external binary, the NCLS overlap
index; pybedtools would need the bedtools program, which pip cannot install). Regions are
``chrom, start, end`` tables, 0-based half-open. Every set is first merged (overlapping or
touching rows become one) and, with ``windows``, clipped to the windows.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from regfind.errors import DataError, InputError
from regfind.evaluate._compare_report import CompareResult

__all__ = ["CompareResult", "bp_jaccard", "clipped", "compare", "enrichment", "faithfulness",
           "mask_mass", "merged", "region_recall", "upset_table"]


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


def _merge_arrays(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge overlapping or touching intervals of one chromosome (sorted, disjoint output)."""
    if starts.size == 0:
        return starts.astype(np.int64), ends.astype(np.int64)
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    run_end = np.maximum.accumulate(e)
    first = np.flatnonzero(np.r_[True, s[1:] > run_end[:-1]])
    return s[first], np.maximum.reduceat(e, first)


def _bp_below(a_s: np.ndarray, a_e: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Count the base pairs of the disjoint sorted set ``[a_s, a_e)`` lying left of each ``x``."""
    cum = np.r_[0, np.cumsum(a_e - a_s)]
    i = np.searchsorted(a_s, x, side="right")
    over = np.where(i > 0, np.clip(a_e[np.maximum(i - 1, 0)] - x, 0, None), 0)
    return cum[i] - over


def _overlap_bp(a_s: np.ndarray, a_e: np.ndarray, b_s: np.ndarray, b_e: np.ndarray) -> int:
    """Count the base pairs shared by two disjoint sorted sets of one chromosome."""
    if a_s.size == 0 or b_s.size == 0:
        return 0
    return int((_bp_below(a_s, a_e, b_e) - _bp_below(a_s, a_e, b_s)).sum())


def _by_chrom(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return merged ``(starts, ends)`` arrays per chromosome."""
    out = {}
    for chrom, g in df.groupby("chrom", sort=False):
        out[str(chrom)] = _merge_arrays(g["start"].to_numpy(np.int64),
                                        g["end"].to_numpy(np.int64))
    return out


def _intersection_bp(a: pd.DataFrame, b: pd.DataFrame) -> int:
    """Count the base pairs covered by both of two sets (each merged first)."""
    ca, cb = _by_chrom(a), _by_chrom(b)
    return sum(_overlap_bp(*ca[c], *cb[c]) for c in ca if c in cb)


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
    chroms = truth["chrom"].astype(str).to_numpy()
    t_s, t_e = truth["start"].to_numpy(np.int64), truth["end"].to_numpy(np.int64)
    for chrom, q in query.groupby(query["chrom"].astype(str), sort=False):
        rows = np.flatnonzero(chroms == chrom)
        if rows.size:
            hit[rows] = _hits(q["start"].to_numpy(np.int64), q["end"].to_numpy(np.int64),
                              t_s[rows], t_e[rows], reciprocal)
    return float(hit.mean())


def _hits(q_s: np.ndarray, q_e: np.ndarray, t_s: np.ndarray, t_e: np.ndarray,
          reciprocal: float | None) -> np.ndarray:
    """Whether each truth interval of one chromosome is overlapped by a query interval."""
    order = np.argsort(q_s, kind="stable")
    q_s, q_e = q_s[order], q_e[order]
    longest = int((q_e - q_s).max()) if q_s.size else 0
    lo = np.searchsorted(q_s, t_s - longest, side="left")  # no earlier row reaches t_s
    hi = np.searchsorted(q_s, t_e, side="left")  # rows from hi on start at or after t_e
    out = np.zeros(t_s.size, dtype=bool)
    for i in np.flatnonzero(hi > lo):
        s, e = q_s[lo[i]:hi[i]], q_e[lo[i]:hi[i]]
        ov = np.minimum(e, t_e[i]) - np.maximum(s, t_s[i])
        ok = ov > 0
        if reciprocal is not None:
            ok &= (ov >= reciprocal * (t_e[i] - t_s[i])) & (ov >= reciprocal * (e - s))
        out[i] = bool(ok.any())
    return out


def _window_of(regions: pd.DataFrame, windows: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Per region: its window (the one holding its midpoint), its length; rows outside drop."""
    chroms, lo, hi, length = [], [], [], []
    for r in regions.itertuples(index=False):
        mid = (r.start + r.end) // 2
        w = windows[(windows["chrom"] == r.chrom) & (windows["start"] <= mid)
                    & (windows["end"] > mid)]
        if w.empty:
            continue
        ws, we = int(w["start"].iloc[0]), int(w["end"].iloc[0])
        chroms.append(r.chrom)
        lo.append(ws)
        hi.append(we)
        length.append(min(r.end - r.start, we - ws))
    return (np.array(chroms, dtype=object), np.array(lo, dtype=np.int64),
            np.array(hi, dtype=np.int64), np.array(length, dtype=np.int64))


def _shuffled_overlaps(ma: pd.DataFrame, mb: pd.DataFrame, windows: pd.DataFrame,
                       n_shuffles: int, rng: np.random.Generator) -> np.ndarray:
    """Overlap (bp) of ``ma`` with ``mb``'s rows placed uniformly inside their windows."""
    chroms, lo, hi, length = _window_of(mb, windows)
    ca = _by_chrom(ma)
    groups = [(ca.get(str(c)), chroms == c) for c in dict.fromkeys(chroms.tolist())]
    null = np.zeros(n_shuffles, dtype=np.float64)
    for k in range(n_shuffles):
        starts = lo + np.floor(rng.random(lo.size) * (hi - lo - length + 1)).astype(np.int64)
        for a, sel in groups:
            if a is not None:
                null[k] += _overlap_bp(*a, *_merge_arrays(starts[sel], starts[sel] + length[sel]))
    return null


def enrichment(a: pd.DataFrame, b: pd.DataFrame, windows: pd.DataFrame, *,
               n_shuffles: int = 1000, seed: int = 0) -> dict[str, float]:
    """Overlap (bp) of A with B against B shuffled within the same windows.

    Each region of B (merged, clipped to the merged windows) is placed uniformly, with its
    length, inside the window that holds its midpoint; the shuffled rows are merged before
    counting, so overlaps among them are not counted twice.

    Returns
    -------
    dict
        ``observed_bp``, ``expected_bp`` (mean over shuffles), ``fold`` (observed/expected) and
        ``p_value`` = ``(1 + #{shuffled >= observed}) / (1 + n_shuffles)`` (one-sided, seeded).
    """
    if n_shuffles < 1:
        raise InputError(f"n_shuffles must be >= 1, got {n_shuffles}")
    ma, mb = merged(a, windows), merged(b, windows)
    observed = _intersection_bp(ma, mb)
    null = _shuffled_overlaps(ma, mb, merged(windows), n_shuffles, np.random.default_rng(seed))
    expected = float(null.mean())
    fold = observed / expected if expected > 0 else (float("inf") if observed else float("nan"))
    return {"observed_bp": float(observed), "expected_bp": expected, "fold": fold,
            "p_value": float((1 + (null >= observed).sum()) / (1 + n_shuffles))}


def clipped(regions: pd.DataFrame, windows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of ``regions`` cut to the (merged) windows, not merged with each other.

    Rows outside every window are dropped; without windows the rows come back unchanged
    (``chrom, start, end`` only).
    """
    table = regions[["chrom", "start", "end"]].astype({"start": np.int64, "end": np.int64})
    if windows is None or len(table) == 0:
        return table.reset_index(drop=True)
    w = merged(windows)
    rows = []
    for r in table.itertuples(index=False):
        hit = w[(w["chrom"] == r.chrom) & (w["end"] > r.start) & (w["start"] < r.end)]
        rows += [(r.chrom, max(r.start, s), min(r.end, e))
                 for s, e in zip(hit["start"], hit["end"], strict=True)]
    return pd.DataFrame(rows, columns=["chrom", "start", "end"]).astype(
        {"start": np.int64, "end": np.int64})


def _track_sum(bw: Any, chrom: str, start: int, end: int) -> float:
    """Sum of a bigWig's per-base values over ``[start, end)`` (missing bases count 0)."""
    if chrom not in bw.chroms():
        return 0.0
    found = bw.intervals(chrom, max(0, start), min(end, bw.chroms()[chrom])) or []
    total = 0.0
    for s, e, v in found:
        if np.isfinite(v):
            total += (min(e, end) - max(s, start)) * float(v)
    return total


def mask_mass(track: str | os.PathLike[str], sets: dict[str, pd.DataFrame],
              windows: pd.DataFrame | None = None) -> dict[str, float]:
    """Fraction of a mask track's mass (sum of per-base values) inside each set's regions.

    Parameters
    ----------
    track : path-like
        bigWig of per-base mask means (``regfind call --track``); bases without a value count 0.
    sets : dict of str to pandas.DataFrame
        ``chrom, start, end`` per set (merged and clipped to ``windows`` here).
    windows : pandas.DataFrame, optional
        The mass is counted inside these windows only (numerator and denominator).

    Returns
    -------
    dict of str to float
        Per set, ``mass inside / total mass`` (NaN when the total is 0).
    """
    import pyBigWig

    from regfind.io.bed import is_bigwig

    if not is_bigwig(track):
        raise DataError(f"{track}: the mask track must be a bigWig (regfind call --track x.bw)")
    bw = pyBigWig.open(str(track))
    try:
        if windows is not None:
            area = merged(windows)
        else:
            area = pd.DataFrame([(c, 0, n) for c, n in bw.chroms().items()],
                                columns=["chrom", "start", "end"])
        total = sum(_track_sum(bw, r.chrom, r.start, r.end) for r in area.itertuples())
        out = {}
        for name, df in sets.items():
            inside = sum(_track_sum(bw, r.chrom, r.start, r.end)
                         for r in merged(df, windows).itertuples())
            out[name] = inside / total if total > 0 else float("nan")
    finally:
        bw.close()
    return out


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _truth_columns(region_sets: dict[str, pd.DataFrame], truth: pd.DataFrame,
                   reciprocal: float) -> pd.DataFrame:
    """Precision, recall and F1 of each set against the truth regions (rows, not bp)."""
    rows = []
    for name, df in region_sets.items():
        row = {"set": name}
        for tag, rec in (("", None), ("_reciprocal", reciprocal)):
            p = region_recall(truth, df, reciprocal=rec)
            r = region_recall(df, truth, reciprocal=rec)
            row |= {f"truth_precision{tag}": p, f"truth_recall{tag}": r,
                    f"truth_f1{tag}": _f1(p, r) if np.isfinite(p) and np.isfinite(r)
                    else float("nan")}
        rows.append(row)
    return pd.DataFrame(rows)


def _pair_row(a: str, b: str, ra: pd.DataFrame, rb: pd.DataFrame, windows: pd.DataFrame | None,
              reciprocal: float, permutations: int, seed: int) -> dict[str, Any]:
    """Return the pairwise metrics of sets ``a`` and ``b`` (already clipped to the windows)."""
    row = {"a": a, "b": b, "jaccard": bp_jaccard(ra, rb),
           "precision": region_recall(rb, ra), "recall": region_recall(ra, rb),
           "precision_reciprocal": region_recall(rb, ra, reciprocal=reciprocal),
           "recall_reciprocal": region_recall(ra, rb, reciprocal=reciprocal),
           "overlap_bp": _intersection_bp(ra, rb)}
    if windows is not None and permutations > 0:
        e = enrichment(ra, rb, windows, n_shuffles=permutations, seed=seed)
        row |= {"expected_bp": e["expected_bp"], "fold": e["fold"], "p_value": e["p_value"]}
    return row


def compare(sets: dict[str, pd.DataFrame], *, truth: pd.DataFrame | None = None,
            windows: pd.DataFrame | None = None,
            mask_track: str | os.PathLike[str] | None = None, reciprocal: float = 0.5,
            permutations: int = 1000, seed: int = 0) -> CompareResult:
    """Compare region sets with each other, with a mask track and with truth regions.

    Parameters
    ----------
    sets : dict of str to pandas.DataFrame
        Named region sets, ``chrom, start, end`` (0-based half-open); any extra columns are
        ignored. Each is cut to ``windows`` first when given.
    truth : pandas.DataFrame, optional
        Reference regions: per set, precision (fraction of the set's regions overlapping a
        truth region), recall (fraction of truth regions overlapped) and F1.
    windows : pandas.DataFrame, optional
        Restrict everything to these windows (e.g. the model's gene windows); also the space
        in which regions are shuffled for the enrichment test (skipped without windows).
    mask_track : path-like, optional
        bigWig of mask means: adds each set's fraction of the mask mass.
    reciprocal : float, default 0.5
        Reciprocal-overlap fraction of the ``_reciprocal`` columns.
    permutations : int, default 1000
        Shuffles of the enrichment test (0 skips it).
    seed : int, default 0
        Seeds the shuffles (pair ``k`` uses ``seed + k``).

    Returns
    -------
    CompareResult
    """
    if not sets:
        raise InputError("compare needs at least one region set")
    if not 0 < reciprocal <= 1:
        raise InputError(f"reciprocal overlap must be in (0, 1], got {reciprocal}")
    from regfind.io.chroms import harmonise_chroms

    named = harmonise_chroms({**sets, **({"--truth": truth} if truth is not None else {}),
                              **({"--within-windows": windows} if windows is not None else {})})
    truth, windows = named.pop("--truth", None), named.pop("--within-windows", None)
    cut = {n: clipped(named[n], windows) for n in sets}
    table = pd.DataFrame({"set": list(cut), "regions": [len(d) for d in cut.values()],
                          "bp": [_intersection_bp(d, d) for d in cut.values()]})
    if mask_track is not None:
        table["mask_mass"] = table["set"].map(mask_mass(mask_track, cut, windows))
    if truth is not None:
        table = table.merge(_truth_columns(cut, clipped(truth, windows), reciprocal), on="set")
    names = list(cut)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    pairwise = pd.DataFrame([_pair_row(a, b, cut[a], cut[b], windows, reciprocal,
                                       permutations, seed + k)
                             for k, (a, b) in enumerate(pairs)])
    params = {"reciprocal": reciprocal, "permutations": permutations, "seed": seed,
              "windows": windows is not None, "mask_track": str(mask_track or "")}
    return CompareResult(table, pairwise, upset_table(cut), params)


def faithfulness(model: Any, inputs: Any, scores_by_method: dict[str, np.ndarray],
                 fractions: Any = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0), **kwargs: Any
                 ) -> pd.DataFrame:
    """Return deletion and insertion curves (:func:`regfind.evaluate.faithfulness.faithfulness`)."""
    from regfind.evaluate.faithfulness import faithfulness as run

    return run(model, inputs, scores_by_method, fractions, **kwargs)


def _combo(bits: int, names: list[str]) -> str:
    """Name a membership bit pattern: ``"a & b"``."""
    return " & ".join(n for i, n in enumerate(names) if bits >> i & 1)


def _segments(sets: list[dict[str, tuple[np.ndarray, np.ndarray]]], chrom: str
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elementary segments of one chromosome and the membership bits of each."""
    points = [np.r_[s, e] for d in sets if chrom in d for s, e in [d[chrom]]]
    bounds = np.unique(np.concatenate(points))
    lo, hi = bounds[:-1], bounds[1:]
    bits = np.zeros(lo.size, dtype=np.int64)
    for i, d in enumerate(sets):
        if chrom not in d:
            continue
        s, e = d[chrom]
        j = np.searchsorted(s, lo, side="right") - 1
        inside = (j >= 0) & (lo < e[np.maximum(j, 0)])
        bits |= inside.astype(np.int64) << i
    return lo, hi, bits


_UPSET_COLUMNS = ("combination", "n_sets", "bp", "regions")


def upset_table(sets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Count base pairs and union regions in each exact combination of sets.

    Parameters
    ----------
    sets : dict of str to pandas.DataFrame
        ``chrom, start, end`` per set (merged here).

    Returns
    -------
    pandas.DataFrame
        ``combination, n_sets, bp, regions`` plus one boolean column per set (a set named
        like one of the first four columns gets `` (set)`` appended), sorted by bp
        (descending); combinations with no bp are left out.
    """
    names = list(sets)
    per = [_by_chrom(df) for df in sets.values()]
    bp: dict[int, int] = {}
    regions: dict[int, int] = {}
    for chrom in dict.fromkeys(c for d in per for c in d):
        lo, hi, bits = _segments(per, chrom)
        keep = bits > 0
        lo, hi, bits = lo[keep], hi[keep], bits[keep]
        for b in np.unique(bits):
            bp[int(b)] = bp.get(int(b), 0) + int((hi - lo)[bits == b].sum())
        comp = np.cumsum(np.r_[True, lo[1:] > hi[:-1]]) - 1   # union component per segment
        for c in np.unique(comp):
            b = int(np.bitwise_or.reduce(bits[comp == c]))
            regions[b] = regions.get(b, 0) + 1
    member = [f"{n} (set)" if n in _UPSET_COLUMNS else n for n in names]
    rows = [{"combination": _combo(b, names), "n_sets": bin(b).count("1"), "bp": bp.get(b, 0),
             "regions": regions.get(b, 0), **{m: bool(b >> i & 1) for i, m in enumerate(member)}}
            for b in sorted(set(bp) | set(regions))]
    cols = [*_UPSET_COLUMNS, *member]
    table = pd.DataFrame(rows, columns=cols)
    return table.sort_values(["bp", "regions"], ascending=False, ignore_index=True)

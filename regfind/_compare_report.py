"""The result of :func:`regfind.compare.compare`: tables, JSON and an UpSet-style summary.

The UpSet summary partitions the union of all sets into exact combinations of membership,
as UpSet plots do: every base pair of the union belongs to exactly one combination (the sets
that cover it), and every connected region of the union counts once, under the combination of
the sets that touch it anywhere.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regfind._files import atomic_write

__all__ = ["CompareResult", "upset_table"]


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


def upset_table(sets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Count base pairs and union regions in each exact combination of sets.

    Parameters
    ----------
    sets : dict of str to pandas.DataFrame
        ``chrom, start, end`` per set (merged here).

    Returns
    -------
    pandas.DataFrame
        ``combination, n_sets, bp, regions`` plus one boolean column per set, sorted by bp
        (descending); combinations with no bp are left out.
    """
    from regfind.compare import _by_chrom

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
    rows = [{"combination": _combo(b, names), "n_sets": bin(b).count("1"), "bp": bp.get(b, 0),
             "regions": regions.get(b, 0), **{n: bool(b >> i & 1) for i, n in enumerate(names)}}
            for b in sorted(set(bp) | set(regions))]
    cols = ["combination", "n_sets", "bp", "regions", *names]
    table = pd.DataFrame(rows, columns=cols)
    return table.sort_values(["bp", "regions"], ascending=False, ignore_index=True)


@dataclass
class CompareResult:
    """What :func:`regfind.compare.compare` measured.

    Attributes
    ----------
    sets : pandas.DataFrame
        One row per set: ``set, regions, bp`` (after restriction to the windows), and when
        available ``mask_mass`` (fraction of the mask mass inside the set) and, against the
        truth, ``truth_precision, truth_recall, truth_f1`` (any overlap) and the same with
        ``_reciprocal``.
    pairwise : pandas.DataFrame
        One row per ordered-by-input pair ``a, b`` (a before b): ``jaccard`` (bp),
        ``precision`` (fraction of a's regions overlapping b), ``recall`` (fraction of b's
        regions overlapping a), the same with reciprocal overlap, ``overlap_bp`` and, with
        windows, ``expected_bp, fold, p_value`` (b shuffled within the windows).
    upset : pandas.DataFrame
        :func:`upset_table` of the sets.
    params : dict
        Settings (reciprocal fraction, permutations, seed, input files).
    """

    sets: pd.DataFrame
    pairwise: pd.DataFrame
    upset: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data (tables as lists of records)."""
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(df.to_json(orient="records"))

        return {"params": self.params, "sets": records(self.sets),
                "pairwise": records(self.pairwise), "upset": records(self.upset)}

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON, atomically."""
        with atomic_write(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return Path(path)

    def format_tables(self) -> str:
        """Return the per-set and pairwise tables as aligned text."""
        opts = {"index": False, "float_format": lambda v: f"{v:.4g}", "na_rep": "-"}
        parts = ["sets", self.sets.to_string(**opts)]
        if len(self.pairwise):
            parts += ["", "pairs (a judged against b)", self.pairwise.to_string(**opts)]
        return "\n".join(parts) + "\n"

    def format_upset(self) -> str:
        """Return the UpSet-style summary: one line per exact combination, with a bp bar."""
        names = list(self.upset.columns[4:])
        width = max([len(n) for n in names] + [3])
        head = " ".join(f"{n:>{width}}" for n in names)
        lines = ["UpSet summary (each bp and each union region counted once, in its exact "
                 "combination)", f"{head}  {'bp':>12} {'regions':>8}"]
        top = max(int(self.upset["bp"].max()), 1) if len(self.upset) else 1
        for row in self.upset.itertuples(index=False, name=None):
            _, _, bp, n_regions, *member = row
            dots = " ".join(f"{'x' if m else '.':>{width}}" for m in member)
            bar = "#" * max(1, round(30 * bp / top)) if bp else ""
            lines.append(f"{dots}  {bp:>12,} {n_regions:>8,} {bar}")
        return "\n".join(lines) + "\n"

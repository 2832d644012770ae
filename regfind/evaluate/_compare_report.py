"""The result of :func:`regfind.evaluate.compare.compare`: tables, JSON and the UpSet-style summary.

The summary itself is computed by :func:`regfind.evaluate.compare.upset_table`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from regfind._files import atomic_write

__all__ = ["CompareResult"]


@dataclass
class CompareResult:
    """What :func:`regfind.evaluate.compare.compare` measured.

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

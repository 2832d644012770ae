"""Metrics per method, scope and distance bin; window reach; the benchmark result object."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regfind._files import atomic_write
from regfind.evaluate._prmetrics import bootstrap_intervals, pr_metrics

__all__ = ["BenchmarkResult", "evaluate", "window_reach"]


def _row(y: np.ndarray, s: np.ndarray, n_boot: int, seed: int, min_recall: float,
         method: str) -> dict[str, Any]:
    """Point estimates and 95% bootstrap intervals (BCa by default) of one method."""
    def stat(yy: np.ndarray, ss: np.ndarray) -> np.ndarray:
        return pr_metrics(yy, ss, min_recall, presorted=True)

    ap, pr = pr_metrics(y, s, min_recall)
    lo, hi, used = bootstrap_intervals(y, s, stat, n_boot=n_boot, seed=seed, method=method)
    return {"auprc": ap, "auprc_lo": lo[0], "auprc_hi": hi[0], "precision_at_recall": pr,
            "precision_at_recall_lo": lo[1], "precision_at_recall_hi": hi[1], "ci": used}


def _bin_labels(bins: tuple[int, ...]) -> list[str]:
    return [f"{lo // 1000}-{hi // 1000}kb" for lo, hi in zip(bins[:-1], bins[1:], strict=True)]


def evaluate(pairs: pd.DataFrame, scores: dict[str, np.ndarray], inside: np.ndarray, *,
             bins: tuple[int, ...] = (0, 20_000, 100_000, 2_500_000), n_boot: int = 1000,
             seed: int = 0, min_recall: float = 0.7, ci: str = "BCa") -> pd.DataFrame:
    """Return one metrics row per method, scope (``in_window``, ``all``) and distance bin.

    Parameters
    ----------
    pairs : pandas.DataFrame
        ``label`` (bool) and ``distance`` (bp) per pair.
    scores : dict of str to numpy.ndarray
        Per method, one finite score per pair (higher = more likely regulating).
    inside : numpy.ndarray of bool
        Pairs in the model window.
    bins : tuple of int
        Distance bin edges in bp, ``[lo, hi)`` (the last bin also keeps ``hi``).
    n_boot, seed : int
        Bootstrap resamples; every method uses the same resamples (a paired bootstrap).
    min_recall : float
    ci : {'BCa', 'percentile'}, default 'BCa'
        Interval method (:func:`regfind.evaluate._prmetrics.bootstrap_intervals`).

    Returns
    -------
    pandas.DataFrame
        ``method, scope, bin, pairs, positives, positive_rate, auprc, auprc_lo, auprc_hi,
        precision_at_recall, precision_at_recall_lo, precision_at_recall_hi, ci`` (``ci``: the
        interval method used, 'BCa' or 'percentile' where BCa is undefined); empty bins are
        left out.
    """
    y_all = pairs["label"].to_numpy(bool)
    dist = pairs["distance"].to_numpy(np.int64)
    which = np.digitize(dist, bins[1:-1], right=False)
    in_range = (dist >= bins[0]) & (dist <= bins[-1])
    groups = [("all", np.ones(len(pairs), bool))] + [
        (lab, in_range & (which == k)) for k, lab in enumerate(_bin_labels(bins))]
    rows = []
    for method, s in scores.items():
        for scope, scope_sel in (("in_window", inside), ("all", np.ones(len(pairs), bool))):
            for lab, sel in groups:
                take = scope_sel & sel
                if not take.any():
                    continue
                y = y_all[take]
                rows.append({"method": method, "scope": scope, "bin": lab,
                             "pairs": int(take.sum()), "positives": int(y.sum()),
                             "positive_rate": float(y.mean()),
                             **_row(y, s[take], n_boot, seed, min_recall, ci)})
    return pd.DataFrame(rows)


def window_reach(pairs: pd.DataFrame, inside: np.ndarray,
                 scored: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Per gene: tested pairs and positives, in total and inside the model window.

    Parameters
    ----------
    pairs : pandas.DataFrame
        ``gene`` and ``label`` per pair.
    inside : numpy.ndarray of bool
    scored : dict of str to numpy.ndarray of bool, optional
        Per method, whether it had a value for the pair: adds ``scored_<method>`` (in-window
        pairs it scored).

    Returns
    -------
    pandas.DataFrame
        ``gene, pairs, positives, in_window, positives_in_window, positives_out_of_reach``
        (and ``scored_*``), genes with the most positives first.
    """
    t = pd.DataFrame({"gene": pairs["gene"].to_numpy(), "label": pairs["label"].to_numpy(bool),
                      "inside": inside})
    t["pos_in"] = t["label"] & t["inside"]
    for m, ok in (scored or {}).items():
        t[f"scored_{m}"] = np.asarray(ok, bool) & inside
    extra = [c for c in t.columns if c.startswith("scored_")]
    out = t.groupby("gene", sort=True).agg(
        pairs=("label", "size"), positives=("label", "sum"), in_window=("inside", "sum"),
        positives_in_window=("pos_in", "sum"), **{c: (c, "sum") for c in extra})
    out = out.astype(np.int64).reset_index()
    out.insert(5, "positives_out_of_reach", out["positives"] - out["positives_in_window"])
    return out.sort_values(["positives", "pairs"], ascending=False, ignore_index=True)


@dataclass
class BenchmarkResult:
    """What :func:`regfind.evaluate.benchmark.crispr_benchmark` measured.

    Attributes
    ----------
    metrics : pandas.DataFrame
        :func:`evaluate`'s table.
    reach : pandas.DataFrame
        :func:`window_reach`'s table.
    pairs : pandas.DataFrame
        The scored pairs (coordinates, label, ``in_window``, one raw score column per method;
        NaN where the method had no value, before filling).
    params : dict
    """

    metrics: pd.DataFrame
    reach: pd.DataFrame
    pairs: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Return the window reach totals and the genes whose positives are out of reach."""
        r = self.reach
        out = {"pairs": int(r["pairs"].sum()), "positives": int(r["positives"].sum()),
               "in_window": int(r["in_window"].sum()),
               "positives_in_window": int(r["positives_in_window"].sum()),
               "window": self.params.get("window"),
               "genes": len(r), "genes_with_positives": int((r["positives"] > 0).sum()),
               "genes_with_positives_in_window": int((r["positives_in_window"] > 0).sum())}
        for c in (c for c in r.columns if c.startswith("scored_")):
            out[c] = int(r[c].sum())
        lost = r[(r["positives"] > 0) & (r["positives_in_window"] == 0)]
        out["genes_all_positives_out_of_reach"] = lost["gene"].tolist()
        out["dropped_rows"] = int(self.params.get("dropped_rows", 0))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return params, reach summary, metrics and per-gene reach as JSON-ready data."""
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(df.to_json(orient="records"))

        return {"params": self.params, "reach_summary": self.summary(),
                "metrics": records(self.metrics), "reach": records(self.reach)}

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON, atomically."""
        with atomic_write(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return Path(path)

    def format_reach(self, max_genes: int = 10) -> str:
        """Return the window reach as text (totals, then the genes with lost positives)."""
        s = self.summary()
        half = (s["window"] or 0) // 2000
        lines = [f"window reach (element wholly within +-{half} kb of the TSS): "
                 f"{s['in_window']:,}/{s['pairs']:,} pairs, {s['positives_in_window']:,}/"
                 f"{s['positives']:,} positives; {s['genes_with_positives_in_window']:,}/"
                 f"{s['genes_with_positives']:,} genes with positives keep one"]
        lines += [f"  scorable by {k[7:]}: {v:,} in-window pairs" for k, v in s.items()
                  if k.startswith("scored_")]
        if s["dropped_rows"]:
            lines.append(f"  {s['dropped_rows']:,} pair(s) of the file dropped: a missing or "
                         "unreadable value")
        lost = s["genes_all_positives_out_of_reach"]
        if lost:
            shown = ", ".join(lost[:max_genes]) + (" ..." if len(lost) > max_genes else "")
            lines.append(f"  {len(lost)} gene(s) have every positive out of reach: {shown}")
        return "\n".join(lines) + "\n"

    def format_metrics(self) -> str:
        """Return the metrics table as aligned text."""
        m = self.metrics.copy()
        for k in ("auprc", "precision_at_recall"):
            m[k] = [f"{v:.3f} [{lo:.3f}, {hi:.3f}]" for v, lo, hi in
                    zip(m[k], m[f"{k}_lo"], m[f"{k}_hi"], strict=True)]
        pct = round(100 * float(self.params.get("min_recall", 0.7)))
        m = m.rename(columns={"precision_at_recall": f"precision@{pct}%recall"})
        cols = ["method", "scope", "bin", "pairs", "positives", "positive_rate", "auprc",
                f"precision@{pct}%recall", *(["ci"] if "ci" in m.columns else [])]
        return m[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}") + "\n"

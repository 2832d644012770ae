"""Faithfulness on the model itself: deletion and insertion curves per scoring method.

For a method's per-base score over one gene window, the top ``k`` = ``round(f * n)`` eligible
bases (highest score first; ties broken by a seeded permutation, NaN scores last) are

- **deleted**: forced out of the mask, every other base as the model would see it;
- **inserted**: the only eligible bases left in the mask, every other eligible base forced out;

and the gene is re-predicted. "Forced out" goes through the model's own ``blacklist`` argument,
which sets the mask to 0 at those bases after the generator ran, exactly as the model treats
blacklisted regions: the predictor then pools ``mask * x``, so removed bases contribute
nothing (their sequence and signals are not edited). The eligible bases are those on the
chromosome, outside the input blacklist and outside the promoter (which the model forces to 1
whatever the blacklist says, so it can be neither removed nor inserted); ``n`` counts them.

A faithful ranking makes the deletion curve fall fast (small area) and the insertion curve rise
fast (large area). ``deletion(0) == insertion(1)`` is the unperturbed prediction and
``deletion(1) == insertion(0)`` the prediction from the promoter alone (identical perturbations
are predicted once, so these are the same number).

**Normalisation across genes** (:func:`normalise`, :func:`gene_areas`, :func:`summarize`): a
gene's curve value ``v`` becomes ``(v - promoter_only) / (full - promoter_only)``, with ``full``
= deletion(0) and ``promoter_only`` = deletion(1); deletion then falls from 1 to 0 and insertion
rises from 0 to 1 for every gene, whatever its expression level or how much its window beyond
the promoter moves the prediction. A gene whose ``|full - promoter_only|`` is at most 10 float32
steps of its prediction has curves made of rounding noise: its normalised values are NaN and it
is left out of the normalised means (``genes_normalised`` counts the genes that remain).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from regfind.errors import InputError

__all__ = ["curve_areas", "curve_ends", "faithfulness", "gene_areas", "normalise", "summarize"]


def _eligible(model: Any, inputs: Any) -> np.ndarray:
    """Return the bases that can be removed: on-chromosome, not blacklisted, not promoter."""
    length = inputs.seqs.shape[1]
    ok = ~inputs.blacklist[0].copy()
    ok[model.promoter_slice(length)] = False
    ok[:max(0, -inputs.locus.start)] = False
    over = inputs.locus.end - inputs.locus.chrom_length
    if over > 0:
        ok[length - over:] = False
    return ok


def _ranking(scores: np.ndarray, eligible: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return eligible window indices, best score first (seeded ties, NaN last)."""
    idx = np.flatnonzero(eligible)
    s = np.asarray(scores, dtype=np.float64)[idx]
    s = np.where(np.isnan(s), -np.inf, s)
    shuffled = rng.permutation(idx.size)
    order = np.lexsort((shuffled, -s))
    return idx[order]


def _predict(model: Any, inputs: Any, blacklists: list[np.ndarray], batch_size: int,
             device: Any) -> np.ndarray:
    """Predict the gene once per extra blacklist (each OR-ed with the input blacklist)."""
    import torch

    from regfind._env import on_device, resolve_device

    dev = resolve_device(device)
    x = inputs.to_torch()
    out = []
    with on_device(model, dev) as m, torch.no_grad():
        for i in range(0, len(blacklists), batch_size):
            bl = torch.from_numpy(np.stack(blacklists[i:i + batch_size]) | inputs.blacklist)
            n = bl.shape[0]
            pred = m(x["seqs"].expand(n, -1, -1).to(dev), x["signals"].expand(n, -1, -1).to(dev),
                     x["rna_feat"].expand(n, -1).to(dev), bl.to(dev)).pred
            out.append(pred.float().cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def _predict_unique(model: Any, inputs: Any, blacklists: list[np.ndarray], batch_size: int,
                    device: Any) -> np.ndarray:
    """Like :func:`_predict`, running each distinct blacklist once (e.g. the curve ends)."""
    keys = [np.packbits(b).tobytes() for b in blacklists]
    unique: dict[bytes, np.ndarray] = {}
    for key, bl in zip(keys, blacklists, strict=True):
        unique.setdefault(key, bl)
    values = dict(zip(unique, _predict(model, inputs, list(unique.values()), batch_size, device),
                      strict=True))
    return np.array([values[k] for k in keys], dtype=np.float64)


def faithfulness(model: Any, inputs: Any, scores_by_method: dict[str, np.ndarray],
                 fractions: Sequence[float] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0), *,
                 batch_size: int = 4, device: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Return deletion and insertion curves: the prediction after removing ranked bases.

    Parameters
    ----------
    model : Seq2Exp
    inputs : ModelInputs
        One gene window (batch of 1).
    scores_by_method : dict of str to numpy.ndarray
        Per method a score per window base, shape (L,); higher = more important. NaN (e.g.
        padding, or bases a method did not score) ranks last.
    fractions : sequence of float
        Fractions ``f`` in [0, 1] of the eligible bases to remove (deletion) or keep
        (insertion).
    batch_size : int, default 4
        Perturbed windows per forward pass.
    device : str, optional
        CUDA when available if not given.
    seed : int, default 0
        Breaks ties in the ranking.

    Returns
    -------
    pandas.DataFrame
        ``method, curve, fraction, value, bases``: ``curve`` is ``deletion`` or ``insertion``,
        ``value`` the predicted log10(CAGE + 1), ``bases`` the number removed or kept. The
        long table :func:`regfind.look.plot.faithfulness_curves` draws (``kind="curve"``).
    """
    fr = np.asarray(list(fractions), dtype=np.float64)
    if fr.size == 0 or ((fr < 0) | (fr > 1)).any():
        raise InputError(f"fractions must be in [0, 1], got {list(fractions)}")
    if inputs.seqs.shape[0] != 1:
        raise InputError(f"faithfulness takes one gene window, got {inputs.seqs.shape[0]}")
    length = inputs.seqs.shape[1]
    eligible = _eligible(model, inputs)
    n = int(eligible.sum())
    ks = np.rint(fr * n).astype(int)
    rows, blacklists = [], []
    for method, scores in scores_by_method.items():
        if np.shape(scores) != (length,):
            raise InputError(f"scores of {method!r} have shape {np.shape(scores)}, expected "
                             f"({length},)")
        ranked = _ranking(scores, eligible, np.random.default_rng(seed))
        for f, k in zip(fr, ks, strict=True):
            top = np.zeros(length, dtype=bool)
            top[ranked[:k]] = True
            blacklists += [top, eligible & ~top]
            rows += [(method, "deletion", float(f), int(k)), (method, "insertion", float(f),
                                                              int(k))]
    values = _predict_unique(model, inputs, blacklists, batch_size, device)
    table = pd.DataFrame(rows, columns=["method", "curve", "fraction", "bases"])
    table.insert(3, "value", values)
    return table.sort_values(["method", "curve", "fraction"], kind="stable", ignore_index=True)


def _trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def curve_areas(table: pd.DataFrame) -> pd.DataFrame:
    """Return the area under each curve (trapezoid over ``fraction``) per method and curve.

    Returns
    -------
    pandas.DataFrame
        ``method, curve, area`` (lower is better for deletion, higher for insertion).
    """
    rows = []
    for (method, curve), g in table.groupby(["method", "curve"], sort=False):
        g = g.sort_values("fraction")
        rows.append((method, curve, _trapezoid(g["fraction"].to_numpy(float),
                                               g["value"].to_numpy(float))))
    return pd.DataFrame(rows, columns=["method", "curve", "area"])


def _with_gene(curves: pd.DataFrame) -> pd.DataFrame:
    return curves if "gene" in curves.columns else curves.assign(gene="")


def curve_ends(curves: pd.DataFrame) -> pd.DataFrame:
    """Per gene: ``full``, ``promoter_only``, ``window_effect`` (their difference), ``normalised``.

    ``normalised`` is False when ``|window_effect|`` is at most 10 float32 steps of the
    prediction (see the module docstring). Needs the fractions 0 and 1 on the deletion curve.
    """
    table = _with_gene(curves)
    d = table[table["curve"] == "deletion"]
    ends = pd.DataFrame({"full": d[d["fraction"] == 0.0].groupby("gene")["value"].first(),
                         "promoter_only": d[d["fraction"] == 1.0].groupby("gene")["value"].first()})
    ends = ends.reindex(pd.unique(table["gene"]))
    if ends.isna().any(axis=None):
        raise InputError("normalising needs the fractions 0 and 1 on every gene's deletion curve")
    ends["window_effect"] = ends["full"] - ends["promoter_only"]
    level = np.maximum(ends["full"].abs(), ends["promoter_only"].abs()).to_numpy(np.float32)
    ends["normalised"] = ends["window_effect"].abs() > 10 * np.spacing(level).astype(float)
    return ends


def normalise(curves: pd.DataFrame) -> pd.DataFrame:
    """Return ``curves`` with ``value_normalised`` = (value - promoter_only) / window_effect.

    Per gene (column ``gene``, or the whole table without one); NaN for genes that are not
    normalised (see :func:`curve_ends`).
    """
    table = _with_gene(curves)
    ends = curve_ends(table).reindex(table["gene"])
    scale = np.where(ends["normalised"], ends["window_effect"], np.nan)
    out = curves.copy()
    out["value_normalised"] = (table["value"].to_numpy(float)
                               - ends["promoter_only"].to_numpy(float)) / scale
    return out


def gene_areas(curves: pd.DataFrame) -> pd.DataFrame:
    """Return ``gene, method, curve, area, area_normalised`` (trapezoids over ``fraction``)."""
    table = normalise(_with_gene(curves))
    rows = []
    for (gene, method, curve), g in table.groupby(["gene", "method", "curve"], sort=False):
        g = g.sort_values("fraction")
        x = g["fraction"].to_numpy(float)
        rows.append((gene, method, curve, _trapezoid(x, g["value"].to_numpy(float)),
                     _trapezoid(x, g["value_normalised"].to_numpy(float))))
    return pd.DataFrame(rows, columns=["gene", "method", "curve", "area", "area_normalised"])


def summarize(curves: pd.DataFrame) -> pd.DataFrame:
    """Return one row per method: mean areas over genes, raw and normalised.

    Returns
    -------
    pandas.DataFrame
        ``method, genes, deletion, insertion`` (mean raw areas, log10(CAGE + 1) x fraction),
        ``deletion_normalised, insertion_normalised`` (mean normalised areas, in [0, 1] for
        monotone curves), ``ins_minus_del`` (their difference, the mean per gene) with its
        standard error over genes ``ins_minus_del_se``, and ``genes_normalised``.
        Deletion: lower is better; insertion and ``ins_minus_del``: higher is better.
    """
    areas = gene_areas(curves)
    wide = areas.pivot_table(index=["method", "gene"], columns="curve", sort=False,
                             values=["area", "area_normalised"], dropna=False)
    return pd.DataFrame([_summary_row(method, g)
                         for method, g in wide.groupby(level="method", sort=False)])


def _summary_row(method: str, g: pd.DataFrame) -> dict[str, Any]:
    """One method's row of :func:`summarize` from its per-gene areas (curves as columns)."""
    norm = g["area_normalised"]
    diff = (norm["insertion"] - norm["deletion"]).dropna()
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
    return {"method": method, "genes": len(g), "deletion": g[("area", "deletion")].mean(),
            "insertion": g[("area", "insertion")].mean(),
            "deletion_normalised": norm["deletion"].mean(),
            "insertion_normalised": norm["insertion"].mean(),
            "ins_minus_del": diff.mean() if len(diff) else np.nan, "ins_minus_del_se": se,
            "genes_normalised": len(diff)}

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
``deletion(1) == insertion(0)`` the prediction from the promoter alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from regfind.errors import InputError

__all__ = ["curve_areas", "faithfulness"]


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
        long table :func:`regfind.plot.faithfulness_curves` draws (``kind="curve"``).
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
    values = _predict(model, inputs, blacklists, batch_size, device)
    table = pd.DataFrame(rows, columns=["method", "curve", "fraction", "bases"])
    table.insert(3, "value", values)
    return table.sort_values(["method", "curve", "fraction"], kind="stable", ignore_index=True)


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
        x, y = g["fraction"].to_numpy(float), g["value"].to_numpy(float)
        rows.append((method, curve, float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))))
    return pd.DataFrame(rows, columns=["method", "curve", "area"])

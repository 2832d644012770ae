"""The paper's own test of a mask: retrain the predictor on the bases it selects.

Seq2Exp's paper backs its claim by retraining the predictor on only the bases its mask selects
and comparing it with a predictor retrained on MACS3 peaks (its Table 2). This module does the
same on a folder written by ``regfind simulate`` (its ``config.json`` names the cell type)
with a model:

1. For every gene of every split, four 0/1 selections of the window (the promoter, which the
   model always keeps, is selected in all four; blacklisted bases in none):

   - ``mask``: the regions that ``regfind call`` rules give on the model's test-time mask: the
     top ``top_fraction`` of the window's bases outside the promoter, merged by
     :func:`regfind.intervals.caller.call` (min length 100 bp, max gap 50 bp);
   - ``macs3``: MACS3 ``bdgpeakcall`` rules on the DNase track (same min length and gap) at one
     fold-change cutoff for all genes, chosen by bisection so that the training genes keep the
     same number of bases as ``mask`` (within 2 %);
   - ``random``: each gene's ``mask`` regions moved to random non-overlapping positions
     outside the promoter (``bedtools shuffle``-like: same count, same lengths, seeded);
   - ``all``: every base.

2. For each selection, a fresh network of the model's shape (same seed, same budget) is trained
   with its predictor reading only the selected bases
   (:meth:`regfind.model.seq2exp.Seq2Exp.predict_with_mask`; the generator is not used; a
   motif stem starts at random: the tested model's weights are not copied):
   AdamW, linear warm-up then cosine decay, SmoothL1 on the standardised target, the epoch with
   the lowest validation MSE kept. Held-out (test split) MSE and Pearson r are reported.

A mask that found the elements driving expression predicts held-out expression better from
its selection than MACS3 peaks and random regions of the same size do.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from regfind.errors import ConfigError

__all__ = ["SETS", "retrain_benchmark", "selections"]

#: The selections compared, in report order.
SETS: tuple[str, ...] = ("mask", "macs3", "random", "all")
_MIN_LENGTH, _MAX_GAP = 100, 50


def _regions_to_mask(regions: Any, length: int) -> np.ndarray:
    out = np.zeros(length, dtype=bool)
    for s, e in zip(regions["start"], regions["end"], strict=True):
        out[int(s):int(e)] = True
    return out


def _spans(sel: np.ndarray) -> list[tuple[int, int]]:
    """Return the runs of True in a 1-D bool array as half-open ``(start, end)``."""
    d = np.diff(np.concatenate([[0], sel.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def _shuffle(sel: np.ndarray, free: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Place ``sel``'s runs at random non-overlapping positions inside ``free`` (seeded)."""
    out = np.zeros_like(sel)
    for a, b in sorted(_spans(sel), key=lambda s: s[0] - s[1]):  # longest first
        n = b - a
        ok = free & ~out
        # start positions whose whole run lies in `ok`
        run = np.convolve(ok.astype(np.int32), np.ones(n, dtype=np.int32), "valid") == n
        starts = np.flatnonzero(run)
        if starts.size:
            s = int(rng.choice(starts))
            out[s:s + n] = True
    return out


def _peaks_mask(dnase: np.ndarray, eligible: np.ndarray, cutoff: float) -> np.ndarray:
    from regfind.intervals.caller import call

    s = np.where(eligible, dnase, np.nan).astype(np.float32)
    return _regions_to_mask(call(s, float(cutoff), _MIN_LENGTH, _MAX_GAP), s.size)


def _macs3_cutoff(dnase: np.ndarray, eligible: np.ndarray, target: int) -> float:
    """Fold-change cutoff whose peaks keep ``target`` bases over these genes (bisection)."""
    lo, hi = 0.0, float(np.nanmax(np.where(eligible, dnase, np.nan)))
    for _ in range(30):
        mid = (lo + hi) / 2
        kept = sum(int(_peaks_mask(d, e, mid).sum()) for d, e in zip(dnase, eligible,
                                                                      strict=True))
        if abs(kept - target) <= 0.02 * target:
            return mid
        lo, hi = (mid, hi) if kept > target else (lo, mid)
    return (lo + hi) / 2


def _eligible(data: Any, prom: slice) -> np.ndarray:
    ok = (data.codes >= 0) & ~data.blacklist
    ok[:, prom] = False
    return ok


def selections(model: Any, sets: dict[str, Any], *, top_fraction: float = 0.1, seed: int = 0
               ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, Any]]:
    """Return the four 0/1 selections of every gene, per split, and how they were made.

    Returns
    -------
    sel : dict
        ``sel[split][name]`` is a bool array (G, L) (True: the predictor reads the base);
        names are :data:`SETS`.
    info : dict
        ``macs3_cutoff`` (fold change) and the mean selected fraction of the window per set
        on the training genes.
    """
    import torch

    from regfind.intervals.caller import call

    L = sets["train"].codes.shape[1]  # noqa: N806
    prom = model.promoter_slice(L)
    rng = np.random.default_rng(seed)
    masks = {}
    for split, data in sets.items():
        ok = _eligible(data, prom)
        m = np.zeros(ok.shape, dtype=bool)
        for i in range(len(data)):
            b = data.batch(np.array([i]))
            with torch.no_grad():
                mean, _, _ = model.generate(b["seqs"], b["signals"], b["blacklist"])
            s = np.where(ok[i], mean[0].numpy(), np.nan).astype(np.float32)
            m[i] = _regions_to_mask(call(s, None, _MIN_LENGTH, _MAX_GAP,
                                         top_fraction=top_fraction), L)
        masks[split] = (m, ok)
    train_m, train_ok = masks["train"]
    cutoff = _macs3_cutoff(sets["train"].signals[..., 1], train_ok, int(train_m.sum()))
    sel: dict[str, dict[str, np.ndarray]] = {}
    for split, (m, ok) in masks.items():
        data = sets[split]
        peaks = np.array([_peaks_mask(d, e, cutoff) for d, e in
                          zip(data.signals[..., 1], ok, strict=True)]).reshape(ok.shape)
        rand = np.array([_shuffle(mi, e, rng) for mi, e in zip(m, ok, strict=True)]
                        ).reshape(ok.shape)
        base = np.zeros_like(ok)
        base[:, prom] = True
        sel[split] = {"mask": m | base, "macs3": peaks | base, "random": rand | base,
                      "all": (ok | base) & ~data.blacklist}
    info = {"macs3_cutoff": cutoff,
            "selected_fraction": {k: float(v.mean()) for k, v in sel["train"].items()}}
    return sel, info


def _fit(config: Any, sets: dict[str, Any], sel: dict[str, np.ndarray] | Any, name: str, *,
         epochs: int, batch_size: int, lr: float, seed: int,
         log: Callable[[str], None] | None) -> dict[str, float]:
    import torch
    import torch.nn.functional as F

    from regfind.model.seq2exp import Seq2Exp
    from regfind.train.loop import _schedule

    torch.manual_seed(seed)
    net = Seq2Exp(config)
    train, y = sets["train"], sets["train"].target
    with torch.no_grad():
        net.pToExpr[-1].bias.fill_(float(y.mean()))
    mu, sd = float(y.mean()), float(y.std()) or 1.0
    params = [p for n, p in net.named_parameters()
              if not n.startswith(("generator.", "mask_output.")) or config.enc_prd_ps]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = math.ceil(len(train) / batch_size) * epochs
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _schedule(steps, int(0.05 * steps)))
    rng = np.random.default_rng(seed)
    best, best_state = math.inf, None
    for epoch in range(epochs):
        net.train()
        order = rng.permutation(len(train))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            b = train.batch(idx)
            m = torch.from_numpy(sel["train"][name][idx].astype(np.float32))
            pred = net.predict_with_mask(b["seqs"], b["signals"], b["rna_feat"], m)
            loss = F.smooth_l1_loss((pred - mu) / sd, (b["target"] - mu) / sd)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
        valid = _scores(net, sets["valid"], sel["valid"][name])
        if log is not None:
            log(f"{name}: epoch {epoch + 1}/{epochs} valid mse {valid['mse']:.4f} "
                f"pearson {valid['pearson']:.3f}")
        if valid["mse"] < best:
            best = valid["mse"]
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    return _scores(net, sets["test"], sel["test"][name])


def _scores(net: Any, data: Any, sel: np.ndarray, batch_size: int = 8) -> dict[str, float]:
    import torch

    net.eval()
    preds = []
    with torch.no_grad():
        for start in range(0, len(data), batch_size):
            idx = np.arange(start, min(start + batch_size, len(data)))
            b = data.batch(idx)
            m = torch.from_numpy(sel[idx].astype(np.float32))
            preds.append(net.predict_with_mask(b["seqs"], b["signals"], b["rna_feat"], m))
    pred = torch.cat(preds).double().numpy()
    y = data.target.astype(np.float64)
    r = float(np.corrcoef(pred, y)[0, 1]) if len(y) > 1 and pred.std() > 0 else float("nan")
    return {"mse": float(np.mean((pred - y) ** 2)), "pearson": r, "n": len(y)}


def retrain_benchmark(data_dir: str | Path, model_dir: str | Path, *, epochs: int = 4,
                      batch_size: int = 4, lr: float = 2e-3, seed: int = 0,
                      top_fraction: float = 0.1, sets: tuple[str, ...] = SETS,
                      cache_dir: str | Path | None = None,
                      log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Retrain the model's predictor on each selection and score it on the held-out genes.

    Parameters
    ----------
    data_dir : str or Path
        A folder written by ``regfind simulate`` (``profiles.toml``, ``expression.tsv`` with a
        ``split`` column, ``config.json``).
    model_dir : str or Path
        The model whose mask is tested (any regfind model folder or zoo name); the retrained
        predictors have its configuration.
    epochs, batch_size, lr, seed : optional
        The training budget, the same for every selection.
    top_fraction : float, default 0.1
        Fraction of each window's bases (outside the promoter) the mask selects.
    sets : tuple of str
        Which of :data:`SETS` to run.
    cache_dir : path, optional
        Where the model inputs are cached (``.npz``).
    log : callable, optional
        Receives one line per epoch.

    Returns
    -------
    dict
        ``{"sets": {name: {"mse", "pearson", "n", "selected_fraction", "seconds"}},
        "macs3_cutoff": float, "settings": {...}}``; ``selected_fraction`` is the mean
        fraction of the training windows the predictor reads.

    Raises
    ------
    ConfigError
        An unknown set name, or a data folder without train, valid and test genes.
    """
    import json

    from regfind.model.checkpoint import load_model
    from regfind.model.context import resolve_model
    from regfind.train.data import build_sets

    unknown = sorted(set(sets) - set(SETS))
    if unknown:
        raise ConfigError(f"unknown selection(s) {unknown}; choose from {', '.join(SETS)}")
    data = Path(data_dir)
    model = load_model(resolve_model(model_dir), device="cpu").eval()
    cell = json.loads((data / "config.json").read_text())["cell"]
    gene_sets = build_sets(None, cell, data / "expression.tsv", window=model.config.seq_range,
                           config=data / "profiles.toml", cache_dir=cache_dir, progress=False)
    empty = [s for s in ("train", "valid", "test") if len(gene_sets[s]) == 0]
    if empty:
        raise ConfigError(f"{data}: no genes in split(s) {', '.join(empty)}; the benchmark "
                          "trains on 'train', selects on 'valid' and scores on 'test'")
    sel, info = selections(model, gene_sets, top_fraction=top_fraction, seed=seed)
    out: dict[str, Any] = {}
    for name in sets:
        t0 = time.time()
        row = _fit(model.config, gene_sets, sel, name, epochs=epochs, batch_size=batch_size,
                   lr=lr, seed=seed, log=log)
        out[name] = {**row, "selected_fraction": info["selected_fraction"][name],
                     "seconds": round(time.time() - t0, 1)}
    return {"sets": out, "macs3_cutoff": info["macs3_cutoff"],
            "settings": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
                         "top_fraction": top_fraction, "model": str(model_dir),
                         "data": str(data)}}

"""Score discovery methods against the planted truth of a simulated genome.

For every gene of one split (default the held-out test chromosomes) and every method's per-base
score over the gene's window:

- **base level**: AUPRC of the score against "the base lies in one of the gene's causal
  enhancers", over the window without the promoter (``center_len`` bases at the TSS, which the
  model forces into its mask) - scores pooled over all genes;
- **region level**: regions called with the same MACS3-``bdgpeakcall``-exact caller
  (:func:`regfind.intervals.call`, min length 100 bp, max gap 50 bp) for every method: the
  top ``top_fraction`` of each window's bases, or the peaks themselves for 0/1 peak tracks;
  precision = called regions overlapping a causal element / called regions, recall = causal
  elements overlapped / causal elements.

Methods: ``seq2exp_mask`` (the model's test-time mask), ``dnase`` and ``h3k27ac`` (raw
signal), ``macs3_dnase`` / ``macs3_h3k27ac`` (0/1 peaks called by bdgpeakcall rules on the
signal at a fold-change cutoff), and ``distance`` (``1 / (|i - TSS| + 1)``). Expression
accuracy (MSE, Pearson r) of the model on the same genes is reported too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["run_synthetic"]


def _truth(sim: Path) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for line in (sim / "truth.bed").read_text().splitlines():
        if line.startswith("#"):
            continue
        f = line.split("\t")
        out.setdefault(f[6], []).append((int(f[1]), int(f[2])))
    return out


def _peaks(signal: np.ndarray, cutoff: float) -> np.ndarray:
    from regfind.intervals import call

    regions = call(signal.astype(np.float32), cutoff, 100, 50)
    out = np.zeros(signal.size, dtype=np.float32)
    for s, e in zip(regions["start"], regions["end"], strict=True):
        out[int(s):int(e)] = 1.0
    return out


def _scores(model: Any, batch: dict, tss_index: int) -> dict[str, np.ndarray]:
    import torch

    with torch.no_grad():
        mask, _, _ = model.generate(batch["seqs"], batch["signals"], batch["blacklist"])
    sig = batch["signals"][0].numpy()
    length = sig.shape[0]
    dist = 1.0 / (np.abs(np.arange(length) - tss_index) + 1.0)
    return {"seq2exp_mask": mask[0].numpy(), "dnase": sig[:, 1], "h3k27ac": sig[:, 0],
            "macs3_dnase": _peaks(sig[:, 1], 2.0), "macs3_h3k27ac": _peaks(sig[:, 0], 2.0),
            "distance": dist.astype(np.float32)}


def _region_counts(score: np.ndarray, keep: np.ndarray, elements: list[tuple[int, int]],
                   top_fraction: float) -> tuple[int, int, int]:
    from regfind.intervals import call

    s = np.where(keep, score, np.nan).astype(np.float32)
    if np.isin(score, (0.0, 1.0)).all():  # 0/1 peaks: the peaks themselves are the regions
        regions = call(s, 0.5, 100, 50)
    else:
        regions = call(s, None, 100, 50, top_fraction=top_fraction)
    spans = list(zip(regions["start"].astype(int), regions["end"].astype(int), strict=True))
    hit = sum(any(a < e and s0 < b for a, b in elements) for s0, e in spans)
    found = sum(any(a < e and s0 < b for s0, e in spans) for a, b in elements)
    return hit, len(spans), found


def run_synthetic(sim_dir: str | Path, model_dir: str | Path, *, split: str = "test",
                  top_fraction: float = 0.1, max_genes: int | None = None) -> dict[str, Any]:
    """Run the benchmark on the genes of one split of a simulated folder.

    Returns
    -------
    dict
        ``{"methods": {name: {"auprc", "precision", "recall", "f1"}}, "expression":
        {"pearson", "mse", "n"}, "split", "n_genes", "positive_fraction"}``.
    """
    from regfind._train_data import build_sets
    from regfind.model.checkpoint import load_model
    from regfind.train import evaluate

    sim = Path(sim_dir)
    model = load_model(model_dir, device="cpu")
    window = model.config.seq_range
    sets = build_sets(None, _cell(sim), sim / "expression.tsv", window=window,
                      config=sim / "profiles.toml", progress=False)
    data = sets[split]
    truth = _truth(sim)
    gene_ids = list(data.genes)
    tss_of = {k: int(v[3]) for k, v in _rows(sim).items()}
    center = model.promoter_slice(window)
    tss_index = window // 2
    labels, pooled = [], {}
    regions: dict[str, list[int]] = {}
    n = len(data) if max_genes is None else min(max_genes, len(data))
    for i in range(n):
        batch = data.batch(np.array([i]))
        start = tss_of[gene_ids[i]] - tss_index
        elements = [(a - start, b - start) for a, b in truth.get(gene_ids[i], [])]
        keep = np.ones(window, dtype=bool)
        keep[center] = False
        lab = np.zeros(window, dtype=bool)
        for a, b in elements:
            lab[max(a, 0):min(b, window)] = True
        labels.append(lab[keep])
        for name, score in _scores(model, batch, tss_index).items():
            pooled.setdefault(name, []).append(score[keep])
            counts = _region_counts(score, keep, elements, top_fraction)
            acc = regions.setdefault(name, [0, 0, 0, 0])
            acc[0] += counts[0]
            acc[1] += counts[1]
            acc[2] += counts[2]
            acc[3] += len(elements)
    y = np.concatenate(labels)
    methods = {name: _metrics(y, np.concatenate(v), regions[name]) for name, v in pooled.items()}
    subset = type(data)(data.genes[:n], data.codes[:n], data.signals[:n], data.rna_feat[:n],
                        data.blacklist[:n], data.target[:n])
    expr = evaluate(model, subset)
    return {"methods": methods, "expression": {"pearson": expr["pearson"], "mse": expr["mse"],
                                               "n": expr["n"]},
            "split": split, "n_genes": n, "positive_fraction": float(y.mean())}


def _metrics(y: np.ndarray, score: np.ndarray, counts: list[int]) -> dict[str, float]:
    from regfind._prmetrics import average_precision

    hit, called, found, total = counts
    p = hit / called if called else 0.0
    r = found / total if total else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"auprc": average_precision(y, score), "precision": p, "recall": r, "f1": f1}


def _cell(sim: Path) -> str:
    return json.loads((sim / "config.json").read_text())["cell"]


def _rows(sim: Path) -> dict[str, list[str]]:
    rows = [ln.split("\t") for ln in (sim / "expression.tsv").read_text().splitlines()[1:]]
    return {r[0]: r for r in rows}


if __name__ == "__main__":  # pragma: no cover - python -m regfind.benchmark_synthetic DIR MODEL
    import sys

    print(json.dumps(run_synthetic(sys.argv[1], sys.argv[2]), indent=2))

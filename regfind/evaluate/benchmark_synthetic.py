"""Score discovery methods against the planted truth of a simulated genome.

For every gene of one split (default the held-out test chromosomes) and every method's per-base
score over the gene's window:

- **base level**: AUPRC of the score against "the base lies in one of the gene's causal
  enhancers", over the window without the promoter (``center_len`` bases at the TSS, which the
  model forces into its mask) - scores pooled over all genes; NaN scores (bases off the
  chromosome) rank below every other score;
- **region level**: regions called with the same MACS3-``bdgpeakcall``-exact caller
  (:func:`regfind.intervals.caller.call`, min length 100 bp, max gap 50 bp) for every method: the
  top ``top_fraction`` of each window's bases, or the peaks themselves for 0/1 peak tracks;
  NaN bases are never called; precision = called regions overlapping a causal element / called
  regions, recall = causal elements overlapped / causal elements.

Methods: ``seq2exp_mask`` (the model's test-time mask), ``dnase`` and ``h3k27ac`` (raw
signal), ``macs3_dnase`` / ``macs3_h3k27ac`` (0/1 peaks called by bdgpeakcall rules on the
signal at a fold-change cutoff), ``distance`` (``1 / (|i - TSS| + 1)``), and, unless
``attributions=False``, the gradient attributions of :mod:`regfind.scores.attribution` on the same
model with their default reductions: ``saliency`` (``max_c |d pred / d x_c|`` over the four
letters) and ``input_x_gradient`` (``|sum_c x_c d pred / d x_c|``, the gradient of the
observed letter). Both come from **one** gradient per gene:
:func:`regfind.scores.attribution.attribute_inputs` runs captum's ``Saliency`` (signed), and the
input×gradient attribution is that gradient times the one-hot input, which is exactly what
captum's ``InputXGradient`` returns (the reverse, dividing input×gradient by the input, would
lose the gradient of the three unobserved letters that saliency needs). This halves the cost:
one forward and backward pass per gene (about 0.6 s for the demo's 10 kb windows on a 2-core
CPU). Expression accuracy (MSE, Pearson r) of the model on the same genes is reported too.

The per-gene work runs torch and numba on **one thread** (restored afterwards): the kernels
are small (one 10 kb window at a time), and on a CPU shared with another job (e.g. training)
two threads spin-wait for each other at every operation's barrier. Measured on the 2-core
machine next to a 2-thread torch job: the gradient of a gene took 6.7-11 s with two threads and
0.6-0.8 s with one; the expression evaluation of the 200 test genes 126 s and 39 s. Alone on
the machine one thread is as fast as two (0.6-0.7 s per gradient).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ATTRIBUTION_METHODS", "run_synthetic"]

#: The attribution methods scored (see the module docstring).
ATTRIBUTION_METHODS: tuple[str, ...] = ("saliency", "input_x_gradient")


def _elements_by_gene(sim: Path, classes: tuple[str, ...] = ("causal",)
                      ) -> dict[str, list[tuple[int, int]]]:
    """Gene id -> genome intervals of the planted elements of ``classes`` (causal: the truth)."""
    from regfind.simulate import read_elements

    out: dict[str, list[tuple[int, int]]] = {}
    for gene, start, end in read_elements(sim, classes)[["gene_id", "start", "end"]].itertuples(
            index=False):
        out.setdefault(gene, []).append((int(start), int(end)))
    return out


def _peaks(signal: np.ndarray, cutoff: float) -> np.ndarray:
    from regfind.intervals.caller import call

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


def _attribution_scores(model: Any, batch: dict, locus: Any) -> dict[str, np.ndarray]:
    """Per-base saliency and input×gradient of one gene from a single gradient.

    Parameters
    ----------
    model : Seq2Exp
        On the CPU, as the rest of the benchmark.
    batch : dict
        One gene's tensors (``seqs``, ``signals``, ``rna_feat``, ``blacklist``), B = 1.
    locus : regfind.coords.Locus
        The gene's window.

    Returns
    -------
    dict of str to numpy.ndarray
        ``saliency`` and ``input_x_gradient`` scores, shape (L,), NaN off the chromosome.
    """
    from regfind.inputs.build import ModelInputs
    from regfind.scores.attribution import attribute_inputs, input_x_gradient_scores

    inputs = ModelInputs(*(batch[k].numpy() for k in ("seqs", "signals", "rna_feat", "blacklist")),
                         loci=(locus,))
    sal = attribute_inputs(model, inputs, "saliency", device="cpu")
    return {"saliency": sal.scores, "input_x_gradient": input_x_gradient_scores(sal, inputs)}


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch and numba kernels on one thread; restore the previous counts afterwards."""
    import numba
    import torch

    old = torch.get_num_threads(), numba.get_num_threads()
    torch.set_num_threads(1)
    numba.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old[0])
        numba.set_num_threads(old[1])


def _region_counts(score: np.ndarray, keep: np.ndarray, elements: list[tuple[int, int]],
                   top_fraction: float) -> tuple[int, int, int]:
    from regfind.intervals.caller import call

    s = np.where(keep, score, np.nan).astype(np.float32)
    if np.isin(score, (0.0, 1.0)).all():  # 0/1 peaks: the peaks themselves are the regions
        regions = call(s, 0.5, 100, 50)
    else:
        regions = call(s, None, 100, 50, top_fraction=top_fraction)
    spans = list(zip(regions["start"].astype(int), regions["end"].astype(int), strict=True))
    hit = sum(any(a < e and s0 < b for a, b in elements) for s0, e in spans)
    found = sum(any(a < e and s0 < b for s0, e in spans) for a, b in elements)
    return hit, len(spans), found


def _loci(sim: Path, window: int) -> dict[str, Any]:
    """Return each simulated gene's :class:`~regfind.coords.Locus` (expression.tsv, FASTA)."""
    from regfind.coords import Locus
    from regfind.io.genome import Genome

    sizes = Genome(sim / "genome.fa").chrom_sizes
    return {g: Locus.around_tss(r[2], int(r[3]), sizes[r[2]], strand=r[4], gene=g, window=window)
            for g, r in _rows(sim).items()}


def _labels(elements: list[tuple[int, int]], window: int) -> np.ndarray:
    lab = np.zeros(window, dtype=bool)
    for a, b in elements:
        lab[max(a, 0):min(b, window)] = True
    return lab


def run_synthetic(sim_dir: str | Path, model_dir: str | Path, *, split: str = "test",
                  top_fraction: float = 0.1, max_genes: int | None = None,
                  attributions: bool = True) -> dict[str, Any]:
    """Run the benchmark on the genes of one split of a simulated folder.

    Parameters
    ----------
    sim_dir : str or Path
        Folder written by :func:`regfind.simulate.simulate`.
    model_dir : str or Path
        Model folder (loaded on the CPU).
    split : {'train', 'valid', 'test'}, default 'test'
    top_fraction : float, default 0.1
        Fraction of each window's bases called as regions (non-0/1 scores).
    max_genes : int, optional
        Score only the first genes of the split.
    attributions : bool, default True
        Also score :data:`ATTRIBUTION_METHODS` (one forward and backward pass per gene).

    Returns
    -------
    dict
        ``{"methods": {name: {"auprc", "precision", "recall", "f1"}}, "expression":
        {"pearson", "mse", "n"}, "split", "n_genes", "positive_fraction"}``.
    """
    from regfind.model.checkpoint import load_model
    from regfind.train.data import build_sets
    from regfind.train.loop import evaluate

    sim = Path(sim_dir)
    model = load_model(model_dir, device="cpu")
    window = model.config.seq_range
    sets = build_sets(None, _cell(sim), sim / "expression.tsv", window=window,
                      config=sim / "profiles.toml", progress=False)
    data = sets[split]
    n = len(data) if max_genes is None else min(max_genes, len(data))
    subset = type(data)(data.genes[:n], data.codes[:n], data.signals[:n], data.rna_feat[:n],
                        data.blacklist[:n], data.target[:n])
    with _one_thread():
        y, pooled, regions = _score_genes(model, data, sim, n, top_fraction, attributions)
        expr = evaluate(model, subset)
    methods = {name: _metrics(y, np.concatenate(v), regions[name]) for name, v in pooled.items()}
    return {"methods": methods, "expression": {"pearson": expr["pearson"], "mse": expr["mse"],
                                               "n": expr["n"]},
            "split": split, "n_genes": n, "positive_fraction": float(y.mean())}


def _score_genes(model: Any, data: Any, sim: Path, n: int, top_fraction: float,
                 attributions: bool) -> tuple[np.ndarray, dict[str, list], dict[str, list[int]]]:
    """Score the first ``n`` genes of ``data`` with every method.

    Returns
    -------
    labels : numpy.ndarray of bool
        Pooled base labels (windows without their promoter).
    pooled : dict of str to list of numpy.ndarray
        Per method, the matching per-gene scores.
    regions : dict of str to list of int
        Per method, ``[hit, called, found, total]`` region counts.
    """
    window = model.config.seq_range
    truth, loci = _elements_by_gene(sim), _loci(sim, window)
    keep = np.ones(window, dtype=bool)
    keep[model.promoter_slice(window)] = False
    labels, pooled, regions = [], {}, {}
    for i in range(n):
        batch = data.batch(np.array([i]))
        locus = loci[data.genes[i]]
        elements = [(a - locus.start, b - locus.start) for a, b in truth.get(data.genes[i], [])]
        labels.append(_labels(elements, window)[keep])
        scores = _scores(model, batch, locus.tss_index)
        if attributions:
            scores |= _attribution_scores(model, batch, locus)
        for name, score in scores.items():
            pooled.setdefault(name, []).append(score[keep])
            counts = (*_region_counts(score, keep, elements, top_fraction), len(elements))
            regions[name] = [a + b for a, b in zip(regions.get(name, [0] * 4), counts,
                                                   strict=True)]
    return np.concatenate(labels), pooled, regions


def _metrics(y: np.ndarray, score: np.ndarray, counts: list[int]) -> dict[str, float]:
    from regfind.evaluate._prmetrics import average_precision

    hit, called, found, total = counts
    p = hit / called if called else 0.0
    r = found / total if total else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    ranked = np.where(np.isnan(score), -np.inf, score)  # NaN (off the chromosome) ranks lowest
    return {"auprc": average_precision(y, ranked), "precision": p, "recall": r, "f1": f1}


def _cell(sim: Path) -> str:
    return json.loads((sim / "config.json").read_text())["cell"]


def _rows(sim: Path) -> dict[str, list[str]]:
    rows = [ln.split("\t") for ln in (sim / "expression.tsv").read_text().splitlines()[1:]]
    return {r[0]: r for r in rows}


# python -m regfind.evaluate.benchmark_synthetic DIR MODEL
if __name__ == "__main__":  # pragma: no cover
    import sys

    print(json.dumps(run_synthetic(sys.argv[1], sys.argv[2]), indent=2))

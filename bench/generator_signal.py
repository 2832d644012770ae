"""Does the demo model's generator get a learning signal, and can it learn the motifs at all?

Two diagnostics on the demo genome with the bundled demo model (or ``--model``):

1. **Signal**: the gradient of the prediction loss (SmoothL1 on the standardised target, the
   demo model's training loss without the KL term) with respect to the sampled training mask,
   per base, averaged per gene over each class of bases: planted causal enhancers, accessible
   decoys (CTCF), closed activator elements, the rest ("background", split by distance from
   the promoter's edge); blacklisted bases, whose mask is fixed at 0, are left out. For each
   class: the mean over genes, the mean absolute value, and the fraction of genes where it is
   negative (increasing the mask there would lower the loss).
   A generator can only learn to keep enhancers and drop decoys if these differ consistently.
2. **Capacity probe**: a copy of the model whose generator (and mask head) is trained *with
   the planted labels* (weighted binary cross-entropy on ``l1 - l0`` against "inside a causal
   enhancer") for ``--probe-steps`` steps of 4 training genes. The generator score's AUPRC on
   validation genes, for enhancers among all bases and among accessible elements (enhancers +
   decoys), before and after, with the chance levels. This is supervision the real training
   never has: it bounds how fast this generator can learn the rule at best.

Run: ``.venv/bin/python bench/generator_signal.py`` (about 9 minutes on one thread, mostly the
probe; builds the inputs of the demo genes first unless ``--cache DIR`` holds them).
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from regfind.evaluate._prmetrics import average_precision
from regfind.evaluate.benchmark_synthetic import _elements_by_gene, _labels, _loci
from regfind.model.checkpoint import load_model
from regfind.model.context import resolve_model
from regfind.simulate.demo import ensure_demo_data
from regfind.train.data import build_sets
from regfind.train.loop import _loss, _target_scale

BANDS = ((0, 100), (100, 500), (500, 1000), (1000, 10**9))  # bp from the promoter's edge


class Classes:
    """Per-gene boolean base classes of a window (window offsets; promoter excluded)."""

    def __init__(self, sim: Path, model: torch.nn.Module) -> None:
        self.window = model.config.seq_range
        self.loci = _loci(sim, self.window)
        self.sets = {name: _elements_by_gene(sim, (cls,)) for name, cls in
                     (("enhancer", "causal"), ("decoy", "decoy"), ("closed", "closed"))}
        self.keep = np.ones(self.window, dtype=bool)
        self.prom = model.promoter_slice(self.window)
        self.keep[self.prom] = False

    def __call__(self, gene: str) -> dict[str, np.ndarray]:
        start = self.loci[gene].start
        out = {k: _labels([(a - start, b - start) for a, b in v.get(gene, [])], self.window)
               & self.keep for k, v in self.sets.items()}
        rest = self.keep & ~np.logical_or.reduce(list(out.values()))
        i = np.arange(self.window)
        dist = np.maximum(self.prom.start - 1 - i, i - self.prom.stop)
        for lo, hi in BANDS:
            name = f"background {lo}-{hi if hi < 10**9 else 'end'} bp"
            out[name] = rest & (dist >= lo) & (dist < hi)
        return out


def mask_gradients(model: torch.nn.Module, data: object, classes: Classes, n: int,
                   scale: tuple[float, float]) -> dict[str, np.ndarray]:
    """Per class, the per-gene mean of d loss / d mask (training-mode mask sample)."""
    model.train()
    torch.manual_seed(0)
    out: dict[str, list[float]] = {}
    for i in range(n):
        b = data.batch(np.array([i]))
        pred_loss, _, res = _loss(model, b, scale)   # the training loss, without the KL
        res.mask.retain_grad()
        pred_loss.backward()
        grad = res.mask.grad[0].numpy()
        free = ~b["blacklist"][0].numpy()  # blacklisted bases: mask fixed at 0
        for name, sel in classes(data.genes[i]).items():
            if (sel & free).any():
                out.setdefault(name, []).append(float(grad[sel & free].mean()))
    model.eval()
    return {k: np.array(v) for k, v in out.items()}


def _generator_score(model: torch.nn.Module, batch: dict) -> torch.Tensor:
    _, x_gen = model._embed(batch["seqs"], batch["signals"])
    logits = model.mask_output(model.generator(x_gen, model.scan_backend))
    return logits[..., 1] - logits[..., 0]


def probe_auprc(model: torch.nn.Module, data: object, classes: Classes, n: int) -> dict[str, float]:
    """AUPRC of the generator score for enhancers: among all bases, among enhancers + decoys."""
    ys, ds, gs = [], [], []
    with torch.no_grad():
        for i in range(n):
            c = classes(data.genes[i])
            ys.append(c["enhancer"][classes.keep])
            ds.append(c["decoy"][classes.keep])
            gs.append(_generator_score(model, data.batch(np.array([i])))[0].numpy()[classes.keep])
    y, d, g = map(np.concatenate, (ys, ds, gs))
    acc = y | d
    return {"all": average_precision(y, g), "all_chance": float(y.mean()),
            "accessible": average_precision(y[acc], g[acc]),
            "accessible_chance": float(y[acc].mean())}


def train_probe(model: torch.nn.Module, data: object, classes: Classes, steps: int) -> None:
    """Supervised steps on the generator and mask head only (labels: causal enhancers)."""
    params = list(model.generator.parameters()) + list(model.mask_output.parameters())
    opt = torch.optim.AdamW(params, lr=3e-3)
    rng = np.random.default_rng(0)
    model.train()
    for _ in range(steps):
        idx = rng.choice(len(data), 4, replace=False)
        y = torch.tensor(np.stack([classes(data.genes[i])["enhancer"] for i in idx]),
                         dtype=torch.float32)
        score = _generator_score(model, data.batch(idx))
        loss = F.binary_cross_entropy_with_logits(score, y, pos_weight=torch.tensor(5.0))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="demo-soft", help="model path or zoo name [demo-soft]")
    p.add_argument("--genes", type=int, default=200, help="training genes for the gradients")
    p.add_argument("--valid-genes", type=int, default=40, help="validation genes for the AUPRC")
    p.add_argument("--probe-steps", type=int, default=300)
    p.add_argument("--cache", help="folder to cache the demo inputs in (.npz)")
    args = p.parse_args()
    torch.set_num_threads(1)
    sim = ensure_demo_data()
    model = load_model(resolve_model(args.model), device="cpu")
    t0 = time.time()
    sets = build_sets(None, "demo", sim / "expression.tsv", window=model.config.seq_range,
                      config=sim / "profiles.toml", cache_dir=args.cache, progress=False)
    print(f"inputs: {time.time() - t0:.0f} s")
    classes = Classes(sim, model)
    scale = _target_scale(sets["train"].target, "standardize")
    grads = mask_gradients(model, sets["train"], classes, args.genes, scale)
    print(f"\nd loss / d mask, per-gene class means over {args.genes} training genes")
    print("| bases | genes | mean | mean abs | genes < 0 |\n|---|---|---|---|---|")
    for name, v in grads.items():
        print(f"| {name} | {len(v)} | {v.mean():.2e} | {np.abs(v).mean():.2e} "
              f"| {(v < 0).mean():.2f} |")
    probe = copy.deepcopy(model)
    before = probe_auprc(probe, sets["valid"], classes, args.valid_genes)
    t0 = time.time()
    train_probe(probe, sets["train"], classes, args.probe_steps)
    after = probe_auprc(probe, sets["valid"], classes, args.valid_genes)
    print(f"\nsupervised probe, {args.probe_steps} steps ({time.time() - t0:.0f} s), "
          f"{args.valid_genes} validation genes: AUPRC of the generator score for enhancers")
    print("| among | chance | before | after |\n|---|---|---|---|")
    for k in ("all", "accessible"):
        print(f"| {k} bases | {before[k + '_chance']:.3f} | {before[k]:.3f} | {after[k]:.3f} |")


if __name__ == "__main__":
    main()

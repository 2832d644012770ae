"""Does a model's mask tell the planted enhancers from the decoys? (demo genome)

For the first N genes of a split, the test-time mask (the Beta mean, before the promoter and
blacklist rules) is averaged over the bases of each class of planted element (causal
enhancers, accessible CTCF decoys, closed activator sites) and over the background, outside
the promoter and blacklist. Also printed: the AUPRC of the mask for enhancer bases among
enhancer + decoy bases (the question peak calling cannot answer: both are open; chance = the
enhancer share), how much the generator's output varies over bases (relative standard
deviation of the Beta mean and of alpha + beta over the background), and whether the predictor
itself tells the classes apart: the mean |change of the prediction| (log10 units) when the
mask of one class's bases is set to 0 (``Seq2Exp.predict_with_mask``), per element of the
class. A predictor that reads the activator motifs loses more with an enhancer than with a
decoy; one that reads open chromatin loses the same.

    .venv/bin/python bench/mask_by_class.py MODEL [--split valid] [--genes 60] [--last]

``--last`` evaluates ``training_state.pt`` of a training folder (the last epoch's weights)
instead of its best model. About 10 s for 60 genes on one thread.
"""
import argparse
from pathlib import Path

import numpy as np
import torch

from regfind.evaluate._prmetrics import average_precision
from regfind.evaluate.benchmark_synthetic import _elements_by_gene, _labels, _loci
from regfind.model.checkpoint import load_model
from regfind.model.context import resolve_model
from regfind.simulate.demo import ensure_demo_data
from regfind.train.data import build_sets

CLASSES = ("causal", "decoy", "closed")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--split", default="valid")
    p.add_argument("--genes", type=int, default=60)
    p.add_argument("--last", action="store_true")
    p.add_argument("--cache", default=None, help="folder for cached inputs (.npz)")
    args = p.parse_args()
    torch.set_num_threads(1)
    sim = ensure_demo_data()
    path = resolve_model(args.model)
    model = load_model(path, device="cpu").eval()
    if args.last:
        state = torch.load(Path(path) / "training_state.pt", weights_only=True)
        model.load_state_dict(state["model"])
        model.eval()
    window = model.config.seq_range
    data = build_sets(None, "demo", sim / "expression.tsv", window=window,
                      config=sim / "profiles.toml", cache_dir=args.cache,
                      progress=False)[args.split]
    loci = _loci(sim, window)
    elements = {c: _elements_by_gene(sim, (c,)) for c in CLASSES}
    by_class = {c: [] for c in (*CLASSES, "background")}
    ys, scores, rsd_mean, rsd_conc = [], [], [], []
    drop = {c: [] for c in CLASSES}
    for i in range(min(args.genes, len(data))):
        b = data.batch(np.array([i]))
        with torch.no_grad():
            _, alpha, beta = model.generate(b["seqs"], b["signals"], b["blacklist"])
        a, be = alpha[0].double().numpy(), beta[0].double().numpy()
        with torch.no_grad():
            full = model(b["seqs"], b["signals"], b["rna_feat"], b["blacklist"])
        mean = a / (a + be)
        loc = loci[data.genes[i]]
        lab = {c: _labels([(s - loc.start, e - loc.start)
                           for s, e in elements[c].get(data.genes[i], [])], window)
               for c in CLASSES}
        keep = np.ones(window, bool)
        keep[model.promoter_slice(window)] = False
        keep &= ~b["blacklist"][0].numpy()
        keep[:loc.on_chrom.start] = keep[loc.on_chrom.stop:] = False
        bg = keep & ~lab["causal"] & ~lab["decoy"] & ~lab["closed"]
        for c in CLASSES:
            by_class[c].append(mean[lab[c] & keep])
            n_el = len(elements[c].get(data.genes[i], []))
            if n_el and (lab[c] & keep).any():
                cut = full.mask.clone()
                cut[0, torch.from_numpy(lab[c] & keep)] = 0.0
                with torch.no_grad():
                    pred = model.predict_with_mask(b["seqs"], b["signals"], b["rna_feat"], cut)
                drop[c].append(abs(float(pred[0] - full.pred[0])) / n_el)
        by_class["background"].append(mean[bg])
        rsd_mean.append(mean[bg].std() / mean[bg].mean())
        rsd_conc.append((a + be)[bg].std() / (a + be)[bg].mean())
        open_ = keep & (lab["causal"] | lab["decoy"])
        ys.append(lab["causal"][open_])
        scores.append(mean[open_])
    y = np.concatenate(ys)
    means = " / ".join(f"{np.concatenate(v).mean():.3f}" for v in by_class.values())
    print(f"{args.model} ({'last' if args.last else 'best'} weights), {len(ys)} {args.split} "
          f"genes: mask causal / decoy / closed / background {means}; enhancer vs decoy AUPRC "
          f"{average_precision(y, np.concatenate(scores)):.3f} (chance {y.mean():.3f}); "
          f"background relative std: mask {np.mean(rsd_mean):.3f}, alpha + beta "
          f"{np.mean(rsd_conc):.3f}; |prediction change| per element removed: "
          + " / ".join(f"{np.mean(drop[c]):.4f}" for c in CLASSES))


if __name__ == "__main__":
    main()

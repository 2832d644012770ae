"""Motif discovery on the demo genome: which planted motifs come back from which scores?

For the first ``--genes`` genes of the held-out chromosome (chr5) of the demo genome, motifs are
discovered (:func:`regfind.look.motif_discovery.discover`: TF-MoDISco via modisco-lite, TOMTOM via
memelite against all JASPAR CORE vertebrate matrices) from

- ``mask``: the bundled demo model's Beta mask mean;
- ``saliency``, ``input_x_gradient``, ``integrated_gradients``: attributions of the same model
  (:func:`regfind.scores.attribution.attribute_inputs`, per base and letter; integrated
  gradients with ``--ig-steps`` steps). ISM is left out: it scores 100-bp tiles, not bases.

A planted motif (the six activators of the causal enhancers, CTCF of the decoys, the four
promoter motifs) counts as discovered from a score when a pattern's best TOMTOM match has p <
1e-3 and is that JASPAR matrix, another matrix of the same factor (CTCF MA1930 for MA0139) or
one similar to it (``regfind.io.motif_clusters.similarity`` >= 0.5, so GATA2 for GATA1 counts).
Prints one markdown table: per score, the number of patterns, those with an informative core,
and per planted motif the pattern that found it.

Run: ``.venv/bin/python bench/demo_discovery.py [--genes 30] [--ig-steps 4]`` (about ten
minutes on 2 cores at the defaults; a small synthetic case, not a benchmark of the methods).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import regfind
from regfind.inputs.build import for_gene
from regfind.inputs.profiles import demo_profile
from regfind.io.motif_clusters import similarity
from regfind.look.motif_discovery import discover
from regfind.look.motifs import load_jaspar
from regfind.model.checkpoint import load_model
from regfind.model.context import resolve_model
from regfind.scores.attribution import attribute_inputs
from regfind.simulate.config import DEMO

GENES = [f"SIM{i:04d}" for i in range(801, 1001)]          # chr5, held out
METHODS = ("saliency", "input_x_gradient", "integrated_gradients")


def _planted() -> dict[str, str]:
    """Planted JASPAR IDs (base, no version) -> label."""
    ids = [m for m, _ in DEMO.activators] + list(DEMO.insulators) + list(DEMO.promoter_motifs)
    kinds = (["activator"] * len(DEMO.activators) + ["decoy"] * len(DEMO.insulators)
             + ["promoter"] * len(DEMO.promoter_motifs))
    return {i.split(".")[0]: k for i, k in zip(ids, kinds, strict=True)}


def _found(discovery, pool, planted) -> dict[str, str]:
    """Planted base ID -> 'pattern (match, p)' for the planted motifs a pattern found."""
    by_base = {}
    for m in pool:
        by_base.setdefault(m.motif_id.split(".")[0], m)
    by_id = {m.motif_id: m for m in pool}
    out: dict[str, str] = {}
    for motif in discovery.motifs:
        if motif.matches.empty or motif.matches["pvalue"].iloc[0] >= 1e-3:
            continue
        best = motif.matches.iloc[0]
        for base in planted:
            if base in out or base not in by_base:
                continue
            same = (best["motif_id"].split(".")[0] == base
                    or best["motif_name"].upper() == by_base[base].name.upper())
            if same or similarity(by_id[best["motif_id"]], by_base[base]) >= 0.5:
                out[base] = f"{motif.pattern} ({best['motif_name']}, p={best['pvalue']:.1g})"
    return out


def main() -> None:
    """Discover motifs from each score and print which planted motifs come back."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--genes", type=int, default=30)
    ap.add_argument("--ig-steps", type=int, default=4)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    src = demo_profile().sources("demo")
    t0 = time.time()
    res = regfind.call(GENES[:args.genes], "demo", crispr=None)
    net = load_model(resolve_model("demo-soft"), device="cpu")
    onehot, tracks = [], {"mask": []} | {m: [] for m in METHODS}
    for gm in res.masks:
        inputs = for_gene(gm.locus.gene, sources=src, window=gm.locus.window)
        onehot.append(np.asarray(inputs.seqs[0]))
        tracks["mask"].append(gm.mean)
        for method in METHODS:
            a = attribute_inputs(net, inputs, method, n_steps=args.ig_steps, device="cpu")
            tracks[method].append(a.seq_attr)
    print(f"{len(res.masks)} genes called and attributed in {time.time() - t0:.0f} s")
    pool = load_jaspar()
    planted = _planted()
    names = {m.motif_id.split(".")[0]: m.name for m in pool}
    header = ["score", "patterns", "with a core"] + [f"{names.get(b, b)} ({k})"
                                                     for b, k in planted.items()]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for source, arrays in tracks.items():
        t = time.time()
        found = discover(np.stack(onehot), np.stack(arrays), source=source, pool=pool)
        hits = _found(found, pool, planted)
        cored = sum(1 for m in found.motifs if len(m.ppm))
        cells = [source, str(len(found.motifs)), str(cored)] + [hits.get(b, "-") for b in planted]
        print("| " + " | ".join(cells) + f" |   ({time.time() - t:.0f} s)")
        for row in found.table().itertuples(index=False):
            if row.width:
                print(f"    {row.pattern} {row.n_seqlets} seqlets {row.consensus} -> "
                      f"{row.match_id} {row.match_name} p={row.match_pvalue:.2g}")


if __name__ == "__main__":
    main()

"""Variant effects on the demo genome: planted activator sites vs decoys vs background.

The simulator's truth says which bases are what (``truth.bed``: causal enhancers and their
activator sites; ``noncausal.bed``: decoys with an insulator (CTCF) site, closed elements with
activator sites in closed chromatin). For the first ``--genes`` genes of a split this script
writes, per gene:

- ``causal``: every activator site of a causal enhancer, broken by replacing each base of the
  site with its complement (A<->T, C<->G; no reversal, so the PWM match is destroyed);
- ``decoy``: the CTCF site of each decoy, broken the same way;
- ``closed``: each activator site of a closed element, broken the same way;
- ``background``: ``--background`` substitutions of the same length at random positions of the
  window outside every element and the promoter;

scores them with :func:`regfind.variant_effects` (the bundled demo model) and prints, per class,
the number of variants and the mean and median ``|delta_pred|`` (log10 expression), the fraction
above the 95th percentile of the background, and the mean ``delta_mask`` at the variant.

    OMP_NUM_THREADS=1 python bench/variant_effects.py --genes 8

A synthetic, small case: a statement about the bundled demo model, not about real genomes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def _sites(row: pd.Series, widths: dict[str, int]) -> list[tuple[str, int, int]]:
    """(motif, start, end) of each planted site of an element (``sites`` column)."""
    out = []
    for item in str(row["sites"]).split(","):
        if "@" not in item:
            continue
        name, rest = item.split("@")
        mid = name.split("/")[-1]
        start = int(rest.split(":")[0])
        out.append((mid, start, start + widths[mid]))
    return out


def _variant(chrom: str, start: int, end: int, seq: str, cls: str, k: int) -> dict:
    ref = seq
    return {"chrom": chrom, "start": start, "end": end, "id": f"{cls}{k}", "ref": ref,
            "alt": ref.translate(_COMPLEMENT), "record": k}


def build(folder: Path, n_genes: int, n_background: int, split: str, seed: int
          ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]], list[str]]:
    """Return the variants, (class, gene) by variant id, and the genes."""
    from regfind.io.genome import Genome
    from regfind.simulate import SimConfig, read_elements
    from regfind.simulate.motifs import load_motifs

    cfg = SimConfig(**{k: v for k, v in json.loads((folder / "config.json").read_text()).items()
                       if k in SimConfig.__dataclass_fields__})
    ids = tuple(m for m, _ in cfg.activators) + tuple(cfg.insulators)
    widths = {m.matrix_id: m.probs.shape[0] for m in
              load_motifs(ids, cfg.jaspar_release, cfg.pwm_pseudocount)}
    genes = pd.read_csv(folder / "expression.tsv", sep="\t")
    genes = genes[genes["split"] == split].head(n_genes)
    elements = read_elements(folder)
    genome = Genome(folder / "genome.fa")
    rng = np.random.default_rng(seed)
    rows, cls_of, k = [], {}, 0
    half = cfg.window // 2
    for g in genes.itertuples(index=False):
        mine = elements[elements["gene_id"] == g.gene_id]
        for _, e in mine.iterrows():
            for _, s, t in _sites(e, widths):
                rows.append(_variant(g.chrom, s, t, genome.sequence(g.chrom, s, t), e["class"],
                                     k))
                cls_of[f"{e['class']}{k}"] = (e["class"], g.gene_name)
                k += 1
        busy = np.zeros(cfg.window, bool)
        lo = g.tss - half
        for _, e in mine.iterrows():
            busy[max(e["start"] - lo, 0):max(e["end"] - lo, 0)] = True
        busy[half - cfg.center_len // 2:half + cfg.center_len // 2] = True
        free = np.flatnonzero(~busy[:cfg.window - 12])
        for pos in rng.choice(free, size=n_background, replace=False):
            s = lo + int(pos)
            rows.append(_variant(g.chrom, s, s + 10, genome.sequence(g.chrom, s, s + 10),
                                 "background", k))
            cls_of[f"background{k}"] = ("background", g.gene_name)
            k += 1
    return pd.DataFrame(rows), cls_of, genes["gene_name"].tolist()


def main() -> None:
    """Build the variants, score them, print the table per class."""
    import regfind
    from regfind.simulate.demo import ensure_demo_data

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--genes", type=int, default=8)
    ap.add_argument("--background", type=int, default=10, help="per gene")
    ap.add_argument("--split", default="test")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    folder = ensure_demo_data()
    variants, cls_of, genes = build(folder, args.genes, args.background, args.split, args.seed)
    t0 = time.time()
    out = regfind.variant_effects(variants, "demo", genes=genes, batch_size=8)
    seconds = time.time() - t0
    # a variant counts for the gene its element belongs to
    own = [cls_of[v][1] == g for v, g in zip(out["id"], out["gene"], strict=True)]
    out = out[(out["status"] == "scored") & np.array(own)].copy()
    out["class"] = out["id"].map(lambda v: cls_of[v][0])
    out["abs"] = out["delta_pred"].abs()
    bg95 = float(np.quantile(out.loc[out["class"] == "background", "abs"], 0.95))
    table = out.groupby("class").agg(n=("abs", "size"), mean_abs=("abs", "mean"),
                                     median_abs=("abs", "median"),
                                     above_bg95=("abs", lambda v: float((v > bg95).mean())),
                                     mean_delta_pred=("delta_pred", "mean"),
                                     mean_delta_mask=("delta_mask", "mean"))
    print(f"{len(genes)} {args.split} genes ({', '.join(genes)}); {len(out)} variant x gene "
          f"rows scored in {seconds:.1f} s; background 95th percentile |delta_pred| "
          f"{bg95:.2e}")
    print(table.to_string(float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()

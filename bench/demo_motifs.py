"""Motif enrichment on the demo genome: do the planted activators come first?

For the genes of the held-out chromosome (chr5) of the demo genome, three region sets are
scanned with all JASPAR CORE vertebrate motifs against two backgrounds (equally long flanks;
dinucleotide shuffles) with :func:`regfind.look.motifs.analyse`:

- ``seq2exp``: the non-promoter regions ``regfind.call`` gives with the bundled demo model;
- ``truth``: the planted causal enhancers themselves (the positive control: what a perfect
  caller would give);
- ``truth+decoys``: causal enhancers plus the accessible decoys (what a caller of open
  chromatin alone would give).

Prints, per set and background, the rank of each planted activator (by JASPAR base ID, any
version) and of CTCF, the motif of the decoys: first among all motifs, then among groups of
similar motifs (:func:`regfind.io.motif_clusters.collapse`: JASPAR holds ~30 AP-1-like matrices,
which otherwise fill the top of any AP-1-enriched ranking).

Run: ``.venv/bin/python bench/demo_motifs.py`` (about two minutes on 2 cores).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pandas as pd

import regfind
from regfind.inputs.profiles import demo_profile
from regfind.io.motif_clusters import collapse
from regfind.look.motifs import analyse, load_jaspar
from regfind.simulate import read_elements
from regfind.simulate.config import DEMO
from regfind.simulate.demo import ensure_demo_data

CHROM = "chr5"
NAMES = {"MA0035": "GATA1", "MA0493": "KLF1", "MA0841": "NFE2", "MA0002": "RUNX1",
         "MA0099": "FOS::JUN", "MA0466": "CEBPB", "MA0139": "CTCF (decoys)"}


def _elements(folder: Path, classes: tuple[str, ...]) -> pd.DataFrame:
    """The planted elements of ``classes`` on CHROM, as BED4 columns."""
    df = read_elements(folder, classes)
    return df.loc[df["chrom"] == CHROM, ["chrom", "start", "end", "name"]].reset_index(drop=True)


def _ranks(enrichment: pd.DataFrame) -> dict[str, int | None]:
    base = enrichment["motif_id"].str.split(".").str[0].reset_index(drop=True)
    return {name: (int(base.index[base == b][0]) + 1 if (base == b).any() else None)
            for b, name in NAMES.items()}


def _group_ranks(groups: pd.DataFrame) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for b, name in NAMES.items():
        hit = groups[groups["members"].str.contains(f"({b}.", regex=False)]
        out[name] = int(hit["group_rank"].iloc[0]) if len(hit) else None
    return out


def main() -> None:
    """Print the ranks table."""
    warnings.simplefilter("ignore")
    t0 = time.time()
    folder = ensure_demo_data()
    src = demo_profile().sources("demo")
    genes = [g.label for g in src.annotation.genes if g.chrom == CHROM]
    res = regfind.call(genes, "demo", batch_size=8, keep_masks=False, crispr=None)
    sets = {"seq2exp": res.regions[~res.regions["forced"]][["chrom", "start", "end", "name"]],
            "truth": _elements(folder, ("causal",)),
            "truth+decoys": _elements(folder, ("causal", "decoy"))}
    motifs = load_jaspar()
    table, grouped, tops = {}, {}, {}
    for label, regions in sets.items():
        for bg in ("flank", "shuffle"):
            out = analyse(regions.reset_index(drop=True), src.genome, motifs, background=bg,
                          seed=0)
            key = f"{label} ({len(regions)}) / {bg}"
            groups = collapse(out.enrichment, motifs)
            table[key], grouped[key] = _ranks(out.enrichment), _group_ranks(groups)
            tops[key] = ", ".join(groups["motif_name"].head(6))
    print(f"demo genome {CHROM}: {len(genes)} genes; ranks among {len(motifs)} JASPAR motifs "
          f"(1 = most enriched); activators planted: {[a for a, _ in DEMO.activators]}")
    print(pd.DataFrame(table).to_string())
    print("\nranks among groups of similar motifs (None: not among the top 200 motifs)")
    print(pd.DataFrame(grouped).astype("Int64").to_string())
    print("\ntop 6 groups (representatives):")
    for key, top in tops.items():
        print(f"  {key}: {top}")
    print(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()

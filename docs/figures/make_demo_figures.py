"""Draw the demo-genome figures of the README and docs/look.md.

Run: ``.venv/bin/python docs/figures/make_demo_figures.py [--locus-only]`` (about two
minutes; the locus figure alone takes seconds).

On the built-in demo genome with the bundled demo model, for one held-out gene:

- ``demo-locus.png``: the locus view (mask with its 5-95% band and the cutoff the regions were
  called at, called regions, MACS3 peaks on
  the DNase track, the planted truth: causal enhancers red, accessible decoys and closed motif
  sites grey, saliency, H3K27ac, DNase, Hi-C, gene model);
- ``demo-faithfulness.png``: mean normalised deletion and insertion curves of the mask,
  saliency, MACS3 peaks and random over 20 held-out genes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

import regfind
from regfind.scores.attribution import attribute_inputs
from regfind.inputs.context import resolve_model
from regfind.evaluate.faithfulness_genes import faithfulness_genes
from regfind.inputs.build import for_gene
from regfind.intervals.macs3 import run_bdgpeakcall
from regfind.model.checkpoint import load_model
from regfind.look.plot import faithfulness_curves, locus
from regfind.inputs.profiles import demo_profile
from regfind.simulate import read_elements
from regfind.simulate.demo import ensure_demo_data

HERE = Path(__file__).resolve().parent
GENE = "SIM0801"
FAITH_GENES = [f"SIM{i:04d}" for i in range(801, 821)]


def _elements(folder: Path, chrom: str, start: int, end: int) -> pd.DataFrame:
    """Planted elements in [start, end): causal (positive) and non-causal (not)."""
    df = read_elements(folder)
    df = df[(df["chrom"] == chrom) & (df["end"] > start) & (df["start"] < end)]
    return df.assign(positive=df["class"] == "causal")[
        ["chrom", "start", "end", "name", "positive"]].reset_index(drop=True)


def main(locus_only: bool = False) -> None:
    """Write both figures (or the locus view alone) next to this script."""
    warnings.simplefilter("ignore")
    folder = ensure_demo_data()
    src = demo_profile().sources("demo")
    res = regfind.call(GENE, "demo", crispr=None)
    gm = res.masks[0]
    loc = gm.locus
    inputs = for_gene(GENE, sources=src, window=loc.window)
    net = load_model(resolve_model("demo-soft"), device="cpu")
    sal = attribute_inputs(net, inputs, "saliency", device="cpu")
    windows = pd.DataFrame({"chrom": [loc.chrom], "start": [loc.clipped_start],
                            "end": [loc.clipped_end]})
    peaks, _ = run_bdgpeakcall(str(folder / "dnase.bw"), 2.0, 100, 50, windows=windows)
    locus(gm, signals=inputs, genes=src.annotation, regions=res.regions, peaks=peaks,
          truth=_elements(folder, loc.chrom, loc.start, loc.end),
          attributions={"saliency": sal.scores}, cutoff=gm.cutoff,
          title=f"{GENE} (demo genome, held-out chromosome; bundled demo-soft model)",
          path=HERE / "demo-locus.png")
    if locus_only:
        return
    dnase_peaks, _ = run_bdgpeakcall(str(folder / "dnase.bw"), 2.0, 100, 50)
    faith = faithfulness_genes(FAITH_GENES, "demo", ["mask", "saliency", "random"],
                               peaks={"macs3": dnase_peaks})
    faithfulness_curves(faith.mean_curves(), ylabel="normalised prediction (1 = full window)",
                        path=HERE / "demo-faithfulness.png")
    print(faith.format_summary())


if __name__ == "__main__":
    import sys

    main(locus_only="--locus-only" in sys.argv[1:])

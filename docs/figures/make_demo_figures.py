"""Draw the demo-genome figures of the README and docs/look.md.

Run: ``.venv/bin/python docs/figures/make_demo_figures.py [--locus-only | --no-faithfulness]``
(about three minutes; the locus figure alone takes seconds, all but the faithfulness curves
about one minute).

On the built-in demo genome with the bundled demo model, for one held-out gene:

- ``demo-locus.png``: the locus view (mask with its 5-95% band and the cutoff the regions were
  called at, called regions, MACS3 peaks on
  the DNase track, the planted truth: causal enhancers red, accessible decoys and closed motif
  sites grey, saliency, H3K27ac, DNase, Hi-C, gene model);
- ``demo-logos.png``: logos of the gene's top regions with their JASPAR hits labelled;
- ``demo-browser.png``: the report's igv.js browser view of the gene, as headless Chromium
  draws it (only when Chromium is installed);
- ``demo-discovered.png``: motifs discovered from the mask of 30 held-out genes (TF-MoDISco)
  beside their best JASPAR match;
- ``demo-faithfulness.png``: mean normalised deletion and insertion curves of the mask,
  saliency, MACS3 peaks and random over 20 held-out genes.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import regfind
from regfind.evaluate.faithfulness_genes import faithfulness_genes
from regfind.inputs.build import for_gene
from regfind.inputs.profiles import demo_profile
from regfind.intervals.macs3 import run_bdgpeakcall
from regfind.look.browser import ATTACH_JS, igv_config, igv_js, script_json
from regfind.look.motif_discovery import discover
from regfind.look.motifs import analyse, load_jaspar
from regfind.look.plot import discovered_logos, faithfulness_curves, locus, logos
from regfind.model.checkpoint import load_model
from regfind.model.context import resolve_model
from regfind.scores.attribution import attribute_inputs
from regfind.simulate import read_elements
from regfind.simulate.demo import ensure_demo_data

HERE = Path(__file__).resolve().parent
GENE = "SIM0801"
FAITH_GENES = [f"SIM{i:04d}" for i in range(801, 821)]
DISCOVERY_GENES = [f"SIM{i:04d}" for i in range(801, 831)]


def _elements(folder: Path, chrom: str, start: int, end: int) -> pd.DataFrame:
    """Planted elements in [start, end): causal (positive) and non-causal (not)."""
    df = read_elements(folder)
    df = df[(df["chrom"] == chrom) & (df["end"] > start) & (df["start"] < end)]
    return df.assign(positive=df["class"] == "causal")[
        ["chrom", "start", "end", "name", "positive"]].reset_index(drop=True)


def _browser_shot(gm, src, regions, peaks, truth) -> None:
    """Screenshot the report's igv.js view of one gene with headless Chromium (if installed)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        print("no Chromium: demo-browser.png not redrawn")
        return
    cfg = igv_config(gm, src.genome, regions=regions, peaks=peaks, truth=truth,
                     genes=src.annotation)
    page = (f'<!DOCTYPE html><html><body style="margin:8px;font-family:sans-serif">'
            f'<div class="igv-view" id="v"></div><script type="application/json" '
            f'class="igv-config" data-target="v">{script_json(cfg)}</script>'
            f"<script>{igv_js()}</script><script>{ATTACH_JS}</script></body></html>")
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "view.html"
        html.write_text(page, encoding="utf-8")
        subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--virtual-time-budget=20000", "--window-size=1200,560",
                        f"--screenshot={HERE / 'demo-browser.png'}", html.as_uri()],
                       capture_output=True, check=True, timeout=120)


def main(locus_only: bool = False, faithfulness: bool = True) -> None:
    """Write the figures (or the locus view alone) next to this script."""
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
    found = analyse(res.regions, src.genome, load_jaspar())
    logos(inputs.seqs[0], res.regions, loc, mask=gm.mean, hits=found.hits,
          path=HERE / "demo-logos.png")
    _browser_shot(gm, src, res.regions, peaks, _elements(folder, loc.chrom, loc.start, loc.end))
    many = regfind.call(DISCOVERY_GENES, "demo", crispr=None)
    onehot = np.stack([src.genome.one_hot(m.locus) for m in many.masks])
    disc = discover(onehot, np.stack([m.mean for m in many.masks]), source="mask")
    discovered_logos(disc, path=HERE / "demo-discovered.png")
    print(disc.table().to_string())
    if not faithfulness:
        return
    dnase_peaks, _ = run_bdgpeakcall(str(folder / "dnase.bw"), 2.0, 100, 50)
    faith = faithfulness_genes(FAITH_GENES, "demo", ["mask", "saliency", "random"],
                               peaks={"macs3": dnase_peaks})
    faithfulness_curves(faith.mean_curves(), ylabel="normalised prediction (1 = full window)",
                        path=HERE / "demo-faithfulness.png")
    print(faith.format_summary())


if __name__ == "__main__":
    import sys

    main(locus_only="--locus-only" in sys.argv[1:],
         faithfulness="--no-faithfulness" not in sys.argv[1:])

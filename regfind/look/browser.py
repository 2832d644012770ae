"""The report's interactive genome-browser view: igv.js, embedded in the page, offline.

Each gene of ``regfind report`` gets an igv.js browser over its window with five tracks: the
Seq2Exp mask (Beta mean, bin maximum as in the locus view), the called regions (named with
their P(selected); the forced promoter says so), the peaks, the truth (positive red, other
grey) and the genes (exons, strand). Everything is inline:

- the reference is the window's own sequence as a FASTA data URI whose header
  ``>chrom:start+1-end @len=chrom_length`` is igv.js's way of placing a sub-sequence at its
  genome position (igv.js reads the 1-based range of the header; regfind's coordinates stay
  0-based half-open everywhere else);
- tracks are given as feature lists (igv.js features are 0-based half-open, as regfind's);
- igv.js itself (``igv.min.js``, MIT licence) is read at run time from the installed
  ``igv-notebook`` package, which ships it, and written into the page once;
- ``loadDefaultGenomes: false`` keeps igv.js from fetching its list of hosted genomes.

So the page loads nothing from the network: it works from the single file, offline.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pandas as pd

from regfind.errors import ConfigError
from regfind.look.plot import _genes
from regfind.look.plot._base import bin_size_for, binned
from regfind.model.inference import GeneMask

__all__ = ["ATTACH_JS", "igv_config", "igv_js", "script_json"]

#: Bins of the mask track over a window at most (a 200 kb window: 50 bp bins).
MASK_BINS = 4000


def igv_js() -> str:
    """Return the text of ``igv.min.js`` from the installed ``igv-notebook`` package.

    Raises
    ------
    ConfigError
        When ``igv-notebook`` is not installed.
    """
    from importlib import resources

    try:
        path = resources.files("igv_notebook") / "js" / "igv.min.js"
        return path.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ConfigError("the report's browser view needs igv.js from the igv-notebook "
                          "package: pip install igv-notebook (or report with "
                          "--no-browser)") from exc


def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _fasta_uri(chrom: str, start: int, end: int, chrom_length: int, seq: str) -> str:
    text = f">{chrom}:{start + 1}-{end} @len={chrom_length}\n{seq}\n"
    return "data:text/plain;base64," + base64.b64encode(text.encode("ascii")).decode("ascii")


def _features(table: pd.DataFrame | None, chrom: str, lo: int, hi: int) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame(columns=["chrom", "start", "end"])
    t = table[(table["chrom"].astype(str) == chrom) & (table["end"] > lo)
              & (table["start"] < hi)]
    return t


def _mask_features(gm: GeneMask, lo: int, hi: int) -> list[dict[str, Any]]:
    loc = gm.locus
    size = bin_size_for(hi - lo, MASK_BINS)
    values = binned(gm.mean[lo - loc.start:hi - loc.start], size, "max")
    starts = lo + np.arange(values.size) * size
    return [{"chr": loc.chrom, "start": int(s), "end": int(min(s + size, hi)),
             "value": round(float(v), 4)}
            for s, v in zip(starts, values, strict=True) if np.isfinite(v)]


def _region_features(regions: pd.DataFrame, chrom: str) -> list[dict[str, Any]]:
    out = []
    for r in regions.itertuples(index=False):
        forced = bool(getattr(r, "forced", False))
        prob = getattr(r, "prob_selected", np.nan)
        label = "promoter (kept by rule)" if forced else f"P(selected) {prob:.2f}"
        out.append({"chr": chrom, "start": int(r.start), "end": int(r.end), "name": label,
                    "color": "#999999" if forced else "#1f3f7a"})
    return out


def _truth_features(truth: pd.DataFrame, chrom: str) -> list[dict[str, Any]]:
    col = next((c for c in ("positive", "Regulated") if c in truth.columns), None)
    out = []
    for r in truth.itertuples(index=False):
        pos = str(getattr(r, col)).lower() in ("true", "1") if col else True
        name = str(getattr(r, "name", "")) if "name" in truth.columns else ""
        out.append({"chr": chrom, "start": int(r.start), "end": int(r.end),
                    "name": name or ("positive" if pos else "negative"),
                    "color": "#c44e52" if pos else "#999999"})
    return out


def _gene_features(genes: Any, chrom: str, lo: int, hi: int) -> list[dict[str, Any]]:
    out = []
    for g in _genes.in_range(genes, chrom, lo, hi):
        start, end = _genes.span(g)
        exons = sorted({e for t in g.transcripts for e in t.exons})
        feature = {"chr": chrom, "start": int(start), "end": int(end), "name": g.name,
                   "strand": g.strand if g.strand in "+-" else "."}
        if exons:
            feature["exons"] = [{"start": int(s), "end": int(e)} for s, e in exons]
        out.append(feature)
    return out


def igv_config(gm: GeneMask, genome: Any, *, regions: pd.DataFrame | None = None,
               peaks: pd.DataFrame | None = None, truth: pd.DataFrame | None = None,
               genes: Any = None) -> dict[str, Any]:
    """Return the igv.js browser configuration of one gene's window (module docstring).

    Parameters
    ----------
    gm : GeneMask
        The gene's mask (its locus is the browser's range).
    genome : Genome
        Reads the window's sequence (``genome.sequence(chrom, start, end)``).
    regions, peaks, truth : pandas.DataFrame, optional
        ``chrom, start, end`` (genome, 0-based half-open); regions also ``prob_selected`` and
        ``forced``; truth a ``positive`` (or ``Regulated``) column.
    genes : Annotation or sequence of Gene, optional

    Returns
    -------
    dict
        JSON-serialisable; ``igv.createBrowser(div, config)`` draws it.
    """
    loc = gm.locus
    lo, hi = loc.clipped_start, loc.clipped_end
    seq = genome.sequence(loc.chrom, lo, hi)
    tracks: list[dict[str, Any]] = [{
        "name": "Seq2Exp mask (Beta mean)", "type": "wig", "color": "#1f3f7a", "height": 70,
        "min": 0, "max": 1, "autoscale": False,
        "features": _mask_features(gm, lo, hi)}]
    if regions is not None:
        tracks.append({"name": "called regions", "type": "annotation", "displayMode": "EXPANDED",
                       "features": _region_features(_features(regions, loc.chrom, lo, hi),
                                                    loc.chrom)})
    if peaks is not None:
        tracks.append({"name": "peaks", "type": "annotation", "color": "#555555",
                       "features": [{"chr": loc.chrom, "start": int(s), "end": int(e)}
                                    for s, e in zip(*(_features(peaks, loc.chrom, lo, hi)[c]
                                                      for c in ("start", "end")), strict=True)]})
    if truth is not None:
        tracks.append({"name": "truth", "type": "annotation", "displayMode": "EXPANDED",
                       "features": _truth_features(_features(truth, loc.chrom, lo, hi),
                                                   loc.chrom)})
    if genes is not None:
        tracks.append({"name": "genes", "type": "annotation", "displayMode": "EXPANDED",
                       "color": "#2f4b7c", "features": _gene_features(genes, loc.chrom, lo, hi)})
    return {"loadDefaultGenomes": False, "showChromosomeWidget": False,
            "reference": {"id": f"regfind-{loc.chrom}", "name": f"{loc.chrom} (window)",
                          "fastaURL": _fasta_uri(loc.chrom, lo, hi, loc.chrom_length, seq),
                          "indexed": False},
            "locus": f"{loc.chrom}:{lo + 1}-{hi}", "tracks": tracks}


#: Page script run after igv.js: one browser per ``script.igv-config`` (its JSON) in the
#: element its ``data-target`` names; ``data-ready="yes"`` is set on it once drawn.
ATTACH_JS = """document.querySelectorAll("script.igv-config").forEach(function (s) {
  var div = document.getElementById(s.dataset.target);
  igv.createBrowser(div, JSON.parse(s.textContent)).then(function () {
    div.dataset.ready = "yes";
  }).catch(function (e) { div.dataset.ready = "error"; div.textContent = String(e); });
});"""

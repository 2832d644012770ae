"""``regfind report``: one self-contained HTML file for one gene or many.

The page has a gene index, a motif-enrichment table over all genes' regions, the motifs
discovered from the mask and attribution scores (:mod:`regfind.look.motif_discovery`), then one
section per gene: the locus view, the regions table with its uncertainty, logos of the top
regions, the comparison with peaks, window-reach notes; and the run's provenance at the end.
Figures are embedded as base64 PNG (or SVG) data URIs, and each gene has an igv.js browser
view (:mod:`regfind.look.browser`) whose code and data are inline too; the page loads nothing from
anywhere else.

The template is jinja2 (already installed with torch) because it escapes every value it inserts
(gene names, file paths, notes) by default, which string building would have to do by hand.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betaincinv

from regfind._env import package_versions
from regfind.calling.api import CallResult, call
from regfind.errors import ConfigError, DataError, RegfindWarning
from regfind.io.bed import atomic_write, read_bed
from regfind.look.plot._result import cutoff_of, window_tracks
from regfind.model.inference import GeneMask

__all__ = ["report", "write_report"]

_ANCHOR = re.compile(r"[^A-Za-z0-9_-]+")
_EDGE_FRACTION = 0.05  # "near the window edge": the outer 5% on each side (10 kb of 200 kb)
#: Bases of sequence motif discovery reads at most (the first genes' windows that fit: 25
#: windows of 200 kb); TF-MoDISco's arrays are several times this many floats.
DISCOVERY_BASES = 5_000_000


def report(genes: str | Sequence[str], cell: str | None = None, output: str | os.PathLike[str]
           = "report.html", *, profile: str | None = None, config: Any = None,
           model: Any = None, sources: Any = None, peaks: Any = None, truth: Any = None,
           attributions: Mapping[str, Mapping[str, np.ndarray]] | None = None,
           motifs: Any = True, discovery: bool = True, browser: bool = True,
           image_format: str = "png", **call_kwargs: Any) -> Path:
    """Call the genes and write the HTML report.

    Parameters
    ----------
    genes : str or sequence of str
    cell : str, optional
        Cell type of the profile (needed unless ``sources`` is given).
    output : path-like
    profile, config, model, sources : optional
        As in :func:`regfind.calling.api.call`.
    peaks, truth : path or DataFrame, optional
        BED/narrowPeak of peaks (compared) and of known elements (drawn).
    attributions : mapping gene -> (method -> per-base array), optional
    motifs : bool or sequence of Motif, default True
        True: JASPAR CORE vertebrates; False: no motif section (neither enrichment nor
        discovery).
    discovery : bool, default True
        Discover motifs from the mask (and from each attribution method given for every gene)
        with :func:`regfind.look.motif_discovery.discover`, matched to JASPAR CORE vertebrates.
    browser : bool, default True
        Embed an igv.js genome-browser view of each window (:mod:`regfind.look.browser`; needs the
        ``igv-notebook`` package, which ships igv.js).
    image_format : {'png', 'svg'}
    **call_kwargs
        Passed to :func:`regfind.calling.api.call` (cutoff, top_fraction, device, ...).

    Returns
    -------
    pathlib.Path
    """
    from regfind.model.context import open_run

    ctx = open_run(cell, profile=profile, config=config, model=model, sources=sources)
    sources, model = ctx.sources, ctx.model
    result = call(genes, cell, sources=sources, model=model, **call_kwargs)
    if not result.masks and result.skipped:
        gene, reason = result.skipped[0]
        raise DataError(f"no gene could be called for the report; nothing written. {gene}: "
                        f"{reason}")
    import warnings

    for gene, reason in result.skipped:
        warnings.warn(f"{gene}: skipped, not in the report ({reason})", RegfindWarning,
                      stacklevel=2)
    return write_report(result, sources, output, peaks=peaks, truth=truth,
                        attributions=attributions, motifs=motifs, discovery=discovery,
                        browser=browser, image_format=image_format)


def write_report(result: CallResult, sources: Any, output: str | os.PathLike[str], *,
                 peaks: Any = None, truth: Any = None,
                 attributions: Mapping[str, Mapping[str, np.ndarray]] | None = None,
                 motifs: Any = True, discovery: bool = True, browser: bool = True,
                 image_format: str = "png", title: str | None = None) -> Path:
    """Write the HTML report of an existing :class:`~regfind.calling.api.CallResult`.

    ``sources`` (:class:`regfind.inputs.build.Sources`) supplies the genome, tracks and
    annotation of the windows. Other parameters as in :func:`report`.
    """
    import jinja2

    if not result.masks:
        raise ConfigError("the report needs the masks: call with keep_masks=True")
    if image_format not in ("png", "svg"):
        raise ConfigError(f"image_format must be 'png' or 'svg', got {image_format!r}")
    peaks_df, truth_df = _table(peaks, sources), _table(truth, sources)
    motif_res = _motifs(result, sources, motifs)
    wanted = discovery and motifs is not False and motifs is not None
    found = _discoveries(result, sources, attributions, image_format) if wanted else None
    sections = [_section(gm, result, sources, peaks_df, truth_df,
                         (attributions or {}).get(gm.locus.gene), motif_res, image_format)
                for gm in result.masks]
    igv = _browser(result, sources, sections, peaks_df, truth_df) if browser else None
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    from regfind.look._report_template import TEMPLATE

    html = env.from_string(TEMPLATE).render(**_context(result, sections, motif_res, title),
                                            discoveries=found, igv=igv)
    with atomic_write(output) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(output)


def _table(value: Any, sources: Any) -> pd.DataFrame | None:
    """Return a region file or table with its chromosomes spelled as the genome spells them."""
    from regfind.io.chroms import match_chroms

    if value is None:
        return None
    table = value if isinstance(value, pd.DataFrame) else read_bed(value)
    name = "the table" if isinstance(value, pd.DataFrame) else value
    return match_chroms(table, sources.genome.chrom_sizes, file=name,
                        reference=sources.genome.path)


def _motifs(result: CallResult, sources: Any, motifs: Any) -> dict[str, Any] | None:
    if motifs is False or motifs is None or result.regions.empty:
        return None
    from regfind.io.motif_clusters import collapse
    from regfind.look import motifs as m

    pool = m.load_jaspar() if motifs is True else list(motifs)
    res = m.analyse(result.regions, sources.genome, pool)
    groups = collapse(res.enrichment, pool).head(20)
    groups["others"] = [", ".join(s.split(", ")[1:6]) + (" ..." if n > 6 else "")
                        for s, n in zip(groups["members"], groups["n_members"], strict=True)]
    return {"result": res, "n_motifs": len(pool), "pvalue": "1e-4",
            "n_regions": len(result.regions), "background": res.background,
            "rows": groups.to_dict("records")}


def _discoveries(result: CallResult, sources: Any,
                 attributions: Mapping[str, Mapping[str, np.ndarray]] | None,
                 fmt: str) -> list[dict[str, Any]]:
    """Motifs discovered from the mask and from each attribution given for every gene.

    Reads the windows of the first genes, up to :data:`DISCOVERY_BASES` bases in all.
    """
    from regfind.io.jaspar import load_jaspar
    from regfind.look import plot
    from regfind.look.motif_discovery import discover

    if len({gm.locus.window for gm in result.masks}) != 1:
        return []
    keep = max(1, DISCOVERY_BASES // result.masks[0].locus.window)
    masks = result.masks[:keep]
    attributions = attributions or {}
    tracks = {"mask": np.stack([gm.mean for gm in masks])}
    methods = set.intersection(*(set(attributions.get(gm.locus.gene, {})) for gm in masks))
    for method in sorted(methods):
        tracks[method] = np.stack([np.asarray(attributions[gm.locus.gene][method])
                                   for gm in masks])
    onehot = np.stack([sources.genome.one_hot(gm.locus) for gm in masks])
    pool = load_jaspar()
    out = []
    for source, scores in tracks.items():
        found = discover(onehot, scores, source=source, pool=pool)
        table = found.table()
        table["match_pvalue"] = [f"{p:.2g}" if np.isfinite(p) else "" for p in
                                 table["match_pvalue"]]
        cored = any(len(m.ppm) for m in found.motifs)
        out.append({"source": source, "rows": table.to_dict("records"),
                    "n_windows": found.n_sequences, "n_genes": len(result.masks),
                    "img": _image(plot.discovered_logos(found, pool), fmt) if cored else ""})
    return out


def _browser(result: CallResult, sources: Any, sections: list[dict[str, Any]],
             peaks: pd.DataFrame | None, truth: pd.DataFrame | None) -> dict[str, Any]:
    """Add each section's igv.js configuration (``igv_json``); return the page's scripts."""
    from markupsafe import Markup

    from regfind.look.browser import ATTACH_JS, igv_config, igv_js, script_json

    code = igv_js()
    for gm, section in zip(result.masks, sections, strict=True):
        regions = result.regions[result.regions["gene"] == gm.locus.gene]
        config = igv_config(gm, sources.genome, regions=regions, peaks=peaks, truth=truth,
                            genes=sources.annotation)
        section["igv_json"] = Markup(script_json(config))
    return {"js": Markup(code), "attach": Markup(ATTACH_JS)}


def _image(fig: Any, fmt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    kind = "image/svg+xml" if fmt == "svg" else "image/png"
    return f"data:{kind};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _section(gm: GeneMask, result: CallResult, sources: Any, peaks: pd.DataFrame | None,
             truth: pd.DataFrame | None, attrs: Mapping[str, np.ndarray] | None,
             motif_res: dict[str, Any] | None, fmt: str) -> dict[str, Any]:
    from regfind.look import plot

    loc = gm.locus
    regions = result.regions[result.regions["gene"] == loc.gene]
    signals, onehot = window_tracks(gm, sources)
    hits = motif_res["result"].hits if motif_res else None
    cutoff = cutoff_of(gm, result)
    fig = plot.locus(gm, signals=signals, genes=sources.annotation, regions=regions,
                     peaks=peaks, truth=truth, attributions=attrs, cutoff=cutoff)
    scores = next(iter(attrs.values())) if attrs else None
    logos = plot.logos(onehot, regions, loc, scores=scores, mask=gm.mean, hits=hits) \
        if len(regions) else None
    best = regions["prob_selected"].max() if len(regions) else np.nan
    return {"gene": loc.gene, "anchor": _ANCHOR.sub("-", loc.gene),
            "window": f"{loc.chrom}:{loc.start:,}-{loc.end:,}", "strand": loc.strand,
            "tss": loc.tss, "cutoff": f"{cutoff:.4g}", "n_regions": len(regions),
            "bp": int(regions["length"].sum()),
            "best_prob": "-" if np.isnan(best) else f"{best:.2f}",
            "pred": "-" if gm.pred is None else f"{gm.pred:.2f}",
            "locus_img": _image(fig, fmt), "logos_img": _image(logos, fmt) if logos else "",
            "rows": _rows(gm, regions, peaks, hits), "has_peaks": peaks is not None,
            "peaks": _peak_stats(gm, regions, peaks) if peaks is not None else None,
            "attributions": list(attrs or {}), "notes": _notes(gm, regions, truth)}


def _rows(gm: GeneMask, regions: pd.DataFrame, peaks: pd.DataFrame | None,
          hits: pd.DataFrame | None) -> list[dict[str, Any]]:
    loc = gm.locus
    lo_q = betaincinv(gm.alpha.astype(np.float64), gm.beta.astype(np.float64), 0.05)
    hi_q = betaincinv(gm.alpha.astype(np.float64), gm.beta.astype(np.float64), 0.95)
    rows = []
    for r in regions.itertuples(index=False):
        s, e = r.start - loc.start, r.end - loc.start
        in_peak = (peaks is not None and ((peaks["chrom"] == r.chrom) & (peaks["start"] < r.end)
                                          & (peaks["end"] > r.start)).any())
        rows.append({"region": f"{r.chrom}:{r.start:,}-{r.end:,}", "length": f"{r.length:,}",
                     "distance": f"{r.distance_to_tss:+,}", "mean": f"{r.mean_mask:.3f}",
                     "band": f"{lo_q[s:e].mean():.2f}-{hi_q[s:e].mean():.2f}",
                     "max": f"{r.max_mask:.3f}", "prob": f"{r.prob_selected:.2f}",
                     "prob_px": int(round(60 * r.prob_selected)), "forced": bool(r.forced),
                     "peak": "yes" if in_peak else "no",
                     "motifs": _top_motifs(hits, r.chrom, r.start, r.end)})
    return rows


def _top_motifs(hits: pd.DataFrame | None, chrom: str, start: int, end: int, n: int = 3) -> str:
    if hits is None or hits.empty:
        return ""
    h = hits[(hits["chrom"] == chrom) & (hits["start"] >= start) & (hits["end"] <= end)]
    names = h.sort_values("pvalue")["motif_name"].drop_duplicates().head(n)
    return ", ".join(names)


def _cover(table: pd.DataFrame, chrom: str, lo: int, hi: int) -> np.ndarray:
    mask = np.zeros(hi - lo, dtype=bool)
    here = table[(table["chrom"] == chrom) & (table["end"] > lo) & (table["start"] < hi)]
    for s, e in zip(here["start"], here["end"], strict=True):
        mask[max(s, lo) - lo:min(e, hi) - lo] = True
    return mask


def _peak_stats(gm: GeneMask, regions: pd.DataFrame, peaks: pd.DataFrame) -> dict[str, Any]:
    loc = gm.locus
    lo, hi = loc.clipped_start, loc.clipped_end
    here = peaks[(peaks["chrom"] == loc.chrom) & (peaks["end"] > lo) & (peaks["start"] < hi)]
    a, b = _cover(regions, loc.chrom, lo, hi), _cover(here, loc.chrom, lo, hi)
    union = int((a | b).sum())

    def hit(x: pd.DataFrame, y: pd.DataFrame) -> int:
        return int(sum(((y["start"] < e) & (y["end"] > s)).any()
                       for s, e in zip(x["start"], x["end"], strict=True)))

    return {"n_peaks": len(here), "regions_in_peaks": hit(regions, here),
            "peaks_hit": hit(here, regions),
            "jaccard": f"{(a & b).sum() / union:.3f}" if union else "n/a"}


def _notes(gm: GeneMask, regions: pd.DataFrame, truth: pd.DataFrame | None) -> list[str]:
    loc = gm.locus
    half = loc.window // 2
    notes = [f"The model sees {half / 1000:g} kb on each side of the TSS; anything farther "
             "cannot be selected."]
    if len(regions):
        far = int(regions["distance_to_tss"].abs().max())
        edge = max(1, int(_EDGE_FRACTION * loc.window))
        near_edge = int(((regions["start"] - loc.start < edge)
                         | (loc.end - regions["end"] < edge)).sum())
        notes.append(f"Farthest region: {far / 1000:.1f} kb from the TSS.")
        if near_edge:
            notes.append(f"{near_edge} region(s) within {edge:,} bp of the window edge (its "
                         "outer 5%): elements just outside may matter too.")
    if truth is not None:
        t = truth[truth["chrom"] == loc.chrom]
        inside = int(((t["start"] >= loc.start) & (t["end"] <= loc.end)).sum())
        notes.append(f"Known elements on {loc.chrom}: {inside} inside the window, "
                     f"{len(t) - inside} outside it.")
    notes += [n.split(": ", 1)[-1] for n in gm.notes]
    return notes


def _context(result: CallResult, sections: list[dict[str, Any]],
             motif_res: dict[str, Any] | None, title: str | None) -> dict[str, Any]:
    from regfind import __version__

    prov = dict(result.provenance)
    prov["versions"] = {**prov.get("versions", {}), **package_versions(
        ("matplotlib", "logomaker", "pyjaspar", "jinja2", "scipy"))}
    model = prov.get("model", {})
    name = model.get("name") or model.get("path") or model.get("sha256", "?")[:12]
    genes = ", ".join(s["gene"] for s in sections[:5]) + ("..." if len(sections) > 5 else "")
    return {"title": title or f"regfind report: {genes}", "cell": prov.get("cell", "?"),
            "model_name": str(name), "rule": result.params.describe(), "version": __version__,
            "generated": time.strftime("%Y-%m-%d %H:%M"), "sections": sections,
            "skipped": result.skipped, "motifs": motif_res,
            "provenance": json.dumps(prov, indent=2, sort_keys=True, default=str)}

"""Bodies of ``regfind plot`` and ``regfind report`` (imported only when they run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from regfind.errors import DataError


def read_table(path: Path) -> Any:
    """Read a tab-separated table with a header (``#`` lines are comments)."""
    import pandas as pd

    try:
        return pd.read_csv(path, sep="\t", comment="#")
    except (ValueError, OSError) as exc:
        raise DataError(f"cannot read table {path}: {exc}") from exc


def gene_names(genes: Any, genes_file: Path | None) -> list[str]:
    """``--gene`` values then the first column of ``--genes FILE`` (``#`` comments), unique."""
    names = list(genes)
    if genes_file is not None:
        names += [ln.split()[0] for ln in genes_file.read_text().splitlines()
                  if ln.strip() and not ln.startswith("#")]
    if not names:
        raise click.UsageError("give --gene or --genes FILE")
    return list(dict.fromkeys(names))


def _sources_and_model(cell: str, profile: str | None, config: Path | None,
                       model_path: str | None) -> tuple[Any, Any]:
    from regfind.context import open_run

    ctx = open_run(cell, profile=profile, config=config, model=model_path)
    return ctx.sources, ctx.model


def run_plot_locus(*, gene: str, cell: str, profile: str | None, config: Path | None,
                   model_path: str | None, output: Path, region: str | None,
                   peaks: Path | None, truth: Path | None, logos: Path | None,
                   bin_size: int | None, cutoff: float | None, top_fraction: float | None,
                   device: str | None) -> None:
    """Run ``regfind plot locus`` (see its help)."""
    from regfind import plot
    from regfind.calling import call
    from regfind.io.bed import read_bed
    from regfind.plot._result import pick_mask, window_tracks

    sources, model = _sources_and_model(cell, profile, config, model_path)
    result = call(gene, cell, sources=sources, model=model, cutoff=cutoff,
                  top_fraction=top_fraction, device=device)
    if result.skipped:
        raise DataError(f"{gene}: {result.skipped[0][1]}")
    fig = result.plot(sources=sources, peaks=read_bed(peaks) if peaks else None,
                      truth=read_bed(truth) if truth else None, region=region,
                      bin_size=bin_size)
    plot.save(fig, output)
    if logos is not None:
        gm = pick_mask(result, None)
        plot.save(plot.logos(window_tracks(gm, sources)[1], result.regions, gm.locus,
                             mask=gm.mean), logos)
    click.echo(f"{result!r}\nwrote {output}" + (f" and {logos}" if logos else ""), err=True)


def run_report(*, genes: list[str], genes_file: Path | None, cell: str, profile: str | None,
               config: Path | None, model_path: str | None, output: Path,
               peaks: Path | None, truth: Path | None, motif_ids: list[str],
               no_motifs: bool, image_format: str, cutoff: float | None,
               top_fraction: float | None, device: str | None,
               no_discovery: bool = False, no_browser: bool = False) -> None:
    """Run ``regfind report`` (see its help)."""
    from regfind.report import report

    names = gene_names(genes, genes_file)
    sources, model = _sources_and_model(cell, profile, config, model_path)
    motifs: Any = False
    if not no_motifs:
        from regfind.motifs import load_jaspar

        motifs = load_jaspar(motif_ids) if motif_ids else True
    report(list(dict.fromkeys(names)), cell, output, sources=sources, model=model,
           peaks=peaks, truth=truth, motifs=motifs, discovery=not no_discovery,
           browser=not no_browser,
           image_format=image_format, cutoff=cutoff,
           top_fraction=top_fraction, device=device)
    click.echo(f"wrote {output}", err=True)

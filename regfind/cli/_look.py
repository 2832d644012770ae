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
        from regfind.io.text import is_gzip

        return pd.read_csv(path, sep="\t", comment="#",
                           compression="gzip" if is_gzip(path) else None)
    except (ValueError, OSError) as exc:
        raise DataError(f"cannot read table {path}: {exc}") from exc


def gene_names(genes: Any, genes_file: Path | None) -> list[str]:
    """``--gene`` values then the first column of ``--genes FILE`` (``#`` comments), unique."""
    names = list(genes)
    if genes_file is not None:
        from regfind.io.text import read_gene_list

        names += read_gene_list(genes_file)
    if not names:
        raise click.UsageError("give --gene or --genes FILE")
    return list(dict.fromkeys(names))


def _sources_and_model(cell: str, profile: str | None, config: Path | None,
                       model_path: str | None) -> tuple[Any, Any]:
    from regfind.model.context import open_run

    ctx = open_run(cell, profile=profile, config=config, model=model_path)
    return ctx.sources, ctx.model


def _on_genome(path: Path | None, sources: Any) -> Any:
    """Read a region file, its chromosomes spelled as the genome spells them."""
    from regfind.io.bed import read_bed
    from regfind.io.chroms import match_chroms

    if path is None:
        return None
    return match_chroms(read_bed(path), sources.genome.chrom_sizes, file=path,
                        reference=sources.genome.path)


def run_plot_locus(*, gene: str, cell: str, profile: str | None, config: Path | None,
                   model_path: str | None, output: Path, region: str | None,
                   peaks: Path | None, truth: Path | None, logos: Path | None,
                   bin_size: int | None, rules: Any, device: str | None) -> None:
    """Run ``regfind plot locus`` (see its help)."""
    from regfind.calling.api import call
    from regfind.look import plot
    from regfind.look.plot._result import pick_mask, window_tracks

    sources, model = _sources_and_model(cell, profile, config, model_path)
    result = call(gene, cell, sources=sources, model=model, rules=rules, device=device)
    if result.skipped:
        raise DataError(f"{gene}: {result.skipped[0][1]}")
    fig = result.plot(sources=sources, peaks=_on_genome(peaks, sources),
                      truth=_on_genome(truth, sources), region=region, bin_size=bin_size)
    plot.save(fig, output)
    if logos is not None:
        gm = pick_mask(result, None)
        plot.save(plot.logos(window_tracks(gm, sources)[1], result.regions, gm.locus,
                             mask=gm.mean), logos)
    click.echo(f"{result!r}\nwrote {output}" + (f" and {logos}" if logos else ""), err=True)


def run_report(*, genes: list[str], genes_file: Path | None, cell: str, profile: str | None,
               config: Path | None, model_path: str | None, output: Path,
               peaks: Path | None, truth: Path | None, motif_ids: list[str],
               no_motifs: bool, image_format: str, rules: Any, device: str | None,
               no_discovery: bool = False, no_browser: bool = False) -> None:
    """Run ``regfind report`` (see its help)."""
    from regfind.look.report import report

    names = gene_names(genes, genes_file)
    sources, model = _sources_and_model(cell, profile, config, model_path)
    motifs: Any = False
    if not no_motifs:
        from regfind.io.jaspar import load_jaspar

        motifs = load_jaspar(motif_ids) if motif_ids else True
    report(list(dict.fromkeys(names)), cell, output, sources=sources, model=model,
           peaks=peaks, truth=truth, motifs=motifs, discovery=not no_discovery,
           browser=not no_browser, image_format=image_format, rules=rules, device=device)
    click.echo(f"wrote {output}", err=True)

"""``regfind report``: a self-contained HTML report for one gene or many."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from regfind.cli._options import OUTPUT, rule_options, run_options

_IN = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.option("--gene", "genes", multiple=True, help="Gene symbol or Ensembl ID (repeatable).")
@click.option("--genes", "genes_file", type=_IN, help="File with one gene per line.")
@run_options
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="HTML file to write.")
@click.option("--peaks", type=_IN, help="Peaks (BED/narrowPeak) to compare with.")
@click.option("--truth", type=_IN, help="Known elements (BED) to draw.")
@click.option("--motif", "motif_ids", multiple=True,
              help="JASPAR matrix ID to test (repeatable; default: CORE vertebrates).")
@click.option("--no-motifs", is_flag=True,
              help="Leave out the motif analysis (enrichment and discovery).")
@click.option("--no-discovery", is_flag=True,
              help="Leave out motif discovery from the scores (TF-MoDISco).")
@click.option("--no-browser", is_flag=True,
              help="Leave out the embedded igv.js genome-browser views.")
@click.option("--image-format", type=click.Choice(["png", "svg"]), default="png",
              show_default=True, help="How figures are embedded.")
@rule_options()
def report(genes: tuple[str, ...], genes_file: Path | None, cell: str, profile: str | None,
           config: Path | None, model_path: str | None, output: Path, peaks: Path | None,
           truth: Path | None, motif_ids: tuple[str, ...], no_motifs: bool, no_discovery: bool,
           no_browser: bool, image_format: str, rules: Any, device: str | None) -> None:
    """Call the genes and write one HTML file: figures, regions, motifs, provenance."""
    from regfind.cli._look import run_report

    run_report(genes=list(genes), genes_file=genes_file, cell=cell, profile=profile,
               config=config, model_path=model_path, output=output, peaks=peaks, truth=truth,
               motif_ids=list(motif_ids), no_motifs=no_motifs, no_discovery=no_discovery,
               no_browser=no_browser, image_format=image_format, rules=rules, device=device)

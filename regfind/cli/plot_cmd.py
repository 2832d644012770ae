"""``regfind plot``: the locus view of a gene, and comparison figures from tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from regfind.cli._options import OUTPUT, rule_options, run_options

_OUT = OUTPUT
_IN = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def plot() -> None:
    """Draw figures as PNG, SVG or PDF (chosen by the output's suffix)."""


@plot.command("locus")
@click.option("--gene", required=True, help="Gene symbol or Ensembl ID.")
@run_options
@click.option("-o", "--output", required=True, type=_OUT, help="Figure (.png, .svg, .pdf).")
@click.option("--region", help="Zoom to chrom:start-end within the window, 1-based as a "
              "genome browser shows it.")
@click.option("--peaks", type=_IN, help="Peaks (BED/narrowPeak) to draw.")
@click.option("--truth", type=_IN, help="Known elements (BED; a 'positive' column colours).")
@click.option("--logos", type=_OUT, help="Also draw logos of the top regions to this file.")
@click.option("--bin-size", type=int, help="Bin width in bp (default: range / 1000).")
@rule_options()
def locus(gene: str, cell: str, profile: str | None, config: Path | None,
          model_path: str | None, output: Path, region: str | None, peaks: Path | None,
          truth: Path | None, logos: Path | None, bin_size: int | None,
          rules: Any, device: str | None) -> None:
    """Call one gene and draw its window: mask, tracks, peaks, regions, genes."""
    from regfind.cli._look import run_plot_locus

    run_plot_locus(gene=gene, cell=cell, profile=profile, config=config,
                   model_path=model_path, output=output, region=region, peaks=peaks,
                   truth=truth, logos=logos, bin_size=bin_size, rules=rules, device=device)


@plot.command("pr")
@click.argument("table", type=_IN)
@click.option("-o", "--output", required=True, type=_OUT, help="Figure (.png, .svg, .pdf).")
@click.option("--baseline", type=float, help="Fraction of positives (random ranking).")
def pr(table: Path, output: Path, baseline: float | None) -> None:
    """Precision-recall curves from a TSV with method, recall, precision columns."""
    from regfind.cli._look import read_table
    from regfind.look.plot import pr_curves, save

    save(pr_curves(read_table(table), baseline=baseline), output)
    click.echo(f"wrote {output}", err=True)


@plot.command("faithfulness")
@click.argument("table", type=_IN)
@click.option("-o", "--output", required=True, type=_OUT, help="Figure (.png, .svg, .pdf).")
def faithfulness(table: Path, output: Path) -> None:
    """Deletion/insertion curves from a TSV with method, curve, fraction, value columns."""
    from regfind.cli._look import read_table
    from regfind.look.plot import faithfulness_curves, save

    save(faithfulness_curves(read_table(table)), output)
    click.echo(f"wrote {output}", err=True)


@plot.command("cutoffs")
@click.argument("table", type=_IN)
@click.option("-o", "--output", required=True, type=_OUT, help="Figure (.png, .svg, .pdf).")
@click.option("--chosen", type=float, help="Mark the cutoff in use.")
def cutoffs(table: Path, output: Path, chosen: float | None) -> None:
    """Cutoff analysis (as printed by `regfind call --cutoff-analysis`)."""
    from regfind.cli._look import read_table
    from regfind.look.plot import cutoff_curves, save

    save(cutoff_curves(read_table(table), chosen=chosen), output)
    click.echo(f"wrote {output}", err=True)

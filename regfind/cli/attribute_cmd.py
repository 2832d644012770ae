"""``regfind attribute``: captum/ISM attribution baselines on the same checkpoint, as regions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from regfind.cli._options import OUTPUT, rule_options, run_options

_METHODS = ("saliency", "input_x_gradient", "integrated_gradients", "ism")


@click.command("attribute")
@click.option("--gene", required=True, help="Gene symbol or Ensembl ID.")
@run_options
@click.option("--method", required=True,
              help=f"One of {', '.join(_METHODS)} (DeepLIFT-style rules are refused).")
@click.option("-o", "--output", type=OUTPUT,
              help="Regions as narrowPeak (BED6+4); also writes <output>.json.")
@click.option("--track", type=OUTPUT,
              help="Per-base score as bigWig (.bw) or bedGraph.")
@click.option("--signals", is_flag=True, help="Also attribute the H3K27ac/DNase/Hi-C tracks.")
@click.option("--reduction", type=click.Choice(["sum", "abs_sum", "max_abs"]),
              help="Channels -> one score per base (default per method; see docs/compare.md).")
@click.option("--baseline", type=click.Choice(["zeros", "shuffle"]), default="zeros",
              show_default=True, help="Integrated gradients baseline.")
@click.option("--n-steps", type=click.IntRange(min=1), default=50, show_default=True,
              help="Integrated gradients steps.")
@click.option("--internal-batch-size", type=click.IntRange(min=1),
              help="Integrated gradients: path points per backward pass (memory).")
@click.option("--region", help="ISM: genome region chrom:start-end, 1-based as a genome "
              "browser shows it (chr5:5,101-5,570 is BED chr5 5100 5570).")
@click.option("--tile", type=click.IntRange(min=1), default=100, show_default=True,
              help="ISM tile length (bp).")
@click.option("--ism-mode", type=click.Choice(["n", "shuffle"]), default="n",
              show_default=True, help="ISM: replace a tile with N or a dinucleotide shuffle.")
@rule_options("score")
@click.option("--trackline", is_flag=True, help="Start the BED with a UCSC track line.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the shuffles.")
def attribute(gene: str, cell: str, method: str, profile: str | None, config: Path | None,
              model_path: str | None, device: str | None, output: Path | None,
              track: Path | None, signals: bool, reduction: str | None, baseline: str,
              n_steps: int, internal_batch_size: int | None, region: str | None, tile: int,
              ism_mode: str, rules: Any, trackline: bool, seed: int) -> None:
    """Attribute GENE's predicted expression to its window and call regions like `call`."""
    from regfind.scores.attribution import attribute as run
    from regfind.scores.attribution import check_method

    check_method(method)
    if output is None and track is None:
        raise click.UsageError("give -o/--output and/or --track")
    span = _parse_region(region) if region else None
    res = run(gene, cell, method, profile=profile, config=config, model=model_path,
              rules=rules, signals=signals, reduction=reduction, baseline=baseline,
              n_steps=n_steps, internal_batch_size=internal_batch_size,
              region=span[1:] if span else None, tile=tile, ism_mode=ism_mode, seed=seed,
              device=device)
    res.write(output, track=track, trackline=trackline)
    delta = "" if res.delta is None else f", IG completeness gap {res.delta:.3g}"
    click.echo(f"regfind attribute {res.method}: {len(res.regions)} regions, pred "
               f"{res.pred:.4g}{delta}", err=True)


def _parse_region(text: str) -> tuple[str, int, int]:
    from regfind.coords import parse_region
    from regfind.errors import CoordinateError

    try:
        chrom, start, end = parse_region(text)
    except CoordinateError as exc:
        raise click.BadParameter(str(exc), param_hint="--region") from None
    if chrom is None:
        raise click.BadParameter(f"give the chromosome: chrom:start-end, got {text!r}",
                                 param_hint="--region")
    return chrom, start, end

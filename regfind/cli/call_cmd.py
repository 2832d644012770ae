"""``regfind call``: regions a Seq2Exp model relies on, for one gene or many."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from regfind.cli._options import OUTPUT, rule_options, run_options


@click.command()
@click.option("--gene", "genes", multiple=True, help="Gene symbol or Ensembl ID (repeatable).")
@click.option("--genes", "genes_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="File with one gene per line.")
@click.option("--loci", "loci_bed", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="BED of loci: one window centred on each row.")
@click.option("--all-genes", is_flag=True, help="Every gene of the profile's annotation.")
@run_options
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="Regions as narrowPeak (BED6+4); also writes <output>.tsv and .json.")
@rule_options()
@click.option("--cutoff-analysis", is_flag=True,
              help="Also print regions / bp / mean length per cutoff.")
@click.option("--track", type=OUTPUT,
              help="Write the mask as bigWig (.bw) or bedGraph; overlaps take the maximum.")
@click.option("--trackline", is_flag=True, help="Start the BED with a UCSC track line.")
@click.option("--predict", is_flag=True, help="Also report predicted expression (2x time).")
@click.option("--batch-size", default=1, show_default=True, help="Genes per model call.")
@click.option("--precision", type=click.Choice(["fp32", "bf16-official"]), default="fp32",
              show_default=True,
              help="bf16-official: the official run's bf16 autocast numerics (for GPUs).")
@click.option("--resume", is_flag=True,
              help="Reuse genes finished by an earlier run of the same command.")
@click.option("--shard", metavar="I/N",
              help="Run only shard I of N (0-based, e.g. $SLURM_ARRAY_TASK_ID/N) into "
                   "OUTPUT.shard-I-of-N/; join the shards with regfind merge.")
@click.option("--engine", type=click.Choice(["dask"]),
              help="Distribute the genes over Dask workers (pip install 'regfind[scale]').")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler address (default: a local cluster on 127.0.0.1).")
@click.option("--workers", type=click.IntRange(min=1),
              help="Workers of the local cluster [GPUs, else CPU cores].")
def call(genes: tuple[str, ...], genes_file: Path | None, loci_bed: Path | None,
         all_genes: bool, cell: str,
         profile: str | None, config: Path | None, model_path: str | None, output: Path,
         rules: Any, cutoff_analysis: bool, track: Path | None, trackline: bool,
         predict: bool, batch_size: int, precision: str, device: str | None, resume: bool,
         shard: str | None, engine: str | None, scheduler: str | None,
         workers: int | None) -> None:
    """Call the regions the model relies on for each gene: BED, TSV, JSON (and a track)."""
    from regfind.cli._run import run_call

    run_call(genes=list(genes), genes_file=genes_file, loci_bed=loci_bed, all_genes=all_genes,
             cell=cell, profile=profile, config=config, model_path=model_path, output=output,
             rules=rules, cutoff_analysis=cutoff_analysis, track=track, trackline=trackline,
             predict=predict, batch_size=batch_size, device=device, resume=resume,
             precision=precision,
             shard=shard, engine=engine, scheduler=scheduler, workers=workers)

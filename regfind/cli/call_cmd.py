"""``regfind call``: regions a Seq2Exp model relies on, for one gene or many."""

from __future__ import annotations

from pathlib import Path

import click

from regfind.cli._options import OUTPUT


@click.command()
@click.option("--gene", "genes", multiple=True, help="Gene symbol or Ensembl ID (repeatable).")
@click.option("--genes", "genes_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="File with one gene per line.")
@click.option("--loci", "loci_bed", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="BED of loci: one window centred on each row.")
@click.option("--all-genes", is_flag=True, help="Every gene of the profile's annotation.")
@click.option("--cell", required=True, help="Cell type of the data profile (e.g. K562).")
@click.option("--profile", help="Data profile name (default: the only one configured).")
@click.option("--config", type=click.Path(path_type=Path), help="Profiles TOML file.")
@click.option("--model", "model_path", help="Model path or models/ name (default: profile's).")
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="Regions as narrowPeak (BED6+4); also writes <output>.tsv and .json.")
@click.option("-c", "--cutoff", type=float, help="Keep bases with mask >= CUTOFF.")
@click.option("--top-fraction", type=float,
              help="Keep this fraction of each window's bases (soft default: 0.1).")
@click.option("-l", "--min-length", type=int, help="Minimum region length in bp [100].")
@click.option("-g", "--max-gap", type=int, help="Merge regions closer than this (bp) [50].")
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
@click.option("--device", help="cpu, cuda, cuda:1 ... (default: CUDA when available).")
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
         cutoff: float | None, top_fraction: float | None, min_length: int | None,
         max_gap: int | None, cutoff_analysis: bool, track: Path | None, trackline: bool,
         predict: bool, batch_size: int, precision: str, device: str | None, resume: bool,
         shard: str | None, engine: str | None, scheduler: str | None,
         workers: int | None) -> None:
    """Call the regions the model relies on for each gene: BED, TSV, JSON (and a track)."""
    from regfind.cli._run import run_call

    run_call(genes=list(genes), genes_file=genes_file, loci_bed=loci_bed, all_genes=all_genes,
             cell=cell, profile=profile, config=config, model_path=model_path, output=output,
             cutoff=cutoff, top_fraction=top_fraction, min_length=min_length, max_gap=max_gap,
             cutoff_analysis=cutoff_analysis, track=track, trackline=trackline,
             predict=predict, batch_size=batch_size, device=device, resume=resume,
             precision=precision,
             shard=shard, engine=engine, scheduler=scheduler, workers=workers)

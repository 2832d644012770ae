"""``regfind benchmark``: score methods against external ground truth (``crispr``, ...).

A click group so that other benchmarks (e.g. ``synthetic``) can join as sub-commands: each
sub-command imports its library module inside its body, like every other command.
"""

from __future__ import annotations

from pathlib import Path

import click

from regfind.cli._options import OUTPUT

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("benchmark")
def benchmark() -> None:
    """Score region-finding methods against ground truth."""


def _named_tracks(values: tuple[str, ...], option: str = "--score") -> dict[str, Path]:
    out: dict[str, Path] = {}
    for text in values:
        name, sep, path = text.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"expected NAME=FILE, got {text!r}", param_hint=option)
        if name in out:
            raise click.BadParameter(f"method {name!r} given twice", param_hint=option)
        if not Path(path).is_file():
            raise click.BadParameter(f"{path} does not exist", param_hint=option)
        out[name] = Path(path)
    return out


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for text in values for v in text.split(",") if v.strip()]


@benchmark.command("crispr")
@click.option("--truth", type=_FILE,
              help="EPCrisprBenchmark TSV(.gz) (default: the copy `regfind fetch crispri` made).")
@click.option("--cell", default="K562", show_default=True, help="CellType of the pairs.")
@click.option("--genes", multiple=True, help="Genes to keep (comma-separated or repeated).")
@click.option("--methods", multiple=True,
              help="Methods to score (comma-separated): distance, dnase, h3k27ac, mask and the "
                   "names given with --score and --predictions [default: all available].")
@click.option("--mask-track", type=_FILE,
              help="bigWig of Seq2Exp mask means (regfind call --track): method 'mask'.")
@click.option("--score", "scores", multiple=True, metavar="NAME=FILE",
              help="Any other per-base bigWig (attribution, DNase...) as method NAME.")
@click.option("--predictions", "predictions", multiple=True, metavar="NAME=FILE",
              help="Enhancer-gene predictions (ENCODE-rE2G/ABC format: chr, start, end, "
                   "TargetGene, Score[, CellType]; e.g. regfind links) as method NAME.")
@click.option("--window", type=click.IntRange(min=2), default=200_000, show_default=True,
              help="Model window centred on the TSS (bp).")
@click.option("--aggregate", type=click.Choice(["mean", "max"]), default="mean",
              show_default=True, help="Track values over an element -> one score.")
@click.option("--bootstrap", "n_boot", type=click.IntRange(min=0), default=1000,
              show_default=True, help="Bootstrap resamples for the 95% intervals.")
@click.option("--ci", type=click.Choice(["BCa", "percentile"]), default="BCa",
              show_default=True, help="Bootstrap interval (BCa as CRISPR_comparison).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the bootstrap.")
@click.option("--json", "json_out", type=OUTPUT,
              help="Also write metrics and window reach as JSON.")
@click.option("--reach-table", type=OUTPUT,
              help="Write the per-gene window reach as TSV.")
def crispr(truth: Path | None, cell: str, genes: tuple[str, ...], methods: tuple[str, ...],
           mask_track: Path | None, scores: tuple[str, ...], predictions: tuple[str, ...],
           window: int, aggregate: str, n_boot: int, ci: str, seed: int,
           json_out: Path | None, reach_table: Path | None) -> None:
    """AUPRC and precision at 70% recall on the K562 CRISPRi element-gene pairs."""
    from regfind._files import atomic_write
    from regfind.evaluate.benchmark import crispr_benchmark

    tracks = _named_tracks(scores)
    preds = _named_tracks(predictions, "--predictions")
    if mask_track is not None:
        if "mask" in tracks:
            raise click.UsageError("give the mask either as --mask-track or --score mask=...")
        tracks = {"mask": mask_track, **tracks}
    result = crispr_benchmark(truth, cell=cell, genes=_split(genes) or None,
                              methods=_split(methods) or None, tracks=tracks,
                              predictions=preds, window=window,
                              aggregate=aggregate, n_boot=n_boot, seed=seed, ci=ci)
    click.echo(result.format_reach())
    click.echo(result.format_metrics(), nl=False)
    if json_out is not None:
        result.to_json(json_out)
        click.echo(f"wrote {json_out}", err=True)
    if reach_table is not None:
        with atomic_write(reach_table) as tmp:
            result.reach.to_csv(tmp, sep="\t", index=False)
        click.echo(f"wrote {reach_table}", err=True)


def _register_synthetic() -> None:
    from regfind.cli.benchmark_retrain_cmd import retrain
    from regfind.cli.benchmark_synthetic_cmd import synthetic

    benchmark.add_command(synthetic)
    benchmark.add_command(retrain)


_register_synthetic()

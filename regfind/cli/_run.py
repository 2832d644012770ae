"""Bodies of the heavier CLI commands (imported only when such a command runs)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from regfind.errors import ConfigError, DataError


def _gene_list(genes: list[str], genes_file: Path | None, all_genes: bool,
               sources: Any, has_loci: bool) -> list[str]:
    out = list(genes)
    if genes_file is not None:
        out += [ln.split()[0] for ln in genes_file.read_text().splitlines()
                if ln.strip() and not ln.startswith("#")]
    if all_genes:
        if sources.annotation is None:
            raise ConfigError("--all-genes needs an annotation in the profile")
        out += [g.label for g in sources.annotation.genes]
    if not out and not has_loci:
        raise click.UsageError("give --gene, --genes FILE, --loci BED or --all-genes")
    return list(dict.fromkeys(out))


def run_call(*, genes: list[str], genes_file: Path | None, loci_bed: Path | None,
             all_genes: bool, cell: str,
             profile: str | None, config: Path | None, model_path: str | None, output: Path,
             cutoff: float | None, top_fraction: float | None, min_length: int | None,
             max_gap: int | None, cutoff_analysis: bool, track: Path | None, trackline: bool,
             predict: bool, batch_size: int, device: str | None, resume: bool,
             precision: str = "fp32", shard: str | None = None, engine: str | None = None,
             scheduler: str | None = None, workers: int | None = None) -> None:
    """Run ``regfind call`` (see its help)."""
    from tqdm import tqdm

    from regfind.calling import call, loci_from_bed
    from regfind.context import open_run

    if shard is not None and engine is not None:
        raise click.UsageError("--shard and --engine do not combine: shards are for schedulers "
                               "that start one process per shard")
    if engine is not None:
        from regfind.scale import import_distributed

        import_distributed()
    ctx = open_run(cell, profile=profile, config=config, model=model_path)
    sources, model = ctx.sources, ctx.model
    names = _gene_list(genes, genes_file, all_genes, sources, loci_bed is not None)
    loci = loci_from_bed(loci_bed, sources, model.config.seq_range) if loci_bed else []
    rules = {"cutoff": cutoff, "top_fraction": top_fraction, "min_length": min_length,
             "max_gap": max_gap}
    run = _Run(cell, sources, model, names, loci, rules, batch_size, device, predict, precision)
    if shard is not None:
        return _run_shard(run, shard, output, resume, _progress_bar(tqdm, len(names + loci)))
    workdir = output.with_name(output.name + ".parts")
    if workdir.exists() and not resume:
        shutil.rmtree(workdir)
    keep = track is not None or cutoff_analysis
    if engine is not None:
        spec = {k: v for k, v in ctx.worker_spec().items() if k != "cell"}
        result = _run_engine(run, spec, workdir, keep, scheduler, workers)
    else:
        bar = _progress_bar(tqdm, len(names) + len(loci))
        result = call(names, cell, loci=loci, sources=sources, model=model, **rules,
                      batch_size=batch_size, device=device, predict=predict,
                      precision=precision, keep_masks=keep, workdir=workdir, progress=bar)
    _check_not_empty(result, len(names) + len(loci), workdir)
    _write_outputs(result, output, track, trackline, sources.genome.chrom_sizes)
    shutil.rmtree(workdir, ignore_errors=True)
    if cutoff_analysis:
        _print_cutoff_analysis(result)
    _report(result, output)


@dataclass
class _Run:
    """What every mode of ``regfind call`` shares."""

    cell: str
    sources: Any
    model: Any
    names: list[str]
    loci: list[Any]
    rules: dict[str, Any]
    batch_size: int
    device: str | None
    predict: bool
    precision: str = "fp32"

    def labels(self) -> list[str]:
        from regfind.calling import gene_label

        return [gene_label(self.sources, g) for g in self.names] + [loc.gene for loc in self.loci]

    def plan(self, shard: tuple[int, int] = (0, 1)) -> dict[str, Any]:
        from regfind.regions import CallParams
        from regfind.shards import make_plan

        params = CallParams.default(self.model.config.variant, **self.rules)
        names = self.names + [loc.gene for loc in self.loci]
        return make_plan(self.model, self.sources, self.cell, params, names, self.labels(),
                         self.predict, shard)


def _run_shard(run: _Run, shard: str, output: Path, resume: bool, bar: Any) -> None:
    from regfind.calling import call
    from regfind.shards import parse_shard, shard_dir, shard_positions, write_manifest

    index, count = parse_shard(shard)
    plan = run.plan((index, count))
    mine = shard_positions(plan["labels"], index, count)
    directory = shard_dir(output, index, count)
    if directory.exists() and not resume:
        shutil.rmtree(directory)
    write_manifest(directory, plan)
    genes = [run.names[k] for k in mine if k < len(run.names)]
    loci = [run.loci[k - len(run.names)] for k in mine if k >= len(run.names)]
    skipped: list[tuple[str, str]] = []
    if genes or loci:
        result = call(genes, run.cell, loci=loci, sources=run.sources, model=run.model,
                      **run.rules, batch_size=run.batch_size, device=run.device,
                      predict=run.predict, precision=run.precision, keep_masks=False,
                      workdir=directory, progress=bar)
        skipped = result.skipped
    write_manifest(directory, plan, skipped=skipped, complete=True)
    click.echo(f"shard {index}/{count}: {len(mine)} genes ({len(skipped)} skipped) stored in "
               f"{directory}; when every shard is done: regfind merge -o {output}", err=True)


def _run_engine(run: _Run, spec: dict[str, Any], workdir: Path, keep: bool,
                scheduler: str | None, workers: int | None) -> Any:
    from regfind.scale import WorkerSpec, run_chunks
    from regfind.shards import merge, write_manifest

    plan = run.plan()
    write_manifest(workdir, plan)
    worker = WorkerSpec(cell=run.cell, workdir=str(workdir.resolve()), **spec, **run.rules,
                        batch_size=run.batch_size, device=run.device, predict=run.predict,
                        precision=run.precision)
    skipped = run_chunks([*run.names, *run.loci], worker, labels=plan["labels"],
                         address=scheduler, n_workers=workers)
    write_manifest(workdir, plan, skipped=skipped, complete=True)
    return merge([workdir], keep_masks=keep)[0]


def run_merge(dirs: list[Path], output: Path, track: Path | None, trackline: bool) -> None:
    """Run ``regfind merge`` (see its help)."""
    from regfind.shards import merge

    if not dirs:
        dirs = sorted(output.parent.glob(f"{output.name}.shard-*-of-*"))
        if not dirs:
            raise click.UsageError(f"no shard directories given and none found next to {output} "
                                   f"({output.name}.shard-I-of-N)")
    result, chrom_sizes = merge(dirs, keep_masks=track is not None)
    _write_outputs(result, output, track, trackline, chrom_sizes)
    _report(result, output)


def _write_outputs(result: Any, output: Path, track: Path | None, trackline: bool,
                   chrom_sizes: dict[str, int]) -> None:
    from regfind.calling import write_sidecar

    outputs = {"bed": str(output), "tsv": str(output) + ".tsv"}
    result.to_bed(output, trackline=trackline)
    result.to_tsv(outputs["tsv"])
    if track is not None:
        result.to_track(track, chrom_sizes)
        outputs["track"] = str(track)
    write_sidecar(result, str(output) + ".json", outputs)


def _progress_bar(tqdm: Any, total: int) -> Any:
    def wrap(items: Any) -> Any:
        return tqdm(items, total=total, unit="gene", desc="regfind call", leave=False,
                    disable=None)
    return wrap


def _print_cutoff_analysis(result: Any) -> None:
    import numpy as np

    from regfind.intervals import cutoff_analysis, cutoff_analysis_tsv

    p = result.params
    gap = np.full(p.max_gap + 1, np.nan, dtype=np.float32)  # windows never merge across genes
    track = np.concatenate([x for m in result.masks for x in (m.mask, gap)])
    table = cutoff_analysis(track, p.min_length, p.max_gap)
    click.echo(cutoff_analysis_tsv(table), nl=False)


def _check_not_empty(result: Any, requested: int, workdir: Path) -> None:
    """Refuse to write outputs when every requested gene was skipped (nothing was called)."""
    if requested and len(result.skipped) >= requested:
        shutil.rmtree(workdir, ignore_errors=True)
        gene, reason = result.skipped[0]
        more = f" (and {requested - 1} more skipped)" if requested > 1 else ""
        raise DataError(f"no gene could be called; nothing written. {gene}: {reason}{more}")


def _report(result: Any, output: Path) -> None:
    click.echo(f"{result!r}", err=True)
    click.echo(f"wrote {output} (+ .tsv, .json)", err=True)
    for gene, reason in result.skipped:
        click.echo(f"skipped {gene}: {reason}", err=True)

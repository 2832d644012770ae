"""Bodies of the heavier CLI commands (imported only when such a command runs)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from regfind.errors import ConfigError


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
             predict: bool, batch_size: int, device: str | None, resume: bool) -> None:
    """Run ``regfind call`` (see its help)."""
    from tqdm import tqdm

    from regfind.call import call, loci_from_bed, resolve_model_path, write_sidecar
    from regfind.model.checkpoint import load_model
    from regfind.profiles import get_profile

    prof = get_profile(profile, config)
    sources = prof.sources(cell)
    model_name = model_path or prof.cell(cell).model
    if model_name is None:
        raise ConfigError(f"no model for cell type {cell!r}: pass --model or set 'model' for "
                          "the cell type in the profile")
    model = load_model(resolve_model_path(model_name), device="cpu")
    names = _gene_list(genes, genes_file, all_genes, sources, loci_bed is not None)
    loci = loci_from_bed(loci_bed, sources, model.config.seq_range) if loci_bed else []
    workdir = output.with_name(output.name + ".parts")
    if workdir.exists() and not resume:
        shutil.rmtree(workdir)
    bar = _progress_bar(tqdm, len(names) + len(loci))
    result = call(names, cell, loci=loci, sources=sources, model=model, cutoff=cutoff,
                  top_fraction=top_fraction, min_length=min_length, max_gap=max_gap,
                  batch_size=batch_size, device=device, predict=predict,
                  keep_masks=track is not None or cutoff_analysis, workdir=workdir,
                  progress=bar)
    outputs = {"bed": str(output), "tsv": str(output) + ".tsv"}
    result.to_bed(output, trackline=trackline)
    result.to_tsv(outputs["tsv"])
    if track is not None:
        result.to_track(track, sources.genome.chrom_sizes)
        outputs["track"] = str(track)
    write_sidecar(result, str(output) + ".json", outputs)
    shutil.rmtree(workdir, ignore_errors=True)
    if cutoff_analysis:
        _print_cutoff_analysis(result)
    _report(result, output)


def _progress_bar(tqdm: Any, total: int) -> Any:
    def wrap(items: Any) -> Any:
        return tqdm(items, total=total, unit="gene", desc="regfind call", leave=False,
                    disable=None)
    return wrap


def _print_cutoff_analysis(result: Any) -> None:
    import numpy as np

    from regfind.intervals import cutoff_analysis

    p = result.params
    gap = np.full(p.max_gap + 1, np.nan, dtype=np.float32)  # windows never merge across genes
    track = np.concatenate([x for m in result.masks for x in (m.mask, gap)])
    table = cutoff_analysis(track, p.min_length, p.max_gap)
    click.echo(table.to_csv(sep="\t", index=False, float_format="%.4g"), nl=False)


def _report(result: Any, output: Path) -> None:
    click.echo(f"{result!r}", err=True)
    click.echo(f"wrote {output} (+ .tsv, .json)", err=True)
    for gene, reason in result.skipped:
        click.echo(f"skipped {gene}: {reason}", err=True)

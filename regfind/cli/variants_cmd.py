"""``regfind variants``: predicted effects of variants on expression and on called regions."""

from __future__ import annotations

from pathlib import Path

import click

from regfind.cli._options import OUTPUT

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("variants", type=_FILE)
@click.option("--cell", required=True, help="Cell type of the data profile (e.g. K562, demo).")
@click.option("--gene", "genes", multiple=True,
              help="Score against this gene only (repeatable) [default: every gene whose "
                   "window holds the variant].")
@click.option("--genes", "genes_file", type=_FILE, help="File with one gene per line.")
@click.option("--profile", help="Data profile name (default: the one defining --cell).")
@click.option("--config", type=click.Path(path_type=Path), help="Profiles TOML file.")
@click.option("--model", "model_path", help="Model path, zoo or models/ name (default: profile's).")
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="Effects table (TSV), sorted by |delta_pred|.")
@click.option("--vcf-out", type=OUTPUT,
              help="Also write the input VCF with a REGFIND INFO field (.vcf.gz: bgzipped).")
@click.option("-c", "--cutoff", type=float, help="Keep bases with mask >= CUTOFF.")
@click.option("--top-fraction", type=float,
              help="Keep this fraction of each window's bases (soft default: 0.1).")
@click.option("-l", "--min-length", type=int, help="Minimum region length in bp [100].")
@click.option("-g", "--max-gap", type=int, help="Merge regions closer than this (bp) [50].")
@click.option("--max-allele", type=click.IntRange(min=1), default=50, show_default=True,
              help="Longest REF or ALT allele scored (bp); longer ones are skipped.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Windows per model call.")
@click.option("--precision", type=click.Choice(["fp32", "bf16-official"]), default="fp32",
              show_default=True, help="bf16-official: the official run's numerics (GPUs).")
@click.option("--device", help="cpu, cuda, cuda:1 ... (default: CUDA when available).")
@click.option("--resume", is_flag=True,
              help="Reuse genes finished by an earlier run of the same command "
                   "(stored in OUTPUT.parts/).")
def variants(variants: Path, cell: str, genes: tuple[str, ...], genes_file: Path | None,
             profile: str | None, config: Path | None, model_path: str | None, output: Path,
             vcf_out: Path | None, cutoff: float | None, top_fraction: float | None,
             min_length: int | None, max_gap: int | None, max_allele: int, batch_size: int,
             precision: str, device: str | None, resume: bool) -> None:
    """Score VARIANTS (VCF, VCF.gz or TSV chrom/pos/ref/alt): expression and regions, REF vs ALT."""
    import shutil

    from tqdm import tqdm

    from regfind.io.variants import is_vcf
    from regfind.variants import variant_effects, write_effects

    if vcf_out is not None and not is_vcf(variants):
        raise click.UsageError("--vcf-out needs a VCF input")
    names = list(genes)
    if genes_file is not None:
        names += [ln.split()[0] for ln in genes_file.read_text().splitlines()
                  if ln.strip() and not ln.startswith("#")]

    def bar(items: object) -> object:
        return tqdm(items, unit="window", desc="regfind variants", leave=False, disable=None)

    workdir = output.with_name(output.name + ".parts")
    if workdir.exists() and not resume:
        shutil.rmtree(workdir)
    table = variant_effects(variants, cell, genes=names or None, profile=profile,
                            config=config, model=model_path, cutoff=cutoff,
                            top_fraction=top_fraction, min_length=min_length, max_gap=max_gap,
                            max_allele=max_allele, batch_size=batch_size, device=device,
                            precision=precision, workdir=workdir, progress=bar)
    write_effects(table, output)
    shutil.rmtree(workdir, ignore_errors=True)
    counts = table.attrs["counts"]
    click.echo(f"{counts['variants']} variant alleles: {counts['scored']} scored "
               f"({int((table['status'] == 'scored').sum())} variant x gene rows), "
               f"{counts['ref_mismatch']} REF mismatches, {counts['skipped']} skipped, "
               f"{counts['outside']} outside every window", err=True)
    click.echo(f"wrote {output}", err=True)
    if vcf_out is not None:
        from regfind.io.variants import write_vcf_info

        write_vcf_info(variants, vcf_out, table)
        click.echo(f"wrote {vcf_out}", err=True)

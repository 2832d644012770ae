"""``regfind variants``: predicted effects of variants on expression and on called regions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from regfind.cli._options import OUTPUT, rule_options, run_options

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("variants", type=_FILE)
@run_options
@click.option("--gene", "genes", multiple=True,
              help="Score against this gene only (repeatable) [default: every gene whose "
                   "window holds the variant].")
@click.option("--genes", "genes_file", type=_FILE, help="File with one gene per line.")
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="Effects table (TSV), sorted by |delta_pred|.")
@click.option("--vcf-out", type=OUTPUT,
              help="Also write the input VCF with a REGFIND INFO field (.vcf.gz: bgzipped).")
@rule_options()
@click.option("--max-allele", type=click.IntRange(min=1), default=50, show_default=True,
              help="Longest REF or ALT allele scored (bp); longer ones are skipped.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Windows per model call.")
@click.option("--precision", type=click.Choice(["fp32", "bf16-official"]), default="fp32",
              show_default=True, help="bf16-official: the official run's numerics (GPUs).")
@click.option("--resume", is_flag=True,
              help="Reuse genes finished by an earlier run of the same command "
                   "(stored in OUTPUT.parts/).")
def variants(variants: Path, cell: str, profile: str | None, config: Path | None,
             model_path: str | None, device: str | None, genes: tuple[str, ...],
             genes_file: Path | None, output: Path, vcf_out: Path | None, rules: Any,
             max_allele: int, batch_size: int, precision: str, resume: bool) -> None:
    """Score VARIANTS: expression and regions, REF against ALT.

    VARIANTS is a VCF, a VCF.gz, or a TSV whose header row names the columns chrom, pos, ref and
    alt (pos 1-based, as in a VCF).
    """
    import shutil

    from tqdm import tqdm

    from regfind.calling.variants import variant_effects, write_effects
    from regfind.io.variants import is_vcf

    if vcf_out is not None and not is_vcf(variants):
        raise click.UsageError("--vcf-out needs a VCF input")
    names = list(genes)
    if genes_file is not None:
        from regfind.io.text import read_gene_list

        names += read_gene_list(genes_file)

    def bar(items: object) -> object:
        return tqdm(items, unit="window", desc="regfind variants", leave=False, disable=None)

    workdir = output.with_name(output.name + ".parts")
    if workdir.exists() and not resume:
        shutil.rmtree(workdir)
    table = variant_effects(variants, cell, genes=names or None, profile=profile,
                            config=config, model=model_path, rules=rules,
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

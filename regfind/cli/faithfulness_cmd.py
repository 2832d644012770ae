"""``regfind faithfulness``: deletion/insertion curves of the mask, attributions and peaks."""

from __future__ import annotations

from pathlib import Path

import click

from regfind.cli._options import OUTPUT, run_options

_METHODS = "mask, random, saliency, input_x_gradient, integrated_gradients, ism"
_OUT = OUTPUT


def _peaks(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
           ) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in values:
        name, sep, path = text.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"expected NAME=FILE, got {text!r}", ctx, param)
        out[name] = path
    return out


def _fractions(ctx: click.Context, param: click.Parameter, value: str | None
               ) -> list[float] | None:
    if value is None:
        return None
    try:
        return [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}", ctx,
                                 param) from None


@click.command("faithfulness")
@click.option("--gene", "genes", multiple=True, help="Gene symbol or Ensembl ID (repeatable).")
@click.option("--genes", "genes_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="File with one gene per line.")
@run_options
@click.option("--method", "methods", multiple=True,
              help=f"Scoring method (repeatable): {_METHODS} [mask without --peaks].")
@click.option("--peaks", multiple=True, callback=_peaks, metavar="NAME=FILE",
              help="Peaks as a method (repeatable): BED/narrowPeak; score = signalValue, "
                   "else BED score, else 1 inside peaks; outside peaks ranked last.")
@click.option("--fractions", callback=_fractions, metavar="F1,F2,...",
              help="Fractions of bases removed/kept [0,0.01,0.02,0.05,0.1,0.2,0.5,1]; "
                   "0 and 1 are always added.")
@click.option("--gating", is_flag=True,
              help="Instead of curves: how much scaling the mask outside the promoter by each "
                   "of --factors removes of the deletion effect (does the mask gate?).")
@click.option("--factors", callback=_fractions, metavar="F1,F2,...",
              help="Mask factors for --gating [0.5,0.1,0.01,0.001]; 0 and 1 are always added.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seeds ranking ties, 'random' and attribution shuffles.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Perturbed windows per forward pass.")
@click.option("-o", "--output", type=_OUT, help="Long curve table (TSV, with a gene column).")
@click.option("--mean-curves", type=_OUT,
              help="Mean normalised curves (TSV) for regfind plot faithfulness.")
@click.option("--json", "json_out", type=_OUT,
              help="Summary, per-gene areas and settings as JSON.")
def faithfulness(genes: tuple[str, ...], genes_file: Path | None, cell: str,
                 profile: str | None, config: Path | None, model_path: str | None,
                 device: str | None, methods: tuple[str, ...], peaks: dict[str, str],
                 fractions: list[float] | None,
                 gating: bool, factors: list[float] | None, seed: int, batch_size: int,
                 output: Path | None,
                 mean_curves: Path | None, json_out: Path | None) -> None:
    """Remove (deletion) or keep only (insertion) each method's top-ranked bases, re-predict.

    Prints per method the mean area under each curve over the genes, raw and normalised per
    gene to [promoter only, full window] (see docs/compare.md).
    """
    from regfind.cli._look import gene_names
    from regfind.evaluate.faithfulness_genes import FRACTIONS, check_methods, faithfulness_genes

    names = gene_names(genes, genes_file)
    if gating:
        _gating(names, cell, profile, config, model_path, factors, device, output, json_out,
                bool(methods or peaks or fractions or mean_curves))
        return
    chosen = list(methods) or ([] if peaks else ["mask"])
    check_methods(chosen, peaks)
    result = faithfulness_genes(names, cell, chosen, peaks=peaks, profile=profile,
                                config=config, model=model_path,
                                fractions=fractions or FRACTIONS, seed=seed,
                                batch_size=batch_size, device=device, progress=_bar(len(names)))
    _write(result, output, mean_curves, json_out)
    click.echo(result.format_summary(), nl=False)


def _gating(names: list[str], cell: str, profile: str | None, config: Path | None,
            model_path: str | None, factors: list[float] | None, device: str | None,
            output: Path | None, json_out: Path | None, curve_options: bool) -> None:
    from regfind.evaluate.gating import FACTORS, gating_genes

    if curve_options:
        raise click.UsageError("--gating takes --factors, -o and --json; --method, --peaks, "
                               "--fractions and --mean-curves belong to the curves")
    result = gating_genes(names, cell, factors=factors or FACTORS, profile=profile,
                          config=config, model=model_path, device=device,
                          progress=_bar(len(names)))
    if output is not None:
        result.to_tsv(output)
        click.echo(f"wrote {output}", err=True)
    if json_out is not None:
        result.to_json(json_out)
        click.echo(f"wrote {json_out}", err=True)
    click.echo(result.format_summary(), nl=False)


def _bar(total: int):  # noqa: ANN202 - tqdm is imported lazily
    from tqdm import tqdm

    def wrap(items):  # noqa: ANN001, ANN202
        return tqdm(items, total=total, unit="gene", desc="regfind faithfulness", leave=False,
                    disable=None)
    return wrap


def _write(result, output: Path | None, mean_curves: Path | None,  # noqa: ANN001
           json_out: Path | None) -> None:
    from regfind._files import atomic_write

    if output is not None:
        result.to_tsv(output)
        click.echo(f"wrote {output}", err=True)
    if mean_curves is not None:
        with atomic_write(mean_curves) as tmp:
            result.mean_curves().to_csv(tmp, sep="\t", index=False, float_format="%.9g")
        click.echo(f"wrote {mean_curves}", err=True)
    if json_out is not None:
        result.to_json(json_out)
        click.echo(f"wrote {json_out}", err=True)

"""``regfind model info|convert``: inspect and convert Seq2Exp checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import click

from regfind.cli._options import OUTPUT_DIR


@click.group()
def model() -> None:
    """Inspect and convert Seq2Exp checkpoints (official .ckpt or regfind's format)."""


@model.command()
@click.argument("checkpoint")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def info(checkpoint: str, as_json: bool) -> None:
    """Print the variant, dimensions, window, cell type and training config of CHECKPOINT.

    CHECKPOINT is a path, a zoo name or a folder under models/ (as for ``--model``).
    """
    from regfind.model.context import resolve_model
    from regfind.model.describe import describe, short_value

    summary = describe(resolve_model(checkpoint))
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True, default=str))
        return
    for key, value in summary.items():
        if isinstance(value, dict):
            click.echo(f"{key}:")
            for sub, sub_value in value.items():
                click.echo(f"  {sub}: {short_value(sub, sub_value)}")
        else:
            click.echo(f"{key}: {value}")


@model.command()
@click.argument("checkpoint")
@click.option("-o", "--output", "output", required=True, type=OUTPUT_DIR,
              help="Directory to write (model.safetensors + model.json).")
def convert(checkpoint: str, output: Path) -> None:
    """Convert CHECKPOINT (strictly loaded) to regfind's safetensors format in OUTPUT.

    CHECKPOINT is a path, a zoo name or a folder under models/ (as for ``--model``).
    """
    from regfind.model.checkpoint import load_model, save_model
    from regfind.model.context import resolve_model

    loaded = load_model(resolve_model(checkpoint), device="cpu")
    provenance = {"converted_from": str(checkpoint), **loaded.source}
    save_model(loaded, output, provenance=provenance)
    click.echo(f"wrote {output} ({loaded.config.variant} variant, "
               f"sha256 of source {loaded.source['sha256'][:16]}...)")

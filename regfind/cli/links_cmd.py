"""``regfind links``: a call's regions as enhancer–gene links (ENCODE-rE2G/ABC, UCSC interact)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from regfind.cli._options import OUTPUT

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _call_cell(call: Path) -> str:
    """Return the cell type recorded in the call's sidecar (``<bed>.json``)."""
    for side in (call.with_name(call.name + ".json"),
                 call.with_name(call.name.removesuffix(".tsv") + ".json")):
        if side.is_file():
            try:
                return str(json.loads(side.read_text())["cell"])
            except (ValueError, KeyError):
                continue
    raise click.UsageError(f"no cell type recorded next to {call} (<call>.json): give --cell")


@click.command()
@click.argument("call", type=_FILE)
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="Links in the ENCODE-rE2G/ABC columns (TSV; .gz: gzip).")
@click.option("--interact", type=OUTPUT,
              help="Also write the links as a UCSC interact file (arcs region -> TSS).")
@click.option("--cell", help="CellType column [default: the cell of the call's .json].")
@click.option("--score", default="mean_mask", show_default=True,
              type=click.Choice(["mean_mask", "max_mask", "prob_selected", "signalValue"]),
              help="Call statistic written as Score.")
@click.option("--no-promoters", is_flag=True,
              help="Leave out the promoter regions (forced into every mask).")
def links(call: Path, output: Path, interact: Path | None, cell: str | None, score: str,
          no_promoters: bool) -> None:
    """Write the regions of CALL (regfind call's BED or its .tsv) as enhancer-gene links."""
    from regfind.calling.links import links as make_links
    from regfind.calling.links import read_call, write_interact, write_links

    regions = read_call(call)
    table = make_links(regions, cell or _call_cell(call), score=score,
                       promoters=not no_promoters)
    write_links(table, output)
    click.echo(f"{len(table)} links ({table['TargetGene'].nunique()} genes); wrote {output}",
               err=True)
    if interact is not None:
        write_interact(table, interact)
        click.echo(f"wrote {interact}", err=True)

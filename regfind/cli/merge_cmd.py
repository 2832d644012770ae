"""``regfind merge``: join the shards of ``regfind call --shard`` into one output."""

from __future__ import annotations

from pathlib import Path

import click

from regfind.cli._options import OUTPUT


@click.command()
@click.argument("dirs", nargs=-1, type=click.Path(exists=True, file_okay=False,
                                                  path_type=Path))
@click.option("-o", "--output", required=True, type=OUTPUT,
              help="Regions as narrowPeak (BED6+4); also writes <output>.tsv and .json.")
@click.option("--track", type=OUTPUT,
              help="Write the masks as bigWig (.bw) or bedGraph; overlaps take the maximum.")
@click.option("--trackline", is_flag=True, help="Start the BED with a UCSC track line.")
def merge(dirs: tuple[Path, ...], output: Path, track: Path | None, trackline: bool) -> None:
    """Merge shard directories (default: OUTPUT.shard-*-of-*) into one sorted BED, TSV, JSON.

    The result is the one a single ``regfind call`` over all genes writes.
    """
    from regfind.cli._run import run_merge

    run_merge(list(dirs), output, track, trackline)

"""``regfind call`` and ``regfind merge``: options to :mod:`regfind.calling.files`, messages out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def _say(message: str) -> None:
    click.echo(message, err=True)


def run_call(*, output: Path, cutoff_analysis: bool, **options: Any) -> None:
    """Run ``regfind call`` (see its help): :func:`regfind.calling.files.call_to_files`."""
    from regfind.calling.files import call_to_files, cutoff_table

    if options.get("shard") is not None and options.get("engine") is not None:
        raise click.UsageError("--shard and --engine do not combine: shards are for schedulers "
                               "that start one process per shard")
    if not (options.get("genes") or options.get("genes_file") or options.get("loci_bed")
            or options.get("all_genes")):
        raise click.UsageError("give --gene, --genes FILE, --loci BED or --all-genes")
    result = call_to_files(output, keep_masks=cutoff_analysis, notify=_say, **options)
    if result is None:  # a shard: its message was said
        return
    if cutoff_analysis:
        from regfind.intervals.caller import cutoff_analysis_tsv

        click.echo(cutoff_analysis_tsv(cutoff_table(result)), nl=False)
    _report(result, output, options.get("track"))


def run_merge(dirs: list[Path], output: Path, track: Path | None, trackline: bool) -> None:
    """Run ``regfind merge`` (see its help): :func:`regfind.calling.files.merge_to_files`."""
    from regfind.calling.files import merge_to_files

    _report(merge_to_files(dirs, output, track=track, trackline=trackline), output, track)


def _report(result: Any, output: Path, track: Path | None = None) -> None:
    click.echo(f"{result!r}", err=True)
    click.echo(f"wrote {output} (+ .tsv, .json)" + (f" and {track}" if track else ""), err=True)
    for gene, reason in result.skipped:
        click.echo(f"skipped {gene}: {reason}", err=True)

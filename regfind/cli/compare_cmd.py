"""``regfind compare``: bp Jaccard, region precision/recall, mask mass, enrichment, UpSet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from regfind.cli._options import OUTPUT

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("compare")
@click.argument("beds", nargs=-1, required=True, type=_FILE)
@click.option("--name", "names", multiple=True,
              help="Name of each set, in order (default: the file names without extensions).")
@click.option("--truth", type=_FILE, help="Reference regions: precision/recall/F1 per set.")
@click.option("--within-windows", "windows", type=_FILE,
              help="Restrict to these windows and shuffle inside them for the enrichment "
                   "test: a BED of windows, or a call (its BED, .tsv or .json) for the gene "
                   "windows it looked at.")
@click.option("--mask-track", type=_FILE,
              help="bigWig of mask means (regfind call --track): fraction of mask mass per set.")
@click.option("--reciprocal", type=click.FloatRange(0, 1, min_open=True), default=0.5,
              show_default=True, help="Reciprocal-overlap fraction of the *_reciprocal columns.")
@click.option("--permutations", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Shuffles of the enrichment test (needs --within-windows; 0 skips it).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the shuffles.")
@click.option("--json", "json_out", type=OUTPUT,
              help="Also write the tables (and settings) as JSON.")
def compare(beds: tuple[Path, ...], names: tuple[str, ...], truth: Path | None,
            windows: Path | None, mask_track: Path | None, reciprocal: float,
            permutations: int, seed: int, json_out: Path | None) -> None:
    """Compare region sets BEDS (BED3+, narrowPeak, broadPeak; 0-based half-open)."""
    from regfind.evaluate.compare import compare as run
    from regfind.intervals.macs3 import read_peaks

    labels = _labels(beds, names)
    win = _windows(windows, beds, truth)
    result = run({n: read_peaks(p) for n, p in zip(labels, beds, strict=True)},
                 truth=read_peaks(truth) if truth else None,
                 windows=win, mask_track=mask_track,
                 reciprocal=reciprocal, permutations=permutations, seed=seed)
    result.params["files"] = {n: str(p) for n, p in zip(labels, beds, strict=True)}
    result.params["truth"] = str(truth or "")
    result.params["windows"] = str(windows or "")
    click.echo(result.format_tables())
    click.echo(result.format_upset(), nl=False)
    if json_out is not None:
        result.to_json(json_out)
        click.echo(f"wrote {json_out}", err=True)


def _windows(path: Path | None, beds: tuple[Path, ...], truth: Path | None) -> Any:
    """Return the windows to restrict to (a BED or a call's gene windows); say which."""
    from regfind.calling.api import read_call_windows
    from regfind.intervals.macs3 import read_peaks

    if path is None:
        calls = [(b, w) for b in beds if (w := read_call_windows(b)) is not None]
        if truth is not None and calls:
            bed, win = calls[0]
            click.echo(f"note: recall against {truth.name} counts its regions genome-wide; "
                       f"{bed.name} was called in {len(win)} gene window(s): add "
                       f"--within-windows {bed} to count only the truth inside them", err=True)
        return None
    win = read_call_windows(path)
    if win is not None:
        click.echo(f"windows: the {len(win)} gene window(s) of the call {path.name} "
                   f"({int((win['end'] - win['start']).sum()):,} bp)", err=True)
        return win
    win = read_peaks(path)
    click.echo(f"windows: {len(win)} region(s) of {path.name}", err=True)
    return win


def _labels(beds: tuple[Path, ...], names: tuple[str, ...]) -> list[str]:
    """Set names: the given ones, else unique file stems."""
    if names:
        if len(names) != len(beds):
            raise click.UsageError(f"--name given {len(names)} times for {len(beds)} files")
        if len(set(names)) != len(names):
            raise click.UsageError("--name values must be unique")
        return list(names)
    stems = [p.name.split(".")[0] or p.name for p in beds]
    if len(set(stems)) == len(stems):
        return stems
    return [f"{s}#{i + 1}" for i, s in enumerate(stems)]

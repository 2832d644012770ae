"""``regfind peaks``: call regions on any score track (bigWig or bedGraph), MACS3-style."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import numpy as np

from regfind.cli._options import OUTPUT


def _default_output(track: Path, cutoff: float | None, top: float | None, l: int, g: int) -> Path:  # noqa: E741
    """Return MACS3's naming, ``{stem}_c{cutoff}_l{minlen}_g{maxgap}_peaks.narrowPeak``."""
    stem = track.name.split(".")[0]
    tag = f"c{cutoff:g}" if cutoff is not None else f"top{top:g}"
    return Path(f"{stem}_{tag}_l{l}_g{g}_peaks.narrowPeak")


@click.command("peaks")
@click.argument("track", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-c", "--cutoff", type=float, help="Keep bases with value >= CUTOFF.")
@click.option("-l", "--min-length", type=click.IntRange(min=0), default=200, show_default=True,
              help="Drop regions shorter than this (bp).")  # fmt: skip
@click.option("-g", "--max-gap", type=click.IntRange(min=0), default=30, show_default=True,
              help="Merge kept runs separated by at most this many bp.")  # fmt: skip
@click.option("--top-fraction", type=click.FloatRange(0, 1, min_open=True),
              help="Instead of -c: keep this fraction of the bases (0.1 = top 10%).")  # fmt: skip
@click.option("--cutoff-analysis", is_flag=True,
              help="Write a table of regions / total bp / mean length per cutoff.")  # fmt: skip
@click.option("--cutoff-analysis-steps", type=click.IntRange(min=1), default=100,
              show_default=True, help="Number of cutoffs in --cutoff-analysis.")  # fmt: skip
@click.option("--call-summits", is_flag=True, help="One row per tied summit of each region.")
@click.option("--score-scale", type=float, default=None,
              help="BED score = trunc(SCALE x summit value), clamped to 0-1000 [default: "
                   "10 as macs3 bdgpeakcall writes; 1000 for a track within 0-1].")  # fmt: skip
@click.option("--name", "label", help="Prefix region names: NAME|chrom:start-end.")
@click.option("--trackline", is_flag=True, help="Start the output with a UCSC track line.")
@click.option("-o", "--output", type=OUTPUT,
              help="Output file [default: MACS3-style name in the current directory].")  # fmt: skip
def peaks(
    track: Path,
    cutoff: float | None,
    min_length: int,
    max_gap: int,
    top_fraction: float | None,
    cutoff_analysis: bool,
    cutoff_analysis_steps: int,
    call_summits: bool,
    score_scale: float | None,
    label: str | None,
    trackline: bool,
    output: Path | None,
) -> None:
    """Call regions on TRACK (bigWig or bedGraph) with macs3 bdgpeakcall's rules.

    A base is kept when its value is >= the cutoff; kept runs closer than --max-gap merge;
    regions shorter than --min-length are dropped; the summit is the maximum. Output is
    narrowPeak (BED6+4), sorted, in genome coordinates.
    """
    if not cutoff_analysis and (cutoff is None) == (top_fraction is None):
        raise click.UsageError("give exactly one of -c/--cutoff and --top-fraction")
    from regfind.intervals import caller as intervals
    from regfind.io.columns import write_narrowpeak_columns

    table = _read_track(track)
    if cutoff_analysis:
        result = intervals.cutoff_analysis(table, min_length, max_gap, steps=cutoff_analysis_steps)
        _write_analysis(result, output)
        return
    if score_scale is None:
        import numpy as np

        values = table["value"]
        top = float(np.nanmax(values)) if len(values) and np.isfinite(values).any() else 0.0
        score_scale = intervals.auto_score_scale(top)
    regions = intervals.call_bedgraph(
        table, cutoff, min_length, max_gap, top_fraction=top_fraction, label=label,
        call_summits=call_summits, score_scale=score_scale, as_frame=False,
    )  # fmt: skip
    output = output or _default_output(track, cutoff, top_fraction, min_length, max_gap)
    write_narrowpeak_columns(regions, output, trackline=trackline)
    click.echo(f"regfind peaks: {len(regions['start'])} regions written to {output}", err=True)


def _read_track(track: Path) -> dict[str, np.ndarray]:
    """Read a bigWig (by magic number) or a bedGraph as bedGraph columns.

    A bedGraph is read with numpy alone (:mod:`regfind.io.columns`): no pandas import.
    """
    from regfind.io.columns import read_bedgraph_columns
    from regfind.io.text import is_bigwig

    if is_bigwig(track):
        from regfind.io import bed

        table = bed.read_bigwig(track)[0]
        return {c: table[c].to_numpy() for c in table.columns}
    return read_bedgraph_columns(track)


def _write_analysis(result, output: Path | None) -> None:  # noqa: ANN001 - pandas DataFrame
    """Write the cutoff-analysis table as TSV to ``output`` (atomically) or stdout."""
    from regfind.intervals.caller import cutoff_analysis_tsv
    from regfind.io.bed import atomic_write

    text = cutoff_analysis_tsv(result)
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_write(output) as tmp:
        tmp.write_text(text)

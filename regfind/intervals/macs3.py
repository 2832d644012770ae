"""Peaks from MACS3: read its files, or run ``macs3 bdgpeakcall`` / ``macs3 callpeak``.

MACS3 is an optional dependency (``pip install macs3``); without it the runners raise
:class:`~regfind.errors.DependencyError` with the install hint, and reading files still works.
Every run returns the exact command line so it can be recorded in a provenance sidecar.
Coordinates are those of the files: 0-based, half-open (BED).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from regfind.errors import DataError, DependencyError

__all__ = ["macs3_executable", "read_peaks", "run_bdgpeakcall", "run_callpeak"]


def read_peaks(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a narrowPeak, broadPeak or any BED3+ file (columns named by their count).

    Returns
    -------
    pandas.DataFrame
        ``chrom, start, end`` first (int64 coordinates, 0-based half-open), then whatever the
        file has (see :func:`regfind.io.bed.read_bed`).
    """
    from regfind.io.bed import read_bed

    return read_bed(path)


def macs3_executable() -> str:
    """Return the ``macs3`` program (on PATH or next to this Python), or raise."""
    found = shutil.which("macs3") or shutil.which("macs3", path=str(Path(sys.executable).parent))
    if found is None:
        raise DependencyError("macs3 is not installed: pip install 'macs3>=3.0' (or install "
                              "regfind[macs3]); regfind peaks runs the same rules without it")
    return found


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise DataError(f"macs3 failed (exit {proc.returncode}): {' '.join(args)}\n"
                        f"{proc.stderr.strip()[-2000:]}")


def run_bdgpeakcall(track: str | os.PathLike[str] | pd.DataFrame, cutoff: float,
                    min_length: int, max_gap: int, *,
                    windows: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Call peaks on a signal track with ``macs3 bdgpeakcall``.

    Parameters
    ----------
    track : path or pandas.DataFrame
        bigWig, bedGraph, or a bedGraph table (``chrom, start, end, value``).
    cutoff, min_length, max_gap : float, int, int
        MACS3's ``-c``, ``-l``, ``-g``.
    windows : pandas.DataFrame, optional
        ``chrom, start, end``: restrict the track to these windows first (e.g. the model's
        gene windows), so peaks never extend past them.

    Returns
    -------
    peaks : pandas.DataFrame
        narrowPeak columns, 0-based half-open.
    command : list of str
        The MACS3 command line as run (input file names are temporary).
    """
    exe = macs3_executable()
    table = _as_bedgraph(track)
    if windows is not None:
        table = _clip(table, windows)
    from regfind.io.bed import read_narrowpeak, write_bedgraph

    with tempfile.TemporaryDirectory(prefix="regfind-macs3-") as tmp:
        bdg = Path(tmp) / "track.bdg"
        write_bedgraph(table, bdg)
        args = [exe, "bdgpeakcall", "-i", str(bdg), "-c", f"{cutoff:g}", "-l", str(min_length),
                "-g", str(max_gap), "--outdir", tmp, "-o", "peaks.narrowPeak"]
        _run(args)
        out = Path(tmp) / "peaks.narrowPeak"
        peaks = read_narrowpeak(out) if out.stat().st_size else _empty()
    return peaks, args


def run_callpeak(treatment: Sequence[str | os.PathLike[str]], *, name: str,
                 outdir: str | os.PathLike[str], control: Sequence[str] = (),
                 genome_size: str = "hs", fmt: str = "AUTO",
                 extra: Mapping[str, str] | None = None) -> tuple[Path, list[str]]:
    """Run ``macs3 callpeak`` on aligned reads; return the narrowPeak path and the command."""
    exe = macs3_executable()
    args = [exe, "callpeak", "-t", *map(str, treatment), "-n", name, "--outdir", str(outdir),
            "-g", genome_size, "-f", fmt]
    if control:
        args += ["-c", *map(str, control)]
    for key, value in (extra or {}).items():
        args += [key, value] if value != "" else [key]
    _run(args)
    return Path(outdir) / f"{name}_peaks.narrowPeak", args


def _as_bedgraph(track: str | os.PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    from regfind.io.bed import is_bigwig, read_bedgraph, read_bigwig

    if isinstance(track, pd.DataFrame):
        return track
    return read_bigwig(track)[0] if is_bigwig(track) else read_bedgraph(track)


def _clip(table: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """Keep the parts of the bedGraph rows inside the (merged) windows."""
    parts = []
    merged = _merge(windows)
    for row in merged.itertuples(index=False):
        sel = table[(table["chrom"] == row.chrom) & (table["end"] > row.start)
                    & (table["start"] < row.end)].copy()
        sel["start"] = sel["start"].clip(lower=row.start)
        sel["end"] = sel["end"].clip(upper=row.end)
        parts.append(sel)
    if not parts:
        return table.iloc[:0]
    return pd.concat(parts, ignore_index=True)


def _merge(windows: pd.DataFrame) -> pd.DataFrame:
    w = windows[["chrom", "start", "end"]].sort_values(["chrom", "start"], ignore_index=True)
    rows: list[list] = []
    for chrom, start, end in w.itertuples(index=False):
        if rows and rows[-1][0] == chrom and start <= rows[-1][2]:
            rows[-1][2] = max(rows[-1][2], end)
        else:
            rows.append([chrom, max(0, start), end])
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def _empty() -> pd.DataFrame:
    from regfind.io.bed import NARROWPEAK_COLUMNS

    return pd.DataFrame({c: [] for c in NARROWPEAK_COLUMNS})

"""Differential test: regfind.intervals.caller against the real ``macs3 bdgpeakcall``.

Each parameter set (cutoff, min_length, max_gap) gets one bedGraph whose chromosomes are 30
random tracks, so MACS3 starts once per set. The tracks are built to hit the boundaries: values
exactly equal to the cutoff, gaps of exactly ``max_gap`` (and one more), regions of exactly
``min_length`` (and one less), and ties at the summit (values on a 1/8 grid, plateaus of odd and
even length). Regions, summits and the score column must match exactly.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regfind.intervals.caller import call, call_bedgraph, to_bedgraph
from regfind.io.bed import read_bedgraph, read_narrowpeak, write_bedgraph

MACS3 = shutil.which("macs3") or shutil.which("macs3", path=str(Path(sys.executable).parent))
pytestmark = pytest.mark.skipif(
    MACS3 is None, reason="macs3 is not installed (pip install macs3; see README, test extra)"
)

TRACKS_PER_SET = 30
# (cutoff, min_length, max_gap); values live on a 1/8 grid, so cutoffs are exact in float32.
PARAMS = [
    (0.5, 20, 5),
    (0.25, 1, 0),
    (0.75, 50, 10),
    (0.375, 10, 3),
    (0.5, 0, 1),
    (1.0, 5, 20),
    (0.0, 3, 2),  # cutoff 0 with negative values: MACS3's summit quirk at a maximum of 0
    (-0.25, 5, 4),
]


def _grid_runs(rng: np.random.Generator, n: int, signed: bool) -> np.ndarray:
    """Piecewise-constant track on a 1/8 grid: many ties and values equal to the cutoff."""
    lengths = rng.geometric(1 / rng.integers(1, 25), size=n)
    lo = -4 if signed else 0
    values = rng.integers(lo, 9, size=n) / 8
    return np.repeat(values, lengths).astype(np.float32)


def _continuous(rng: np.random.Generator, n: int, cutoff: float) -> np.ndarray:
    """Uniform float32 noise with some bases set exactly to the cutoff and some plateaus."""
    values = rng.random(n).astype(np.float32) * 1.5 - (0.5 if cutoff <= 0 else 0)
    values[rng.random(n) < 0.05] = cutoff
    for _ in range(3):
        i = int(rng.integers(0, n - 10))
        values[i : i + int(rng.integers(2, 10))] = values.max()
    return values


def _designed(rng: np.random.Generator, cutoff: float, min_length: int, max_gap: int) -> np.ndarray:
    """Blocks at or above the cutoff whose lengths and gaps sit on the boundaries."""
    below = np.float32(cutoff - 0.125)
    parts = [np.full(int(rng.integers(1, 20)), below, np.float32)]
    for _ in range(int(rng.integers(5, 25))):
        length = max(1, min_length + int(rng.integers(-1, 2)))
        top = cutoff + 0.125 * int(rng.integers(0, 3))
        block = np.full(length, top, np.float32)
        block[rng.random(length) < 0.3] = cutoff  # ties with the cutoff inside the block
        parts.append(block)
        gap = max(1, max_gap + int(rng.integers(-1, 2)))
        parts.append(np.full(gap, below, np.float32))
    return np.concatenate(parts)


def _tracks(rng: np.random.Generator, cutoff: float, min_length: int, max_gap: int) -> list:
    makers = [
        lambda: _grid_runs(rng, int(rng.integers(20, 200)), cutoff <= 0),
        lambda: _continuous(rng, int(rng.integers(200, 3000)), cutoff),
        lambda: _designed(rng, cutoff, min_length, max_gap),
    ]
    return [makers[i % 3]() for i in range(TRACKS_PER_SET)]


def _split_rows(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Split some runs into two rows of equal value (MACS3 merges them back when reading)."""
    long = table.index[(table["end"] - table["start"] > 1) & (rng.random(len(table)) < 0.3)]
    left, right = table.loc[long].copy(), table.loc[long].copy()
    cut = (left["start"] + left["end"]) // 2
    left["end"], right["start"] = cut, cut
    rest = table.drop(index=long)
    return pd.concat([rest, left, right]).sort_values(["chrom", "start"], ignore_index=True)


def _run_macs3(bedgraph: Path, cutoff: float, min_length: int, max_gap: int) -> pd.DataFrame:
    out = bedgraph.with_suffix(".narrowPeak")
    cmd = [MACS3, "bdgpeakcall", "-i", str(bedgraph), "-c", repr(cutoff), "-l", str(min_length),
           "-g", str(max_gap), "--no-trackline", "--outdir", str(out.parent), "-o", out.name,
           "--verbose", "0"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)
    return read_narrowpeak(out)


def _comparable(regions: pd.DataFrame) -> pd.DataFrame:
    cols = ["chrom", "start", "end", "peak", "score"]
    out = regions[cols].copy()
    out["chrom"] = out["chrom"].astype(str)
    out["score"] = np.clip(out["score"].to_numpy(np.float64), 0, 1000).astype(np.int64)
    return out.sort_values(["chrom", "start"], ignore_index=True).astype({"chrom": object})


@pytest.mark.parametrize(("cutoff", "min_length", "max_gap"), PARAMS)
def test_regions_and_summits_equal_macs3(tmp_path, cutoff, min_length, max_gap):
    rng = np.random.default_rng([int(cutoff * 8) + 8, min_length, max_gap])
    tracks = _tracks(rng, cutoff, min_length, max_gap)
    names = [f"chr{i}" for i in range(len(tracks))]
    pairs = list(zip(names, tracks, strict=True))
    mine = pd.concat(
        [call(t, cutoff, min_length, max_gap, chrom=c, score_scale=10) for c, t in pairs]
    )
    table = pd.concat([to_bedgraph(t, c) for c, t in pairs], ignore_index=True)
    bedgraph = tmp_path / "tracks.bdg"
    write_bedgraph(_split_rows(table, rng), bedgraph)

    theirs = _run_macs3(bedgraph, cutoff, min_length, max_gap)

    assert len(theirs) > 0
    pd.testing.assert_frame_equal(_comparable(mine), _comparable(theirs))
    from_file = call_bedgraph(read_bedgraph(bedgraph), cutoff, min_length, max_gap, score_scale=10)
    pd.testing.assert_frame_equal(_comparable(from_file), _comparable(theirs))


def test_enough_tracks_are_compared():
    assert len(PARAMS) * TRACKS_PER_SET >= 200

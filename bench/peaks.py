"""Benchmark the interval caller.

1. One 200 kb track, whole process each: ``regfind peaks`` vs ``macs3 bdgpeakcall`` on the same
   bedGraph (both read the file, call, write narrowPeak). Also the in-process call alone.
2. A chromosome-scale fold-enrichment bedGraph, whole process each, 7 paired runs (median):
   by default a chr22-like track written here (400,000 rows, about 7,300 peaks at cutoff 2);
   pass a file (e.g. MACS3's own CTCF chr22 fold-enrichment test track, which is not bundled)
   as the first argument to use it instead. The regions of both tools are compared too.
3. 1,000 random 200 kb tracks through :func:`regfind.intervals.caller.call` (goal: under 5 s).

Prints measurements and ratios only. Run: ``.venv/bin/python bench/peaks.py [track.bdg]``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from regfind.intervals.caller import call, to_bedgraph
from regfind.io.bed import write_bedgraph

WINDOW = 200_000
CUTOFF, MIN_LENGTH, MAX_GAP = 0.6, 50, 20


def soft_mask(rng: np.random.Generator) -> np.ndarray:
    """A mask-like track: smooth bumps over noise, float32 in [0, 1], every base distinct."""
    noise = rng.random(WINDOW).astype(np.float32) * 0.4
    centres = rng.integers(0, WINDOW, 40)
    x = np.arange(WINDOW, dtype=np.float32)
    for c in centres:
        lo, hi = max(0, c - 2000), min(WINDOW, c + 2000)
        noise[lo:hi] += 0.6 * np.exp(-(((x[lo:hi] - c) / 300.0) ** 2))
    return np.clip(noise, 0, 1)


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def whole_process(tmp: Path, track: np.ndarray) -> None:
    bdg = write_bedgraph(to_bedgraph(track, "chr1"), tmp / "track.bdg")
    bindir = Path(sys.executable).parent
    out = str(tmp / "regfind.narrowPeak")
    regfind = [str(bindir / "regfind"), "peaks", str(bdg), "-c", str(CUTOFF), "-l",
               str(MIN_LENGTH), "-g", str(MAX_GAP), "-o", out]  # fmt: skip
    t_regfind = best_of(5, lambda: subprocess.run(regfind, check=True, capture_output=True))
    print(f"regfind peaks (whole process, 200 kb bedGraph):  {t_regfind * 1e3:8.1f} ms")
    macs3 = shutil.which("macs3") or shutil.which("macs3", path=str(bindir))
    if macs3 is None:
        print("macs3 not installed: no comparison")
        return
    cmd = [macs3, "bdgpeakcall", "-i", str(bdg), "-c", str(CUTOFF), "-l", str(MIN_LENGTH),
           "-g", str(MAX_GAP), "--outdir", str(tmp), "-o", "macs3.narrowPeak",
           "--verbose", "0"]  # fmt: skip
    startup = [sys.executable, "-c", "import regfind.cli"]
    t_start = best_of(5, lambda: subprocess.run(startup, check=True, capture_output=True))
    print(f"python + import regfind.cli (start-up only):     {t_start * 1e3:8.1f} ms")
    t_macs3 = best_of(5, lambda: subprocess.run(cmd, check=True, capture_output=True))
    print(f"macs3 bdgpeakcall (whole process, same file):    {t_macs3 * 1e3:8.1f} ms")
    print(f"ratio macs3 / regfind (whole process):           {t_macs3 / t_regfind:8.2f}x")
    t_call = best_of(20, lambda: call(track, CUTOFF, MIN_LENGTH, MAX_GAP, chrom="chr1"))
    print(f"regfind.intervals.caller.call in process (200 kb):      {t_call * 1e3:8.3f} ms")
    print(f"ratio macs3 process / in-process call:           {t_macs3 / t_call:8.0f}x")


def chromosome_track(path: Path) -> Path:
    """A chr22-like fold-enrichment bedGraph: gamma background, ~9,000 bumps of FE 2-40."""
    rng = np.random.default_rng(0)
    n = 400_000
    lengths = rng.integers(20, 120, n)
    ends = np.cumsum(lengths)
    values = np.round(rng.gamma(4, 0.25, n), 5)
    for p in rng.choice(n - 20, 9000, replace=False):
        values[p:p + rng.integers(3, 12)] = np.round(rng.uniform(2, 40), 5)
    lines = [f"chr22\t{s}\t{e}\t{v:.5f}\n" for s, e, v in
             zip((ends - lengths).tolist(), ends.tolist(), values.tolist(), strict=True)]
    path.write_text("".join(lines))
    return path


def paired_runs(tmp: Path, track: Path, runs: int = 7) -> None:
    bindir = Path(sys.executable).parent
    macs3 = shutil.which("macs3") or shutil.which("macs3", path=str(bindir))
    if macs3 is None:
        print("macs3 not installed: no chromosome-scale comparison")
        return
    ours = [str(bindir / "regfind"), "peaks", str(track), "-c", "2", "-l", "200", "-g", "30",
            "-o", str(tmp / "r.narrowPeak")]
    theirs = [macs3, "bdgpeakcall", "-i", str(track), "-c", "2", "-l", "200", "-g", "30",
              "--outdir", str(tmp), "-o", "m.narrowPeak", "--verbose", "0"]
    t_ours, t_theirs = [], []
    for _ in range(runs):  # paired: each run of one tool next to a run of the other
        for cmd, times in ((ours, t_ours), (theirs, t_theirs)):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    a = [ln.split("\t") for ln in (tmp / "r.narrowPeak").read_text().splitlines()]
    b = [ln.split("\t") for ln in (tmp / "m.narrowPeak").read_text().splitlines()
         if not ln.startswith("track")]
    same = [(x[0], x[1], x[2], x[9]) for x in a] == [(x[0], x[1], x[2], x[9]) for x in b]
    m_ours, m_theirs = float(np.median(t_ours)), float(np.median(t_theirs))
    print(f"{track.name}: {len(a)} regions; same regions and summits as MACS3: {same}")
    print(f"regfind peaks, whole process (median of {runs}):     {m_ours * 1e3:8.1f} ms")
    print(f"macs3 bdgpeakcall, whole process (median of {runs}): {m_theirs * 1e3:8.1f} ms")
    print(f"ratio macs3 / regfind:                            {m_theirs / m_ours:8.2f}x")


def many_tracks(n: int = 1000) -> None:
    rng = np.random.default_rng(0)
    base = [soft_mask(rng) for _ in range(10)]
    tracks = [np.roll(base[i % 10], int(rng.integers(0, WINDOW))) for i in range(n)]
    t0 = time.perf_counter()
    total = sum(len(call(t, CUTOFF, MIN_LENGTH, MAX_GAP, chrom="chr1")) for t in tracks)
    dt = time.perf_counter() - t0
    print(f"{n} tracks x 200 kb, absolute cutoff:           {dt:8.2f} s  ({total} regions)")
    t0 = time.perf_counter()
    total = sum(len(call(t, None, MIN_LENGTH, MAX_GAP, top_fraction=0.1)) for t in tracks)
    dt = time.perf_counter() - t0
    print(f"{n} tracks x 200 kb, top 10% cutoff:            {dt:8.2f} s  ({total} regions)")


def main() -> None:
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        whole_process(Path(tmp), soft_mask(rng))
        given = Path(sys.argv[1]) if len(sys.argv) > 1 else None
        paired_runs(Path(tmp), given or chromosome_track(Path(tmp) / "chr22_fe.bdg"))
    many_tracks()


if __name__ == "__main__":
    main()

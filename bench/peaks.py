"""Benchmark the interval caller.

1. One 200 kb track, whole process each: ``regfind peaks`` vs ``macs3 bdgpeakcall`` on the same
   bedGraph (both read the file, call, write narrowPeak). Also the in-process call alone.
2. 1,000 random 200 kb tracks through :func:`regfind.intervals.call` (goal: under 5 s).

Prints measurements and ratios only. Run: ``.venv/bin/python bench/peaks.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from regfind.intervals import call, to_bedgraph
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
    print(f"regfind.intervals.call in process (200 kb):      {t_call * 1e3:8.3f} ms")
    print(f"ratio macs3 process / in-process call:           {t_macs3 / t_call:8.0f}x")


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
    many_tracks()


if __name__ == "__main__":
    main()

"""Genome-scale calling on the CPU: one process vs the Dask engine vs shards, same genes.

On the demo genome with the bundled demo model, ``regfind call`` for the first ``--genes`` genes
(default 200, chr1) three ways, each from a fresh output folder:

1. one process (``regfind call --genes FILE``);
2. the Dask engine on a local cluster of ``--workers`` processes (``--engine dask --workers N``,
   cluster start-up included);
3. ``--shard i/N`` for every i, one after the other, then ``regfind merge``.

Prints each wall time, genes per second and the ratio to the single process, and checks the
three BED files are byte-identical. No assertions beyond that check. Absolute times on a shared
2-core machine are noise; the ratios are measured in one run.

Run: ``.venv/bin/python bench/scale.py [--genes 200] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from regfind.inputs.profiles import demo_profile

REGFIND = [str(Path(sys.executable).with_name("regfind"))]  # the venv's entry point


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([*REGFIND, *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def main() -> None:
    """Time the three ways and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genes", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    src = demo_profile().sources("demo")
    genes = [g.label for g in src.annotation.genes][: args.genes]
    with tempfile.TemporaryDirectory(prefix="regfind-bench-scale-") as tmp:
        root = Path(tmp)
        (root / "genes.txt").write_text("\n".join(genes) + "\n")
        base = ["call", "--genes", str(root / "genes.txt"), "--cell", "demo"]
        times = {"one process": _run([*base, "-o", str(root / "single.bed")])}
        times[f"dask, {args.workers} workers"] = _run(
            [*base, "-o", str(root / "dask.bed"), "--engine", "dask", "--workers",
             str(args.workers)])
        start = time.perf_counter()
        for i in range(args.workers):
            _run([*base, "-o", str(root / "shards.bed"), "--shard", f"{i}/{args.workers}"])
        _run(["merge", "-o", str(root / "shards.bed")])
        times[f"{args.workers} shards + merge"] = time.perf_counter() - start
        same = all((root / f"{n}.bed").read_bytes() == (root / "single.bed").read_bytes()
                   for n in ("dask", "shards"))
    ref = times["one process"]
    print(f"{len(genes)} demo genes (10 kb windows), demo-soft model")
    print(f"{'way':<22} {'seconds':>8} {'genes/s':>8} {'ratio':>6}")
    for name, sec in times.items():
        print(f"{name:<22} {sec:8.1f} {len(genes) / sec:8.1f} {sec / ref:6.2f}")
    print(f"outputs byte-identical: {same}")


if __name__ == "__main__":
    main()

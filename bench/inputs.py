"""Benchmark the input side against the model it feeds.

1. Inputs for one locus (``regfind.inputs.build.for_locus``: FASTA, two bigWigs, a 5 kb ``.cool``,
   a blacklist BED) on synthetic files written into a temporary folder, vs
   ``Seq2Exp(Seq2ExpConfig.preset('soft')).generate(...)`` with random weights on the same
   inputs under ``torch.no_grad()``, in the same run. Prints both and their ratio (goal: the
   inputs take well under the forward).
2. Opening a GTF of realistic size (60,000 genes, ~1.7 M lines): first open (parse and fill the
   cache), second open (from the cache), and a parse with the cache off.

``--quick`` uses a 20,000 bp window for both (the full 200 kb forward is slow on a CPU).
No assertions. Run: ``.venv/bin/python bench/inputs.py [--quick] [--genes N]``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

CHROMS = {"chr1": 1_000_000, "chr2": 1_000_000, "chr3": 1_000_000}
RES = 5000


def write_fasta(path: Path, rng: np.random.Generator) -> Path:
    """Write random ACGT chromosomes with an N run, 60 bases a line."""
    with open(path, "w") as fh:
        for name, length in CHROMS.items():
            seq = bytearray(np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)])
            seq[300_000:310_000] = b"N" * 10_000
            text = seq.decode()
            fh.write(f">{name}\n")
            fh.write("\n".join(text[i:i + 60] for i in range(0, length, 60)) + "\n")
    return path


def write_bigwig(path: Path, rng: np.random.Generator, step: int) -> Path:
    """Write a bigWig with one value per ``step`` bp, some of them NaN-free gaps."""
    import pyBigWig

    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(CHROMS.items()), maxZooms=0)
    for name, length in CHROMS.items():
        starts = np.arange(0, length, step, dtype=np.int64)
        keep = rng.random(len(starts)) > 0.2
        starts = starts[keep]
        vals = rng.gamma(1.0, 2.0, len(starts))
        bw.addEntries([name] * len(starts), starts.tolist(), ends=(starts + step).tolist(),
                      values=vals.tolist())
    bw.close()
    return path


def write_cool(path: Path) -> Path:
    """Write a 5 kb .cool with power-law contacts up to 1 Mb apart."""
    import hictkpy

    w = hictkpy.cooler.FileWriter(str(path), CHROMS, RES, tmpdir=path.parent)
    offset = 0
    for length in CHROMS.values():
        n = length // RES
        i, j = np.triu_indices(n)
        counts = 1000.0 / (1 + (j - i)) ** 0.87
        w.add_pixels_from_dict({"bin1_id": (i + offset).tolist(), "bin2_id": (j + offset).tolist(),
                                "count": counts.astype(np.float64).tolist()})
        offset += n
    w.finalize()
    return path


def write_gtf(path: Path, n_genes: int, rng: np.random.Generator) -> int:
    """Write a GENCODE-like gzipped GTF: per gene 1-5 transcripts of 2-9 exons with CDS."""
    lines = 0
    with gzip.open(path, "wt", compresslevel=1) as fh:
        fh.write("##description: synthetic\n")
        for g in range(n_genes):
            chrom = f"chr{1 + g % 22}"
            start = int(rng.integers(1, 200_000_000))
            strand = "+-"[g % 2]
            ga = (f'gene_id "ENSG{g:011d}.1"; gene_type "protein_coding"; '
                  f'gene_name "G{g}"; level 2;')
            rows = []
            end = start
            for t in range(int(rng.integers(1, 6))):
                ta = (ga + f' transcript_id "ENST{g:09d}{t:02d}.1"; transcript_type '
                      '"protein_coding"; tag "basic";' + (' tag "Ensembl_canonical";' if t == 0
                                                          else ""))
                pos, exons = start, []
                for _ in range(int(rng.integers(2, 10))):
                    pos += int(rng.integers(100, 3000))
                    exons.append((pos, pos + int(rng.integers(50, 400))))
                    pos = exons[-1][1]
                end = max(end, pos)
                rows.append((chrom, "transcript", exons[0][0], pos, strand, ta))
                for k, (s, e) in enumerate(exons):
                    xa = ta + f' exon_number {k + 1}; exon_id "ENSE{g:09d}{t:02d}{k:02d}.1";'
                    rows.append((chrom, "exon", s, e, strand, xa))
                    if 0 < k < len(exons) - 1:
                        rows.append((chrom, "CDS", s, e, strand, xa))
            rows.insert(0, (chrom, "gene", start, end, strand, ga))
            for c, f, s, e, st, a in rows:
                fh.write(f"{c}\tSYN\t{f}\t{s}\t{e}\t.\t{st}\t.\t{a}\n")
            lines += len(rows)
    return lines


def best_of(n: int, fn) -> float:
    """Return the fastest of ``n`` timings of ``fn()`` in seconds."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_locus(tmp: Path, window: int, repeats: int) -> None:
    """Time inputs for one locus vs the model's generate on it."""
    import torch

    from regfind.coords import Locus
    from regfind.errors import RegfindWarning
    from regfind.inputs.build import Sources, for_locus
    from regfind.io.hic import ContactMapHiC
    from regfind.model.config import Seq2ExpConfig
    from regfind.model.seq2exp import Seq2Exp

    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    fasta = write_fasta(tmp / "genome.fa", rng)
    k27 = write_bigwig(tmp / "h3k27ac.bw", rng, 25)
    dnase = write_bigwig(tmp / "dnase.bw", rng, 10)
    cool = write_cool(tmp / "hic.cool")
    bl = tmp / "blacklist.bed"
    bl.write_text("".join(f"chr2\t{s}\t{s + 2000}\n" for s in range(0, 1_000_000, 50_000)))
    print(f"synthetic files written in {time.perf_counter() - t0:.1f} s "
          f"({len(CHROMS)} x 1 Mb chromosomes)")

    t0 = time.perf_counter()
    src = Sources(fasta, h3k27ac=k27, dnase=dnase, blacklist=bl,
                  hic=ContactMapHiC(cool, RES, "NONE"))
    t_open = time.perf_counter() - t0
    locus = Locus.around_tss("chr2", 500_000, CHROMS["chr2"], window=window)
    warnings.simplefilter("ignore", RegfindWarning)  # no gene: features are computed
    for_locus(locus, src)  # warm-up (pyfaidx and pyBigWig caches, lazy imports)
    t_inputs = best_of(repeats, lambda: for_locus(locus, src))
    x = for_locus(locus, src)

    cfg = Seq2ExpConfig.preset("soft", seq_range=window)
    torch.manual_seed(0)
    model = Seq2Exp(cfg).eval()
    t = x.to_torch()
    with torch.no_grad():
        model.generate(t["seqs"], t["signals"], t["blacklist"])  # warm-up (numba compile)
        t_model = best_of(max(1, repeats // 5), lambda: model.generate(
            t["seqs"], t["signals"], t["blacklist"]))
    print(f"window {window:,} bp (chr2:{locus.start}-{locus.end}), torch threads "
          f"{torch.get_num_threads()}, scan backend {model.scan_backend!r}")
    print(f"  open sources (FASTA, 2 bigWigs, .cool, BED):  {t_open * 1000:8.1f} ms (once)")
    print(f"  inputs for one locus (for_locus):             {t_inputs * 1000:8.1f} ms")
    print(f"  Seq2Exp-soft generate, random weights:        {t_model * 1000:8.1f} ms")
    print(f"  ratio inputs / generate:                      {t_inputs / t_model:8.4f}")


def bench_gtf(tmp: Path, n_genes: int) -> None:
    """Time opening a realistic GTF without and with the parse cache."""
    from regfind.io import _cache
    from regfind.io.annotation import read_annotation

    rng = np.random.default_rng(1)
    gtf = tmp / "synthetic.gtf.gz"
    t0 = time.perf_counter()
    lines = write_gtf(gtf, n_genes, rng)
    print(f"\nGTF: {n_genes:,} genes, {lines:,} lines, {gtf.stat().st_size / 1e6:.0f} MB gzipped "
          f"(written in {time.perf_counter() - t0:.1f} s)")
    os.environ["REGFIND_CACHE_DIR"] = str(tmp / "cache")
    os.environ["REGFIND_NO_CACHE"] = "1"
    t0 = time.perf_counter()
    ann = read_annotation(gtf)
    print(f"  parse, cache off:                  {time.perf_counter() - t0:6.2f} s "
          f"({len(ann):,} genes)")
    del os.environ["REGFIND_NO_CACHE"]
    t0 = time.perf_counter()
    read_annotation(gtf)
    print(f"  first open (parse + write cache):  {time.perf_counter() - t0:6.2f} s")
    t0 = time.perf_counter()
    ann = read_annotation(gtf)
    print(f"  second open (from cache):          {time.perf_counter() - t0:6.2f} s")
    t0 = time.perf_counter()
    ann.lookup("G12345")
    print(f"  lookup by symbol:                  {(time.perf_counter() - t0) * 1e6:6.0f} us")
    print(f"  (cache files below {_cache.MIN_BYTES / 1e6:.0f} MB are not cached)")


def main() -> None:
    """Run both benchmarks."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 bp window instead of 200,000")
    ap.add_argument("--genes", type=int, default=60_000, help="genes in the synthetic GTF")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    window = 20_000 if args.quick else 200_000
    with tempfile.TemporaryDirectory(prefix="regfind-bench-") as tmp:
        bench_locus(Path(tmp), window, args.repeats)
        if args.genes:
            bench_gtf(Path(tmp), args.genes)


if __name__ == "__main__":
    main()

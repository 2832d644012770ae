"""GTF parsing for :mod:`regfind.io.annotation` (1-based closed → 0-based half-open)."""

from __future__ import annotations

import re
from pathlib import Path

from regfind.errors import DataError
from regfind.io.annotation import _ATTR, Gene, Transcript

_TAG = re.compile(r'tag\s+"([^"]*)"')


def _attrs(text: str) -> dict[str, str]:
    return dict(_ATTR.findall(text))


def _versioned(attrs: dict[str, str], key: str) -> str:
    value = attrs.get(key, "")
    version = attrs.get(key.replace("_id", "_version"))
    return f"{value}.{version}" if value and version and "." not in value else value


def parse_gtf(lines: list[str], path: Path) -> list[Gene]:
    """Parse GTF lines into genes with transcripts (exons and CDS, 0-based half-open)."""
    genes: dict[str, dict] = {}
    tx: dict[str, dict] = {}
    for lineno, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        if len(f) < 9:
            raise DataError(f"{path}: GTF line {lineno} has {len(f)} columns, expected 9")
        try:
            start, end = int(f[3]) - 1, int(f[4])  # 1-based closed -> 0-based half-open
        except ValueError as exc:
            raise DataError(f"{path}: GTF line {lineno} has non-integer start/end") from exc
        a = _attrs(f[8])
        gid = _versioned(a, "gene_id")
        if not gid:
            raise DataError(f"{path}: GTF line {lineno} has no gene_id attribute")
        g = genes.setdefault(gid, {"chrom": f[0], "strand": f[6], "span": None,
                                   "name": a.get("gene_name", ""), "type": "", "tx": []})
        g["type"] = g["type"] or a.get("gene_type", a.get("gene_biotype", ""))
        g["name"] = g["name"] or a.get("gene_name", "")
        feature = f[2]
        if feature == "gene":
            g["span"] = (start, end)
            continue
        tid = _versioned(a, "transcript_id")
        if not tid:
            continue
        t = tx.get(tid)
        if t is None:
            t = tx[tid] = {"exons": [], "cds": [], "tags": set(), "span": (start, end)}
            g["tx"].append(tid)
        t["span"] = (min(t["span"][0], start), max(t["span"][1], end))
        t["tags"].update(_TAG.findall(f[8]))
        if feature == "exon":
            t["exons"].append((start, end))
        elif feature == "CDS":
            t["cds"].append((start, end))
    return [_make_gene(gid, g, tx) for gid, g in genes.items()]


def _make_gene(gid: str, g: dict, tx: dict[str, dict]) -> Gene:
    transcripts = tuple(
        Transcript(tid, g["strand"], tuple(sorted(tx[tid]["exons"] or [tx[tid]["span"]])),
                   tuple(sorted(tx[tid]["cds"])), tuple(sorted(tx[tid]["tags"])))
        for tid in g["tx"]
    )
    span = g["span"]
    if span is None:
        spans = [tx[tid]["span"] for tid in g["tx"]]
        span = (min(s for s, _ in spans), max(e for _, e in spans))
    tss = span[1] - 1 if g["strand"] == "-" else span[0]
    strand = g["strand"] if g["strand"] in ("+", "-") else "."
    return Gene(gid, g["name"], g["chrom"], tss, strand, g["type"], transcripts)

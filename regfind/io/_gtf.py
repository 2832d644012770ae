"""GTF parsing for :mod:`regfind.io.annotation` (1-based closed → 0-based half-open)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from regfind.errors import DataError
from regfind.io.genes import ATTR, Gene, Transcript

#: Version of the :func:`encode_genes` layout (part of the cache key).
CACHE_VERSION = 1
_SEP = "\x1f"

_TAG = re.compile(r'tag\s+"([^"]*)"')


def _attrs(text: str) -> dict[str, str]:
    return dict(ATTR.findall(text))


def _versioned(attrs: dict[str, str], key: str) -> str:
    value = attrs.get(key, "")
    version = attrs.get(key.replace("_id", "_version"))
    return f"{value}.{version}" if value and version and "." not in value else value


_KEEP = frozenset(("gene", "transcript", "exon", "CDS"))


def _raw_tid(attrs: str) -> str | None:
    i = attrs.find('transcript_id "')
    if i < 0:
        return None
    i += 15
    return attrs[i:attrs.find('"', i)]


def parse_gtf(lines: list[str], path: Path) -> list[Gene]:
    """Parse GTF lines into genes with transcripts (exons and CDS, 0-based half-open).

    Only ``gene``, ``transcript``, ``exon`` and ``CDS`` rows are used. An exon or CDS row of a
    transcript already seen is read on a fast path (its ``transcript_id`` only): GENCODE and
    Ensembl repeat the transcript's attributes and tags on every row.
    """
    genes: dict[str, dict] = {}
    tx: dict[str, dict] = {}
    known: dict[str, dict] = {}  # raw transcript_id -> transcript record
    for lineno, line in enumerate(lines, 1):
        if line.startswith(("#", "track")) or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        if len(f) < 9:
            raise DataError(f"{path}: GTF line {lineno} has {len(f)} columns, expected 9")
        feature = f[2]
        if feature not in _KEEP:
            continue
        try:
            start, end = int(f[3]) - 1, int(f[4])  # 1-based closed -> 0-based half-open
        except ValueError as exc:
            raise DataError(f"{path}: GTF line {lineno} has non-integer start/end") from exc
        if feature in ("exon", "CDS"):
            t = known.get(_raw_tid(f[8]) or "")
            if t is not None:
                t["span"] = (min(t["span"][0], start), max(t["span"][1], end))
                t["exons" if feature == "exon" else "cds"].append((start, end))
                continue
        _slow_row(f, feature, start, end, lineno, path, genes, tx, known)
    return [_make_gene(gid, g, tx) for gid, g in genes.items()]


def _slow_row(f: list[str], feature: str, start: int, end: int, lineno: int, path: Path,
              genes: dict[str, dict], tx: dict[str, dict], known: dict[str, dict]) -> None:
    a = _attrs(f[8])
    gid = _versioned(a, "gene_id")
    if not gid:
        raise DataError(f"{path}: GTF line {lineno} has no gene_id attribute")
    g = genes.setdefault(gid, {"chrom": f[0], "strand": f[6], "span": None,
                               "name": a.get("gene_name", ""), "type": "", "tx": []})
    g["type"] = g["type"] or a.get("gene_type", a.get("gene_biotype", ""))
    g["name"] = g["name"] or a.get("gene_name", "")
    if feature == "gene":
        g["span"] = (start, end)
        return
    tid = _versioned(a, "transcript_id")
    if not tid:
        return
    t = tx.get(tid)
    if t is None:
        t = tx[tid] = {"exons": [], "cds": [], "tags": set(), "span": (start, end)}
        g["tx"].append(tid)
        known[a["transcript_id"]] = t
    t["span"] = (min(t["span"][0], start), max(t["span"][1], end))
    t["tags"].update(_TAG.findall(f[8]))
    if feature == "exon":
        t["exons"].append((start, end))
    elif feature == "CDS":
        t["cds"].append((start, end))


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


def _strings(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=str) if values else np.zeros(0, dtype="<U1")


def _ints(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def encode_genes(genes: list[Gene]) -> dict[str, np.ndarray]:
    """Flatten genes and their transcripts into numpy arrays (no objects, no pickle)."""
    txs = [t for g in genes for t in g.transcripts]
    exons = [x for t in txs for x in t.exons]
    cds = [x for t in txs for x in t.cds]
    return {
        "g_text": _strings([_SEP.join((g.gene_id, g.name, g.chrom, g.strand, g.gene_type))
                            for g in genes]),
        "g_tss": _ints([g.tss for g in genes]),
        "g_ntx": _ints([len(g.transcripts) for g in genes]),
        "t_text": _strings([_SEP.join((t.transcript_id, t.strand, *t.tags)) for t in txs]),
        "t_nexon": _ints([len(t.exons) for t in txs]),
        "t_ncds": _ints([len(t.cds) for t in txs]),
        "exons": _ints([v for x in exons for v in x]).reshape(-1, 2),
        "cds": _ints([v for x in cds for v in x]).reshape(-1, 2),
    }


def _pairs(arr: np.ndarray, counts: np.ndarray) -> list[tuple[tuple[int, int], ...]]:
    flat = [tuple(p) for p in arr.tolist()]
    out, i = [], 0
    for n in counts.tolist():
        out.append(tuple(flat[i:i + n]))
        i += n
    return out


def decode_genes(arr: dict[str, np.ndarray]) -> list[Gene]:
    """Rebuild the genes written by :func:`encode_genes`."""
    exons = _pairs(arr["exons"], arr["t_nexon"])
    cds = _pairs(arr["cds"], arr["t_ncds"])
    txs = []
    for i, text in enumerate(arr["t_text"].tolist()):
        tid, strand, *tags = text.split(_SEP)
        txs.append(Transcript(tid, strand, exons[i], cds[i], tuple(tags)))
    genes, i = [], 0
    for text, tss, n in zip(arr["g_text"].tolist(), arr["g_tss"].tolist(),
                            arr["g_ntx"].tolist(), strict=True):
        gid, name, chrom, strand, gtype = text.split(_SEP)
        genes.append(Gene(gid, name, chrom, tss, strand, gtype, tuple(txs[i:i + n])))
        i += n
    return genes

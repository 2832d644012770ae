"""Variants in: VCF / VCF.gz (read with pysam) or a TSV ``chrom pos ref alt``; VCF out with INFO.

VCF ``POS`` and the TSV's ``pos`` are 1-based (the VCF convention users copy from); they are
converted here, where they enter: a variant's REF allele is ``[pos - 1, pos - 1 + len(REF))``,
0-based half-open (``docs/conventions.md``). A record with several ALT alleles becomes one row
per ALT. Nothing is filtered here: :func:`allele_problem` says which alleles regfind can score.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from regfind._files import atomic_write
from regfind.errors import DataError

__all__ = ["VARIANT_COLUMNS", "allele_problem", "is_vcf", "read_variants", "write_vcf_info"]

#: Columns of :func:`read_variants`.
VARIANT_COLUMNS = ("chrom", "start", "end", "id", "ref", "alt", "record")
#: The INFO key :func:`write_vcf_info` adds.
INFO_KEY = "REGFIND"
_BASES = re.compile(r"^[ACGTN]+$", re.IGNORECASE)


def is_vcf(path: str | os.PathLike[str]) -> bool:
    """Whether a file is a VCF: its first line is ``##fileformat=VCF...`` (plain or gzip)."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    try:
        with opener(path, "rt") as fh:  # type: ignore[operator]
            return fh.readline().startswith("##fileformat=VCF")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read variants file {path}: {exc}") from exc


def read_variants(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a VCF/VCF.gz or a TSV of variants, one row per (record, ALT allele).

    Parameters
    ----------
    path : path-like
        A VCF (plain, gzip or bgzip; the format is decided by the ``##fileformat`` line), or a
        tab-separated file with a header naming ``chrom, pos, ref, alt`` (any case; an ``id``
        column is kept; ``#`` lines before the header are skipped). ``pos`` is 1-based.

    Returns
    -------
    pandas.DataFrame
        :data:`VARIANT_COLUMNS`: ``start``/``end`` int64, 0-based half-open span of REF;
        ``ref``/``alt`` as written (upper-cased; symbolic alleles such as ``<DEL>`` kept);
        ``id`` ('' when none); ``record``: 0-based index of the input record (for
        :func:`write_vcf_info`).

    Raises
    ------
    DataError
        The file is missing or unreadable, or a TSV lacks a column.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"variants file {p} does not exist")
    rows = _read_vcf(p) if is_vcf(p) else _read_tsv(p)
    out = pd.DataFrame(rows, columns=list(VARIANT_COLUMNS))
    return out.astype({"start": "int64", "end": "int64", "record": "int64"})


def _read_vcf(path: Path) -> list[tuple]:
    import pysam

    rows = []
    try:
        with pysam.VariantFile(str(path)) as vcf:
            for k, rec in enumerate(vcf):
                ref = (rec.ref or "").upper()
                start = rec.pos - 1
                for alt in rec.alts or (".",):
                    rows.append((rec.chrom, start, start + len(ref), rec.id or "", ref,
                                 alt.upper(), k))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read VCF {path}: {exc}") from exc
    return rows


def _read_tsv(path: Path) -> list[tuple]:
    try:
        table = pd.read_csv(path, sep="\t", comment=None, dtype=str, keep_default_na=False,
                            skiprows=_comment_lines(path))
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read variants TSV {path}: {exc}") from exc
    table.columns = [str(c).strip().lstrip("#").lower() for c in table.columns]
    missing = [c for c in ("chrom", "pos", "ref", "alt") if c not in table.columns]
    if missing:
        raise DataError(f"{path} is neither a VCF nor a TSV with columns chrom, pos, ref, alt "
                        f"(no {', '.join(missing)})")
    rows = []
    for k, r in enumerate(table.itertuples(index=False)):
        try:
            pos = int(r.pos)
        except ValueError as exc:
            raise DataError(f"{path}, row {k + 1}: pos {r.pos!r} is not a number") from exc
        if pos < 1:
            raise DataError(f"{path}, row {k + 1}: pos must be >= 1 (1-based), got {pos}")
        ref = str(r.ref).strip().upper()
        vid = str(getattr(r, "id", "") or "")
        for alt in str(r.alt).split(","):
            rows.append((str(r.chrom), pos - 1, pos - 1 + len(ref), vid, ref,
                         alt.strip().upper(), k))
    return rows


def _comment_lines(path: Path) -> int:
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    n = 0
    with opener(path, "rt") as fh:  # type: ignore[operator]
        for line in fh:
            if not line.startswith("##"):
                break
            n += 1
    return n


def allele_problem(ref: str, alt: str, max_len: int) -> str:
    """Return why a REF/ALT pair cannot be scored, or '' when it can.

    Scorable: both alleles plain bases (A, C, G, T, N), neither longer than ``max_len`` bp.
    Symbolic (``<DEL>``, ``<INS:ME>``), breakend (``]chr2:5]A``), missing (``.``) and
    spanning-deletion (``*``) alleles are not.
    """
    for name, allele in (("REF", ref), ("ALT", alt)):
        if allele.startswith("<") or "[" in allele or "]" in allele:
            return f"symbolic {name} allele {allele}"
        if allele in ("", ".", "*"):
            return f"missing {name} allele {allele or '(empty)'}"
        if not _BASES.match(allele):
            return f"{name} allele {allele[:20]} has characters other than A, C, G, T, N"
        if len(allele) > max_len:
            return f"{name} allele of {len(allele)} bp is longer than {max_len} bp"
    return ""


def write_vcf_info(source: str | os.PathLike[str], path: str | os.PathLike[str],
                   effects: pd.DataFrame) -> Path:
    """Write the input VCF again with a ``REGFIND`` INFO field per scored variant × gene.

    Parameters
    ----------
    source : path-like
        The VCF the variants were read from.
    path : path-like
        Output (``.vcf.gz``: bgzip-compressed); written atomically.
    effects : pandas.DataFrame
        :func:`regfind.calling.variants.variant_effects` output; rows with ``status == 'scored'`` go
        into INFO as ``ALT|gene|delta_pred|delta_mask|region_change``, one entry per gene.

    Returns
    -------
    pathlib.Path
    """
    if not is_vcf(source):
        raise DataError(f"{source} is not a VCF; --vcf-out needs a VCF input")
    scored = effects[effects["status"] == "scored"]
    entries: dict[int, list[str]] = {}
    for r in scored.itertuples(index=False):
        entries.setdefault(int(r.record), []).append(
            f"{r.alt}|{r.gene}|{r.delta_pred:.4g}|{r.delta_mask:.4g}|{r.region_change}")
    header = (f'##INFO=<ID={INFO_KEY},Number=.,Type=String,Description="regfind variant '
              "effects: ALT|gene|delta_pred (log10 expression, alt - ref)|delta_mask (at the "
              'variant)|region_change">\n')
    opener = gzip.open if Path(source).read_bytes()[:2] == b"\x1f\x8b" else open
    with atomic_write(path) as tmp:
        with opener(source, "rt") as src, _writer(tmp, str(path).endswith(".gz")) as out:  # type: ignore[operator]
            k = 0
            for line in src:
                if line.startswith(f"##INFO=<ID={INFO_KEY},"):
                    raise DataError(f"{source} already has a {INFO_KEY} INFO field")
                if line.startswith("#"):
                    out.write((header if line.startswith("#CHROM") else "") + line)
                    continue
                if not line.strip():
                    continue
                if k in entries:
                    fields = line.rstrip("\n").split("\t")
                    value = f"{INFO_KEY}={','.join(entries[k])}"
                    fields[7] = value if fields[7] in ("", ".") else f"{fields[7]};{value}"
                    line = "\t".join(fields) + "\n"
                out.write(line)
                k += 1
    return Path(path)


def _writer(path: Path, bgzip: bool) -> Any:
    """Open ``path`` for text; bgzip-compressed (what tabix indexes) when ``bgzip``."""
    if not bgzip:
        return open(path, "w")
    import io

    import pysam

    return io.TextIOWrapper(pysam.BGZFile(str(path), "wb"), encoding="utf-8")

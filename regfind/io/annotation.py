"""Gene annotation: find a gene's chromosome, strand and TSS by symbol or Ensembl ID.

Three formats are read (plain or gzip):

* **GTF** (GENCODE / Ensembl). GTF is 1-based and closed; regfind converts at this edge. The TSS
  is the gene's 5' end on its strand: ``start - 1`` (0-based) on +, ``end - 1`` on −. Without
  ``gene`` lines the gene spans its transcripts. Exons and CDS of each transcript are kept for
  the approximate gene features (:mod:`regfind.io.features`).
* **ABC-style BED** ``chr start end name score strand [Ensembl_ID gene_type ...]``, e.g.
  ``CollapsedGeneBounds.hg38.TSS500bp.bed``. When every row has the same width (a TSS ± w
  file) the TSS is the row's centre ``start + (end - start) // 2``; this equals ABC's ``tss``
  column, which is what the official pipeline centres windows on (on − strand genes it is one
  base right of the 0-based 5' base). Otherwise rows are gene bodies and the TSS is the 5' base.
* **ABC GeneList** (tab-separated with a header holding ``chr``, ``tss`` and ``name`` or
  ``symbol``), the gene list of the GeneExp dataset; ``tss`` is used as given.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from regfind.errors import DataError
from regfind.io.genes import ATTR, Gene, Transcript, id_key
from regfind.io.text import open_text

__all__ = ["Annotation", "Gene", "Transcript", "read_annotation"]

class Annotation:
    """Genes of one annotation file, indexed by symbol and identifier.

    Use :func:`read_annotation` to build one from a file.
    """

    def __init__(self, genes: list[Gene], path: str | Path) -> None:
        self.path = Path(path)
        self.genes = genes
        self._by_exact: dict[str, list[Gene]] = {}
        self._by_id: dict[str, list[Gene]] = {}
        self._by_name: dict[str, list[Gene]] = {}
        self._by_lower: dict[str, list[Gene]] = {}
        for g in genes:
            if g.gene_id:
                self._by_exact.setdefault(g.gene_id.upper(), []).append(g)
                self._by_id.setdefault(id_key(g.gene_id), []).append(g)
            if g.name:
                self._by_name.setdefault(g.name, []).append(g)
                self._by_lower.setdefault(g.name.lower(), []).append(g)

    def __len__(self) -> int:
        return len(self.genes)

    def __iter__(self) -> Iterator[Gene]:
        return iter(self.genes)

    def __repr__(self) -> str:
        return f"Annotation({str(self.path)!r}, {len(self.genes)} genes)"

    def lookup(self, query: str) -> Gene:
        """Find one gene by identifier or symbol.

        The order of matching: the exact identifier as the file writes it, whatever its form
        (GENCODE ``ENSG00000990001.14_PAR_Y``, UCSC/RefSeq ``NM_000102.2``, a symbol used as
        ``gene_id``), case-insensitively; the symbol exactly; the identifier without its
        version (``ENSG00000990001`` selects the gene and not its ``_PAR_Y`` copy); the symbol
        case-insensitively. An identifier listed in an "ambiguous" message always selects its
        gene.

        Raises
        ------
        DataError
            Unknown gene (with close matches suggested) or an ambiguous symbol (with the
            candidates' identifiers listed).
        """
        q = query.strip()
        hits = (self._by_exact.get(q.upper()) or self._by_name.get(q)
                or self._by_id.get(id_key(q)) or self._by_lower.get(q.lower()))
        if not hits:
            raise DataError(self._unknown_message(q))
        if len(hits) > 1:
            listed = "; ".join(g.describe() for g in hits[:10])
            unique = all(g.gene_id and len(self._by_exact[g.gene_id.upper()]) == 1
                         for g in hits)
            fix = ("give one of these identifiers instead" if unique else
                   "these genes share an identifier; remove the duplicate rows from the file")
            raise DataError(
                f"gene {q!r} is ambiguous in {self.path}: {len(hits)} genes match ({listed}); "
                f"{fix}"
            )
        return hits[0]

    def _unknown_message(self, q: str) -> str:
        pool = list(self._by_name) + [g.gene_id for g in self.genes if g.gene_id]
        close = difflib.get_close_matches(q, pool, n=5, cutoff=0.6)
        if not close:
            close = difflib.get_close_matches(q.upper(), [p.upper() for p in pool], n=5)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        return (
            f"gene {q!r} is not in annotation {self.path} ({len(self.genes)} genes){hint}; "
            "use a symbol or an identifier from that file"
        )


def read_annotation(path: str | Path) -> Annotation:
    """Read a GTF, an ABC-style gene/TSS BED or an ABC GeneList (plain or gzip).

    The format is detected from the content: 9 tab-separated columns with a ``key "value"``
    attribute column → GTF; a header line with ``chr`` and ``tss`` columns → GeneList;
    otherwise BED.

    A large GTF is parsed once; its parsed genes are kept in regfind's cache (see
    :mod:`regfind.io._cache`: keyed by path, size and modification time) and later opens read
    them from there.

    Raises
    ------
    DataError
        Missing or unreadable file, malformed lines, or no genes.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"annotation {path} does not exist; check the 'annotation' path")
    from regfind.io._cache import cached_arrays
    from regfind.io._gtf import CACHE_VERSION, decode_genes, encode_genes

    arrays = cached_arrays(path, "annotation", CACHE_VERSION,
                           lambda: encode_genes(_parse_file(path)))
    return Annotation(decode_genes(arrays), path)


def _parse_file(path: Path) -> list[Gene]:
    try:
        lines = _read_lines(path)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"cannot read annotation {path}: {exc}") from exc
    body = [ln for ln in lines if ln.strip() and not ln.startswith(("#!", "##", "track"))]
    if not body:
        raise DataError(f"annotation {path} holds no genes")
    first = body[0].rstrip("\n").split("\t")
    if len(first) >= 9 and ATTR.search(first[8]):
        from regfind.io._gtf import parse_gtf

        genes = parse_gtf(lines, path)  # unfiltered: line numbers stay right
    elif {"chr", "tss"} <= {c.strip().lstrip("#") for c in first}:
        genes = _parse_genelist(body, path)
    else:
        genes = _parse_bed(body, path)
    if not genes:
        raise DataError(f"annotation {path} holds no genes")
    return genes


def _read_lines(path: Path) -> list[str]:
    with open_text(path) as fh:
        return fh.readlines()


def _parse_bed(lines: list[str], path: Path) -> list[Gene]:
    rows = []
    for lineno, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        try:
            chrom, start, end, name, strand = f[0], int(f[1]), int(f[2]), f[3], f[5]
        except (IndexError, ValueError) as exc:
            raise DataError(
                f"{path}: line {lineno} is not 'chr start end name score strand ...': "
                f"{line.strip()[:60]!r}"
            ) from exc
        rows.append((chrom, start, end, name, strand, f[6] if len(f) > 6 else "",
                     f[7] if len(f) > 7 else ""))
    same_width = len({r[2] - r[1] for r in rows}) == 1
    genes = []
    for chrom, start, end, name, strand, gid, gtype in rows:
        if same_width:
            tss = start + (end - start) // 2
        else:
            tss = end - 1 if strand == "-" else start
        genes.append(Gene(gid, name, chrom, tss, strand if strand in "+-" else ".", gtype))
    return genes


def _parse_genelist(lines: list[str], path: Path) -> list[Gene]:
    header = [c.strip().lstrip("#") for c in lines[0].rstrip("\n").split("\t")]
    col = {c: i for i, c in enumerate(header)}
    name_col = "name" if "name" in col else "symbol"
    if name_col not in col:
        raise DataError(f"gene list {path} has no 'name' or 'symbol' column (has {header})")
    genes = []
    for lineno, line in enumerate(lines[1:], 2):
        f = line.rstrip("\n").split("\t")
        try:
            tss = int(float(f[col["tss"]]))
            chrom, name = f[col["chr"]], f[col[name_col]]
        except (IndexError, ValueError) as exc:
            raise DataError(f"{path}: line {lineno} has no integer 'tss'") from exc
        strand = f[col["strand"]] if "strand" in col else "."
        ens = next((x for x in f if x.upper().startswith("ENSG")), "")
        genes.append(Gene(ens, name, chrom, tss, strand if strand in "+-" else "."))
    return genes

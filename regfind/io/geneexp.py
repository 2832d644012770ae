"""The official GeneExp dataset folder (HuggingFace ``xingyusu/GeneExp``) as a data profile.

A profile with ``geneexp_root = "/path/GeneExp"`` reads the files the official loader reads
(docs/inputs.md, "The official GeneExp dataset"), relative to that root:

================  ==============================================================================
genome            ``hg38/hg38.ml.fa``; lengths checked against ``chr_length.json``
blacklist         ``hg38_blacklist_dict_v1.pkl`` (read safely, see :mod:`regfind.io.boolpickle`)
gene symbols      ``promo_enhan_inter/leave_chrom_out_crossvalidation_split_18377genes.csv``
                  (``ENSID`` → ``Gene name``, so ``--gene MYC`` works)
per cell          the ABC ``GeneList.txt`` (genes, ``chr``, ``tss``; PromoterActivity =
                  sqrt(H3K27ac.RPM.TSS1Kb × DHS.RPM.TSS1Kb), raw), the H3K27ac and DNase
                  bigWigs, ``HiC/{cell}/hic_feat_{chrom}.h5`` and the Xpresso CSV
================  ==============================================================================

Cells K562 and GM12878 are known (:data:`CELLS`); a cell is listed when any of its files
exists (both when none does, so ``regfind profiles`` shows what is missing). Any key may be
overridden in the profile, e.g. ``blacklist = "hg38-blacklist.bed.gz"`` to use the BED the
pickle was built from.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

from regfind.errors import DataError
from regfind.io.annotation import Annotation
from regfind.io.genes import id_key
from regfind.io.text import read_text

__all__ = ["CELLS", "add_symbols", "profile_defaults"]

_PEI = "promo_enhan_inter"
_XPRESSO = f"{_PEI}/GM12878_K562_18377_gene_expr_fromXpresso.csv"
_SPLIT = f"{_PEI}/leave_chrom_out_crossvalidation_split_18377genes.csv"

#: Per cell: ABC run folder (holds the GeneList), H3K27ac and DNase bigWig names
#: (docs/inputs.md, "The official GeneExp dataset").
CELLS: dict[str, tuple[str, str, str]] = {
    "K562": ("K562_DNase_ENCFF257HEE_hic_4DNFITUOMFUQ_1MB_ABC_nominated/"
             "DNase_ENCFF257HEE_Neighborhoods", "ENCFF465GBD.bigWig", "ENCFF414OGC.bigWig"),
    "GM12878": ("GM12878_DNase_ENCFF020WZB_hic_4DNFI1UEG1HD_1MB_ABC_nominated/"
                "DNase_ENCFF020WZB_Neighborhoods", "ENCFF798KYP.bigWig", "ENCFF960FMM.bigWig"),
}


def _cell_files(root: Path, cell: str) -> dict[str, str]:
    abc, k27, dnase = CELLS[cell]
    return {
        "gene_list": str(root / _PEI / abc / "GeneList.txt"),
        "h3k27ac": str(root / _PEI / "H3K27ac" / cell / k27),
        "dnase": str(root / _PEI / "DNase-seq" / cell / dnase),
        "hic": str(root / _PEI / "HiC" / cell),
        "gene_features": str(root / _XPRESSO),
    }


def profile_defaults(root: str | Path) -> dict[str, object]:
    """Return the profile body (as read from TOML, absolute paths) of a GeneExp folder.

    Parameters
    ----------
    root : str or Path
        The dataset root (``DATA_ROOT``), holding ``chr_length.json`` and ``promo_enhan_inter``.
        It need not exist: missing files are reported by ``Profile.check_files`` and raise
        when opened.
    """
    root = Path(root)
    cells = {c: _cell_files(root, c) for c in CELLS}
    present = {c: f for c, f in cells.items()
               if any(Path(f[k]).exists() for k in ("gene_list", "h3k27ac", "dnase", "hic"))}
    return {
        "fasta": str(root / "hg38" / "hg38.ml.fa"),
        "chrom_sizes": str(root / "chr_length.json"),
        "blacklist": str(root / "hg38_blacklist_dict_v1.pkl"),
        "gene_names": str(root / _SPLIT),
        "cells": present or cells,
    }


def add_symbols(annotation: Annotation, split_csv: str | Path) -> Annotation:
    """Give genes named only by Ensembl ID their symbol from the split CSV's ``Gene name``.

    Parameters
    ----------
    annotation : Annotation
        E.g. a GeneExp GeneList, whose names are Ensembl IDs.
    split_csv : str or Path
        CSV with ``ENSID`` and ``Gene name`` columns.

    Returns
    -------
    Annotation
        Same file and genes; ``name`` replaced where the CSV has a symbol.
    """
    path = Path(split_csv)
    if not path.is_file():
        raise DataError(f"gene name table {path} does not exist; check 'gene_names'")
    with io.StringIO(read_text(path), newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        if "ENSID" not in header or "Gene name" not in header:
            raise DataError(f"gene name table {path} lacks the 'ENSID' and 'Gene name' columns")
        names = {id_key(r["ENSID"]): r["Gene name"] for r in reader}

    def named(g):
        symbol = names.get(id_key(g.gene_id)) if g.gene_id else None
        if symbol and (not g.name or g.name.upper().startswith("ENS")):
            return replace(g, name=symbol)
        return g

    return Annotation([named(g) for g in annotation], annotation.path)

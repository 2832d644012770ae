"""Training data: the model inputs of every gene of an expression table, built once, cached.

An expression table is tab- or comma-separated with a header holding a gene column
(``gene_id``, ``gene``, ``ENSID`` or ``gene_name``), a ``split`` column (``train``, ``valid``,
``test``) and a target column (default ``log10_expr``: log10(CAGE + 1)). ``regfind simulate``
writes one (``expression.tsv``).

Inputs are built with :mod:`regfind.inputs.build` from a data profile and kept in memory as compact
arrays (DNA as int8 codes, -1 for N); they are cached in an ``.npz`` keyed by the sha256 of the
table and the profile's files, so a second run (or a resumed one) skips the build.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regfind.errors import DataError
from regfind.io.text import finite, read_text

__all__ = ["GeneSet", "build_sets", "read_expression"]

_GENE_COLUMNS = ("gene_id", "gene", "ENSID", "gene_name")
SPLITS = ("train", "valid", "test")


@dataclass
class GeneSet:
    """Model inputs of a set of genes, as compact numpy arrays (G genes, window L).

    Attributes
    ----------
    genes : list of str
    codes : numpy.ndarray, shape (G, L), int8
        0..3 for A, C, G, T; -1 for N and padding.
    signals : numpy.ndarray, shape (G, L, 3), float32
    rna_feat : numpy.ndarray, shape (G, 9), float32
    blacklist : numpy.ndarray, shape (G, L), bool
    target : numpy.ndarray, shape (G,), float32
    """

    genes: list[str]
    codes: np.ndarray
    signals: np.ndarray
    rna_feat: np.ndarray
    blacklist: np.ndarray
    target: np.ndarray

    def __len__(self) -> int:
        return len(self.genes)

    def batch(self, index: np.ndarray, device: object = "cpu") -> dict:
        """Return torch tensors of rows ``index``, keyed as the model's arguments.

        Keys: seqs (one-hot [B, L, 4] float32), signals, rna_feat, blacklist, target.
        """
        import torch

        codes = torch.from_numpy(self.codes[index].astype(np.int64))
        seqs = torch.nn.functional.one_hot(codes.clamp(min=0), 4).float()
        seqs = seqs * (codes >= 0)[..., None]
        out = {"seqs": seqs, "signals": torch.from_numpy(self.signals[index]),
               "rna_feat": torch.from_numpy(self.rna_feat[index]),
               "blacklist": torch.from_numpy(self.blacklist[index]),
               "target": torch.from_numpy(self.target[index])}
        return {k: v.to(device) for k, v in out.items()}


def read_expression(path: str | Path, target: str = "log10_expr") -> list[tuple[str, str, float]]:
    """Read ``(gene, split, target)`` rows of an expression table.

    Raises
    ------
    DataError
        Missing file or columns, an unknown split or a non-numeric target.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"expression table {path} does not exist")
    text = read_text(path)
    delim = "\t" if "\t" in text.splitlines()[0] else ","
    reader = csv.DictReader(text.splitlines(), delimiter=delim)
    header = reader.fieldnames or []
    gene_col = next((c for c in _GENE_COLUMNS if c in header), None)
    if gene_col is None or "split" not in header or target not in header:
        raise DataError(f"expression table {path} needs a gene column ({', '.join(_GENE_COLUMNS)}"
                        f"), 'split' and {target!r}; it has {header}")
    rows = []
    for n, r in enumerate(reader, 2):
        if r["split"] not in SPLITS:
            raise DataError(f"{path} line {n}: split {r['split']!r} is not one of {SPLITS}")
        value = finite(r[target], f"{path} line {n}, column {target}")
        rows.append((r[gene_col], r["split"], value))
    return rows


def _fingerprint(table: Path, sources_files: list[Path], window: int, target: str) -> str:
    h = hashlib.sha256(f"{window}:{target}".encode())
    for p in [table, *sources_files]:
        h.update(str(p).encode())
        if p.is_file():
            st = p.stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def build_sets(profile: str | None, cell: str, table: str | Path, *, window: int,
               config: str | Path | None = None, target: str = "log10_expr",
               cache_dir: str | Path | None = None, progress: bool = True
               ) -> dict[str, GeneSet]:
    """Build (or load from the cache) the inputs of every gene, per split.

    Returns
    -------
    dict of str to GeneSet
        Keys 'train', 'valid', 'test' (a split may be empty).
    """
    from regfind.inputs.profiles import get_profile

    prof = get_profile(profile, config)
    rows = read_expression(table, target)
    key = _fingerprint(Path(table), [p for _, p in prof.files()], window, target)
    cache = Path(cache_dir) / f"inputs-{key}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        return _load(cache)
    sources = prof.sources(cell)
    sets = {s: _build([r for r in rows if r[1] == s], sources, window, progress, s)
            for s in SPLITS}
    if cache is not None:
        _save(cache, sets)
    return sets


def _build(rows: list[tuple[str, str, float]], sources: object, window: int, progress: bool,
           label: str) -> GeneSet:
    import warnings

    from tqdm import tqdm

    from regfind.errors import RegfindWarning
    from regfind.inputs.build import for_gene

    L = window  # noqa: N806
    n = len(rows)
    codes = np.full((n, L), -1, dtype=np.int8)
    signals = np.zeros((n, L, 3), dtype=np.float32)
    rna = np.zeros((n, 9), dtype=np.float32)
    black = np.zeros((n, L), dtype=bool)
    for i, (gene, _, _) in enumerate(tqdm(rows, desc=f"inputs {label}", disable=not progress,
                                          leave=False)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RegfindWarning)
            x = for_gene(gene, sources=sources, window=window)
        onehot = x.seqs[0]
        codes[i] = np.where(onehot.sum(axis=1) > 0, onehot.argmax(axis=1), -1)
        signals[i], rna[i], black[i] = x.signals[0], x.rna_feat[0], x.blacklist[0]
    target = np.array([r[2] for r in rows], dtype=np.float32)
    return GeneSet([r[0] for r in rows], codes, signals, rna, black, target)


def _save(path: Path, sets: dict[str, GeneSet]) -> None:
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for s, g in sets.items():
        for k in ("codes", "signals", "rna_feat", "blacklist", "target"):
            arrays[f"{s}/{k}"] = getattr(g, k)
        arrays[f"{s}/genes"] = np.array(json.dumps(g.genes))
    fd, tmp = tempfile.mkstemp(prefix=".inputs-", suffix=".npz", dir=path.parent)
    os.close(fd)
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _load(path: Path) -> dict[str, GeneSet]:
    with np.load(path) as z:
        return {s: GeneSet(json.loads(str(z[f"{s}/genes"])), z[f"{s}/codes"], z[f"{s}/signals"],
                           z[f"{s}/rna_feat"], z[f"{s}/blacklist"], z[f"{s}/target"])
                for s in SPLITS}

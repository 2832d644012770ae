"""Chromosome names across files: ``chr8`` / ``8`` / ``CHR8`` aliasing and length checks.

Files from one genome build often spell chromosomes differently (UCSC ``chr8`` vs Ensembl
``8``; ``chrM`` vs ``MT``). A name is matched exactly first; otherwise by its *alias key*
(lower-cased, without a ``chr`` prefix, ``m`` → ``mt``). A unique alias match is used and
stated with a :class:`~regfind.errors.RegfindWarning`; none or several raise
:class:`~regfind.errors.GenomeMismatchError` naming both files.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from regfind.errors import DataError, GenomeMismatchError, RegfindWarning

__all__ = ["alias_key", "check_lengths", "harmonise_chroms", "match_chroms",
           "read_chrom_sizes", "resolve_chrom"]


def alias_key(name: str) -> str:
    """Return the spelling-independent key of a chromosome name (``'CHR8'`` → ``'8'``)."""
    key = name.strip().lower()
    if key.startswith("chr"):
        key = key[3:]
    return "mt" if key == "m" else key


def resolve_chrom(
    name: str,
    available: Iterable[str],
    *,
    file: object,
    reference: object = "the request",
    missing_ok: bool = False,
) -> str | None:
    """Return how ``file`` spells the chromosome that ``reference`` calls ``name``.

    Parameters
    ----------
    name : str
        Chromosome name as given by ``reference`` (usually the genome FASTA).
    available : iterable of str
        Chromosome names present in ``file``.
    file, reference : path or str
        Used in messages only.
    missing_ok : bool, default False
        Return ``None`` instead of raising when ``file`` has no such chromosome (for sparse
        files such as a blacklist BED).

    Returns
    -------
    str or None
        The name to use with ``file``.

    Raises
    ------
    GenomeMismatchError
        No chromosome (and ``missing_ok`` is false) or several chromosomes match.
    """
    names = list(available)
    if name in names:
        return name
    matches = [n for n in names if alias_key(n) == alias_key(name)]
    if len(matches) == 1:
        warnings.warn(
            f"chromosome {name!r} of {reference} is called {matches[0]!r} in {file}; "
            f"using {matches[0]!r}",
            RegfindWarning,
            stacklevel=2,
        )
        return matches[0]
    if len(matches) > 1:
        raise GenomeMismatchError(
            f"chromosome {name!r} of {reference} matches several chromosomes of {file}: "
            f"{', '.join(sorted(matches))}; rename them so that one spelling is used"
        )
    if missing_ok:
        return None
    shown = ", ".join(sorted(names)[:8]) + (" ..." if len(names) > 8 else "")
    raise GenomeMismatchError(
        f"chromosome {name!r} of {reference} is not in {file} (it has: {shown or 'none'}); "
        "check that both files come from the same genome build"
    )


def harmonise_chroms(tables: Mapping[str, Any], reference: str | None = None
                     ) -> dict[str, Any]:
    """Spell every table's chromosomes as the reference table does (``2`` -> ``chr2``).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Named region tables with a ``chrom`` column (empty tables are fine).
    reference : str, optional
        The table whose spelling wins (default: the first non-empty one).

    Returns
    -------
    dict of str to pandas.DataFrame
        The tables, renamed where needed (copies; the inputs are not changed), with the
        warnings of :func:`match_chroms`.
    """
    names = [n for n, t in tables.items() if len(t)]
    if not names:
        return dict(tables)
    ref = reference if reference in names else names[0]
    spelling = list(dict.fromkeys(tables[ref]["chrom"].astype(str)))
    return {name: table if name == ref else match_chroms(table, spelling, file=name,
                                                         reference=ref)
            for name, table in tables.items()}


def match_chroms(table: Any, names: Iterable[str], *, file: object, reference: object,
                 stacklevel: int = 3) -> Any:
    """Spell a region table's chromosomes as ``reference`` does (``8`` -> ``chr8``).

    The one aliasing rule (:func:`alias_key`) for every place that matches chromosomes
    between two inputs: region sets, truth sets, peaks, CRISPRi tables and windows.

    Parameters
    ----------
    table : pandas.DataFrame
        Regions with a ``chrom`` column (may be empty).
    names : iterable of str
        The chromosome names of ``reference`` (a genome's, or another table's).
    file, reference : object
        Named in the warnings.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn`.

    Returns
    -------
    pandas.DataFrame
        ``table`` itself when nothing is renamed, else a renamed copy. A
        :class:`RegfindWarning` names the renaming, and another says when the two share no
        chromosome at all (every overlap between them is then 0).
    """
    if not len(table):
        return table
    spelling: dict[str, str] = {}
    for name in names:
        spelling.setdefault(alias_key(name), name)
    chroms = table["chrom"].astype(str)
    present = set(spelling.values())
    mapping = {c: spelling[alias_key(c)] for c in chroms.unique()
               if c not in present and alias_key(c) in spelling}
    if mapping:
        shown = ", ".join(f"{a!r} -> {b!r}" for a, b in list(mapping.items())[:3])
        warnings.warn(f"chromosomes of {file} renamed as {reference} spells them ({shown}"
                      f"{', ...' if len(mapping) > 3 else ''})", RegfindWarning,
                      stacklevel=stacklevel)
        table = table.assign(chrom=chroms.replace(mapping))
    if spelling and not set(table["chrom"].astype(str)) & present:
        warnings.warn(f"{file} and {reference} share no chromosome: every overlap between them "
                      "is 0", RegfindWarning, stacklevel=stacklevel)
    return table


def check_lengths(
    sizes: Mapping[str, int],
    file: object,
    reference_sizes: Mapping[str, int],
    reference: object,
) -> None:
    """Raise if chromosomes shared by two files (after aliasing) differ in length.

    Parameters
    ----------
    sizes, reference_sizes : mapping of str to int
        Chromosome lengths in bp of ``file`` and of ``reference``.
    file, reference : path or str
        Used in the message.

    Raises
    ------
    GenomeMismatchError
        Naming the first chromosome whose lengths disagree and both files.
    """
    ref_by_key = {alias_key(k): (k, v) for k, v in reference_sizes.items()}
    for chrom, length in sizes.items():
        hit = ref_by_key.get(alias_key(chrom))
        if hit is not None and int(hit[1]) != int(length):
            raise GenomeMismatchError(
                f"chromosome {chrom!r} is {length} bp in {file} but {hit[0]!r} is {hit[1]} bp "
                f"in {reference}: the files come from different genome builds; use files of "
                "one build (for example all hg38)"
            )


def read_chrom_sizes(path: str | Path, build: str = "hg38") -> dict[str, int]:
    """Read chromosome lengths from a ``.sizes`` table or the GeneExp ``chr_length.json``.

    Parameters
    ----------
    path : str or Path
        Two columns ``chrom length`` (tab or space separated), or JSON: either
        ``{build: {chrom: length}}`` (GeneExp) or ``{chrom: length}``.
    build : str, default 'hg38'
        Key of the nested JSON form.

    Raises
    ------
    DataError
        Missing file, malformed content, or a JSON without ``build``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"chromosome sizes file {path} does not exist; check 'chrom_sizes'")
    from regfind.io.text import read_text

    text = read_text(path)
    try:
        if path.suffix == ".json":
            data = json.loads(text)
            if isinstance(data, dict) and isinstance(data.get(build), dict):
                data = data[build]
            return {str(k): int(v) for k, v in data.items()}
        rows = (ln.split() for ln in text.splitlines() if ln.strip() and ln[0] != "#")
        return {r[0]: int(r[1]) for r in rows}
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise DataError(
            f"chromosome sizes file {path} is malformed (expected 'chrom length' lines or JSON "
            f"{{{build!r}: {{chrom: length}}}}): {exc}"
        ) from exc

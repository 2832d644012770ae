"""Dinucleotide-preserving shuffles of DNA: the one shuffle of regfind (baselines, backgrounds).

The shuffle is tangermeme's ``tangermeme.ersatz.dinucleotide_shuffle``: it keeps the count of
every dinucleotide (``AC``, ``CG``, ...) and the first and last letter, by the Eulerian-path
construction of DeepLIFT's ``dinuc_shuffle`` (for every letter, the successors of its occurrences
are permuted except the last one, which keeps the walk valid). It is not uniform over all
dinucleotide-preserving sequences, which does not matter for a baseline or a background.

Two entry points share it:

- :func:`dinucleotide_shuffle` for one-hot arrays (attribution baselines, ISM tiles): an
  all-zero row (N) is shuffled as a fifth letter (tangermeme's ``allow_N``), so the counts of
  dinucleotides containing N are kept too.
- :func:`shuffle_text` for sequences as text (the motif background): each run of A/C/G/T is
  shuffled on its own and runs of any other letter (N) stay in place, so a shuffled region has
  its gaps where the region has them.

Seeds: a :class:`numpy.random.Generator` draws one integer seed per call for tangermeme, so a
seeded generator gives the same shuffles on every run.
"""

from __future__ import annotations

import re

import numpy as np

from regfind.errors import InputError

__all__ = ["dinucleotide_shuffle", "shuffle_text"]

_EYE5 = np.vstack([np.eye(4), np.zeros((1, 4))])
_CODE = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _i
_ACGT_RUN = re.compile(r"[ACGT]+|[^ACGT]+")


def _shuffles(onehot: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` tangermeme shuffles of one (L, 4) one-hot sequence, shape (n, L, 4), int8."""
    import torch
    from tangermeme.ersatz import dinucleotide_shuffle as tm_shuffle

    x = torch.from_numpy(np.ascontiguousarray(onehot.T, dtype=np.int8))[None]
    out = tm_shuffle(x, n=n, random_state=seed, allow_N=True)
    return out[0].numpy().transpose(0, 2, 1)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def dinucleotide_shuffle(onehot: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shuffle a one-hot sequence keeping its dinucleotide counts.

    Parameters
    ----------
    onehot : numpy.ndarray, shape (L, 4)
        One-hot A, C, G, T; N is an all-zero row and is shuffled like a fifth letter.
    rng : numpy.random.Generator
        Source of randomness (seed it for reproducible baselines).

    Returns
    -------
    numpy.ndarray, shape (L, 4)
        Same dtype as ``onehot``.

    Raises
    ------
    InputError
        If ``onehot`` is not (L, 4) or has a row that is not one-hot or all zero.
    """
    arr = np.asarray(onehot)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise InputError(f"expected a one-hot array of shape (L, 4), got {arr.shape}")
    if not (np.isin(arr, (0, 1)).all() and (arr.sum(axis=1) <= 1).all()):
        raise InputError("expected one-hot rows (a single 1, or all zeros for N)")
    if arr.shape[0] < 3:
        return arr.copy()
    return _shuffles(arr, 1, _seed(rng))[0].astype(arr.dtype)


def shuffle_text(seq: str, n: int, rng: np.random.Generator) -> list[str]:
    """Return ``n`` dinucleotide shuffles of a sequence, other letters (N) left in place.

    Parameters
    ----------
    seq : str
        Upper-case DNA; every letter other than A, C, G, T stays where it is.
    n : int
        Number of shuffles (>= 1).
    rng : numpy.random.Generator

    Returns
    -------
    list of str
        ``n`` sequences as long as ``seq``.
    """
    columns = []
    for m in _ACGT_RUN.finditer(seq):
        run = m.group()
        if run[0] in "ACGT" and len(run) >= 3:
            shuffled = _shuffles(_EYE5[_CODE[np.frombuffer(run.encode(), np.uint8)]], n,
                                 _seed(rng))
            columns.append(["".join(np.array(list("ACGT"))[s.argmax(axis=1)])
                            for s in shuffled])
        else:
            columns.append([run] * n)
    return ["".join(parts) for parts in zip(*columns, strict=True)] if columns else [seq] * n

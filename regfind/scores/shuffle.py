"""Dinucleotide-preserving shuffles of one-hot DNA (baselines and perturbations).

The shuffle keeps the count of every dinucleotide (``AC``, ``CG``, ...; N counts as a fifth
letter) and the first and last letter. It is the Eulerian-path construction used by DeepLIFT's
``dinuc_shuffle`` (Kundaje lab): for every letter, the successors of its occurrences are permuted
except the last one, which keeps the walk valid. It is not uniform over all dinucleotide-
preserving sequences, which does not matter for a baseline.
"""

from __future__ import annotations

import numpy as np

from regfind.errors import InputError

__all__ = ["dinucleotide_shuffle"]


def _tokens(onehot: np.ndarray) -> np.ndarray:
    """Letter index per base: 0-3 for A, C, G, T and 4 for N (an all-zero row)."""
    if onehot.ndim != 2 or onehot.shape[1] != 4:
        raise InputError(f"expected a one-hot array of shape (L, 4), got {onehot.shape}")
    return np.where(onehot.any(axis=1), onehot.argmax(axis=1), 4)


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
    """
    tokens = _tokens(onehot)
    if tokens.size < 3:
        return onehot.copy()
    successors = []
    for letter in range(5):
        nxt = np.flatnonzero(tokens[:-1] == letter) + 1
        order = np.arange(nxt.size)
        if nxt.size > 1:
            order[:-1] = rng.permutation(nxt.size - 1)
        successors.append(nxt[order])
    out = np.empty_like(tokens)
    used = [0] * 5
    pos = 0
    out[0] = tokens[0]
    for j in range(1, tokens.size):
        letter = tokens[pos]
        pos = successors[letter][used[letter]]
        used[letter] += 1
        out[j] = tokens[pos]
    eye = np.vstack([np.eye(4, dtype=onehot.dtype), np.zeros((1, 4), dtype=onehot.dtype)])
    return eye[out]

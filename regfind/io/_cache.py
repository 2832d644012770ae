"""A small on-disk cache of parsed input files (numpy ``.npz``, never pickles).

Parsing a full GENCODE GTF in Python takes tens of seconds and converting the GeneExp blacklist
pickle means reading gigabytes, so the parsed result of a large file is stored as flat numpy
arrays in the ``parsed/`` folder of ``$REGFIND_CACHE`` or ``platformdirs.user_cache_dir('regfind')``
(set ``REGFIND_NO_CACHE=1`` to switch the cache off). An entry is keyed by the file's absolute path
and kind, and records the file's size and modification time (ns) and a format version: any
change to one of them makes the entry stale, and it is rebuilt and replaced. Entries are written
atomically (temporary file, then rename) and read with ``allow_pickle=False``; an unreadable
entry is ignored and rebuilt. Files smaller than :data:`MIN_BYTES` are not cached (parsing
them is faster than the cache), and a cache directory that cannot be written is skipped
silently: the cache only ever saves time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["MIN_BYTES", "cache_dir", "cached_arrays"]

#: Files smaller than this (bytes) are parsed directly, never cached.
MIN_BYTES = 4_000_000
_META = "__meta__"


def cache_dir() -> Path | None:
    """Return the cache directory, or None when ``REGFIND_NO_CACHE`` is set."""
    if os.environ.get("REGFIND_NO_CACHE", "") not in ("", "0"):
        return None
    env = os.environ.get("REGFIND_CACHE")
    if env:
        return Path(env).expanduser() / "parsed"
    import platformdirs

    return Path(platformdirs.user_cache_dir("regfind")) / "parsed"


def _entry(path: Path, kind: str) -> Path | None:
    base = cache_dir()
    if base is None:
        return None
    digest = hashlib.sha1(f"{kind}\0{path}".encode()).hexdigest()[:20]
    return base / kind / f"{path.name[:40]}-{digest}.npz"


def _meta(path: Path, version: int) -> np.ndarray:
    st = path.stat()
    return np.array([str(path), str(st.st_size), str(st.st_mtime_ns), str(version)])


def _load(entry: Path, meta: np.ndarray) -> dict[str, np.ndarray] | None:
    try:
        with np.load(entry, allow_pickle=False) as npz:
            if _META not in npz.files or not np.array_equal(npz[_META], meta):
                return None
            return {k: npz[k] for k in npz.files if k != _META}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _save(entry: Path, meta: np.ndarray, arrays: dict[str, np.ndarray]) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays, **{_META: meta})
        os.replace(tmp, entry)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def cached_arrays(path: str | Path, kind: str, version: int,
                  build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Return ``build()`` for a file, from the cache when a fresh entry exists.

    Parameters
    ----------
    path : str or Path
        The input file the arrays are parsed from (its size and mtime key the entry).
    kind : str
        Cache sub-folder and part of the key (e.g. 'gtf', 'bool-pickle').
    version : int
        Format version of ``build``'s output; bump it when the encoding changes.
    build : callable () -> dict of str to numpy.ndarray
        Parses the file. Its exceptions propagate and nothing is cached.

    Returns
    -------
    dict of str to numpy.ndarray
        Arrays without object dtype (they are stored and read without pickle).
    """
    path = Path(path).resolve()
    entry = _entry(path, kind) if path.stat().st_size >= MIN_BYTES else None
    if entry is None:
        return build()
    meta = _meta(path, version)
    if entry.is_file():
        hit = _load(entry, meta)
        if hit is not None:
            return hit
    arrays = build()
    _save(entry, meta, arrays)
    return arrays

"""Read the GeneExp mask pickles (dict chrom → numpy bool array) without running their code.

The GeneExp dataset ships its blacklist and include list as Python pickles of
``{chrom: numpy.ndarray(bool, chromosome length)}`` (docs/official-model.md, "Blacklist").
Unpickling runs whatever callables a pickle names, so regfind never calls :func:`pickle.load`
on them. Its :class:`_MaskUnpickler` resolves only the globals a pickled 1-D bool array needs,
and even those to regfind's own stand-ins, not to numpy:

=================================================  ==========================================
global named by the pickle                         stand-in
=================================================  ==========================================
``numpy.core.multiarray._reconstruct`` and          returns an empty run-length mask whose
``numpy._core.multiarray._reconstruct``             ``__setstate__`` takes the raw bytes
``numpy.core.numeric._frombuffer`` and              builds the run-length mask from the bytes
``numpy._core.numeric._frombuffer`` (protocol 5)
``numpy.ndarray``                                   a marker that cannot be called
``numpy.dtype``                                     :class:`numpy.dtype` (a descriptor only)
``_codecs.encode`` (protocol 2 bytes)               latin-1 encoding of a ``str`` only
=================================================  ==========================================

Any other global (``os.system``, ``builtins.eval``, ...) raises
:class:`~regfind.errors.UnsafeFileError` naming the file and the global, before anything is
called. Every array is turned into its runs of True as soon as it is read, so memory stays at
one chromosome's bytes instead of the ~3 GB the official loader holds.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from regfind.errors import DataError, UnsafeFileError

__all__ = ["read_bool_pickle"]

_CACHE_VERSION = 1


class _StandIn:
    """A callable stand-in for an allowed global; it refuses ``BUILD`` (attribute setting)."""

    __slots__ = ("fn", "label")

    def __init__(self, label: str, fn: Any = None) -> None:
        self.fn, self.label = fn, label

    def __call__(self, *args: Any) -> Any:
        if self.fn is None:
            raise DataError(f"calls {self.label} directly")
        return self.fn(*args)

    def __setstate__(self, state: Any) -> None:
        raise DataError(f"tries to set attributes of {self.label}")


_NDARRAY = _StandIn("numpy.ndarray")
_BOOL = np.dtype(bool)


class _Runs:
    """Runs of True of one pickled bool array (filled by ``__setstate__`` or from a buffer)."""

    def __init__(self) -> None:
        self.length = -1
        self.starts = self.ends = np.zeros(0, dtype=np.int64)

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise DataError(f"unexpected ndarray state {type(state).__name__}")
        _version, shape, dtype, _fortran, raw = state
        self.fill(raw, dtype, shape)

    def fill(self, raw: Any, dtype: Any, shape: Any) -> None:
        """Convert the raw bytes of a 1-D bool array into sorted ``starts``/``ends``."""
        if not isinstance(dtype, np.dtype) or dtype != _BOOL:
            raise DataError(f"holds arrays of dtype {dtype}, expected bool")
        if not (isinstance(shape, tuple) and len(shape) == 1 and isinstance(shape[0], int)):
            raise DataError(f"holds an array of shape {shape}, expected 1-D")
        if not isinstance(raw, (bytes, bytearray)) or len(raw) != shape[0]:
            raise DataError("holds an array whose data does not match its shape")
        self.length = shape[0]
        self.starts, self.ends = _true_runs(np.frombuffer(raw, dtype=np.uint8))


def _true_runs(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if v.size and v.max() > 1:
        raise DataError("holds bool bytes other than 0 and 1")
    edges = np.flatnonzero(v[1:] != v[:-1]) + 1
    up = edges[v[edges] == 1]
    down = edges[v[edges] == 0]
    if v.size and v[0]:
        up = np.concatenate([[0], up])
    if v.size and v[-1]:
        down = np.concatenate([down, [v.size]])
    return up.astype(np.int64), down.astype(np.int64)


def _reconstruct(cls: Any, shape: Any, code: Any) -> _Runs:
    if cls is not _NDARRAY:
        raise DataError("applies _reconstruct to something other than numpy.ndarray")
    return _Runs()


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> _Runs:
    runs = _Runs()
    runs.fill(bytes(buf) if isinstance(buf, memoryview) else buf, dtype, shape)
    return runs


def _latin1(text: Any, encoding: Any) -> bytes:
    if not isinstance(text, str) or encoding != "latin1":
        raise DataError("uses _codecs.encode for something other than latin-1 bytes")
    return text.encode("latin1")


_RECONSTRUCT = _StandIn("numpy ndarray _reconstruct", _reconstruct)
_FROMBUFFER = _StandIn("numpy _frombuffer", _frombuffer)
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _StandIn("numpy.dtype", np.dtype),
    ("_codecs", "encode"): _StandIn("_codecs.encode", _latin1),
}


class _MaskUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals of :data:`_ALLOWED`, to safe stand-ins."""

    def __init__(self, file: Any, path: Path) -> None:
        super().__init__(file)
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        """Return the stand-in of an allowed global; refuse every other one."""
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafeFileError(
                f"refusing to load {self.path}: it asks to import {module}.{name}, which a "
                "pickle of numpy bool arrays never needs (the file may be malicious or not a "
                "GeneExp mask pickle); nothing from it was run. Use the BED it was built from "
                "instead (e.g. ENCODE hg38-blacklist.bed.gz)"
            ) from None


def _load(path: Path) -> dict[str, _Runs]:
    try:
        with open(path, "rb") as fh:
            obj = _MaskUnpickler(fh, path).load()
    except UnsafeFileError:
        raise
    except DataError as exc:
        raise DataError(f"{path} is not a GeneExp mask pickle: it {exc}") from exc
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError,
            IndexError, KeyError, OverflowError, MemoryError, OSError) as exc:
        raise DataError(f"cannot read mask pickle {path}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(obj, dict) or not all(
        isinstance(k, str) and isinstance(v, _Runs) and v.length >= 0 for k, v in obj.items()
    ):
        raise DataError(
            f"{path} is not a GeneExp mask pickle: expected a dict of chromosome name to "
            f"numpy bool array, got {type(obj).__name__}"
        )
    return obj


def _encode(masks: dict[str, _Runs]) -> dict[str, np.ndarray]:
    out = {"chroms": np.array(list(masks), dtype=str),
           "lengths": np.array([m.length for m in masks.values()], dtype=np.int64),
           "counts": np.array([len(m.starts) for m in masks.values()], dtype=np.int64)}
    out["starts"] = np.concatenate([m.starts for m in masks.values()] or [np.zeros(0, np.int64)])
    out["ends"] = np.concatenate([m.ends for m in masks.values()] or [np.zeros(0, np.int64)])
    return out


def read_bool_pickle(
    path: str | Path,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, int]]:
    """Read a pickled ``{chrom: bool array}`` safely as intervals.

    Parameters
    ----------
    path : str or Path
        E.g. ``hg38_blacklist_dict_v1.pkl`` of the GeneExp dataset.

    Returns
    -------
    intervals : dict of str to (numpy.ndarray, numpy.ndarray)
        Per chromosome, sorted non-overlapping starts and ends of the runs of True (int64,
        0-based half-open), the format of :func:`regfind.io.blacklist.read_bed_intervals`.
    lengths : dict of str to int
        Array length per chromosome (the chromosome length it was built for).

    Raises
    ------
    UnsafeFileError
        The pickle names a global outside the allow-list (nothing is run).
    DataError
        Missing or malformed file, or not a dict of 1-D bool arrays.
    """
    from regfind.io._cache import cached_arrays

    path = Path(path)
    if not path.is_file():
        raise DataError(f"mask pickle {path} does not exist; check its path")
    arr = cached_arrays(path, "bool-pickle", _CACHE_VERSION, lambda: _encode(_load(path)))
    bounds = np.concatenate([[0], np.cumsum(arr["counts"])])
    chroms = [str(c) for c in arr["chroms"]]
    intervals = {c: (arr["starts"][bounds[i]:bounds[i + 1]], arr["ends"][bounds[i]:bounds[i + 1]])
                 for i, c in enumerate(chroms)}
    return intervals, dict(zip(chroms, (int(n) for n in arr["lengths"]), strict=True))

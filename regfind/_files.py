"""File helpers shared by every writer: atomic replacement and checksums."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from regfind.errors import DataError

__all__ = ["atomic_write", "sha256_file"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` only on success.

    Parameters
    ----------
    path : path-like
        Final destination. Its directory must exist.

    Yields
    ------
    pathlib.Path
        Temporary file (same directory, so ``os.replace`` is atomic) to write to.
    """
    dest = Path(path)
    if not dest.parent.is_dir():
        raise DataError(f"cannot write {dest}: directory {dest.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _umask() -> int:
    """Return the process umask (read without changing it for good)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

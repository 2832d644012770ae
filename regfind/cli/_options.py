"""Option types shared by the commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click


class OutputPath(click.Path):
    """An output file (or folder, ``dir_okay=True``) whose location is checked before any work.

    The nearest existing ancestor must be a writable folder, and the path itself must not be a
    folder (for files), so a long run never ends in a traceback at write time.
    """

    name = "output"

    def __init__(self, *, dir_okay: bool = False) -> None:
        super().__init__(dir_okay=dir_okay, path_type=Path)
        self.is_dir = dir_okay

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Path:
        """Return the path, or fail with one line that names it."""
        path = Path(super().convert(value, param, ctx))
        if not self.is_dir and path.is_dir():
            self.fail(f"{path} is a folder; give a file name", param, ctx)
        parent = path.parent if not path.exists() else path if path.is_dir() else path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            self.fail(f"cannot write {path}: {parent} is a file, not a folder", param, ctx)
        if not os.access(parent, os.W_OK | os.X_OK):
            self.fail(f"cannot write {path}: folder {parent} is not writable", param, ctx)
        if path.exists() and not path.is_dir() and not os.access(path, os.W_OK):
            self.fail(f"cannot write {path}: the file is read-only", param, ctx)
        return path


#: An output file checked before the work starts.
OUTPUT = OutputPath()
#: An output folder checked before the work starts.
OUTPUT_DIR = OutputPath(dir_okay=True)

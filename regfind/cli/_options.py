"""Option types and option groups shared by the commands.

Each group is declared once: :func:`run_options` (``--cell --profile --config --model
--device``: what :func:`regfind.model.context.open_run` opens) and :func:`rule_options` (``-c
--top-fraction -l -g``, passed on as one :class:`regfind.intervals.regions.CallRules` named
``rules``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


class OutputPath(click.Path):
    """An output file (or folder, ``dir_okay=True``) whose location is checked before any work.

    A file's folder must exist and be writable (a mistyped path fails instead of creating
    folders); an output folder may be new, under a writable existing folder. The path itself
    must not be a folder (for files), so a long run never ends in a traceback at write time.
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
        nearest = parent
        while not nearest.exists() and nearest != nearest.parent:
            nearest = nearest.parent
        if not nearest.is_dir():
            self.fail(f"cannot write {path}: {nearest} is a file, not a folder", param, ctx)
        if not self.is_dir and not parent.exists():  # a typo must not leave stray folders
            self.fail(f"cannot write {path}: folder {parent} does not exist; create it first",
                      param, ctx)
        parent = nearest
        if not os.access(parent, os.W_OK | os.X_OK):
            self.fail(f"cannot write {path}: folder {parent} is not writable", param, ctx)
        if path.exists() and not path.is_dir() and not os.access(path, os.W_OK):
            self.fail(f"cannot write {path}: the file is read-only", param, ctx)
        return path


#: An output file checked before the work starts.
OUTPUT = OutputPath()
#: An output folder checked before the work starts.
OUTPUT_DIR = OutputPath(dir_okay=True)


def _apply(options: list[Callable[[Any], Any]], f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(options):
        f = option(f)
    return f


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--cell`` (required), ``--profile``, ``--config``, ``--model`` and ``--device``.

    The command receives ``cell, profile, config, model_path, device``.
    """
    return _apply([
        click.option("--cell", required=True,
                     help="Cell type of the data profile (e.g. K562; 'demo': the built-in "
                          "demo)."),
        click.option("--profile", help="Data profile name (default: the one with the cell)."),
        click.option("--config", type=click.Path(path_type=Path),
                     help="Profiles TOML file (default: $REGFIND_CONFIG or the user config "
                          "dir)."),
        click.option("--model", "model_path",
                     help="Model: a path, a models/ folder or a zoo name (default: the "
                          "profile's)."),
        click.option("--device", help="cpu, cuda, cuda:1 ... (default: CUDA when available)."),
    ], f)


def rule_options(score: str = "mask") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the interval rules and pass them as one ``rules`` argument (a ``CallRules``).

    Parameters
    ----------
    score : str, default 'mask'
        What the cutoff applies to, for the help text.
    """
    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(*args: Any, cutoff: float | None, top_fraction: float | None,
                    min_length: int | None, max_gap: int | None, **kwargs: Any) -> Any:
            from regfind.intervals.regions import CallRules

            rules = CallRules(cutoff, top_fraction, min_length, max_gap)
            return f(*args, rules=rules, **kwargs)

        return _apply([
            click.option("-c", "--cutoff", type=float, help=f"Keep bases with {score} >= CUTOFF."),
            click.option("--top-fraction", type=click.FloatRange(0, 1, min_open=True),
                         help="Keep this fraction of each window's bases (soft-mask default: "
                              "0.1)."),
            click.option("-l", "--min-length", type=click.IntRange(min=0),
                         help="Minimum region length in bp [100]."),
            click.option("-g", "--max-gap", type=click.IntRange(min=0),
                         help="Merge regions closer than this (bp) [50]."),
        ], wrapper)

    return decorate


"""regfind: find the regulatory elements that drive a gene's expression with Seq2Exp.

The public API is re-exported here. Heavy modules (torch, the model) are imported lazily on
first attribute access so that ``import regfind`` and the CLI start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "call": "regfind.calling.api",
    "CallResult": "regfind.calling.api",
    "CallParams": "regfind.intervals.regions",
    "for_gene": "regfind.inputs.build",
    "for_locus": "regfind.inputs.build",
    "attribute": "regfind.scores.attribution",
    "write_report": "regfind.look.report",
    "Locus": "regfind.coords",
    "load_model": "regfind.model.context",
    "save_model": "regfind.model.checkpoint",
    "Seq2Exp": "regfind.model.seq2exp",
    "Seq2ExpConfig": "regfind.model.config",
    "Seq2ExpOutput": "regfind.model.seq2exp",
    "variant_effects": "regfind.calling.variants",
}

__all__ = sorted(["__version__", *_LAZY])


def _version() -> str:
    """Return the installed version (read on first use: importlib.metadata is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("regfind")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = _version()
        return globals()[name]
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'regfind' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

"""Figures: locus view, sequence logos, discovered motifs, comparison plots (matplotlib, no pyplot).

Every function takes plain inputs (arrays, DataFrames, :class:`~regfind.model.inference.GeneMask`)
and returns a :class:`matplotlib.figure.Figure`; :func:`save` writes PNG, SVG or PDF atomically.
See ``docs/look.md``.
"""

from __future__ import annotations

from regfind.look.plot._base import FORMATS, MAX_BINS, save
from regfind.look.plot._compare import cutoff_curves, faithfulness_curves, pr_curves
from regfind.look.plot._discovered import discovered_logos
from regfind.look.plot._locus import SIGNAL_NAMES, locus
from regfind.look.plot._logos import contributions, logos
from regfind.look.plot._result import plot_result

__all__ = ["FORMATS", "MAX_BINS", "SIGNAL_NAMES", "contributions", "cutoff_curves",
           "discovered_logos", "faithfulness_curves", "locus", "logos", "plot_result",
           "pr_curves", "save"]

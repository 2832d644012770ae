"""Comparison figures: precision-recall per method, deletion/insertion curves, cutoff analysis.

Inputs are plain tables so any producer (``regfind compare``, ``regfind benchmark``, a notebook)
can feed them: a long DataFrame with a ``method`` column, or a mapping of method name to its own
DataFrame.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regfind.errors import InputError
from regfind.look.plot._base import new_figure, save, tidy

_PALETTE = ("#1f3f7a", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
            "#a6761d", "#666666")


def _long(curves: pd.DataFrame | Mapping[str, pd.DataFrame], need: tuple[str, ...]
          ) -> pd.DataFrame:
    if isinstance(curves, Mapping):
        parts = [df.assign(method=str(name)) for name, df in curves.items()]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    else:
        table = curves
    missing = [c for c in ("method", *need) if c not in table.columns]
    if missing:
        raise InputError(f"curve table lacks column(s) {', '.join(missing)}; it has "
                         f"{', '.join(map(str, table.columns)) or 'none'}")
    return table


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under a precision-recall curve as a step function (average precision)."""
    order = np.argsort(recall, kind="stable")
    r = np.concatenate([[0.0], np.asarray(recall, float)[order]])
    p = np.asarray(precision, float)[order]
    return float(np.sum(np.diff(r) * p))


def pr_curves(curves: pd.DataFrame | Mapping[str, pd.DataFrame], *,
              baseline: float | None = None, title: str = "Precision-recall",
              dpi: int = 120, path: str | os.PathLike[str] | None = None) -> Figure:
    """Draw one precision-recall curve per method, with its AUPRC in the legend.

    Parameters
    ----------
    curves : DataFrame or mapping of str to DataFrame
        Columns ``recall`` and ``precision`` (and ``method`` for a long table).
    baseline : float, optional
        Fraction of positives: drawn as the random-ranking line.
    title : str
    dpi : int, default 120
    path : path-like, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = _long(curves, ("recall", "precision"))
    fig = new_figure(5.5, 4.5, dpi)
    ax = fig.subplots()
    for k, (name, df) in enumerate(table.groupby("method", sort=False)):
        r, p = df["recall"].to_numpy(float), df["precision"].to_numpy(float)
        order = np.argsort(r, kind="stable")
        ax.step(r[order], p[order], where="post", color=_PALETTE[k % len(_PALETTE)], lw=1.5,
                label=f"{name} (AUPRC {average_precision(r, p):.3f})")
    if baseline is not None:
        ax.axhline(baseline, color="#999999", ls="--", lw=1, label=f"random ({baseline:.3f})")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    tidy(ax)
    if path is not None:
        save(fig, path)
    return fig


def faithfulness_curves(curves: pd.DataFrame | Mapping[str, pd.DataFrame], *,
                        x: str = "fraction", y: str = "value", kind: str = "curve",
                        ylabel: str | None = None, dpi: int = 120,
                        path: str | os.PathLike[str] | None = None) -> Figure:
    """Draw deletion and insertion curves per method, one panel per curve kind.

    Parameters
    ----------
    curves : DataFrame or mapping of str to DataFrame
        Long table with columns ``method``, ``kind`` (e.g. ``deletion``/``insertion``), ``x``
        (fraction of bases removed or kept, 0-1) and ``y`` (the prediction).
    x, y, kind : str
        Column names.
    ylabel : str, optional
        Default: "mean normalised prediction" for a table of mean curves (a ``genes``
        column, ``regfind faithfulness --mean-curves``), else "predicted log10(CAGE+1)".
    dpi : int, default 120
    path : path-like, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
        The legend gives each curve's area (trapezoid over ``x``).

    Raises
    ------
    InputError
        The table holds the curves of several genes (one line per method would join them).
    """
    table = _long(curves, (x, y, kind))
    if "gene" in table.columns and table["gene"].nunique() > 1:
        raise InputError(f"the table holds the curves of {table['gene'].nunique()} genes: draw "
                         "their mean (regfind faithfulness --mean-curves) or one gene's rows")
    if ylabel is None:
        ylabel = ("mean normalised prediction\n(1 = full window, 0 = promoter only)"
                  if "genes" in table.columns else "predicted log10(CAGE+1)")
    kinds = list(dict.fromkeys(table[kind]))
    fig = new_figure(4.6 * max(1, len(kinds)), 4.2, dpi)
    axes = np.atleast_1d(fig.subplots(1, max(1, len(kinds)), sharey=True))
    methods = list(dict.fromkeys(table["method"]))
    for ax, name in zip(axes, kinds, strict=False):
        sub = table[table[kind] == name]
        for k, method in enumerate(methods):
            df = sub[sub["method"] == method].sort_values(x)
            if df.empty:
                continue
            xs, ys = df[x].to_numpy(float), df[y].to_numpy(float)
            area = float(np.sum(np.diff(xs) * (ys[1:] + ys[:-1]) / 2))
            ax.plot(xs, ys, marker="o", ms=3, color=_PALETTE[k % len(_PALETTE)],
                    label=f"{method} (AUC {area:.3g})")
        ax.set_title(f"{name} curve", fontsize=10)
        ax.set_xlabel(f"{x.replace('_', ' ')} of bases (top-ranked first)")
        ax.legend(fontsize=8, frameon=False)
        tidy(ax)
    axes[0].set_ylabel(ylabel)
    if path is not None:
        save(fig, path)
    return fig


def cutoff_curves(table: pd.DataFrame, *, chosen: float | None = None,
                  title: str = "Cutoff analysis", dpi: int = 120,
                  path: str | os.PathLike[str] | None = None) -> Figure:
    """Draw the regions, bp and mean length per cutoff (from ``cutoff_analysis``).

    The table is :func:`regfind.intervals.caller.cutoff_analysis`'s.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``cutoff, npeaks, total_bp, mean_length``.
    chosen : float, optional
        The cutoff in use, marked on every panel.
    title : str
    dpi : int, default 120
    path : path-like, optional
        Also save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    missing = [c for c in ("cutoff", "npeaks", "total_bp", "mean_length") if c not in table]
    if missing:
        raise InputError(f"cutoff table lacks column(s) {', '.join(missing)}")
    t = table.sort_values("cutoff")
    fig = new_figure(10.0, 3.4, dpi)
    axes = fig.subplots(1, 3, sharex=True)
    panels = (("npeaks", "regions", 1.0), ("total_bp", "total length (kb)", 1e-3),
              ("mean_length", "mean region length (bp)", 1.0))
    for ax, (col, label, scale) in zip(axes, panels, strict=True):
        ax.plot(t["cutoff"], t[col].astype(float) * scale, color=_PALETTE[0], lw=1.5)
        if chosen is not None:
            ax.axvline(chosen, color="#c44e52", ls="--", lw=1, label=f"cutoff {chosen:.3g}")
            ax.legend(fontsize=8, frameon=False)
        ax.set_xlabel("cutoff")
        ax.set_ylabel(label)
        tidy(ax)
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    if path is not None:
        save(fig, path)
    return fig

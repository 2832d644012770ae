"""Figures straight from a :class:`~regfind.calling.api.CallResult` (``CallResult.plot``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from regfind.errors import ConfigError
from regfind.look.plot._locus import locus
from regfind.model.inference import GeneMask


def cutoff_of(gm: GeneMask, result: Any) -> float:
    """Return the mask cutoff the regions of ``gm`` were called with (stored by the call).

    Raises
    ------
    ConfigError
        The mask was not called (a :class:`GeneMask` made by hand has no cutoff).
    """
    if np.isfinite(gm.cutoff):
        return float(gm.cutoff)
    if result.params.cutoff is not None:
        return float(result.params.cutoff)
    raise ConfigError(f"{gm.locus.gene}: this mask carries no call cutoff; call it with "
                      "regfind.call (or pass cutoff= to the plot)")


def window_tracks(gm: GeneMask, sources: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the window's signals (L, 3) and one-hot DNA (L, 4) read from ``sources``."""
    from regfind.io.hic import log_contacts

    loc = gm.locus
    signals = np.stack([sources.h3k27ac.values(loc), sources.dnase.values(loc),
                        log_contacts(sources.hic.contacts(loc))], axis=-1)
    return signals, sources.genome.one_hot(loc)


def pick_mask(result: Any, gene: str | None) -> GeneMask:
    """Return the mask of ``gene`` (or the only one) in a call result."""
    if not result.masks:
        raise ConfigError("this result kept no masks: call with keep_masks=True")
    if gene is None:
        if len(result.masks) > 1:
            names = ", ".join(m.locus.gene for m in result.masks[:10])
            raise ConfigError(f"this result holds {len(result.masks)} genes ({names}); "
                              "say which: plot(gene=...)")
        return result.masks[0]
    for gm in result.masks:
        if gm.locus.gene == gene:
            return gm
    raise ConfigError(f"gene {gene!r} is not in this result")


def plot_result(result: Any, gene: str | None = None, *, sources: Any = None,
                **kwargs: Any) -> Figure:
    """Draw the locus view of one gene of a call result.

    Parameters
    ----------
    result : CallResult
    gene : str, optional
        Needed when the result holds several genes.
    sources : Sources, optional
        Adds the H3K27ac, DNase and Hi-C tracks and the gene model.
    **kwargs
        Passed to :func:`regfind.look.plot.locus` (``peaks``, ``region``, ``path``, ...).

    Returns
    -------
    matplotlib.figure.Figure
    """
    gm = pick_mask(result, gene)
    regions = result.regions[result.regions["gene"] == gm.locus.gene]
    kwargs.setdefault("cutoff", cutoff_of(gm, result))
    if sources is not None:
        kwargs.setdefault("signals", window_tracks(gm, sources)[0])
        if sources.annotation is not None:
            kwargs.setdefault("genes", sources.annotation)
    return locus(gm, regions=regions, **kwargs)

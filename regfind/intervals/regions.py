"""From one gene's mask to called regions with per-region statistics and uncertainty.

The interval rules are those of :func:`regfind.intervals.caller.call` (``macs3 bdgpeakcall``). Every
region also gets statistics no peak caller can give, because Seq2Exp's mask is a Beta
distribution per base:

- ``prob_selected``: the mean over the region's bases of ``P(Z >= t)`` for ``Z ~ Beta(alpha,
  beta)``, with ``t`` the cutoff (soft variant) or the model's own threshold on the Beta mean
  (hard variant, 0.5). 1 means the model is sure every base of the region is selected.
- ``forced``: the region overlaps the promoter, which the model always keeps (mask forced to 1),
  so it is not a discovery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import betainc

from regfind.coords import Locus
from regfind.errors import ConfigError
from regfind.intervals.caller import call as call_intervals
from regfind.intervals.caller import top_fraction_cutoff
from regfind.model.inference import GeneMask

#: Columns added to the narrowPeak columns in the per-region table (TSV).
STAT_COLUMNS = ("gene", "tss", "distance_to_tss", "length", "mean_mask", "max_mask",
                "prob_selected", "forced", "cutoff", "pred")


@dataclass(frozen=True)
class CallRules:
    """The interval rules a user gives, before the model's variant fills the defaults.

    Built once where the run starts (a CLI command or an API call) and carried unchanged to
    the caller, the shards and the Dask workers; :meth:`resolve` turns it into the
    :class:`CallParams` a gene is called with.

    Attributes
    ----------
    cutoff : float or None
        Keep bases with score >= cutoff.
    top_fraction : float or None
        Keep this fraction of each window's bases (in (0, 1]).
    min_length, max_gap : int or None
        Drop regions shorter than this (bp); merge kept runs at most this far apart (bp).

    Raises
    ------
    ConfigError
        Both a cutoff and a top fraction, a top fraction outside (0, 1], or a negative length.
    """

    cutoff: float | None = None
    top_fraction: float | None = None
    min_length: int | None = None
    max_gap: int | None = None

    def __post_init__(self) -> None:
        if self.cutoff is not None and self.top_fraction is not None:
            raise ConfigError("give either a cutoff or a top fraction, not both")
        if self.top_fraction is not None and not 0 < self.top_fraction <= 1:
            raise ConfigError(f"top fraction must be in (0, 1], got {self.top_fraction}")
        for name in ("min_length", "max_gap"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"{name} must be >= 0, got {value}")

    @classmethod
    def from_arguments(cls, rules: CallRules | None, cutoff: float | None = None,
                       top_fraction: float | None = None, min_length: int | None = None,
                       max_gap: int | None = None) -> CallRules:
        """Return ``rules``, or the rules of the four loose values of an API call.

        Raises
        ------
        ConfigError
            Both ``rules`` and a loose value were given.
        """
        loose = cls(cutoff, top_fraction, min_length, max_gap)
        if rules is None:
            return loose
        if loose != cls():
            raise ConfigError("give the interval rules either as rules= or as cutoff=, "
                              "top_fraction=, min_length=, max_gap=, not both")
        return rules

    def resolve(self, variant: Literal["soft", "hard"]) -> CallParams:
        """Return the rules with the variant's defaults filled in (:meth:`CallParams.default`)."""
        return CallParams.default(variant, cutoff=self.cutoff, top_fraction=self.top_fraction,
                                  min_length=self.min_length, max_gap=self.max_gap)


@dataclass(frozen=True)
class CallParams:
    """How masks become regions.

    Attributes
    ----------
    cutoff : float or None
        Keep bases with mask >= cutoff (absolute mode).
    top_fraction : float or None
        Keep this fraction of each window's bases (the paper's "top 10%" is 0.1).
    min_length : int
        Drop regions shorter than this (bp).
    max_gap : int
        Merge kept runs separated by at most this many bp.
    """

    cutoff: float | None = None
    top_fraction: float | None = None
    min_length: int = 100
    max_gap: int = 50

    @classmethod
    def default(cls, variant: Literal["soft", "hard"], *, cutoff: float | None = None,
                top_fraction: float | None = None, min_length: int | None = None,
                max_gap: int | None = None) -> CallParams:
        """Defaults per model variant, overridden by the given values.

        Soft masks are relative weights (about 0.36 where nothing is selected;
        docs/official-model.md, "Test-time mask"), so the soft default keeps each window's top
        10% of bases, the fraction the paper retrains on.
        Hard masks are 0/1: the default cutoff 0.5 keeps exactly the bases the model kept.
        """
        if cutoff is not None and top_fraction is not None:
            raise ConfigError("give either a cutoff or a top fraction, not both")
        if cutoff is None and top_fraction is None:
            if variant == "soft":
                top_fraction = 0.1
            else:
                cutoff = 0.5
        return cls(cutoff, top_fraction, 100 if min_length is None else min_length,
                   50 if max_gap is None else max_gap)

    def describe(self) -> str:
        """Short text, e.g. ``top 10% of bases, min length 100 bp, max gap 50 bp``."""
        rule = (f"mask >= {self.cutoff:g}" if self.cutoff is not None
                else f"top {100 * self.top_fraction:g}% of bases")
        return f"{rule}, min length {self.min_length} bp, max gap {self.max_gap} bp"


def call_gene(gm: GeneMask, params: CallParams, *, variant: str = "soft",
              threshold: float = 0.5, promoter_bp: int = 2000) -> pd.DataFrame:
    """Call the regions of one gene's mask, with :data:`STAT_COLUMNS` added.

    Parameters
    ----------
    gm : GeneMask
        The mask and Beta concentrations of one window.
    params : CallParams
    variant : {'soft', 'hard'}
        Decides the threshold of ``prob_selected`` (see the module docstring).
    threshold : float
        The hard variant's threshold on the Beta mean.
    promoter_bp : int
        Length of the forced promoter at the window centre.

    Returns
    -------
    pandas.DataFrame
        narrowPeak columns then :data:`STAT_COLUMNS`; genome coordinates, 0-based half-open.
    """
    loc = gm.locus
    cutoff = gm.cutoff if np.isfinite(gm.cutoff) else gene_cutoff(gm, params, promoter_bp)
    regions = call_intervals(gm.mask, cutoff, params.min_length, params.max_gap, locus=loc,
                             label=loc.gene or None)
    t = cutoff if variant == "soft" else threshold
    return _add_stats(regions, gm, t, promoter_bp).assign(cutoff=float(cutoff))[
        [*regions.columns, *STAT_COLUMNS]]


def gene_cutoff(gm: GeneMask, params: CallParams, promoter_bp: int) -> float:
    """Return the mask cutoff of one gene under ``params``: the only place it is computed.

    An absolute ``params.cutoff`` is returned as is; a top fraction is taken over the bases the
    model chooses (on the chromosome, promoter excluded; see :func:`_chosen`). The call stores
    the value in :attr:`GeneMask.cutoff` and in the ``cutoff`` column of its tables.
    """
    if params.cutoff is not None:
        return float(params.cutoff)
    return float(top_fraction_cutoff(_chosen(gm.mask, gm.locus, promoter_bp),
                                     params.top_fraction))


def _chosen(values: np.ndarray, loc: Locus, promoter_bp: int) -> np.ndarray:
    """Return the mask of the bases the model chooses: on the chromosome, promoter excluded.

    The promoter is forced to 1, so a top fraction counts only the other bases: the regions
    are the promoter plus the top fraction of the rest.
    """
    out = values.astype(np.float64)
    lo = loc.window // 2 - promoter_bp // 2
    out[lo:lo + promoter_bp] = np.nan
    out[:max(0, -loc.start)] = np.nan
    out[len(values) - max(0, loc.end - loc.chrom_length):] = np.nan
    return out


def _add_stats(regions: pd.DataFrame, gm: GeneMask, threshold: float,
               promoter_bp: int) -> pd.DataFrame:
    loc = gm.locus
    starts = regions["start"].to_numpy(np.int64) - loc.start   # window indices
    ends = regions["end"].to_numpy(np.int64) - loc.start
    above = 1.0 - betainc(gm.alpha.astype(np.float64), gm.beta.astype(np.float64), threshold)
    csum = np.concatenate([[0.0], np.cumsum(above)])
    mcsum = np.concatenate([[0.0], np.cumsum(gm.mask, dtype=np.float64)])
    lengths = ends - starts
    prom_lo = loc.window // 2 - promoter_bp // 2
    out = regions.copy()
    out["gene"] = loc.gene
    out["tss"] = loc.tss
    out["distance_to_tss"] = _distance(regions["start"].to_numpy(np.int64),
                                       regions["end"].to_numpy(np.int64), loc.tss)
    out["length"] = lengths
    out["mean_mask"] = (mcsum[ends] - mcsum[starts]) / np.maximum(lengths, 1)
    out["max_mask"] = [float(gm.mask[s:e].max()) for s, e in zip(starts, ends, strict=True)]
    out["prob_selected"] = (csum[ends] - csum[starts]) / np.maximum(lengths, 1)
    out["forced"] = (starts < prom_lo + promoter_bp) & (ends > prom_lo)
    out["pred"] = np.nan if gm.pred is None else gm.pred
    return out


def _distance(starts: np.ndarray, ends: np.ndarray, tss: int) -> np.ndarray:
    """Signed bp from the TSS to the nearest base of each region (0 when it overlaps)."""
    return np.where(ends <= tss, ends - 1 - tss, np.where(starts > tss, starts - tss, 0))

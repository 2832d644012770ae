"""Faithfulness over many genes: the mask, attributions and peaks ranked on the model itself.

Every method gives a score per base of a gene's window, and :func:`regfind.evaluate.faithfulness.
faithfulness` turns the scores into deletion and insertion curves on the same model:

==================  ==========================================================================
method              per-base score (higher = removed first / kept first)
==================  ==========================================================================
``mask``            the model's test-time Beta mean ``alpha / (alpha + beta)`` from
                    ``Seq2Exp.generate`` (the soft mask before the blacklist/promoter rules,
                    which concern bases the curves never move)
attribution names   :func:`regfind.scores.attribution.attribute_inputs` with its default reduction
                    (``saliency``, ``input_x_gradient``, ``integrated_gradients``, ``ism``)
``random``          uniform random numbers, seeded: the null reference
peaks ``NAME``      any BED/narrowPeak/broadPeak (:func:`regfind.intervals.macs3.read_peaks`):
                    inside a peak the peak's ``signalValue`` (column 7) when the file has it, else
                    its ``score`` (column 5), else 1; overlapping peaks take the maximum. Bases
                    outside every peak have no score (NaN): they rank after every peak base,
                    in seeded random order
==================  ==========================================================================

All methods are evaluated on the same genes, fractions and seed; the curves' ends (fractions 0
and 1) are always included, since the areas span [0, 1] and the per-gene normalisation needs
them (see :mod:`regfind.evaluate.faithfulness`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regfind._files import atomic_write
from regfind.coords import Locus
from regfind.errors import ConfigError, InputError
from regfind.evaluate.faithfulness import curve_ends, faithfulness, gene_areas, normalise, summarize
from regfind.io.chroms import match_chroms

__all__ = ["FRACTIONS", "OWN_METHODS", "FaithfulnessResult", "check_methods",
           "faithfulness_genes", "method_scores", "peak_scores"]

#: Default fractions of the curves.
FRACTIONS: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
#: Score methods besides the attribution methods (:data:`regfind.scores.attribution.METHODS`).
OWN_METHODS: tuple[str, ...] = ("mask", "random")

PeakSets = Mapping[str, "pd.DataFrame | str | os.PathLike[str]"]


def check_methods(methods: Sequence[str], peak_names: Iterable[str] = ()) -> list[str]:
    """Return the method names normalised (``input-x-gradient`` -> ``input_x_gradient``).

    Raises
    ------
    ConfigError
        Unknown method, a name used twice (methods and peak sets share one namespace), or
        nothing to score. Refused attribution methods raise ``UnsupportedMethodError``.
    """
    from regfind.scores.attribution import check_method

    out = []
    for method in methods:
        key = method.lower().replace("-", "_")
        if key not in OWN_METHODS:
            try:
                check_method(key)
            except ConfigError as exc:
                if type(exc) is not ConfigError:
                    raise
                raise ConfigError(f"unknown scoring method {method!r}; use one of "
                                  f"{', '.join(_all_methods())} or peaks NAME=FILE") from None
        out.append(key)
    names = out + list(peak_names)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"method names must be unique, got {', '.join(twice)} twice")
    if not names:
        raise ConfigError("nothing to score: give methods (e.g. 'mask') or peaks")
    return out


def _all_methods() -> tuple[str, ...]:
    from regfind.scores.attribution import METHODS

    return OWN_METHODS + METHODS


def peak_scores(peaks: pd.DataFrame, locus: Locus) -> np.ndarray:
    """Return a window's per-base score from peaks (see the module docstring), shape (L,).

    Parameters
    ----------
    peaks : pandas.DataFrame
        ``chrom, start, end`` (0-based, half-open) and optionally ``signalValue``/``score``.
    locus : Locus
        The window; index ``i`` is genome position ``locus.start + i``.
    """
    length = locus.end - locus.start
    out = np.full(length, np.nan)
    sel = peaks[(peaks["chrom"] == locus.chrom) & (peaks["end"] > locus.start)
                & (peaks["start"] < locus.end)]
    column = next((c for c in ("signalValue", "score") if c in sel.columns), None)
    values = (np.nan_to_num(sel[column].to_numpy(float), nan=0.0) if column
              else np.ones(len(sel)))
    for start, end, value in zip(sel["start"], sel["end"], values, strict=True):
        lo, hi = max(int(start) - locus.start, 0), min(int(end) - locus.start, length)
        out[lo:hi] = np.fmax(out[lo:hi], value)
    return out


def method_scores(model: Any, inputs: Any, methods: Sequence[str], *,
                  peaks: Mapping[str, pd.DataFrame] | None = None, seed: int = 0,
                  device: str | None = None) -> dict[str, np.ndarray]:
    """Return each method's per-base score over one gene window (B = 1), shape (L,) each.

    Parameters
    ----------
    model : Seq2Exp
    inputs : ModelInputs
    methods : sequence of str
        ``mask``, ``random`` or attribution methods (see the module docstring).
    peaks : mapping of str to pandas.DataFrame, optional
        Named peak sets, scored by :func:`peak_scores`.
    seed : int, default 0
        Seeds ``random`` and the attribution methods that shuffle.
    device : str, optional
    """
    from regfind.model.inference import run_masks
    from regfind.scores.attribution import attribute_inputs

    out: dict[str, np.ndarray] = {}
    for method in check_methods(methods, peaks or {}):
        if method == "mask":
            out[method] = next(run_masks(model, [inputs], device=device)).mean.astype(float)
        elif method == "random":
            out[method] = np.random.default_rng(seed + 1).random(inputs.seqs.shape[1])
        else:
            out[method] = attribute_inputs(model, inputs, method, seed=seed,
                                           device=device).scores.astype(float)
    for name, table in (peaks or {}).items():
        out[name] = peak_scores(table, inputs.locus)
    return out


@dataclass
class FaithfulnessResult:
    """Deletion and insertion curves of many genes, their areas and the per-method summary.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``gene, method, curve, fraction, value, bases, value_normalised`` (see
        :func:`regfind.evaluate.faithfulness.faithfulness` and
        :func:`~regfind.evaluate.faithfulness.normalise`).
    areas : pandas.DataFrame
        ``gene, method, curve, area, area_normalised``.
    ends : pandas.DataFrame
        Per gene (index): ``full, promoter_only, window_effect, normalised``.
    summary : pandas.DataFrame
        :func:`regfind.evaluate.faithfulness.summarize`: one row per method.
    skipped : list of (str, str)
        Genes that could not be scored, with the reason.
    params : dict
    """

    curves: pd.DataFrame
    areas: pd.DataFrame
    ends: pd.DataFrame
    summary: pd.DataFrame
    skipped: list[tuple[str, str]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_curves(cls, curves: pd.DataFrame, skipped: list[tuple[str, str]] | None = None,
                    params: dict[str, Any] | None = None) -> FaithfulnessResult:
        """Build the result from the long curve table (with a ``gene`` column)."""
        return cls(normalise(curves), gene_areas(curves), curve_ends(curves),
                   summarize(curves), list(skipped or []), dict(params or {}))

    def mean_curves(self) -> pd.DataFrame:
        """Return the mean normalised curve per method over the normalised genes.

        Columns ``method, curve, fraction, value, genes``: the table ``regfind plot
        faithfulness`` draws.
        """
        ok = self.curves.dropna(subset=["value_normalised"])
        g = ok.groupby(["method", "curve", "fraction"], sort=False)["value_normalised"]
        return g.agg(value="mean", genes="count").reset_index()

    def to_tsv(self, path: str | os.PathLike[str]) -> Path:
        """Write the long curve table (tab-separated, header), atomically."""
        with atomic_write(path) as tmp:
            self.curves.to_csv(tmp, sep="\t", index=False, float_format="%.9g")
        return Path(path)

    def to_dict(self) -> dict[str, Any]:
        """Return summary, per-gene areas and ends, skipped genes and settings (JSON-ready)."""
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(df.to_json(orient="records", double_precision=12))

        return {"params": self.params, "summary": records(self.summary),
                "areas": records(self.areas), "ends": records(self.ends.reset_index(
                    names="gene")), "skipped": [list(s) for s in self.skipped]}

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON, atomically."""
        with atomic_write(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return Path(path)

    def format_summary(self) -> str:
        """Return the per-method summary as aligned text, with how much the windows matter."""
        e = self.ends
        head = (f"faithfulness: {len(e)} genes, {int(e['normalised'].sum())} normalised; "
                f"mean |full - promoter-only| prediction {e['window_effect'].abs().mean():.4g} "
                "(log10 units)\nareas over fraction [0, 1]: deletion lower is better, insertion "
                "and ins_minus_del higher (normalised: 1 = full, 0 = promoter only)")
        opts = {"index": False, "float_format": lambda v: f"{v:.4g}", "na_rep": "-"}
        return f"{head}\n{self.summary.to_string(**opts)}\n"


def _read_peak_sets(peaks: PeakSets | None) -> dict[str, pd.DataFrame]:
    from regfind.intervals.macs3 import read_peaks

    return {name: table if isinstance(table, pd.DataFrame) else read_peaks(table)
            for name, table in (peaks or {}).items()}


def _with_ends(fractions: Sequence[float]) -> list[float]:
    fr = sorted({float(f) for f in fractions} | {0.0, 1.0})
    if fr[0] < 0 or fr[-1] > 1:
        raise InputError(f"fractions must be in [0, 1], got {list(fractions)}")
    return fr


def faithfulness_genes(genes: str | Sequence[str], cell: str | None = None,
                       methods: Sequence[str] = ("mask",), *, peaks: PeakSets | None = None,
                       profile: str | None = None, config: str | os.PathLike[str] | None = None,
                       model: Any = None, sources: Any = None,
                       fractions: Sequence[float] = FRACTIONS, seed: int = 0,
                       batch_size: int = 8, device: str | None = None,
                       progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None
                       ) -> FaithfulnessResult:
    """Run every method's deletion and insertion curves on every gene; add areas and summary.

    Parameters
    ----------
    genes : str or sequence of str
        Symbols or Ensembl IDs; a gene that fails (e.g. unknown) is skipped with a warning.
    cell, profile, config, model, sources : optional
        As for :func:`regfind.calling.api.call` (``cell='demo'``: the built-in demo and its model).
    methods : sequence of str, default ('mask',)
        Scoring methods (see the module docstring).
    peaks : mapping of str to DataFrame or path, optional
        Named peak sets (BED/narrowPeak/broadPeak files or tables), scored as in
        :func:`peak_scores`.
    fractions : sequence of float
        Fractions in [0, 1]; 0 and 1 are always added.
    seed : int, default 0
        Ranking ties, ``random`` and the attribution shuffles.
    batch_size : int, default 8
        Perturbed windows per forward pass.
    device : str, optional
    progress : callable, optional
        Wraps the gene iterator (e.g. ``tqdm``).

    Returns
    -------
    FaithfulnessResult
    """
    from regfind.inputs.build import each_gene
    from regfind.model.context import open_run

    genes = [genes] if isinstance(genes, str) else list(genes)
    peak_sets = _read_peak_sets(peaks)
    methods = check_methods(methods, peak_sets)
    fr = _with_ends(fractions)
    run = open_run(cell, profile=profile, config=config, model=model, sources=sources)
    sources, net, cell_label = run.sources, run.model, run.cell
    peak_sets = {name: match_chroms(t, sources.genome.chrom_sizes, file=name,
                                    reference=sources.genome.path)
                 for name, t in peak_sets.items()}
    tables: list[pd.DataFrame] = []
    skipped: list[tuple[str, str]] = []
    for inputs in each_gene(progress(genes) if progress is not None else genes, sources,
                            window=net.config.seq_range, skipped=skipped):
        scores = method_scores(net, inputs, methods, peaks=peak_sets, seed=seed, device=device)
        table = faithfulness(net, inputs, scores, fr, batch_size=batch_size, device=device,
                             seed=seed)
        tables.append(table.assign(gene=inputs.locus.gene))
    if not tables:
        raise InputError(f"no gene could be scored ({len(skipped)} skipped)")
    curves = pd.concat(tables, ignore_index=True)
    curves = curves[["gene", *[c for c in curves.columns if c != "gene"]]]
    params = {"cell": cell_label, "methods": methods, "peaks": list(peak_sets),
              "fractions": fr, "seed": seed, "model": dict(getattr(net, "source", {}) or {})}
    return FaithfulnessResult.from_curves(curves, skipped, params)

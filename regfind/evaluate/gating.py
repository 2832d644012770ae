"""How much the mask gates what the predictor reads (``regfind faithfulness --gating``).

For one gene, the model's test-time mask outside the promoter is multiplied by a factor ``f``
and the gene is re-predicted with :meth:`regfind.model.seq2exp.Seq2Exp.predict_with_mask`
(the promoter keeps its forced 1, blacklisted bases their 0). With ``pred(f)`` the prediction
at factor ``f``, ``pred(1)`` the model's own prediction and ``pred(0)`` the prediction with
every flank base removed (deletion):

    removed(f) = |pred(1) - pred(f)| / |pred(1) - pred(0)|

is the fraction of the deletion effect that scaling the mask by ``f`` already removes. A mask
that gates what the predictor reads removes most of the effect at ``f = 0.1`` (0.1 of a base's
content is left); a mask that the predictor normalises away removes little until ``f`` is tiny.
The mean over genes is ``mean |pred(1) - pred(f)| / mean |pred(1) - pred(0)|`` (genes weighted
by their deletion effect, as ``../shared/tools/gating_probe.py`` reports it); the per-gene
values are NaN for genes whose deletion moves the prediction by no more than 10 float32 steps
(the same noise rule as :mod:`regfind.evaluate.faithfulness`). Why the official soft mask gates so
little is measured in docs/model.md ("Does the soft mask gate?").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regfind.errors import InputError

__all__ = ["FACTORS", "GatingResult", "gating_genes", "mask_gating"]

#: Default mask factors (0 and 1 are always added).
FACTORS: tuple[float, ...] = (0.5, 0.1, 0.01, 0.001)


def _factors(factors: Sequence[float]) -> list[float]:
    fs = sorted({float(f) for f in factors} | {0.0, 1.0}, reverse=True)
    if fs[-1] < 0 or fs[0] > 1:
        raise InputError(f"mask factors must be in [0, 1], got {list(factors)}")
    return fs


def mask_gating(model: Any, inputs: Any, factors: Sequence[float] = FACTORS, *,
                device: str | None = None) -> pd.DataFrame:
    """Predictions of one gene with its flank mask scaled by each factor.

    Parameters
    ----------
    model : Seq2Exp
        Soft or hard; the hard variant's mask is 0/1, so a factor below 0.5 removes the base.
    inputs : ModelInputs
        One gene (B = 1), from :func:`regfind.inputs.build.for_gene`.
    factors : sequence of float
        Factors in [0, 1]; 0 and 1 are always added.
    device : str, optional
        Torch device (default: the model's).

    Returns
    -------
    pandas.DataFrame
        One row per factor, largest first: ``factor``, ``pred`` (log10 units), ``delta``
        (``|pred(1) - pred(f)|``) and ``removed`` (``delta / delta(0)``, NaN when the deletion
        effect is float noise).

    Raises
    ------
    InputError
        A factor outside [0, 1], or inputs of more than one gene.
    """
    import torch

    fs = _factors(factors)
    if inputs.seqs.shape[0] != 1:
        raise InputError(f"mask_gating takes one gene, got {inputs.seqs.shape[0]}")
    dev = torch.device(device) if device else next(model.parameters()).device
    dtype = model.dtype
    seqs, signals, rna = (torch.as_tensor(np.asarray(a), dtype=dtype, device=dev)
                          for a in (inputs.seqs, inputs.signals, inputs.rna_feat))
    blacklist = torch.as_tensor(np.asarray(inputs.blacklist), device=dev)
    model.eval()
    with torch.no_grad():
        out = model(seqs, signals, rna, blacklist)
        keep = torch.zeros_like(out.mask, dtype=torch.bool)
        keep[:, model.promoter_slice(seqs.shape[1])] = True
        masks = torch.cat([torch.where(keep, out.mask, out.mask * f) for f in fs])
        preds = model.predict_with_mask(seqs.expand(len(fs), -1, -1),
                                        signals.expand(len(fs), -1, -1),
                                        rna.expand(len(fs), -1), masks)
    pred = preds.double().cpu().numpy()
    delta = np.abs(pred[0] - pred)
    noise = 10 * np.spacing(np.float32(abs(pred[0]) + 1))
    removed = delta / delta[-1] if delta[-1] > noise else np.full(len(fs), np.nan)
    return pd.DataFrame({"factor": fs, "pred": pred, "delta": delta, "removed": removed})


@dataclass
class GatingResult:
    """Gating of the mask over many genes.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table: ``gene``, ``factor``, ``pred``, ``delta``, ``removed``.
    skipped : list of (str, str)
        Genes that could not be scored, with the reason.
    """

    table: pd.DataFrame
    skipped: list[tuple[str, str]]

    def summary(self) -> pd.DataFrame:
        """Return, per factor, the mean delta and the fraction of the deletion effect removed.

        Columns: ``factor``, ``mean_delta`` (over genes), ``removed`` (its ratio to the
        deletion's mean delta), ``median_gene_removed`` and ``genes`` (genes counted).
        """
        t = self.table
        deletion = t.loc[t["factor"] == 0.0, "delta"].mean()
        rows = []
        for f, g in t.groupby("factor", sort=False):
            rows.append({"factor": f, "mean_delta": g["delta"].mean(),
                         "removed": g["delta"].mean() / deletion if deletion > 0 else np.nan,
                         "median_gene_removed": g["removed"].median(),
                         "genes": int(g["removed"].notna().sum())})
        return pd.DataFrame(rows)

    def format_summary(self) -> str:
        """Plain-text table of :meth:`summary`."""
        s = self.summary()
        n = self.table["gene"].nunique()
        deletion = s.loc[s["factor"] == 0.0, "mean_delta"].iloc[0]
        lines = [f"{n} genes; deleting the flanks (mask x0) moves the prediction by "
                 f"{deletion:.4g} log10 units on average",
                 "factor  removed  median_per_gene"]
        for r in s[(s["factor"] > 0) & (s["factor"] < 1)].itertuples():
            lines.append(f"x{r.factor:<6g} {r.removed:7.1%}  {r.median_gene_removed:7.1%}")
        return "\n".join(lines) + "\n"

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write the summary, the per-gene table and the skipped genes as JSON (atomically)."""
        import json

        from regfind._files import atomic_write

        doc = {"summary": self.summary().to_dict(orient="records"),
               "genes": self.table.to_dict(orient="records"),
               "skipped": [list(s) for s in self.skipped]}
        with atomic_write(path) as tmp:
            Path(tmp).write_text(json.dumps(doc, indent=2, allow_nan=True) + "\n")

    def to_tsv(self, path: str | os.PathLike[str]) -> None:
        """Write :attr:`table` as TSV (atomically)."""
        from regfind._files import atomic_write

        with atomic_write(path) as tmp:
            self.table.to_csv(tmp, sep="\t", index=False, float_format="%.9g")


def gating_genes(genes: str | Sequence[str], cell: str | None = None, *,
                 factors: Sequence[float] = FACTORS, profile: str | None = None,
                 config: str | os.PathLike[str] | None = None, model: Any = None,
                 sources: Any = None, device: str | None = None,
                 progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None
                 ) -> GatingResult:
    """Run :func:`mask_gating` on every gene.

    Parameters
    ----------
    genes : str or sequence of str
        Symbols or Ensembl IDs; a gene that fails is skipped with a warning.
    cell, profile, config, model, sources : optional
        As for :func:`regfind.calling.api.call` (``cell='demo'``: the built-in demo and its model).
    factors : sequence of float
    device : str, optional
    progress : callable, optional
        Wraps the gene iterator (e.g. ``tqdm``).

    Returns
    -------
    GatingResult

    Raises
    ------
    InputError
        No gene could be scored, or a factor outside [0, 1].
    """
    from regfind.inputs.build import each_gene
    from regfind.model.context import open_run

    genes = [genes] if isinstance(genes, str) else list(genes)
    _factors(factors)
    run = open_run(cell, profile=profile, config=config, model=model, sources=sources)
    sources, net, _ = run.sources, run.model, run.cell
    if device:
        net = net.to(device)
    skipped: list[tuple[str, str]] = []
    tables = [mask_gating(net, x, factors, device=device).assign(gene=x.locus.gene)
              for x in each_gene(progress(genes) if progress is not None else genes, sources,
                                 window=net.config.seq_range, skipped=skipped)]
    if not tables:
        raise InputError(f"no gene could be scored ({len(skipped)} skipped)")
    table = pd.concat(tables, ignore_index=True)
    return GatingResult(table[["gene", "factor", "pred", "delta", "removed"]], skipped)

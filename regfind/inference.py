"""Batched inference: model inputs in, per-gene masks (and predictions) out, on CPU or GPU.

Inputs stay on the CPU as numpy until a batch is run; each batch is moved to the device, run
under ``torch.no_grad()``, and its outputs come back to the CPU as numpy before the next batch.
The model is never modified (device and mode are restored).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from regfind.coords import Locus
from regfind.errors import InputError
from regfind.inputs import ModelInputs
from regfind.model.seq2exp import Seq2Exp


@dataclass(frozen=True)
class GeneMask:
    """The model's view of one window.

    Attributes
    ----------
    locus : Locus
        Window index ``i`` is genome position ``locus.start + i`` (0-based).
    mask : numpy.ndarray, shape (L,), float32
        Test-time mask (blacklist 0, promoter 1).
    alpha, beta : numpy.ndarray, shape (L,), float32
        Concentrations of the per-base Beta, before those two rules.
    pred : float or None
        Predicted log10(CAGE + 1) when the predictor was run.
    notes : tuple of str
        What the input builder approximated or padded.
    """

    locus: Locus
    mask: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    pred: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def mean(self) -> np.ndarray:
        """Beta mean ``alpha / (alpha + beta)`` per base, shape (L,), float32 (no rules)."""
        return self.alpha / (self.alpha + self.beta)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` → CUDA when available, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextmanager
def _on_device(model: Seq2Exp, device: torch.device) -> Iterator[Seq2Exp]:
    """Move ``model`` to ``device`` in eval mode; restore its device and mode afterwards."""
    params = list(model.parameters())
    old_device = params[0].device if params else device
    was_training = model.training
    try:
        yield model.to(device).eval()
    finally:
        model.to(old_device).train(was_training)


def run_masks(model: Seq2Exp, batches: Iterable[ModelInputs], *,
              device: str | torch.device | None = None, predict: bool = False
              ) -> Iterator[GeneMask]:
    """Run the generator (and optionally the predictor) over batches of inputs.

    Parameters
    ----------
    model : Seq2Exp
        Any loaded model; it is returned to its device and mode afterwards.
    batches : iterable of ModelInputs
        E.g. an :class:`regfind.inputs.InputStream`; window length must fit the model.
    device : str or torch.device, optional
        CUDA when available if not given.
    predict : bool, default False
        Also run the predictor (twice the cost) and fill ``GeneMask.pred``.

    Yields
    ------
    GeneMask
        One per gene, in input order.
    """
    dev = resolve_device(device)
    with _on_device(model, dev) as m, torch.no_grad():
        for batch in batches:
            _check_window(m, batch)
            x = batch.to_torch(dev)
            if predict:
                out = m(x["seqs"], x["signals"], x["rna_feat"], x["blacklist"])
                mask, alpha, beta, pred = out.mask, out.alpha, out.beta, out.pred.cpu().numpy()
            else:
                mask, alpha, beta = m.generate(x["seqs"], x["signals"], x["blacklist"])
                pred = None
            yield from _split(batch, mask.cpu().numpy(), alpha.cpu().numpy(),
                              beta.cpu().numpy(), pred)


def _split(batch: ModelInputs, mask: np.ndarray, alpha: np.ndarray, beta: np.ndarray,
           pred: np.ndarray | None) -> Iterator[GeneMask]:
    for i, locus in enumerate(batch.loci):
        notes = tuple(n for n in batch.notes if locus.gene and n.startswith(f"{locus.gene}:"))
        yield GeneMask(locus, mask[i], alpha[i], beta[i],
                       None if pred is None else float(pred[i]), notes)


def _check_window(model: Seq2Exp, batch: ModelInputs) -> None:
    length = batch.seqs.shape[1]
    if model.config.pos_enc and length != model.config.seq_range:
        raise InputError(f"inputs are {length}-bp windows but the model needs "
                         f"{model.config.seq_range} bp; build inputs with "
                         f"window={model.config.seq_range}")

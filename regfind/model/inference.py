"""Batched inference: model inputs in, per-gene masks (and predictions) out, on CPU or GPU.

Inputs stay on the CPU as numpy until a batch is run; each batch is moved to the device, run
under ``torch.no_grad()``, and its outputs come back to the CPU as numpy before the next batch.
The model is never modified (device and mode are restored).

On CUDA (the GPU path, see ``docs/scale.md``): batches are built ahead in a background thread
(a bounded queue, ``prefetch`` batches deep) and turned into pinned host tensors there; each
batch is copied to the GPU on a side stream with non-blocking copies, issued before the
previous batch's model call, so input building and transfers overlap the model.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
import torch

from regfind._env import on_device, resolve_device
from regfind.coords import Locus
from regfind.errors import ConfigError, InputError
from regfind.inputs.build import ModelInputs
from regfind.model.seq2exp import Seq2Exp

Precision = Literal["fp32", "bf16-official"]
T = TypeVar("T")
U = TypeVar("U")
_DONE = object()


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
    cutoff : float
        The mask cutoff the gene's regions were called at (NaN until they are called;
        :func:`regfind.intervals.regions.gene_cutoff`). Plots and reports draw this value.
    """

    locus: Locus
    mask: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    pred: float | None = None
    notes: tuple[str, ...] = ()
    cutoff: float = float("nan")

    @property
    def mean(self) -> np.ndarray:
        """Beta mean ``alpha / (alpha + beta)`` per base, shape (L,), float32 (no rules)."""
        return self.alpha / (self.alpha + self.beta)


def run_masks(model: Seq2Exp, batches: Iterable[ModelInputs], *,
              device: str | torch.device | None = None, predict: bool = False,
              prefetch: int | None = None, precision: Precision = "fp32"
              ) -> Iterator[GeneMask]:
    """Run the generator (and optionally the predictor) over batches of inputs.

    Parameters
    ----------
    model : Seq2Exp
        Any loaded model; it is returned to its device and mode afterwards.
    batches : iterable of ModelInputs
        E.g. an :class:`regfind.inputs.build.InputStream`; window length must fit the model.
    device : str or torch.device, optional
        CUDA when available if not given.
    predict : bool, default False
        Also run the predictor (twice the cost) and fill ``GeneMask.pred``.
    prefetch : int, optional
        Batches built ahead in a background thread (0: none, build in this thread).
        Default: 2 on CUDA, 0 on CPU (where the model uses every core anyway).
    precision : {'fp32', 'bf16-official'}
        ``bf16-official`` reproduces the official run's numerics (bf16 autocast for the linear
        layers, fp32 conv, scan, norms and Beta; docs/official-model.md, "Numerics of the
        official run (bf16)", and ``docs/scale.md``). Meant for CUDA, where the official
        checkpoints were trained; on CPU it runs too (slower than fp32: CPU bf16 matmuls and no
        fused kernels), e.g. to check a result.

    Yields
    ------
    GeneMask
        One per gene, in input order.
    """
    dev = resolve_device(device)
    amp = _autocast(precision, dev)
    depth = (2 if dev.type == "cuda" else 0) if prefetch is None else prefetch
    pin = dev.type == "cuda"
    host = prefetched(batches, depth, lambda b: (b, _host_tensors(b, pin)))
    with on_device(model, dev) as m, torch.no_grad():
        for batch, x in _to_device(host, dev):
            _check_window(m, batch)
            with amp:
                if predict:
                    out = m(x["seqs"], x["signals"], x["rna_feat"], x["blacklist"])
                    mask, alpha, beta = out.mask, out.alpha, out.beta
                    pred = out.pred.float().cpu().numpy()
                else:
                    mask, alpha, beta = m.generate(x["seqs"], x["signals"], x["blacklist"])
                    pred = None
            yield from _split(batch, mask.float().cpu().numpy(), alpha.float().cpu().numpy(),
                              beta.float().cpu().numpy(), pred)


def prefetched(items: Iterable[T], depth: int, build: Callable[[T], U]) -> Iterator[U]:
    """Yield ``build(item)`` for each item, computed up to ``depth`` items ahead in a thread.

    Order is kept; an exception raised while iterating or building is re-raised here, at the
    position it happened. ``depth`` 0 builds in the calling thread. The thread stops when the
    consumer stops (the generator is closed).
    """
    if depth <= 0:
        for item in items:
            yield build(item)
        return
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    worker = threading.Thread(target=_produce, args=(items, build, slots, stop), daemon=True,
                              name="regfind-prefetch")
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind is _DONE:
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join(timeout=10)


def _produce(items: Iterable[Any], build: Callable[[Any], Any], slots: queue.Queue[Any],
             stop: threading.Event) -> None:
    def put(entry: tuple[Any, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        for item in items:
            if not put(("item", build(item))):
                return
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
        put(("error", exc))
        return
    put((_DONE, None))


def _host_tensors(batch: ModelInputs, pin: bool) -> dict[str, torch.Tensor]:
    """Return the batch as CPU tensors (page-locked when ``pin``, for async copies)."""
    out = batch.to_torch(None)
    return {k: t.pin_memory() for k, t in out.items()} if pin else out


def _to_device(host: Iterator[tuple[ModelInputs, dict[str, torch.Tensor]]], dev: torch.device
               ) -> Iterator[tuple[ModelInputs, dict[str, torch.Tensor]]]:
    """Move batches to ``dev``; on CUDA the next copy is issued before this batch is used."""
    if dev.type != "cuda":
        for batch, x in host:
            yield batch, {k: t.to(dev) for k, t in x.items()}
        return
    copy = torch.cuda.Stream(dev)
    pending = None
    for batch, x in host:
        with torch.cuda.stream(copy):
            moved = {k: t.to(dev, non_blocking=True) for k, t in x.items()}
        if pending is not None:
            yield _ready(pending, copy, dev)
        pending = (batch, moved)
    if pending is not None:
        yield _ready(pending, copy, dev)


def _ready(pending: tuple[ModelInputs, dict[str, torch.Tensor]], copy: Any,
           dev: torch.device) -> tuple[ModelInputs, dict[str, torch.Tensor]]:
    current = torch.cuda.current_stream(dev)
    current.wait_stream(copy)
    for t in pending[1].values():
        t.record_stream(current)
    return pending


def _autocast(precision: str, dev: torch.device) -> Any:
    """Return the autocast context of ``precision`` (checked before any work starts)."""
    if precision == "fp32":
        return nullcontext()
    if precision != "bf16-official":
        raise ConfigError(f"precision must be 'fp32' or 'bf16-official', not {precision!r}")
    return torch.autocast(dev.type, dtype=torch.bfloat16)


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

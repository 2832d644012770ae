"""One-GPU throughput of ``regfind.model.inference.run_masks`` at the published dimensions, 200 kb.

Usage::

    .venv/bin/python bench/gpu.py                       # soft model, batch 1 2 4, fp32 + bf16
    .venv/bin/python bench/gpu.py --batch 8 --genes 64 --variant hard

Needs CUDA (exits with a message otherwise). For each precision and batch size it prints:

- ``genes/s``: end to end through ``run_masks`` (background input building, pinned memory,
  non-blocking copies on a side stream), after one warm-up batch;
- ``build``: seconds per gene spent making the inputs (synthetic: random one-hot sequence and
  signals with the shapes of a real window; real builds read FASTA/bigWig, see
  ``bench/inputs.py`` for their CPU cost) - they run in the background thread;
- ``transfer``: seconds per gene of the host-to-device copies alone (CUDA events);
- ``model``: seconds per gene of the model call alone, inputs already on the GPU (CUDA events);
- ``floor``: seconds per gene of the forward's matrix products alone (same shapes, same
  precision, ``F.linear`` on random tensors), measured in the same run; ``ratio`` = model/floor;
- ``peak GiB``: ``torch.cuda.max_memory_allocated`` during the model call.

Goal (issue 9): build < model (input building never the bottleneck) and ratio <= 3.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forward import enc_length, matmul_shapes  # noqa: E402

from regfind.coords import Locus  # noqa: E402
from regfind.errors import ConfigError  # noqa: E402
from regfind.inputs.build import ModelInputs  # noqa: E402
from regfind.model.config import Seq2ExpConfig  # noqa: E402
from regfind.model.inference import _autocast, run_masks  # noqa: E402
from regfind.model.seq2exp import Seq2Exp  # noqa: E402

LENGTH = 200_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", default="soft", choices=["soft", "hard"])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--genes", type=int, default=16, help="genes per measurement")
    ap.add_argument("--precision", nargs="+", default=["fp32", "bf16-official"])
    args = ap.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("bench/gpu.py needs a CUDA GPU (torch.cuda.is_available() is False); "
                         "nothing was measured. CPU numbers: bench/forward.py")
    torch.manual_seed(0)
    cfg = Seq2ExpConfig.preset(args.variant, seq_range=LENGTH)
    model = Seq2Exp(cfg).eval()
    dev = torch.device("cuda")
    print(f"{torch.cuda.get_device_name(dev)}, torch {torch.__version__}, {args.variant}, "
          f"L = {LENGTH:,}")
    print("precision      batch  genes/s  build/gene  transfer/gene  model/gene  floor/gene  "
          "ratio  peak GiB")
    for precision in args.precision:
        try:
            amp = _autocast(precision, dev)
        except ConfigError as exc:
            print(f"{precision:<14} not measured: {exc}")
            continue
        for batch in args.batch:
            print(_row(model, cfg, precision, amp, batch, args.genes, dev))


def _row(model: Seq2Exp, cfg: Seq2ExpConfig, precision: str, amp, batch: int, genes: int,
         dev: torch.device) -> str:
    build, inputs = _build(cfg, batch, max(1, genes // batch))
    model.to(dev)
    x = {k: torch.from_numpy(v).pin_memory() for k, v in _arrays(inputs[0]).items()}
    transfer = _cuda_time(lambda: {k: t.to(dev, non_blocking=True) for k, t in x.items()})
    on_dev = {k: t.to(dev) for k, t in x.items()}
    torch.cuda.reset_peak_memory_stats(dev)
    args = tuple(on_dev[k] for k in ("seqs", "signals", "rna_feat", "blacklist"))

    def fwd():
        return model(*args)

    with torch.no_grad(), amp:
        out = fwd()
        t_model = _cuda_time(fwd)
    peak = torch.cuda.max_memory_allocated(dev) / 2**30
    floor = _floor(cfg, enc_length(cfg, out.mask[:1]), batch, dev, precision)
    list(run_masks(model, inputs[:1], device=dev, predict=True, precision=precision))
    start = time.perf_counter()
    n = sum(1 for _ in run_masks(model, inputs, device=dev, predict=True, precision=precision))
    rate = n / (time.perf_counter() - start)
    return (f"{precision:<14} {batch:>5}  {rate:7.2f}  {build / batch:10.4f}  "
            f"{transfer / batch:13.4f}  {t_model / batch:10.4f}  {floor / batch:10.4f}  "
            f"{t_model / floor:5.2f}  {peak:8.2f}")


def _build(cfg: Seq2ExpConfig, batch: int, n_batches: int) -> tuple[float, list[ModelInputs]]:
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    out = []
    for _ in range(n_batches):
        idx = rng.integers(0, 4, (batch, LENGTH))
        seqs = np.eye(4, dtype=np.float32)[idx]
        signals = rng.random((batch, LENGTH, cfg.signal_size), dtype=np.float32)
        loci = tuple(Locus("chr1", 0, LENGTH, "+", f"g{i}", LENGTH // 2, 10 * LENGTH)
                     for i in range(batch))
        out.append(ModelInputs(seqs, signals, rng.standard_normal(
            (batch, cfg.rna_feat_dim)).astype(np.float32), np.zeros((batch, LENGTH), bool),
            loci))
    return (time.perf_counter() - start) / n_batches, out


def _arrays(inputs: ModelInputs) -> dict[str, np.ndarray]:
    return {k: getattr(inputs, k) for k in ("seqs", "signals", "rna_feat", "blacklist")}


def _cuda_time(fn, repeats: int = 3) -> float:
    """Best of ``repeats`` in seconds, timed with CUDA events."""
    best = float("inf")
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end) / 1000)
    return best


def _floor(cfg: Seq2ExpConfig, enc_len: int, batch: int, dev: torch.device,
           precision: str) -> float:
    dtype = torch.bfloat16 if precision.startswith("bf16") else torch.float32
    tensors = [(torch.randn(rows * batch, k, device=dev, dtype=dtype),
                torch.randn(m, k, device=dev, dtype=dtype))
               for rows, k, m in matmul_shapes(cfg, LENGTH, enc_len)]

    def run() -> None:
        for a, w in tensors:
            F.linear(a, w)

    run()
    return _cuda_time(run)


if __name__ == "__main__":
    main()

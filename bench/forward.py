"""CPU forward time of Seq2Exp against its matrix-product floor (prints measurements only).

Usage::

    .venv/bin/python bench/forward.py            # soft at L = 20,000 and 200,000, hard at 200,000
    .venv/bin/python bench/forward.py --quick    # soft at L = 20,000 only

For each case (a fresh subprocess, so the memory high-water mark is its own) it builds a randomly
initialised model with the published dimensions (``Seq2ExpConfig.preset``: d_model 128, 4 + 4
layers), random inputs (batch 1, fp32, ``torch.no_grad()``), and prints:

- ``forward``: the full forward, best of N;
- ``floor``: the same forward's matrix products alone, best of N, run with
  ``torch.nn.functional.linear`` on random tensors of exactly the shapes the forward computes
  (per Mamba layer: in_proj once, x_proj and dt_proj once per direction, out_proj once; plus the
  two embeddings, mask_output and the head), in the same process right after the forward;
- ``ratio`` = forward / floor;
- a breakdown from one instrumented forward: the fused numba kernels (conv + scan), the
  matrix products as executed inside the forward, and everything else;
- ``peak extra memory``: the process's max RSS after the forward minus its RSS before it.

For scale only: the official code's own pure-PyTorch path takes about 64 s for L = 20,000 on
the 2-core CPU this was written on. The machine may be shared: compare numbers within one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from regfind.model.config import Seq2ExpConfig
from regfind.model.seq2exp import Seq2Exp

CASES_FULL = [("soft", 20_000), ("soft", 200_000), ("hard", 200_000)]
CASES_QUICK = [("soft", 20_000)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="soft preset at L = 20,000 only")
    ap.add_argument("--repeats", type=int, default=0, help="best of N (default 3, 2 at 200k)")
    ap.add_argument("--worker", nargs=2, metavar=("VARIANT", "LENGTH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        variant, length = args.worker[0], int(args.worker[1])
        repeats = args.repeats or (3 if length <= 50_000 else 2)
        print(json.dumps(run_case(variant, length, repeats)))
        return
    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch threads; "
          "official pure-PyTorch path for scale: ~64 s at L = 20,000 on the 2-core dev CPU")
    for variant, length in CASES_QUICK if args.quick else CASES_FULL:
        cmd = [sys.executable, __file__, "--worker", variant, str(length)]
        if args.repeats:
            cmd += ["--repeats", str(args.repeats)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            print(f"{variant} L={length}: failed\n{res.stderr[-2000:]}")
            continue
        report(json.loads(res.stdout.strip().splitlines()[-1]))


def run_case(variant: str, length: int, repeats: int) -> dict:
    """Measure one (variant, length) case; returns a JSON-able dict of seconds and bytes."""
    torch.manual_seed(0)
    cfg = Seq2ExpConfig.preset(variant)
    if cfg.pos_enc and length != cfg.seq_range:
        cfg = Seq2ExpConfig.preset(variant, seq_range=length)
    model = Seq2Exp(cfg).eval()
    inputs = _inputs(length, cfg.rna_feat_dim)
    with torch.no_grad():
        model.generator(torch.zeros(1, 64, cfg.d_model))  # load/compile the kernels first
        rss0 = _rss_now()
        out = model(*inputs)
        peak = _maxrss() - rss0
        t_fwd = _best(lambda: model(*inputs), repeats)
        shapes = matmul_shapes(cfg, length, enc_length(cfg, out.mask))
        t_floor = _best(_floor_fn(shapes), repeats)
        parts = breakdown(model, inputs)
    return {"variant": variant, "length": length, "repeats": repeats, "forward": t_fwd,
            "floor": t_floor, "peak_bytes": peak, "n_matmuls": len(shapes), **parts,
            "threads": torch.get_num_threads()}


def _inputs(length: int, n_feat: int) -> tuple[torch.Tensor, ...]:
    idx = torch.randint(0, 4, (1, length))
    seqs = F.one_hot(idx, 4).float()
    signals = torch.rand(1, length, 3) * 2
    return seqs, signals, torch.randn(1, n_feat)


def enc_length(cfg: Seq2ExpConfig, mask: torch.Tensor) -> int:
    """Length the predictor runs on: L (soft) or the number of kept bases (hard, batch 1)."""
    return int((mask >= 0.5).sum()) if cfg.pos_enc else mask.shape[1]


def matmul_shapes(cfg: Seq2ExpConfig, length: int, enc_len: int
                  ) -> list[tuple[int, int, int]]:
    """``(rows, in, out)`` of every matrix product the forward computes (batch 1)."""
    d, di, n, r = cfg.d_model, cfg.d_inner, cfg.d_state, cfg.dt_rank
    shapes = [(length, cfg.base_size, d), (length, cfg.signal_size, d)]
    for rows, n_layer in ((length, cfg.gen_n_layer), (enc_len, cfg.enc_n_layer)):
        for _ in range(n_layer):
            shapes.append((rows, d, 2 * di))                        # in_proj (tied: once)
            shapes += [(rows, di, r + 2 * n), (rows, r, di)] * 2    # x_proj, dt_proj per dir.
            shapes.append((rows, di, d))                            # out_proj (tied: once)
    shapes.append((length, d, 2))                                   # mask_output
    k = d + cfg.rna_feat_dim
    shapes += [(1, k, d), (1, d, d), (1, d, 1)]                      # pToExpr
    return shapes


def _floor_fn(shapes: list[tuple[int, int, int]]) -> Callable[[], None]:
    """A closure running ``F.linear`` on random tensors of the given shapes (no bias)."""
    tensors = [(torch.randn(rows, k), torch.randn(m, k)) for rows, k, m in shapes]

    def run() -> None:
        for x, w in tensors:
            F.linear(x, w)
    run()
    return run


def _best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    with torch.no_grad():
        for _ in range(max(repeats, 1)):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return min(times)


def breakdown(model: Seq2Exp, inputs: tuple[torch.Tensor, ...]) -> dict[str, float]:
    """One instrumented forward: time in the numba kernels, in ``F.linear``/``bmm``, the rest."""
    import regfind.model._scan_numba as kernels

    acc = {"kernels": 0.0, "matmul": 0.0}
    patched = {(F, "linear"): "matmul", (torch, "bmm"): "matmul",
               (kernels, "_conv_silu_kernel"): "kernels",
               (kernels, "_bimamba_kernel"): "kernels", (kernels, "_scan_kernel"): "kernels"}
    originals = {key: getattr(*key) for key in patched}

    def timed(fn: Callable, bucket: str) -> Callable:
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                acc[bucket] += time.perf_counter() - t
        return wrapper

    for (mod, name), bucket in patched.items():
        setattr(mod, name, timed(originals[(mod, name)], bucket))
    try:
        with torch.no_grad():
            t = time.perf_counter()
            model(*inputs)
            total = time.perf_counter() - t
    finally:
        for (mod, name), fn in originals.items():
            setattr(mod, name, fn)
    return {"bd_total": total, "bd_kernels": acc["kernels"], "bd_matmul": acc["matmul"],
            "bd_other": total - acc["kernels"] - acc["matmul"]}


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def report(r: dict) -> None:
    gib = r["peak_bytes"] / 2**30
    print(f"\n{r['variant']} L={r['length']:,} (best of {r['repeats']}, "
          f"{r['threads']} threads)")
    print(f"  forward              {r['forward']:8.2f} s")
    print(f"  matmul floor         {r['floor']:8.2f} s   ({r['n_matmuls']} products)")
    print(f"  ratio forward/floor  {r['forward'] / r['floor']:8.2f}")
    print(f"  breakdown (1 instrumented run, {r['bd_total']:.2f} s): numba kernels "
          f"{r['bd_kernels']:.2f} s, matmuls {r['bd_matmul']:.2f} s, other {r['bd_other']:.2f} s")
    print(f"  peak extra memory    {gib:8.2f} GiB")


if __name__ == "__main__":
    main()

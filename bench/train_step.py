"""A training step's time against its floor, at the demo's shape (regfind train on the CPU).

The floor is what the step cannot avoid: the matrix products of the forward and backward
(3 x the forward's multiply-adds, at the rate torch.mm reaches here on a large product) plus the
selective scan's state updates (forward and backward, at the rate a vectorised numpy loop over
the same number of updates reaches: one exp and two multiply-adds per update). Both rates are
measured in this run, so the ratio step / floor does not depend on the machine's speed.

Also printed: the share of the step spent in the compiled scan (torch profiler).

    .venv/bin/python bench/train_step.py [--threads 1] [--steps 5]
"""
import argparse
import time

import numpy as np
import torch

from regfind.train.loop import TrainConfig, _loss, _make_model

L, BATCH = 10_000, 4
VARIANT = dict(mask_gate="noise", stem_width=19, stem_channels=32, gen_signal=True,
               prior_scale=0.0, beta_min=0.0, mask_init=0.9, pool="promoter+window")


def batch(seed: int) -> dict:
    g = np.random.default_rng(seed)
    codes = torch.from_numpy(g.integers(0, 4, (BATCH, L)))
    return {"seqs": torch.nn.functional.one_hot(codes, 4).float(),
            "signals": torch.from_numpy(g.gamma(2.0, 0.5, (BATCH, L, 3)).astype(np.float32)),
            "rna_feat": torch.from_numpy(g.normal(size=(BATCH, 9)).astype(np.float32)),
            "blacklist": torch.zeros(BATCH, L, dtype=torch.bool),
            "target": torch.from_numpy(g.normal(2.5, 0.2, BATCH).astype(np.float32))}


def step_time(model, steps: int) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    times = []
    for s in range(steps + 1):
        b = batch(s)
        t = time.perf_counter()
        pl, kl, _ = _loss(model, b)
        (pl + 0.01 * kl).backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t)
    return float(np.median(times[1:]))


def floor(model) -> tuple[float, float]:
    """Seconds of the unavoidable matrix products and scan updates of one step."""
    cfg = model.config
    d, di, n, r = cfg.d_model, cfg.d_inner, cfg.d_state, cfg.dt_rank
    per_dir = d * 2 * di + di * (r + 2 * n) + r * di + di * d + di * cfg.d_conv   # MACs / base
    layers = cfg.gen_n_layer + cfg.enc_n_layer
    macs = BATCH * L * (2 * layers * per_dir + 4 * d + 3 * d + cfg.stem_width * 4
                        * cfg.stem_channels + cfg.stem_channels * d)
    a = torch.randn(2048, 2048)
    torch.mm(a, a)
    t = time.perf_counter()
    for _ in range(5):
        torch.mm(a, a)
    mm_rate = 5 * 2048 ** 3 / (time.perf_counter() - t)                    # MAC/s
    updates = BATCH * L * di * n * 2 * layers                               # per forward
    x = np.random.rand(updates // 16).astype(np.float32)
    h = np.zeros_like(x)
    t = time.perf_counter()
    h = np.exp(-x) * h + x * x
    h += x * h
    upd_rate = x.size / (time.perf_counter() - t)
    return 3 * macs / mm_rate, 3 * updates / upd_rate                      # fwd + 2x bwd


def scan_share(model) -> float:
    from torch.profiler import ProfilerActivity, profile

    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for s in range(2):
            pl, kl, _ = _loss(model, batch(s))
            (pl + 0.01 * kl).backward()
            opt.step()
            opt.zero_grad()
    rows = prof.key_averages()
    total = sum(r.self_cpu_time_total for r in rows)
    return sum(r.self_cpu_time_total for r in rows if r.key.startswith("ScanFunction")) / total


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    import numba

    numba.set_num_threads(args.threads)
    for name, kw in (("official shape", {}), ("discovery variant", VARIANT)):
        torch.manual_seed(0)
        model = _make_model(TrainConfig(enc_n_layer=2, **kw), L).train()
        st = step_time(model, args.steps)
        mm, scan = floor(model)
        share = scan_share(model)
        print(f"{name}: step {st:.3f} s; floor {mm + scan:.3f} s (matrix products {mm:.3f}, "
              f"scan updates {scan:.3f}); step / floor {st / (mm + scan):.1f}; "
              f"compiled scan {share:.0%} of the step")


if __name__ == "__main__":
    main()

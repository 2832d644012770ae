"""A tiny simulated genome and its training sets, shared by the training test modules."""

from __future__ import annotations

from pathlib import Path

from regfind.simulate import SimConfig, simulate

TINY = SimConfig(seed=5, n_genes=24, n_chroms=3, valid_chroms=("chr2",), test_chroms=("chr3",),
                 window=2000, spacer=200, center_len=200, element_len=(100, 200),
                 element_gap=50, profile_name="tiny", cell="tinycell")


def tiny_genome(folder: Path):  # noqa: ANN201 - regfind.simulate.SimResult
    """Simulate :data:`TINY` into ``folder``."""
    return simulate(TINY, folder)


def tiny_sets(sim, cache: Path) -> dict:  # noqa: ANN001
    """Training, validation and test sets of a :func:`tiny_genome` (8 genes each)."""
    from regfind.train.data import build_sets

    return build_sets("tiny", "tinycell", sim.out / "expression.tsv", window=TINY.window,
                      config=sim.profiles, cache_dir=cache, progress=False)


def tiny_config(**kw):
    """A TrainConfig for the tiny genome (2-layer, width-8 model; overrides in ``kw``)."""
    from regfind.train.loop import TrainConfig

    base = dict(d_model=8, d_state=4, gen_n_layer=1, enc_n_layer=1, center_len=200, epochs=6,
                batch_size=4, lr=1e-2, warmup_frac=0.0, device="cpu", seed=0)
    return TrainConfig(**{**base, **kw})


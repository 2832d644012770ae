"""Training: the compiled CPU scan and convolution, data building, a smoke run, resume, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from regfind._train_scan import cpu_training_scan, depthwise_conv, scan_with_grad
from regfind.model.scan import scan_reference
from regfind.simulate import SimConfig, simulate

TINY = SimConfig(seed=5, n_genes=24, n_chroms=3, valid_chroms=("chr2",), test_chroms=("chr3",),
                 window=2000, spacer=200, center_len=200, element_len=(100, 200),
                 element_gap=50, profile_name="tiny", cell="tinycell")


def test_compiled_scan_matches_reference_values_and_gradients() -> None:
    g = torch.Generator().manual_seed(0)
    b, length, d, n = 2, 40, 5, 3
    ins = (torch.randn(b, length, d, generator=g),
           F.softplus(torch.randn(b, length, d, generator=g)) * 0.5,
           -torch.rand(d, n, generator=g) * 3, torch.randn(b, length, n, generator=g),
           torch.randn(b, length, n, generator=g), torch.randn(d, generator=g))
    ins = tuple(x.requires_grad_() for x in ins)
    z = torch.randn(b, length, d, generator=g)
    y1 = scan_with_grad(*ins, z)
    y2 = scan_reference(*ins) * F.silu(z)
    torch.testing.assert_close(y1, y2, atol=1e-5, rtol=1e-5)
    w = torch.randn(y1.shape, generator=g)
    for a, e in zip(torch.autograd.grad((y1 * w).sum(), ins),
                    torch.autograd.grad((y2 * w).sum(), ins), strict=True):
        torch.testing.assert_close(a, e, atol=1e-4, rtol=1e-4)


def test_depthwise_conv_matches_module() -> None:
    conv = torch.nn.Conv1d(6, 6, 4, groups=6, padding=3)
    x = torch.randn(2, 6, 30, requires_grad=True)
    a, b = conv(x), depthwise_conv(x, conv.weight, conv.bias)
    torch.testing.assert_close(a, b)
    for p, q in zip(torch.autograd.grad(a.sum(), [x, conv.weight]),
                    torch.autograd.grad(b.sum(), [x, conv.weight]), strict=True):
        torch.testing.assert_close(p, q)


def test_training_context_restores_the_model_code() -> None:
    import regfind.model.mamba as mamba
    from regfind.model.config import Seq2ExpConfig
    from regfind.model.seq2exp import Seq2Exp

    model = Seq2Exp(Seq2ExpConfig.preset("soft", d_model=8, gen_n_layer=1, enc_n_layer=1,
                                         seq_range=400, center_len=100, d_state=4))
    before = mamba.selective_scan
    with cpu_training_scan(model):
        assert mamba.selective_scan is not before
    assert mamba.selective_scan is before
    assert all("forward" not in vars(m.conv1d) for m in model.modules()
               if isinstance(m, mamba.Mamba))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return simulate(TINY, tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def sets(tiny, tmp_path_factory: pytest.TempPathFactory):
    from regfind._train_data import build_sets

    return build_sets("tiny", "tinycell", tiny.out / "expression.tsv", window=TINY.window,
                      config=tiny.profiles, cache_dir=tmp_path_factory.mktemp("cache"),
                      progress=False)


def test_sets_follow_the_split_and_the_cache_round_trips(tiny, sets, tmp_path: Path) -> None:
    from regfind._train_data import build_sets

    assert {k: len(v) for k, v in sets.items()} == {"train": 8, "valid": 8, "test": 8}
    s = sets["train"]
    assert s.codes.shape == (8, TINY.window) and s.signals.shape == (8, TINY.window, 3)
    b = s.batch(np.arange(2))
    assert b["seqs"].shape == (2, TINY.window, 4) and b["seqs"].sum(-1).max() == 1
    kw = dict(window=TINY.window, config=tiny.profiles, cache_dir=tmp_path, progress=False)
    build_sets("tiny", "tinycell", tiny.out / "expression.tsv", **kw)
    again = build_sets("tiny", "tinycell", tiny.out / "expression.tsv", **kw)
    assert again["train"].genes == s.genes
    np.testing.assert_array_equal(again["valid"].signals, sets["valid"].signals)


def _tc(**kw):
    from regfind.train import TrainConfig

    base = dict(d_model=8, d_state=4, gen_n_layer=1, enc_n_layer=1, center_len=200, epochs=6,
                batch_size=4, lr=1e-2, warmup_frac=0.0, device="cpu", seed=0)
    return TrainConfig(**{**base, **kw})


def test_training_smoke_loss_decreases_and_resume(sets, tmp_path: Path) -> None:
    from regfind.model.checkpoint import load_model
    from regfind.train import train

    out = tmp_path / "run"
    res = train(sets, out, _tc(), progress=False)
    losses = [h["pred_loss"] for h in res["history"]]
    assert len(losses) == 6 and losses[-1] < losses[0]
    model = load_model(out, device="cpu")
    card = json.loads((out / "model.json").read_text())
    assert card["provenance"]["metrics"]["test"]["n"] == 8
    assert model.config.seq_range == TINY.window and not model.training
    more = train(sets, out, _tc(epochs=8), resume=True, progress=False)
    assert [h["epoch"] for h in more["history"]] == list(range(1, 9))


def test_cli_train(tiny, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from regfind.cli import cli

    res = CliRunner().invoke(cli, [
        "train", "--config", str(tiny.profiles), "--profile", "tiny", "--cell", "tinycell",
        "--expression", str(tiny.out / "expression.tsv"), "-o", str(tmp_path / "m"),
        "--window", str(TINY.window), "--d-model", "8", "--d-state", "4", "--gen-layers", "1",
        "--enc-layers", "1", "--center-len", "200", "--epochs", "1", "--quiet",
        "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m" / "model.safetensors").is_file()
    assert (tmp_path / "m" / "training_state.pt").is_file()
    assert "pearson" in res.output

"""Training: the compiled CPU scan and convolution, data building, a smoke run, resume, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from train_data import TINY, tiny_config, tiny_genome, tiny_sets


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return tiny_genome(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def sets(tiny, tmp_path_factory: pytest.TempPathFactory):
    return tiny_sets(tiny, tmp_path_factory.mktemp("cache"))


def test_sets_follow_the_split_and_the_cache_round_trips(tiny, sets, tmp_path: Path) -> None:
    from regfind.train.data import build_sets

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


def test_training_smoke_loss_decreases_and_resume(sets, tmp_path: Path) -> None:
    from regfind.model.checkpoint import load_model
    from regfind.train.loop import train

    out = tmp_path / "run"
    res = train(sets, out, tiny_config(), progress=False)
    losses = [h["pred_loss"] for h in res["history"]]
    assert len(losses) == 6 and losses[-1] < losses[0]
    model = load_model(out, device="cpu")
    card = json.loads((out / "model.json").read_text())
    assert card["provenance"]["metrics"]["test"]["n"] == 8
    assert model.config.seq_range == TINY.window and not model.training
    more = train(sets, out, tiny_config(epochs=8), resume=True, progress=False)
    assert [h["epoch"] for h in more["history"]] == list(range(1, 9))


@pytest.mark.parametrize("options", [{}, {"mask_gate": "noise"}])
def test_resumed_run_equals_an_uninterrupted_one(sets, tmp_path: Path, monkeypatch,
                                                 options: dict) -> None:
    """Stopped after epoch 2 of 4 and resumed: the same weights and history as one run.

    The noise gate draws from torch's generator at every step, so its resumed run matches
    only when the generator's state is saved and restored with the checkpoint.
    """
    import torch

    import regfind.train.loop as train_mod
    from regfind.model.checkpoint import load_model

    tc = tiny_config(epochs=4, **options)
    whole = train_mod.train(sets, tmp_path / "whole", tc, progress=False)
    real = train_mod._save_state

    def stop_after_two(out, model, opt, sched, epoch, history, best):
        real(out, model, opt, sched, epoch, history, best)
        if epoch == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "_save_state", stop_after_two)
    with pytest.raises(KeyboardInterrupt):
        train_mod.train(sets, tmp_path / "split", tc, progress=False)
    monkeypatch.setattr(train_mod, "_save_state", real)
    resumed = train_mod.train(sets, tmp_path / "split", tc, resume=True, progress=False)
    for k in ("pred_loss", "valid_mse"):
        assert [h[k] for h in resumed["history"]] == pytest.approx(
            [h[k] for h in whole["history"]], rel=1e-6), k
    a = load_model(tmp_path / "whole", device="cpu").state_dict()
    b = load_model(tmp_path / "split", device="cpu").state_dict()
    for name, value in a.items():
        torch.testing.assert_close(b[name], value, rtol=1e-6, atol=1e-7, msg=name)


def test_evaluate_matches_metrics_by_hand(sets) -> None:
    """MSE, MAE and Pearson r of evaluate() against numpy on the model's own predictions."""
    import torch

    from regfind.train.loop import _make_model, evaluate

    torch.manual_seed(0)
    model = _make_model(tiny_config(), TINY.window)
    data = sets["test"]
    model.eval()
    with torch.no_grad():
        preds = []
        for i in range(len(data)):  # one gene at a time: also checks batch-size invariance
            b = data.batch(np.array([i]))
            preds.append(float(model(b["seqs"], b["signals"], b["rna_feat"],
                                     b["blacklist"]).pred[0]))
    p, y = np.array(preds), data.target.astype(np.float64)
    got = evaluate(model, data, batch_size=3)
    assert got["n"] == len(y) == 8
    assert got["mse"] == pytest.approx(((p - y) ** 2).mean(), rel=1e-5)
    assert got["mae"] == pytest.approx(np.abs(p - y).mean(), rel=1e-5)
    dp, dy = p - p.mean(), y - y.mean()
    r = (dp * dy).sum() / np.sqrt((dp ** 2).sum() * (dy ** 2).sum())
    assert got["pearson"] == pytest.approx(r, abs=1e-4)


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


def test_standardized_target_and_kl_warmup(sets, tmp_path: Path) -> None:
    import numpy as np
    import pytest

    from regfind.errors import ConfigError
    from regfind.train.loop import _target_scale, train

    y = sets["train"].target
    mu, sd = _target_scale(y, "standardize")
    assert mu == pytest.approx(float(np.mean(y))) and sd == pytest.approx(float(np.std(y)))
    assert _target_scale(y, "none") == (0.0, 1.0)
    res = train(sets, tmp_path / "z", tiny_config(epochs=3, target_scale="standardize",
                                          kl_warmup_frac=0.5), progress=False)
    losses = [h["pred_loss"] for h in res["history"]]
    assert losses[-1] < losses[0]
    # the loss is on the z-scale: the unit-variance target's SmoothL1 starts near 0.5 * var / sd**2
    assert losses[0] > 0.05
    for bad in ({"target_scale": "log"}, {"kl_warmup_frac": 1.5}, {"dt_range": (0.1, 1e-3)}):
        with pytest.raises(ConfigError):
            train(sets, tmp_path / "bad", tiny_config(**bad), progress=False)


def test_dt_range_sets_the_initial_step_sizes() -> None:
    import torch

    from regfind.model.mamba import Mamba
    from regfind.train.loop import _make_model

    model = _make_model(tiny_config(dt_range=(1e-5, 1e-4)), 1000)
    for m in (m for m in model.modules() if isinstance(m, Mamba)):
        dt = torch.nn.functional.softplus(m.dt_proj.bias.detach())
        assert float(dt.min()) >= 1e-5 * 0.999 and float(dt.max()) <= 1e-4 * 1.001
    torch.manual_seed(0)
    a = _make_model(tiny_config(), 1000).state_dict()
    torch.manual_seed(0)
    b = _make_model(tiny_config(), 1000).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)  # the default range leaves init unchanged

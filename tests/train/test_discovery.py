"""Discovery: the gating diagnostic, the regfind training variants, the retrain benchmark."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from train_data import TINY, tiny_genome, tiny_sets


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return tiny_genome(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def sets(tiny, tmp_path_factory: pytest.TempPathFactory):
    return tiny_sets(tiny, tmp_path_factory.mktemp("cache"))


def _tc(**kw):
    from regfind.train.loop import TrainConfig

    base = dict(d_model=8, d_state=4, gen_n_layer=1, enc_n_layer=1, center_len=200, epochs=5,
                batch_size=4, lr=1e-2, warmup_frac=0.0, device="cpu", seed=0,
                target_scale="standardize")
    return TrainConfig(**{**base, **kw})


def _gene_inputs(sets, i: int = 0) -> SimpleNamespace:
    b = sets["valid"].batch(np.array([i]))
    return SimpleNamespace(seqs=b["seqs"].numpy(), signals=b["signals"].numpy(),
                           rna_feat=b["rna_feat"].numpy(), blacklist=b["blacklist"].numpy())


# ---------------------------------------------------------------- gating diagnostic
def _tiny_model(**kw):
    from regfind.model.config import Seq2ExpConfig
    from regfind.model.seq2exp import Seq2Exp

    torch.manual_seed(0)
    cfg = Seq2ExpConfig.preset("soft", d_model=8, d_state=4, gen_n_layer=1, enc_n_layer=1,
                               seq_range=TINY.window, center_len=200, **kw)
    return Seq2Exp(cfg).eval()


def test_gating_ends_and_consistency_with_forward(sets) -> None:
    from regfind.evaluate.gating import mask_gating

    model = _tiny_model()
    inputs = _gene_inputs(sets)
    table = mask_gating(model, inputs, (0.5, 0.1))
    assert list(table["factor"]) == [1.0, 0.5, 0.1, 0.0]
    with torch.no_grad():
        out = model(*(torch.from_numpy(getattr(inputs, k)) for k in
                      ("seqs", "signals", "rna_feat", "blacklist")))
    assert table["pred"].iloc[0] == pytest.approx(float(out.pred[0]), abs=1e-6)
    assert table["removed"].iloc[0] == 0.0 and table["removed"].iloc[-1] == 1.0
    with pytest.raises(Exception, match="factors must be in"):
        mask_gating(model, inputs, (2.0,))


def test_gating_tells_a_gating_mask_from_a_normalised_one(sets) -> None:
    """The official soft path RMS-normalises m*x, so halving the mask changes almost nothing;
    the noise gate mixes content with noise, so halving the mask removes much of the effect."""
    from regfind.evaluate.gating import mask_gating

    official, noise = _tiny_model(), _tiny_model(mask_gate="noise")
    removed = {name: np.mean([mask_gating(m, _gene_inputs(sets, i), (0.5,))["removed"].iloc[1]
                              for i in range(4)])
               for name, m in (("official", official), ("noise", noise))}
    assert removed["official"] < 0.05
    assert removed["noise"] > 0.3


def test_gating_on_the_official_fixture(official_dir: Path) -> None:
    """The diagnostic runs on an official checkpoint; its factor-1 prediction is the official
    output (the README's 1e-4 agreement)."""
    from regfind.evaluate.gating import mask_gating
    from regfind.model.checkpoint import load_model

    model = load_model(official_dir / "tiny_soft.ckpt", device="cpu")
    cases = torch.load(official_dir / "tiny_soft.cases.pt", weights_only=True)
    inputs = SimpleNamespace(seqs=cases["seqs"][:1].numpy(), signals=cases["signals"][:1].numpy(),
                             rna_feat=cases["rna_feat"][:1].numpy(),
                             blacklist=cases["mask_regions"][:1, :, 1].numpy())
    table = mask_gating(model, inputs)
    expect = float(cases["expect_single"][0]["pred"].reshape(-1)[0])
    assert table["pred"].iloc[0] == pytest.approx(expect, abs=1e-4)
    assert table["removed"].iloc[-1] in (1.0,) or np.isnan(table["removed"].iloc[-1])


def test_cli_gating_on_demo(demo_genome: Path, run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    code, out, err = run_cli(["faithfulness", "--gating", "--cell", "demo", "--gene", "SIM0801",
                              "--factors", "0.1", "-o", tmp_path / "g.tsv",
                              "--json", tmp_path / "g.json"])
    assert code == 0, err
    assert "x0.1" in out and "deleting the flanks" in out
    doc = json.loads((tmp_path / "g.json").read_text())
    assert [r["factor"] for r in doc["summary"]] == [1.0, 0.1, 0.0]
    code, _, err = run_cli(["faithfulness", "--gating", "--cell", "demo", "--gene", "SIM0801",
                            "--method", "saliency"])
    assert code != 0 and "--gating takes" in err


# ---------------------------------------------------------------- training variants
VARIANTS = {
    "noise_gate": dict(mask_gate="noise"),
    "swap_gate": dict(mask_gate="swap"),
    "stem": dict(stem_width=9, stem_channels=8),
    "stem_gate": dict(stem_width=9, stem_channels=8, stem_gate=True),
    "gen_signal_prior": dict(gen_signal=True, prior_scale=1.0),
    "marginal": dict(marginal_mean=0.05, marginal_scale=1.0),
    "generator_delay": dict(generator_delay=0.4, generator_lr_mult=2.0),
    "pool_window": dict(pool="promoter+window"),
    "open_start": dict(prior_scale=0.0, beta_min=0.0, mask_init=0.9),
    "hard": dict(variant="hard", gen_n_layer=1, enc_n_layer=1),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_training_variant_learns_saves_and_reloads(name: str, sets, tmp_path: Path) -> None:
    from regfind.model.checkpoint import load_model
    from regfind.train.loop import evaluate, train

    out = tmp_path / name
    res = train(sets, out, _tc(**VARIANTS[name]), progress=False)
    losses = [h["pred_loss"] for h in res["history"]]
    assert losses[-1] < losses[0], losses
    model = load_model(out, device="cpu")
    card = json.loads((out / "model.json").read_text())
    for key, value in VARIANTS[name].items():  # every option is recorded in the model card
        assert card["provenance"]["training"][key] == value
    cfg = card["config"]
    if name == "noise_gate":
        assert cfg["mask_gate"] == "noise" and not model.config.is_official_shape
    if name == "swap_gate":  # the evaluation reference was learned and saved
        assert float(model.gate_reference.abs().sum()) > 0
    if name == "stem":
        assert (cfg["stem_width"], cfg["stem_channels"]) == (9, 8)
    if name == "marginal":
        assert (cfg["marginal_mean"], cfg["marginal_scale"]) == (0.05, 1.0)
    if name == "pool_window":
        assert cfg["pool"] == "promoter+window" and model.pToExpr[0].in_features == 2 * 8 + 9
    if name == "open_start":
        assert (cfg["prior_scale_factor"], cfg["beta_min"]) == (0.0, 0.0)
    again = load_model(out, device="cpu")
    a, b = evaluate(model, sets["test"]), evaluate(again, sets["test"])
    assert a == b and a["mse"] == pytest.approx(res["test"]["mse"], rel=1e-6)
    batch = sets["test"].batch(np.arange(3))
    with torch.no_grad():  # batch-size invariant (the noise gate's eval noise is fixed)
        whole = model(batch["seqs"], batch["signals"], batch["rna_feat"], batch["blacklist"])
        one = model(batch["seqs"][1:2], batch["signals"][1:2], batch["rna_feat"][1:2],
                    batch["blacklist"][1:2])
    assert float(whole.pred[1]) == pytest.approx(float(one.pred[0]), abs=1e-5)
    torch.testing.assert_close(whole.mask[1], one.mask[0], atol=1e-6, rtol=0)


def test_generator_delay_freezes_the_generator(sets, tmp_path: Path) -> None:
    from regfind.train.loop import _make_model, train

    tc = _tc(epochs=1, generator_delay=0.99)
    torch.manual_seed(tc.seed)
    init = _make_model(tc, TINY.window).state_dict()
    train(sets, tmp_path / "d", tc, progress=False)
    state = torch.load(tmp_path / "d" / "training_state.pt", weights_only=True)["model"]
    assert torch.equal(state["mask_output.weight"], init["mask_output.weight"])
    gen = [k for k in init if k.startswith("generator.")]
    assert gen and all(torch.equal(state[k], init[k]) for k in gen)
    assert not torch.equal(state["pToExpr.0.weight"], init["pToExpr.0.weight"])


def test_variant_options_are_checked(sets, tmp_path: Path) -> None:
    from regfind.errors import ConfigError
    from regfind.model.config import Seq2ExpConfig
    from regfind.train.loop import train

    for bad in ({"generator_delay": 1.0}, {"generator_lr_mult": 0.0},
                {"marginal_mean": 1.5}, {"mask_gate": "dropout"},
                {"stem_width": 9, "stem_channels": 0}, {"stem_width": 8, "stem_channels": 4},
                {"stem_gate": True},
                {"variant": "hard", "mask_gate": "noise"}, {"mask_init": 1.0},
                {"pool": "window"}, {"beta_min": -1.0}, {"stem_init": "dnabert"},
                {"stem_init": "jaspar", "stem_width": 15, "stem_channels": 8}):
        with pytest.raises(ConfigError):
            train(sets, tmp_path / "bad", _tc(**bad), progress=False)
    assert Seq2ExpConfig.preset("soft").is_official_shape


def test_cli_train_records_the_variant(tiny, tmp_path: Path, run_cli) -> None:
    code, out, err = run_cli([
        "train", "--config", tiny.profiles, "--profile", "tiny", "--cell", "tinycell",
        "--expression", tiny.out / "expression.tsv", "-o", tmp_path / "m",
        "--window", TINY.window, "--d-model", "8", "--d-state", "4", "--gen-layers", "1",
        "--enc-layers", "1", "--center-len", "200", "--epochs", "1", "--quiet",
        "--device", "cpu", "--mask-gate", "noise", "--stem", "9", "4", "--gen-signal",
        "--pool", "promoter+window", "--beta-min", "0", "--mask-init", "0.8",
        "--prior-scale", "1", "--marginal", "0.05", "2", "--generator-delay", "0.2"])
    assert code == 0, err
    cfg = json.loads((tmp_path / "m" / "model.json").read_text())["config"]
    assert cfg["mask_gate"] == "noise" and cfg["stem_width"] == 9 and cfg["gen_signal"]
    assert cfg["prior_scale_factor"] == 1.0 and cfg["marginal_mean"] == 0.05
    assert cfg["pool"] == "promoter+window" and cfg["beta_min"] == 0.0
    code, out, err = run_cli(["model", "info", tmp_path / "m"])
    assert code == 0, err
    assert ("architecture: regfind variant: mask gate noise, motif stem 4 x 9 bp, "
            "pool promoter+window") in out
    code, out, err = run_cli(["model", "info", "demo-soft"])  # a zoo name, as for --model
    assert code == 0 and "architecture: official" in out


# ---------------------------------------------------------------- retrain benchmark
def test_retrain_selections_have_matched_sizes(tiny, sets, tmp_path: Path) -> None:
    from regfind.evaluate.benchmark_retrain import selections

    model = _tiny_model()
    sel, info = selections(model, sets, top_fraction=0.1, seed=0)
    prom = model.promoter_slice(TINY.window)
    for split, by in sel.items():
        assert set(by) == {"mask", "macs3", "random", "all"}
        for s in by.values():
            assert s.shape == (len(sets[split]), TINY.window) and s.dtype == bool
            assert s[:, prom].all()  # the promoter is read by every predictor
            assert not (s & sets[split].blacklist).any()
        # random regions: the mask's regions moved, so the same number of bases per gene
        np.testing.assert_array_equal(by["random"].sum(1), by["mask"].sum(1))
        assert not np.array_equal(by["random"], by["mask"])
    frac = info["selected_fraction"]
    assert frac["macs3"] == pytest.approx(frac["mask"], rel=0.1)
    outside = TINY.window - 200
    # the top 10% of the bases outside the promoter, merged across gaps of <= 50 bp
    assert 0.95 * (200 + 0.1 * outside) / TINY.window <= frac["mask"] <= 0.3


def test_cli_benchmark_retrain_on_a_tiny_genome(tiny, sets, tmp_path: Path, run_cli) -> None:
    from regfind.train.loop import train

    train(sets, tmp_path / "m", _tc(epochs=1), progress=False)
    code, out, err = run_cli(["benchmark", "retrain", "--data", tiny.out, "--model",
                              tmp_path / "m", "--epochs", "2", "--json"])
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["sets"]) == {"mask", "macs3", "random", "all"}
    for row in doc["sets"].values():
        assert row["n"] == 8 and np.isfinite(row["mse"]) and row["mse"] > 0
    assert doc["sets"]["all"]["selected_fraction"] > doc["sets"]["mask"]["selected_fraction"]



# ---------------------------------------------------------------- JASPAR motif stem
def test_jaspar_stem_scores_both_strands_above_80_percent() -> None:
    from regfind.look.motifs import load_jaspar
    from regfind.model.motif_stem import jaspar_stem

    motifs = load_jaspar(["MA0035.4", "MA0139.1", "MA0079.5"])   # GATA1, CTCF, SP1
    weight, bias, ids = jaspar_stem(15, motifs=motifs)
    assert weight.shape == (len(ids), 4, 15) and bias.shape == (len(ids),)
    assert len(ids) == 6 and ids[1] == ids[0] + "-"             # no two of them are similar
    np.testing.assert_array_equal(weight[1], weight[0][::-1, ::-1])  # reverse complement
    for w, b in zip(weight, bias, strict=True):
        best = w.max(axis=0).sum()                               # the consensus' score
        lo = w.min(axis=0).sum()
        assert best + b == pytest.approx(0.2 * (best - lo), rel=1e-5)   # fires above 80%
        assert lo + b < 0


def test_jaspar_stem_is_fixed_in_training_and_saved(sets, tmp_path: Path) -> None:
    from regfind.model.checkpoint import load_model
    from regfind.train.loop import _make_model, train

    tc = _tc(epochs=2, stem_init="jaspar", stem_width=13, mask_gate="noise")
    torch.manual_seed(tc.seed)
    init = _make_model(tc, TINY.window)
    res = train(sets, tmp_path / "j", tc, progress=False)
    assert res["history"][-1]["pred_loss"] < res["history"][0]["pred_loss"]
    model = load_model(tmp_path / "j", device="cpu")
    assert model.config.stem_channels == init.config.stem_channels > 100
    assert torch.equal(model.seq_stem.weight, init.seq_stem.weight)   # fixed, saved
    assert torch.equal(model.seq_stem.bias, init.seq_stem.bias)
    card = json.loads((tmp_path / "j" / "model.json").read_text())
    assert len(card["provenance"]["stem_motifs"]) == model.config.stem_channels

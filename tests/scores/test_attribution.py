"""Attribution baselines: captum axioms, finite differences, refusals, ISM, CLI end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from regfind.coords import Locus
from regfind.errors import ConfigError, UnsupportedMethodError
from regfind.inputs.build import ModelInputs
from regfind.scores.attribution import METHODS, REFUSED, attribute_inputs, check_method
from regfind.scores.shuffle import dinucleotide_shuffle

L = 256


@pytest.fixture(scope="module")
def model():
    from regfind.model.config import Seq2ExpConfig
    from regfind.model.seq2exp import Seq2Exp

    torch.manual_seed(0)
    return Seq2Exp(Seq2ExpConfig.preset("soft", d_model=16, gen_n_layer=1, enc_n_layer=1,
                                        seq_range=L, center_len=32))


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(0)
    seqs = np.eye(4, dtype=np.float32)[rng.integers(0, 4, L)][None]
    signals = rng.gamma(0.5, 1.0, (1, L, 3)).astype(np.float32)
    locus = Locus.around_tss("chr1", 1000, 3000, gene="G", window=L)
    return ModelInputs(seqs, signals, rng.normal(size=(1, 9)).astype(np.float32),
                       np.zeros((1, L), dtype=bool), (locus,))


def _pred(model, seqs, inputs):
    x = inputs.to_torch()
    with torch.no_grad():
        return model(seqs, x["signals"], x["rna_feat"], x["blacklist"]).pred.double()


def test_integrated_gradients_completeness(model, inputs):
    # 16 Gauss-Legendre steps; the integrand has kinks (the ReLU head) so the quadrature error
    # is ~0.5% here (measured 0.4%); stated tolerance 1% of |f(x) - f(baseline)|
    a = attribute_inputs(model, inputs, "integrated_gradients", n_steps=16,
                         internal_batch_size=16, device="cpu")
    diff = a.pred - a.baseline_pred
    # completeness: sum of attributions = f(x) - f(0) up to the quadrature error (stated: 1%)
    assert abs(a.seq_attr.sum(dtype=np.float64) - diff) <= 0.01 * abs(diff) + 1e-6
    assert abs(a.delta) <= 0.01 * abs(diff) + 1e-6
    assert a.scores.shape == (L,) and np.isfinite(a.scores).all()


def test_integrated_gradients_batch_size_invariant(model, inputs):
    one = attribute_inputs(model, inputs, "integrated_gradients", n_steps=4,
                           internal_batch_size=2, device="cpu")
    two = attribute_inputs(model, inputs, "integrated_gradients", n_steps=4,
                           internal_batch_size=4, device="cpu")
    np.testing.assert_allclose(one.seq_attr, two.seq_attr, rtol=0, atol=1e-6)


def test_saliency_matches_finite_differences(model, inputs):
    # float32: the model casts its Beta parameters and output to float32, so a float64 copy is
    # not possible; a directional central difference with h = 1e-2 is good to ~1e-3 relative
    a = attribute_inputs(model, inputs, "saliency", device="cpu")
    rng = np.random.default_rng(1)
    v = torch.from_numpy(rng.normal(size=(1, L, 4)).astype(np.float32))
    x = inputs.to_torch()["seqs"]
    h = 1e-2
    fd = float((_pred(model, x + h * v, inputs) - _pred(model, x - h * v, inputs))[0]) / (2 * h)
    analytic = float((torch.from_numpy(a.seq_attr).double() * v[0].double()).sum())
    assert analytic == pytest.approx(fd, rel=1e-2, abs=1e-5)
    # the default reduction is max |gradient| over the four letters
    np.testing.assert_allclose(a.scores, np.abs(a.seq_attr).max(axis=1), rtol=1e-6)


def test_input_x_gradient_is_gradient_of_observed_letter(model, inputs):
    sal = attribute_inputs(model, inputs, "saliency", device="cpu")
    ixg = attribute_inputs(model, inputs, "input_x_gradient", reduction="sum", device="cpu")
    expect = (sal.seq_attr * inputs.seqs[0]).sum(axis=1)
    np.testing.assert_allclose(ixg.scores, expect, rtol=1e-5, atol=1e-9)


def test_ism_tile_delta(model, inputs):
    loc = inputs.locus
    region = (loc.start + 64, loc.start + 96)
    a = attribute_inputs(model, inputs, "ism", region=region, tile=16, reduction="sum",
                         device="cpu")
    x = inputs.to_torch()["seqs"]
    pert = x.clone()
    pert[0, 64:80] = 0
    expect = float(_pred(model, x, inputs)[0] - _pred(model, pert, inputs)[0])
    assert a.scores[64:80] == pytest.approx(np.full(16, expect), abs=1e-6)
    assert np.isnan(a.scores[:64]).all() and np.isnan(a.scores[96:]).all()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_methods_explain(name):
    with pytest.raises(UnsupportedMethodError, match="refused"):
        check_method(name)


def test_unknown_method():
    with pytest.raises(ConfigError, match="unknown attribution method"):
        check_method("magic")
    assert set(METHODS) == {"saliency", "input_x_gradient", "integrated_gradients", "ism"}


def test_dinucleotide_shuffle_keeps_counts():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 5, 500)
    onehot = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])[tokens]
    out = dinucleotide_shuffle(onehot, np.random.default_rng(1))

    def counts(oh):
        t = np.where(oh.any(1), oh.argmax(1), 4)
        return np.bincount(t[:-1] * 5 + t[1:], minlength=25)

    np.testing.assert_array_equal(counts(out), counts(onehot))
    assert not np.array_equal(out, onehot)


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    from call_data import tiny_profile

    return tiny_profile(tmp_path_factory, "sim_attr")


def test_cli_attribute_ism_end_to_end(profile, tmp_path, capsys):
    import json

    import pyBigWig
    from call_data import SIZES

    from regfind.cli import main
    from regfind.io.bed import read_narrowpeak

    out, track = tmp_path / "attr.bed", tmp_path / "attr.bw"
    main(["attribute", "--gene", "GENE1", "--cell", "demo", "--config", str(profile),
          "--method", "ism", "--tile", "100", "-o", str(out), "--track", str(track),
          "--device", "cpu"])
    err = capsys.readouterr().err
    assert "regfind attribute ism" in err
    bed = read_narrowpeak(out)
    # GENE1's window is chr1:[2000, 4000); regions are genome coordinates inside it
    assert len(bed) >= 1 and (bed["chrom"] == "chr1").all()
    assert (bed["start"] >= 2000).all() and (bed["end"] <= 4000).all()
    assert bed["score"].between(0, 1000).all()
    bw = pyBigWig.open(str(track))
    assert bw.chroms() == SIZES
    assert bw.intervals("chr1")[0][0] == 2000 and bw.intervals("chr1")[-1][1] == 4000
    side = json.loads((tmp_path / "attr.bed.json").read_text())
    assert side["method"] == "ism" and side["model"]["sha256"]


def test_cli_refuses_deeplift(profile, capsys):
    from regfind.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["attribute", "--gene", "GENE1", "--cell", "demo", "--config", str(profile),
              "--method", "deeplift", "-o", "x.bed"])
    assert exc.value.code == 1
    assert "refused" in capsys.readouterr().err

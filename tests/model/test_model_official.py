"""Differential tests against outputs produced by the official Seq2Exp code."""

from __future__ import annotations

import pytest
import torch

from regfind.model.checkpoint import load_model

VARIANTS = ["tiny_soft", "tiny_hard"]
BACKENDS = ["chunked", "numba", "reference"]


def _load(official_dir, name):
    model = load_model(official_dir / f"{name}.ckpt", device="cpu")
    cases = torch.load(official_dir / f"{name}.cases.pt", weights_only=True)
    return model, cases


def _run(model, cases, rows):
    with torch.no_grad():
        return model(cases["seqs"][rows], cases["signals"][rows], cases["rna_feat"][rows],
                     cases["mask_regions"][rows][..., 1])


def _assert_matches(out, expect, hard):
    torch.testing.assert_close(out.pred, expect["pred"][:, 0], rtol=0, atol=1e-4)
    for key in ("alpha", "beta"):
        torch.testing.assert_close(getattr(out, key), expect[key], rtol=1e-4, atol=0)
    if hard:
        assert torch.equal(out.mask, expect["mask"])
    else:
        torch.testing.assert_close(out.mask, expect["mask"], rtol=1e-4, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", VARIANTS)
def test_batched_matches_official(official_dir, name, backend):
    model, cases = _load(official_dir, name)
    model.scan_backend = backend
    out = _run(model, cases, slice(None))
    _assert_matches(out, cases["expect_batched"], hard=name.endswith("hard"))


@pytest.mark.parametrize("name", VARIANTS)
def test_single_samples_match_official(official_dir, name):
    model, cases = _load(official_dir, name)
    for i, expect in enumerate(cases["expect_single"]):
        out = _run(model, cases, slice(i, i + 1))
        _assert_matches(out, expect, hard=name.endswith("hard"))


def test_variants_detected(official_dir):
    soft, _ = _load(official_dir, "tiny_soft")
    hard, _ = _load(official_dir, "tiny_hard")
    assert soft.config.variant == "soft" and not soft.config.pos_enc
    assert soft.config.prior_scale_factor == 10.0 and soft.config.beta_min == 1.0
    assert hard.config.variant == "hard" and hard.config.pos_enc and hard.config.enc_prd_ps
    assert (soft.config.d_model, soft.config.seq_range, soft.config.center_len) == (16, 2000, 200)
    assert soft.config.cell_type == "K562"


def test_tied_weights_shared_after_loading(official_dir):
    soft, _ = _load(official_dir, "tiny_soft")
    hard, _ = _load(official_dir, "tiny_hard")
    for model in (soft, hard):
        for layer in model.generator.backbone.layers:
            fwd, rev = layer.mixer.mamba_fwd, layer.mixer.mamba_rev
            assert rev.in_proj.weight is fwd.in_proj.weight
            assert rev.out_proj.weight is fwd.out_proj.weight
            assert rev.conv1d.weight is not fwd.conv1d.weight
    assert hard.encoder is hard.generator
    assert soft.encoder is not soft.generator
    # a change through one name is seen through the other
    with torch.no_grad():
        hard.generator.backbone.norm_f.weight[0] = 7.0
    assert hard.encoder.backbone.norm_f.weight[0].item() == 7.0


def test_hard_isolated_padding_is_batch_invariant(official_dir):
    model, cases = _load(official_dir, "tiny_hard")
    model.batch_padding = "isolated"
    out = _run(model, cases, slice(None))
    for i, expect in enumerate(cases["expect_single"]):
        torch.testing.assert_close(out.pred[i], expect["pred"][0, 0], rtol=0, atol=1e-6)


def test_generate_equals_forward_mask(official_dir):
    model, cases = _load(official_dir, "tiny_soft")
    out = _run(model, cases, slice(None))
    with torch.no_grad():
        mask, alpha, beta = model.generate(cases["seqs"], cases["signals"],
                                           cases["mask_regions"][..., 1])
    assert torch.equal(mask, out.mask) and torch.equal(alpha, out.alpha)

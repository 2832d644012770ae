"""Model behaviour on tiny random networks: batch invariance, mask rules, devices."""

from __future__ import annotations

import pytest
import torch

from regfind.errors import InputError
from regfind.model.config import Seq2ExpConfig
from regfind.model.seq2exp import Seq2Exp, kl_to_marginal


def _inputs(n=3, length=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 5, (n, length), generator=g)
    seqs = torch.nn.functional.one_hot(idx, 5)[..., :4].float()  # index 4 = N
    signals = torch.rand(n, length, 3, generator=g) * 3
    rna = torch.randn(n, 9, generator=g)
    blacklist = torch.zeros(n, length, dtype=torch.bool)
    blacklist[:, 10:30] = True
    blacklist[:, 190:195] = True  # inside the promoter: the promoter wins
    return seqs, signals, rna, blacklist


def _model(variant, seed=0):
    torch.manual_seed(seed)
    return Seq2Exp(Seq2ExpConfig.preset(variant, d_model=16, gen_n_layer=2, enc_n_layer=2,
                                        seq_range=400, center_len=40))


@pytest.mark.parametrize("variant", ["soft", "hard"])
def test_mask_rules(variant):
    model = _model(variant)
    seqs, signals, rna, blacklist = _inputs()
    with torch.no_grad():
        out = model(seqs, signals, rna, blacklist)
    assert out.pred.shape == (3,) and out.mask.shape == (3, 400)
    assert torch.all(out.mask[:, 10:30] == 0)
    assert torch.all(out.mask[:, 180:220] == 1)
    mean = out.alpha / (out.alpha + out.beta)
    free = torch.ones(400, dtype=torch.bool)
    free[10:30] = False
    free[180:220] = False
    if variant == "soft":
        torch.testing.assert_close(out.mask[:, free], mean[:, free], rtol=0, atol=0)
    else:
        assert torch.equal(out.mask[:, free], (mean[:, free] >= 0.5).float())


def test_soft_closed_form_at_neutral_logits():
    """With zero signals and zero logits the soft mask is about 0.363.

    See docs/official-model.md, "Test-time mask".
    """
    model = _model("soft")
    with torch.no_grad():
        for p in model.mask_output.parameters():
            p.zero_()
        mask, alpha, beta = model.generate(torch.zeros(1, 400, 4), torch.zeros(1, 400, 3))
    torch.testing.assert_close(alpha[0, 0], torch.tensor(11.6931), rtol=0, atol=1e-4)
    torch.testing.assert_close(beta[0, 0], torch.tensor(20.4931), rtol=0, atol=1e-4)
    torch.testing.assert_close(mask[0, 0], torch.tensor(0.36330), rtol=0, atol=1e-4)


def test_soft_batch_size_invariance():
    model = _model("soft")
    seqs, signals, rna, blacklist = _inputs(n=4)
    with torch.no_grad():
        whole = model(seqs, signals, rna, blacklist)
        parts = [model(seqs[i:i + 1], signals[i:i + 1], rna[i:i + 1], blacklist[i:i + 1])
                 for i in range(4)]
    for key in ("pred", "mask", "alpha", "beta"):
        torch.testing.assert_close(getattr(whole, key),
                                   torch.cat([getattr(p, key) for p in parts]),
                                   rtol=1e-5, atol=1e-6)


def test_training_mode_samples_and_backpropagates():
    model = _model("hard").train()
    model.scan_backend = "chunked"
    seqs, signals, rna, blacklist = _inputs(n=2)
    out = model(seqs, signals, rna, blacklist)
    assert torch.all((out.mask - out.mask.round()).abs() < 1e-6)  # 0/1, straight-through
    loss = out.pred.square().mean() + 0.01 * kl_to_marginal(out.alpha, out.beta,
                                                            model.config).mean()
    loss.backward()
    assert model.mask_output.weight.grad is not None
    assert model.mask_output.weight.grad.abs().sum() > 0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
def test_cpu_cuda_agree():
    device = "cuda"
    model = _model("soft")
    seqs, signals, rna, blacklist = _inputs()
    with torch.no_grad():
        cpu = model(seqs, signals, rna, blacklist)
        gpu = model.to(device)(seqs.to(device), signals.to(device), rna.to(device),
                               blacklist.to(device))
    for key in ("pred", "mask", "alpha", "beta"):
        torch.testing.assert_close(getattr(gpu, key).cpu(), getattr(cpu, key),
                                   rtol=1e-4, atol=1e-5)


def test_float64_copy_runs_in_float64():
    """A float64 copy (for finite-difference checks) keeps float64 end to end."""
    model = _model("soft")
    seqs, signals, rna, blacklist = _inputs(n=1)
    with torch.no_grad():
        ref = model(seqs, signals, rna, blacklist)
        out = model.double()(seqs.double(), signals.double(), rna.double(), blacklist)
    assert out.pred.dtype == torch.float64 and out.mask.dtype == torch.float64
    torch.testing.assert_close(out.pred.float(), ref.pred, rtol=1e-4, atol=1e-5)
    with pytest.raises(InputError, match="dtype torch.float32, expected torch.float64"):
        model(seqs, signals.double(), rna.double(), blacklist)

"""Deletion/insertion curves on a tiny random model: invariants and the blacklist route."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from regfind.compare import faithfulness
from regfind.coords import Locus
from regfind.faithfulness import curve_areas
from regfind.inputs import ModelInputs

L = 256


@pytest.fixture(scope="module")
def model():
    from regfind.model.config import Seq2ExpConfig
    from regfind.model.seq2exp import Seq2Exp

    torch.manual_seed(0)
    m = Seq2Exp(Seq2ExpConfig.preset("soft", d_model=16, gen_n_layer=1, enc_n_layer=1,
                                     seq_range=L, center_len=32))
    with torch.no_grad():
        m.mask_output.weight.mul_(20.0)
    return m


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(0)
    seqs = np.eye(4, dtype=np.float32)[rng.integers(0, 4, L)][None]
    signals = rng.gamma(0.5, 1.0, (1, L, 3)).astype(np.float32)
    blacklist = np.zeros((1, L), dtype=bool)
    blacklist[0, 10:20] = True
    locus = Locus.around_tss("chr1", 1000, 3000, gene="G", window=L)
    return ModelInputs(seqs, signals, rng.normal(size=(1, 9)).astype(np.float32), blacklist,
                       (locus,))


def _pred(model, inputs, extra=None):
    x = inputs.to_torch()
    bl = x["blacklist"] if extra is None else x["blacklist"] | torch.from_numpy(extra[None])
    with torch.no_grad():
        return float(model(x["seqs"], x["signals"], x["rna_feat"], bl).pred[0])


def test_curve_endpoints_and_blacklist(model, inputs):
    rng = np.random.default_rng(2)
    scores = {"rand": rng.random(L), "mask": np.linspace(0, 1, L)}
    table = faithfulness(model, inputs, scores, [0.0, 0.25, 1.0], batch_size=3, device="cpu")
    assert list(table.columns) == ["method", "curve", "fraction", "value", "bases"]
    assert len(table) == 2 * 2 * 3
    base = _pred(model, inputs)
    t = table.set_index(["method", "curve", "fraction"])["value"]
    promoter_only = t[("mask", "deletion", 1.0)]
    for m in scores:
        assert t[(m, "deletion", 0.0)] == pytest.approx(base, abs=1e-5)
        assert t[(m, "insertion", 1.0)] == pytest.approx(base, abs=1e-5)
        assert t[(m, "deletion", 1.0)] == pytest.approx(promoter_only, abs=1e-5)
        assert t[(m, "insertion", 0.0)] == pytest.approx(promoter_only, abs=1e-5)
    # the "mask" ranking is the last bases first: deleting 25% of the 214 eligible bases
    # (256 - 32 promoter - 10 blacklisted) = 54 bases = window indices 202..255
    bases = table.set_index(["method", "curve", "fraction"])["bases"]
    assert bases[("mask", "deletion", 0.25)] == 54
    extra = np.zeros(L, bool)
    extra[202:] = True
    assert t[("mask", "deletion", 0.25)] == pytest.approx(_pred(model, inputs, extra), abs=1e-5)


def test_areas_and_validation(model, inputs):
    table = faithfulness(model, inputs, {"a": np.arange(L, dtype=float)}, [0.0, 0.5, 1.0],
                         device="cpu")
    areas = curve_areas(table).set_index(["method", "curve"])["area"]
    d = table[table["curve"] == "deletion"]["value"].to_numpy()
    assert areas[("a", "deletion")] == pytest.approx(0.25 * (d[0] + 2 * d[1] + d[2]))
    from regfind.errors import InputError

    with pytest.raises(InputError):
        faithfulness(model, inputs, {"a": np.zeros(L)}, [1.5], device="cpu")
    with pytest.raises(InputError):
        faithfulness(model, inputs, {"a": np.zeros(L + 1)}, [0.5], device="cpu")

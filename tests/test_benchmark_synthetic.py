"""The synthetic benchmark on a tiny simulated genome and a tiny trained model."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from test_train import TINY, _tc

from regfind.simulate import simulate


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from regfind._train_data import build_sets
    from regfind.train import train

    sim = simulate(TINY, tmp_path_factory.mktemp("sim"))
    sets = build_sets("tiny", "tinycell", sim.out / "expression.tsv", window=TINY.window,
                      config=sim.profiles, progress=False)
    model = tmp_path_factory.mktemp("model")
    train(sets, model, _tc(epochs=1), progress=False)
    return sim.out, model


def test_benchmark_reports_every_method(run) -> None:
    import torch

    from regfind.benchmark_synthetic import run_synthetic

    threads = torch.get_num_threads()
    res = run_synthetic(*run)
    assert torch.get_num_threads() == threads  # the one-thread section restores the count
    assert set(res["methods"]) == {"seq2exp_mask", "dnase", "h3k27ac", "macs3_dnase",
                                   "macs3_h3k27ac", "distance", "saliency", "input_x_gradient"}
    for m in res["methods"].values():
        assert 0 <= m["auprc"] <= 1 and 0 <= m["precision"] <= 1 and 0 <= m["recall"] <= 1
    assert res["n_genes"] == 8 and 0 < res["positive_fraction"] < 1
    assert math.isfinite(res["expression"]["mse"])


def test_cli_command_json(run) -> None:
    import json

    from click.testing import CliRunner

    from regfind.cli.benchmark_synthetic_cmd import synthetic

    res = CliRunner().invoke(synthetic, ["--data", str(run[0]), "--model", str(run[1]),
                                         "--no-attributions", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["methods"]["seq2exp_mask"]["f1"] >= 0 and "pearson" in out["expression"]
    assert not {"saliency", "input_x_gradient"} & set(out["methods"])


def test_one_gradient_gives_both_attributions(run) -> None:
    """Input x gradient from the saliency gradient equals captum's InputXGradient via regfind."""
    import numpy as np

    from regfind._train_data import build_sets
    from regfind.attribution import attribute_inputs
    from regfind.benchmark_synthetic import _attribution_scores, _loci
    from regfind.inputs import ModelInputs
    from regfind.model.checkpoint import load_model

    sim, model_dir = run
    model = load_model(model_dir, device="cpu")
    data = build_sets("tiny", "tinycell", sim / "expression.tsv", window=TINY.window,
                      config=sim / "profiles.toml", progress=False)["test"]
    batch = data.batch(np.array([0]))
    locus = _loci(sim, TINY.window)[data.genes[0]]
    got = _attribution_scores(model, batch, locus)
    inputs = ModelInputs(*(batch[k].numpy() for k in ("seqs", "signals", "rna_feat",
                                                      "blacklist")), loci=(locus,))
    for name in ("saliency", "input_x_gradient"):
        want = attribute_inputs(model, inputs, name, device="cpu").scores
        np.testing.assert_allclose(got[name], want, rtol=1e-6, atol=1e-12)
        assert np.isfinite(got[name][locus.on_chrom]).all() and np.nanmax(got[name]) > 0


def test_nan_scores_rank_lowest() -> None:
    import numpy as np

    from regfind.benchmark_synthetic import _metrics

    y = np.array([True, False, True, False])
    m = _metrics(y, np.array([0.9, np.nan, 0.8, 0.1]), [1, 1, 1, 1])
    assert m["auprc"] == 1.0 and m["f1"] == 1.0

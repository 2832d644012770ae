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
    from regfind.benchmark_synthetic import run_synthetic

    res = run_synthetic(*run)
    assert set(res["methods"]) == {"seq2exp_mask", "dnase", "h3k27ac", "macs3_dnase",
                                   "macs3_h3k27ac", "distance"}
    for m in res["methods"].values():
        assert 0 <= m["auprc"] <= 1 and 0 <= m["precision"] <= 1 and 0 <= m["recall"] <= 1
    assert res["n_genes"] == 8 and 0 < res["positive_fraction"] < 1
    assert math.isfinite(res["expression"]["mse"])


def test_cli_command_json(run) -> None:
    import json

    from click.testing import CliRunner

    from regfind.cli.benchmark_synthetic_cmd import synthetic

    res = CliRunner().invoke(synthetic, ["--data", str(run[0]), "--model", str(run[1]),
                                         "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["methods"]["seq2exp_mask"]["f1"] >= 0 and "pearson" in out["expression"]

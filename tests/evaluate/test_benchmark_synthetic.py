"""The synthetic benchmark on a tiny simulated genome and a tiny trained model."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from train_data import TINY, tiny_config

from regfind.simulate import simulate


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from regfind.train.data import build_sets
    from regfind.train.loop import train

    sim = simulate(TINY, tmp_path_factory.mktemp("sim"))
    sets = build_sets("tiny", "tinycell", sim.out / "expression.tsv", window=TINY.window,
                      config=sim.profiles, progress=False)
    model = tmp_path_factory.mktemp("model")
    train(sets, model, tiny_config(epochs=1), progress=False)
    return sim.out, model


def test_benchmark_reports_every_method(run) -> None:
    import torch

    from regfind.evaluate.benchmark_synthetic import run_synthetic

    threads = torch.get_num_threads()
    res = run_synthetic(*run)
    assert torch.get_num_threads() == threads  # the one-thread section restores the count
    assert set(res["methods"]) == {"seq2exp_mask", "dnase", "h3k27ac", "macs3_dnase",
                                   "macs3_h3k27ac", "distance", "saliency", "input_x_gradient"}
    for m in res["methods"].values():
        assert 0 <= m["auprc"] <= 1 and 0 <= m["precision"] <= 1 and 0 <= m["recall"] <= 1
    assert res["n_genes"] == 8 and 0 < res["positive_fraction"] < 1
    assert math.isfinite(res["expression"]["mse"])


def _independent_auprc(sim: Path, model_dir: Path, n_genes: int) -> dict[str, float]:
    """AUPRC of distance and DNase for the test genes, from the files and scikit-learn alone.

    Labels: bases of truth.bed elements (the causal ones) of each gene, in its window centred
    on the TSS of expression.tsv, the promoter's ``center_len`` bases left out. Scores: 1/(d+1)
    and the DNase bigWig read with pyBigWig (AUPRC is unchanged by the model input's monotone
    transform of the signal).
    """
    import json as _json

    import numpy as np
    import pyBigWig
    from sklearn.metrics import average_precision_score

    window = TINY.window
    center = _json.loads((model_dir / "model.json").read_text())["config"]["center_len"]
    truth = [ln.split("\t") for ln in (sim / "truth.bed").read_text().splitlines()[1:]]
    rows = [ln.split("\t") for ln in (sim / "expression.tsv").read_text().splitlines()]
    head = rows[0]
    test = [dict(zip(head, r, strict=True)) for r in rows[1:]]
    test = [r for r in test if r["split"] == "test"][:n_genes]
    bw = pyBigWig.open(str(sim / "dnase.bw"))
    keep = np.ones(window, bool)
    p0 = (window - center) // 2
    keep[p0:p0 + center] = False
    ys, dist, dnase = [], [], []
    for r in test:
        tss = int(r["tss"])
        start = tss - window // 2
        lab = np.zeros(window, bool)
        for t in truth:
            if t[6] == r["gene_id"]:
                lab[max(int(t[1]) - start, 0):max(min(int(t[2]) - start, window), 0)] = True
        size = bw.chroms(r["chrom"])
        sig = np.full(window, np.nan)
        lo, hi = max(start, 0), min(start + window, size)
        sig[lo - start:hi - start] = np.nan_to_num(bw.values(r["chrom"], lo, hi, numpy=True))
        ys.append(lab[keep])
        dist.append((1.0 / (np.abs(np.arange(window) - window // 2) + 1.0))[keep])
        dnase.append(np.where(np.isnan(sig), -np.inf, sig)[keep])
    y = np.concatenate(ys)
    return {"distance": average_precision_score(y, np.concatenate(dist)),
            "dnase": average_precision_score(y, np.concatenate(dnase))}


def test_auprc_matches_scikit_learn_on_the_files(run) -> None:
    from regfind.evaluate.benchmark_synthetic import run_synthetic

    res = run_synthetic(*run, attributions=False)
    want = _independent_auprc(*run, res["n_genes"])
    for name in ("distance", "dnase"):
        assert res["methods"][name]["auprc"] == pytest.approx(want[name], abs=1e-6), name
    assert res["methods"]["dnase"]["auprc"] > 2 * res["positive_fraction"], res  # open chromatin


def test_cli_command_json(run) -> None:
    import json

    from click.testing import CliRunner

    from regfind.cli.benchmark_synthetic_cmd import synthetic

    res = CliRunner().invoke(synthetic, ["--data", str(run[0]), "--model", str(run[1]),
                                         "--no-attributions", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    from regfind.evaluate.benchmark_synthetic import run_synthetic

    api = run_synthetic(*run, attributions=False)
    for name in ("seq2exp_mask", "macs3_dnase", "distance"):
        assert out["methods"][name] == pytest.approx(api["methods"][name], rel=1e-9), name
    assert out["expression"]["pearson"] == pytest.approx(api["expression"]["pearson"])
    assert not {"saliency", "input_x_gradient"} & set(out["methods"])


def test_one_gradient_gives_both_attributions(run) -> None:
    """Input x gradient from the saliency gradient equals captum's InputXGradient via regfind."""
    import numpy as np

    from regfind.evaluate.benchmark_synthetic import _attribution_scores, _loci
    from regfind.inputs.build import ModelInputs
    from regfind.model.checkpoint import load_model
    from regfind.scores.attribution import attribute_inputs
    from regfind.train.data import build_sets

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

    from regfind.evaluate.benchmark_synthetic import _metrics

    y = np.array([True, False, True, False])
    m = _metrics(y, np.array([0.9, np.nan, 0.8, 0.1]), [1, 1, 1, 1])
    assert m["auprc"] == 1.0 and m["f1"] == 1.0

"""Deletion/insertion curves on a tiny random model: invariants and the blacklist route."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from regfind.coords import Locus
from regfind.errors import InputError
from regfind.evaluate.compare import faithfulness
from regfind.evaluate.faithfulness import curve_areas
from regfind.inputs.build import ModelInputs

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
    with pytest.raises(InputError):
        faithfulness(model, inputs, {"a": np.zeros(L)}, [1.5], device="cpu")
    with pytest.raises(InputError):
        faithfulness(model, inputs, {"a": np.zeros(L + 1)}, [0.5], device="cpu")


def test_identical_perturbations_run_once(model, inputs, monkeypatch):
    import regfind.evaluate.faithfulness as faith

    seen = []
    real = faith._predict

    def counting(m, x, blacklists, batch_size, device):
        seen.append(len(blacklists))
        return real(m, x, blacklists, batch_size, device)

    monkeypatch.setattr(faith, "_predict", counting)
    scores = {"a": np.arange(L, dtype=float), "b": np.random.default_rng(1).random(L)}
    table = faithfulness(model, inputs, scores, [0.0, 0.5, 1.0], device="cpu")
    # 2 methods x 3 fractions x 2 curves = 12 rows; the 2 shared ends + 2 x 2 middles = 6 runs
    assert len(table) == 12 and seen == [6]
    t = table.set_index(["method", "curve", "fraction"])["value"]
    assert t[("a", "deletion", 0.0)] == t[("b", "insertion", 1.0)]


def _toy_curves():
    """Two genes, one method: values chosen by hand (gene B's window changes nothing)."""
    rows = []
    for gene, full, prom, mid_del, mid_ins in (("A", 3.0, 1.0, 1.5, 2.0),
                                               ("B", 2.0, 2.0, 2.0, 2.0)):
        rows += [(gene, "m", "deletion", 0.0, full), (gene, "m", "deletion", 0.5, mid_del),
                 (gene, "m", "deletion", 1.0, prom), (gene, "m", "insertion", 0.0, prom),
                 (gene, "m", "insertion", 0.5, mid_ins), (gene, "m", "insertion", 1.0, full)]
    return pd.DataFrame(rows, columns=["gene", "method", "curve", "fraction", "value"])


def test_normalised_areas_by_hand():
    from regfind.evaluate.faithfulness import curve_ends, gene_areas, normalise, summarize

    curves = _toy_curves()
    ends = curve_ends(curves)
    assert ends.loc["A", "window_effect"] == 2.0 and bool(ends.loc["A", "normalised"])
    assert not bool(ends.loc["B", "normalised"])
    norm = normalise(curves).set_index(["gene", "curve", "fraction"])["value_normalised"]
    assert norm[("A", "deletion", 0.5)] == pytest.approx(0.25)
    assert np.isnan(norm[("B", "deletion", 0.5)])
    areas = gene_areas(curves).set_index(["gene", "curve"])
    # deletion normalised 1, 0.25, 0 -> 0.25 * (1 + 0.5 + 0) = 0.375; insertion 0, 0.5, 1 -> 0.5
    assert areas.loc[("A", "deletion"), "area_normalised"] == pytest.approx(0.375)
    assert areas.loc[("A", "insertion"), "area"] == pytest.approx(0.25 * (1 + 4 + 3))
    row = summarize(curves).iloc[0]
    assert row["genes"] == 2 and row["genes_normalised"] == 1
    assert row["deletion_normalised"] == pytest.approx(0.375)
    assert row["ins_minus_del"] == pytest.approx(0.125)
    assert row["insertion"] == pytest.approx((2.0 + 2.0) / 2)
    with pytest.raises(InputError):
        curve_ends(curves[curves["fraction"] > 0])


def test_peak_scores_rule():
    from regfind.evaluate.faithfulness_genes import peak_scores

    locus = Locus.around_tss("chr1", 1000, 3000, window=L)   # genome [872, 1128)
    bed = pd.DataFrame({"chrom": ["chr1", "chr1", "chr1", "chr2"], "start": [850, 900, 1100, 900],
                        "end": [880, 950, 1200, 950], "score": [5.0, 7.0, 2.0, 9.0]})
    s = peak_scores(bed, locus)
    assert s.shape == (L,)
    assert (s[:8] == 5).all() and np.isnan(s[8:28]).all() and (s[28:78] == 7).all()
    assert (s[228:] == 2).all() and np.isnan(s[78:228]).all()
    with_signal = bed.assign(signalValue=[1.0, 1.0, 3.0, 1.0])
    assert (peak_scores(with_signal, locus)[228:] == 3).all()           # signalValue first
    assert np.nansum(peak_scores(bed[["chrom", "start", "end"]], locus)) == 8 + 50 + 28


def test_check_methods():
    from regfind.errors import ConfigError, UnsupportedMethodError
    from regfind.evaluate.faithfulness_genes import check_methods

    assert check_methods(["mask", "input-x-gradient"], ["macs3"]) == ["mask", "input_x_gradient"]
    with pytest.raises(ConfigError, match="unknown scoring method"):
        check_methods(["nope"])
    with pytest.raises(UnsupportedMethodError):
        check_methods(["deeplift"])
    with pytest.raises(ConfigError, match="unique"):
        check_methods(["mask"], ["mask"])
    with pytest.raises(ConfigError, match="nothing to score"):
        check_methods([])


# ------------------------------------------------------------------ CLI on the tiny profile

@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    from call_data import tiny_profile

    return tiny_profile(tmp_path_factory, "faith")


@pytest.fixture(scope="module")
def peaks_bed(profile):
    path = profile.parent / "peaks.bed"   # GENE1's window is chr1 [2000, 4000)
    path.write_text("chr1\t2300\t2500\tp1\t5\t.\nchr1\t3500\t3700\tp2\t9\t.\n"
                    "chr2\t1600\t1900\tp3\t3\t.\n")
    return path


def _cli(run_cli, profile, peaks_bed, out, *extra):
    return run_cli(["faithfulness", "--cell", "demo", "--config", profile, "--gene", "GENE1",
                    "--gene", "GENE4", "--method", "mask", "--method", "saliency", "--peaks",
                    f"pk={peaks_bed}", "--fractions", "0.1,0.5", "--device", "cpu",
                    "-o", out / "curves.tsv", "--json", out / "summary.json", *extra])


def test_cli_curves_and_summary(profile, peaks_bed, tmp_path, run_cli):
    import json

    code, out, err = _cli(run_cli, profile, peaks_bed, tmp_path,
                          "--mean-curves", tmp_path / "mean.tsv")
    assert code == 0, err
    curves = pd.read_csv(tmp_path / "curves.tsv", sep="\t")
    assert list(curves.columns) == ["gene", "method", "curve", "fraction", "value", "bases",
                                    "value_normalised"]
    # 2 genes x 3 methods x 2 curves x 4 fractions (0 and 1 added)
    assert len(curves) == 48 and set(curves["gene"]) == {"GENE1", "GENE4"}
    assert sorted(curves["fraction"].unique()) == [0.0, 0.1, 0.5, 1.0]
    assert set(curves["method"]) == {"mask", "saliency", "pk"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {r["method"] for r in summary["summary"]} == {"mask", "saliency", "pk"}
    assert summary["params"]["peaks"] == ["pk"] and summary["params"]["seed"] == 0
    assert all(r["genes"] == 2 for r in summary["summary"])
    assert "ins_minus_del" in out and "saliency" in out
    mean = pd.read_csv(tmp_path / "mean.tsv", sep="\t")
    assert list(mean.columns) == ["method", "curve", "fraction", "value", "genes"]
    again = tmp_path / "again"
    again.mkdir()
    assert _cli(run_cli, profile, peaks_bed, again)[0] == 0
    first = json.loads((tmp_path / "summary.json").read_text())["areas"]
    assert json.loads((again / "summary.json").read_text())["areas"] == first


def test_cli_one_line_errors(profile, peaks_bed, tmp_path, run_cli):
    base = ["faithfulness", "--cell", "demo", "--config", profile, "--gene", "GENE1"]
    code, _, err = run_cli([*base, "--peaks", f"pk={tmp_path / 'missing.bed'}"])
    assert code == 1 and err.startswith("regfind: error:") and len(err.strip().splitlines()) == 1
    code, _, err = run_cli([*base, "--method", "bogus"])
    assert code == 1 and "unknown scoring method 'bogus'" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_cli([*base, "--peaks", "no-equals-sign"])
    assert code == 2

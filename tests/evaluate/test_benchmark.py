"""CRISPRi benchmark: metric definitions by hand, the reader on the shared file, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from regfind.cli import cli
from regfind.errors import DataError
from regfind.evaluate.benchmark import (
    average_precision,
    benchmark_path,
    bootstrap_ci,
    crispr_benchmark,
    in_window,
    pr_curve,
    precision_at_recall,
    read_crispr,
    score_masks,
    score_track,
    window_reach,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "external" / (
    "EPCrisprBenchmark_combined_data.training_K562.GRCh38.tsv.gz")
needs_file = pytest.mark.skipif(not SHARED.exists(), reason="shared CRISPRi copy absent")


# ------------------------------------------------------------------ metrics by hand

def test_average_precision_toy_ranking():
    # ranking (high -> low): +, -, +, -, + ; precision at each positive: 1/1, 2/3, 3/5
    y = np.array([1, 0, 1, 0, 1], bool)
    s = np.array([5, 4, 3, 2, 1], float)
    assert average_precision(y, s) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    r, p, t = pr_curve(y, s)
    assert r.tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    assert p.tolist() == pytest.approx([1, 1 / 2, 2 / 3, 1 / 2, 3 / 5])
    # recall first >= 0.7 at the last threshold (recall 1): precision 3/5
    assert precision_at_recall(y, s, 0.7) == pytest.approx(0.6)
    assert precision_at_recall(y, s, 0.6) == pytest.approx(2 / 3)


def test_ties_enter_together():
    # a constant score is a single threshold: AP = precision = fraction of positives
    y = np.array([1, 0, 0, 0], bool)
    assert average_precision(y, np.zeros(4)) == pytest.approx(0.25)
    # scores [3, 3, 1, 1] with labels [1, 0, 1, 0]: thresholds 3 (R 1/2, P 1/2), 1 (R 1, P 1/2)
    assert average_precision(np.array([1, 0, 1, 0], bool),
                             np.array([3, 3, 1, 1.0])) == pytest.approx(0.5)
    assert np.isnan(average_precision(np.zeros(3, bool), np.arange(3.0)))


def test_bootstrap_seeded():
    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.2
    s = y + rng.normal(0, 0.8, 200)
    a = bootstrap_ci(y, s, average_precision, n_boot=200, seed=3)
    assert a == bootstrap_ci(y, s, average_precision, n_boot=200, seed=3)
    assert a != bootstrap_ci(y, s, average_precision, n_boot=200, seed=4)
    assert a[0] < average_precision(y, s) < a[1]


def test_synthetic_predictors_on_the_toy_scale():
    rng = np.random.default_rng(1)
    y = rng.random(5000) < 0.1
    good = y + rng.normal(0, 0.1, y.size)
    assert average_precision(y, good) > 0.99
    rand = rng.random(y.size)
    assert average_precision(y, rand) == pytest.approx(y.mean(), abs=0.02)


# ------------------------------------------------------------------ windows, scores, reach

def _pairs():
    return pd.DataFrame({
        "chrom": ["chr1"] * 4, "start": [900, 1900, 100, 5000], "end": [1000, 2000, 150, 5100],
        "tss": [1000] * 4, "gene": ["G", "G", "G", "H"], "label": [True, False, True, True],
        "distance": [50, 950, 875, 4050]})


def test_in_window_and_reach():
    p = _pairs()
    inside = in_window(p, 2000)    # [0, 2000): rows 0, 2 inside; row 1 ends at 2000: inside
    assert inside.tolist() == [True, True, True, False]
    reach = window_reach(p, inside).set_index("gene")
    assert reach.loc["G"].tolist() == [3, 2, 3, 2, 0]
    assert reach.loc["H"].tolist() == [1, 1, 0, 0, 1]


def test_score_track_and_masks(tmp_path):
    import pyBigWig

    from regfind.coords import Locus
    from regfind.model.inference import GeneMask

    bw = pyBigWig.open(str(tmp_path / "t.bw"), "w")
    bw.addHeader([("chr1", 10_000)], maxZooms=0)
    bw.addEntries(["chr1", "chr1"], [900, 950], ends=[950, 1000], values=[1.0, 3.0])
    bw.close()
    got = score_track(_pairs(), tmp_path / "t.bw")
    assert got[0] == pytest.approx(2.0) and np.isnan(got[1:]).all()
    assert score_track(_pairs(), tmp_path / "t.bw", "max")[0] == pytest.approx(3.0)
    locus = Locus.around_tss("chr1", 1000, 10_000, gene="G", window=2000)
    mask = np.zeros(2000, np.float32)
    mask[900:1000] = np.linspace(0, 1, 100)   # window index = genome position here
    gm = GeneMask(locus, mask, mask, mask)
    s = score_masks(_pairs(), [gm])
    assert s[0] == pytest.approx(0.5) and s[1] == 0 and np.isnan(s[3])


# ------------------------------------------------------------------ the shared copy

@needs_file
def test_reader_counts_match_readme():
    pairs = read_crispr(SHARED, cell="K562")
    assert len(pairs) == 10_356 and int(pairs["label"].sum()) == 471
    inside = in_window(pairs)
    assert int(inside.sum()) == 1781 and int(pairs["label"][inside].sum()) == 380
    myc = pairs[pairs["gene"] == "MYC"]
    assert int(myc["label"].sum()) == 9 and int(myc["label"][in_window(myc)].sum()) == 0


@needs_file
def test_benchmark_with_synthetic_predictors(tmp_path):
    res = crispr_benchmark(SHARED, methods=["distance"], n_boot=50, seed=0)
    pairs = read_crispr(SHARED)
    rng = np.random.default_rng(0)
    y = pairs["label"].to_numpy(float)
    near = average_precision(pairs["label"], y + rng.normal(0, 0.05, y.size))
    rand = average_precision(pairs["label"], rng.random(y.size))
    assert near > 0.99
    assert rand == pytest.approx(471 / 10_356, abs=0.02)
    m = res.metrics.set_index(["method", "scope", "bin"])
    row = m.loc[("distance", "in_window", "all")]
    assert row["pairs"] == 1781 and row["positives"] == 380
    assert row["auprc_lo"] <= row["auprc"] <= row["auprc_hi"]
    assert ("distance", "in_window", "100-2500kb") not in m.index
    assert "MYC" in res.summary()["genes_all_positives_out_of_reach"]


@needs_file
def test_cli_benchmark_crispr(tmp_path):
    out = tmp_path / "b.json"
    res = CliRunner().invoke(cli, ["benchmark", "crispr", "--truth", str(SHARED),
                                   "--methods", "distance,dnase", "--genes", "PLP2,MYC",
                                   "--bootstrap", "20", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "window reach" in res.output and "MYC" in res.output
    data = json.loads(out.read_text())
    assert {r["method"] for r in data["metrics"]} == {"distance", "dnase"}
    assert data["reach_summary"]["genes"] == 2


def test_missing_benchmark_file_says_how_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("REGFIND_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="regfind fetch crispri"):
        benchmark_path()
    res = CliRunner().invoke(cli, ["benchmark", "crispr", "--methods", "distance"])
    assert res.exit_code != 0
    assert "regfind fetch crispri" in str(res.exception)

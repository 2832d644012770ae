"""regfind.evaluate.compare.compare and the `regfind compare` CLI on hand-computed toy sets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from regfind.cli import cli
from regfind.evaluate.compare import clipped, compare, enrichment, mask_mass, upset_table


def _bed(rows):
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


A = _bed([("chr1", 0, 100), ("chr1", 50, 150), ("chr1", 300, 400)])
B = _bed([("chr1", 100, 200), ("chr1", 390, 500), ("chr2", 0, 10)])
T = _bed([("chr1", 120, 180), ("chr1", 600, 700)])
W = _bed([("chr1", 0, 1000), ("chr2", 0, 1000)])


def _write_bed(path, df):
    df.to_csv(path, sep="\t", header=False, index=False)
    return path


def _write_mask(path):
    import pyBigWig

    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([("chr1", 1000), ("chr2", 1000)], maxZooms=0)
    # chr1 [0, 1000): 1.0 on [0, 200), 0.5 on [200, 1000); chr2 nothing
    bw.addEntries(["chr1", "chr1"], [0, 200], ends=[200, 1000], values=[1.0, 0.5])
    bw.close()
    return path


def test_pairwise_and_truth_by_hand():
    res = compare({"A": A, "B": B}, truth=T, windows=W, permutations=50, seed=1)
    row = res.pairwise.iloc[0]
    assert (row["a"], row["b"]) == ("A", "B")
    assert row["jaccard"] == pytest.approx(60 / 410)
    assert row["overlap_bp"] == 60
    assert row["precision"] == pytest.approx(2 / 3)   # A rows touching B: [50,150), [300,400)
    assert row["recall"] == pytest.approx(2 / 3)      # B rows touching A: 2 of 3 (chr2 missed)
    # reciprocal 0.5: only [100,200) vs [50,150) (50 bp = 50% of both)
    assert row["precision_reciprocal"] == pytest.approx(1 / 3)
    assert row["recall_reciprocal"] == pytest.approx(1 / 3)
    assert 0 < row["p_value"] <= 1 and np.isfinite(row["fold"])
    sets = res.sets.set_index("set")
    assert sets.loc["A", "bp"] == 250 and sets.loc["B", "bp"] == 220
    # truth [120,180) is hit by A's [50,150) and B's [100,200); [600,700) by nothing
    assert sets.loc["A", "truth_precision"] == pytest.approx(1 / 3)
    assert sets.loc["A", "truth_recall"] == pytest.approx(0.5)
    assert sets.loc["A", "truth_f1"] == pytest.approx(0.4)
    # reciprocal: [50,150) & [120,180) = 30 bp < 50% of 100 -> A gets 0; B's [100,200) = 60 bp
    assert sets.loc["A", "truth_recall_reciprocal"] == 0
    assert sets.loc["B", "truth_precision_reciprocal"] == pytest.approx(1 / 3)
    assert sets.loc["B", "truth_f1_reciprocal"] == pytest.approx(0.4)


def test_windows_clip_rows():
    w = _bed([("chr1", 0, 120)])
    assert clipped(A, w).values.tolist() == [["chr1", 0, 100], ["chr1", 50, 120]]
    res = compare({"A": A, "B": B}, windows=w, permutations=0)
    assert res.sets["bp"].tolist() == [120, 20]
    assert "p_value" not in res.pairwise.columns


def test_upset_by_hand():
    up = upset_table({"A": A, "B": B}).set_index("combination")
    # A only: [0,100) + [300,390) = 190 bp; B only: [150,200) + [400,500) + chr2 10 = 160 bp;
    # both: [100,150) + [390,400) = 60 bp. Union components: [0,200), [300,500) touch both
    # sets; chr2 [0,10) only B.
    assert up.loc["A", "bp"] == 190 and up.loc["B", "bp"] == 160 and up.loc["A & B", "bp"] == 60
    assert up.loc["A & B", "regions"] == 2 and up.loc["B", "regions"] == 1
    assert up.loc["A", "regions"] == 0
    assert up["bp"].sum() == 410   # = |A u B|


def test_mask_mass_by_hand(tmp_path):
    track = _write_mask(tmp_path / "m.bw")
    # total mass on chr1: 200 * 1 + 800 * 0.5 = 600; A = [0,150) + [300,400) = 150 + 50 = 200
    # B = [100,200) + [390,500) = 100 + 55 = 155 (chr2 has no values)
    got = mask_mass(track, {"A": A, "B": B})
    assert got["A"] == pytest.approx(200 / 600) and got["B"] == pytest.approx(155 / 600)
    # within [0, 200): total 200; A covers [0,150) -> 150
    assert mask_mass(track, {"A": A}, _bed([("chr1", 0, 200)]))["A"] == pytest.approx(0.75)


def test_enrichment_reproducible_and_null_mean():
    # B = one 100 bp region in a 1,000 bp window, A = [0, 500). B's start is uniform on 0..900,
    # so the expected overlap is sum_s |[s, s+100) & [0, 500)| / 901
    # = (400 * 100 + sum_{j=0}^{99} j) / 901 = (40000 + 4950) / 901 = 49.89 bp
    w = _bed([("chr1", 0, 1000)])
    a = _bed([("chr1", 0, 500)])
    b = _bed([("chr1", 800, 900)])
    e1 = enrichment(a, b, w, n_shuffles=4000, seed=5)
    assert e1 == enrichment(a, b, w, n_shuffles=4000, seed=5)
    assert e1["observed_bp"] == 0 and e1["p_value"] == 1.0
    assert e1["expected_bp"] == pytest.approx(44950 / 901, rel=0.05)


def test_cli_compare_json_and_upset(tmp_path):
    a = _write_bed(tmp_path / "mask.bed", A)
    b = _write_bed(tmp_path / "macs3.narrowPeak", B)
    t = _write_bed(tmp_path / "truth.bed", T)
    w = _write_bed(tmp_path / "windows.bed", W)
    track = _write_mask(tmp_path / "m.bw")
    out = tmp_path / "cmp.json"
    res = CliRunner().invoke(cli, ["compare", str(a), str(b), "--truth", str(t),
                                   "--within-windows", str(w), "--mask-track", str(track),
                                   "--permutations", "20", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "UpSet summary" in res.output and "mask & macs3" not in res.output
    data = json.loads(out.read_text())
    assert [s["set"] for s in data["sets"]] == ["mask", "macs3"]
    assert data["pairwise"][0]["jaccard"] == pytest.approx(60 / 410)
    assert data["sets"][0]["mask_mass"] == pytest.approx(200 / 600)
    assert data["params"]["files"]["macs3"].endswith("macs3.narrowPeak")
    combos = {u["combination"]: u["bp"] for u in data["upset"]}
    assert combos == {"mask": 190, "macs3": 160, "mask & macs3": 60}


def test_cli_compare_bad_names(tmp_path):
    a = _write_bed(tmp_path / "a.bed", A)
    res = CliRunner().invoke(cli, ["compare", str(a), str(a), "--name", "x"])
    assert res.exit_code == 2 and "--name given 1 times" in res.output

"""regfind links on a demo call, scored by regfind benchmark crispr against the demo truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from regfind.calling.links import LINK_COLUMNS, read_predictions

GENES = ["SIM0001", "SIM0002", "SIM0003"]


@pytest.fixture(scope="module")
def called(demo_genome, tmp_path_factory):
    from regfind.cli import main

    folder = tmp_path_factory.mktemp("links")
    bed = folder / "call.bed"
    args = ["call", "--cell", "demo", "-o", str(bed)]
    for g in GENES:
        args += ["--gene", g]
    main(args)
    return bed


@pytest.fixture(scope="module")
def written(called):
    from regfind.cli import main

    out, arcs = called.with_name("links.tsv"), called.with_name("links.interact")
    main(["links", str(called), "-o", str(out), "--interact", str(arcs)])
    return out, arcs


def test_links_rows_are_the_called_regions(called, written):
    regions = pd.read_csv(str(called) + ".tsv", sep="\t")
    table = pd.read_csv(written[0], sep="\t")
    assert list(table.columns[:len(LINK_COLUMNS)]) == list(LINK_COLUMNS)
    assert len(table) == len(regions)
    r = regions.sort_values(["chrom", "start", "end", "gene"], ignore_index=True)
    assert table["start"].tolist() == r["start"].tolist()
    assert table["TargetGene"].tolist() == r["gene"].tolist()
    assert table["TargetGeneTSS"].tolist() == r["tss"].tolist()
    assert set(table["CellType"]) == {"demo"}             # from the call's .json
    np.testing.assert_allclose(table["Score"], r["mean_mask"], rtol=1e-5)
    assert table["distance"].tolist() == (((r["start"] + r["end"]) // 2) - r["tss"]).abs(
        ).tolist()
    assert (table["class"] == np.where(r["forced"], "promoter", "distal")).all()
    assert table["name"].iloc[0] == (f"{table['class'].iloc[0]}|{table['chr'].iloc[0]}:"
                                     f"{table['start'].iloc[0]}-{table['end'].iloc[0]}")


def test_read_back_with_the_benchmark_column_rules(written):
    preds = read_predictions(written[0], cell="demo")
    table = pd.read_csv(written[0], sep="\t")
    assert preds[["chrom", "start", "end", "gene"]].values.tolist() == table[
        ["chr", "start", "end", "TargetGene"]].values.tolist()
    np.testing.assert_allclose(preds["score"], table["Score"])


def test_interact_arcs_from_region_to_tss(written):
    lines = written[1].read_text().splitlines()
    assert lines[0].startswith("track type=interact")
    rows = [ln.split("\t") for ln in lines[1:]]
    assert all(len(r) == 18 for r in rows)
    table = pd.read_csv(written[0], sep="\t")
    for r in rows:
        start, end, tss = int(r[9]), int(r[10]), int(r[14])
        assert int(r[1]) == min(start, tss) and int(r[2]) == max(end, tss + 1)
        assert int(r[15]) == tss + 1 and 0 <= int(r[4]) <= 1000
    assert len(rows) == len(table)


def test_benchmark_crispr_scores_the_links(demo_genome, written, tmp_path, run_cli):
    from sklearn.metrics import average_precision_score

    from regfind.simulate.tables import crispr_table

    truth = crispr_table(demo_genome)
    truth_path = tmp_path / "truth.tsv"
    truth.to_csv(truth_path, sep="\t", index=False)
    # a foreign tool's file: other column order and case, extra columns, other cell types
    other = pd.read_csv(written[0], sep="\t")[["TargetGene", "chr", "start", "end", "Score",
                                              "CellType"]]
    other = pd.concat([other.rename(columns={"chr": "chr", "Score": "score"}),
                       other.assign(CellType="K562", Score=1.0).rename(
                           columns={"Score": "score"})])
    other_path = tmp_path / "other.tsv.gz"
    other.to_csv(other_path, sep="\t", index=False)
    out = tmp_path / "b.json"
    code, stdout, err = run_cli([
        "benchmark", "crispr", "--truth", truth_path, "--cell", "demo",
        "--genes", ",".join(GENES), "--predictions", f"regfind={written[0]}",
        "--predictions", f"other={other_path}", "--window", "10000", "--bootstrap", "100",
        "--json", out])
    assert code == 0, err
    metrics = pd.DataFrame(json.loads(out.read_text())["metrics"]).set_index(
        ["method", "scope", "bin"])
    # expected AUPRC by hand: each pair scored by the max Score of its gene's overlapping links
    links = pd.read_csv(written[0], sep="\t")
    pairs = truth[truth["measuredGeneSymbol"].isin(GENES)]
    score = []
    for p in pairs.itertuples(index=False):
        hit = links[(links["TargetGene"] == p.measuredGeneSymbol) & (links["chr"] == p.chrom)
                    & (links["start"] < p.chromEnd) & (links["end"] > p.chromStart)]
        score.append(hit["Score"].max() if len(hit) else 0.0)
    expect = average_precision_score(pairs["Regulated"], score)
    for method in ("regfind", "other"):
        row = metrics.loc[(method, "all", "all")]
        assert row["pairs"] == len(pairs) and row["positives"] == int(pairs["Regulated"].sum())
        assert row["auprc"] == pytest.approx(expect, abs=1e-9)
        assert row["auprc_lo"] <= row["auprc"] <= row["auprc_hi"]
    assert "regfind" in stdout and "scorable by regfind" in stdout


def test_links_errors(called, tmp_path, run_cli):
    bare = tmp_path / "bare.bed"
    bare.write_text("chr1\t10\t20\n")
    code, _, err = run_cli(["links", bare, "-o", tmp_path / "x.tsv", "--cell", "demo"])
    assert code == 1 and "give the call's TSV" in err
    bad = tmp_path / "p.tsv"
    bad.write_text("chr\tstart\tend\tScore\nchr1\t1\t2\t0.5\n")
    from regfind.errors import DataError

    with pytest.raises(DataError, match="TargetGene"):
        read_predictions(bad)

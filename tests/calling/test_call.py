"""End to end: ``regfind.call`` and ``regfind call`` on a small synthetic profile."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pyBigWig
import pytest
from call_data import GENES, SIZES, save_tiny_model, tiny_profile, write_profile

from regfind.calling.api import call
from regfind.errors import ConfigError, RegfindWarning
from regfind.intervals.caller import call as call_intervals
from regfind.io.bed import read_narrowpeak


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    return tiny_profile(tmp_path_factory, "sim")


def test_call_one_gene_genome_coordinates(profile):
    res = call("GENE1", "demo", config=profile)
    gm = res.mask
    assert (gm.locus.chrom, gm.locus.start, gm.locus.end) == ("chr1", 2000, 4000)
    r = res.regions
    assert len(r) >= 1 and (r["chrom"] == "chr1").all()
    assert (r["start"] >= 2000).all() and (r["end"] <= 4000).all()
    # the same caller on the raw mask, shifted to genome coordinates, gives the same regions;
    # the top 10% is counted without the forced promoter [900, 1100)
    chosen = np.delete(gm.mask, np.s_[900:1100])
    cut = np.sort(chosen)[::-1][int(np.ceil(0.1 * chosen.size)) - 1]
    direct = call_intervals(gm.mask, cut, 100, 50, locus=gm.locus)
    assert direct[["start", "end"]].equals(r[["start", "end"]])
    kept = (chosen >= cut).sum()
    assert kept == int(np.ceil(0.1 * chosen.size))
    # the promoter [tss - 100, tss + 100) is forced into the mask and flagged
    assert np.all(gm.mask[900:1100] == 1)
    assert r.loc[r["forced"], "start"].min() <= 2900 < 3100 <= r.loc[r["forced"], "end"].max()
    assert r["prob_selected"].between(0, 1).all()
    assert r["name"].str.startswith("GENE1|chr1:").all()


def test_padding_never_called(profile):
    res = call("EDGE", "demo", config=profile)
    loc = res.mask.locus
    assert loc.start == -600 and res.regions["start"].min() >= 0


def test_blacklist_zero_in_mask(profile):
    res = call("GENE1", "demo", config=profile)
    assert np.all(res.mask.mask[100:200] == 0)  # chr1:2100-2200


def test_unknown_gene_skipped_others_complete(profile):
    res = call(["GENE1", "NOPE", "GENE4"], "demo", config=profile)
    assert [g for g, _ in res.skipped] == ["NOPE"]
    assert set(res.regions["gene"]) == {"GENE1", "GENE4"}


def test_batch_size_invariance(profile):
    one = call(["GENE1", "GENE2", "GENE4"], "demo", config=profile, batch_size=1)
    three = call(["GENE1", "GENE2", "GENE4"], "demo", config=profile, batch_size=3)
    pd.testing.assert_frame_equal(one.regions, three.regions, rtol=1e-5)


def test_no_model_configured(profile, tmp_path):
    text = profile.read_text().replace("model = ", "# model = ")
    other = tmp_path / "p.toml"
    other.write_text(text.replace('"genome.fa"', f'"{profile.parent / "genome.fa"}"')
                     .replace('"genes.gtf"', f'"{profile.parent / "genes.gtf"}"')
                     .replace('"blacklist.bed"', f'"{profile.parent / "blacklist.bed"}"')
                     .replace('"h3k27ac.bw"', f'"{profile.parent / "h3k27ac.bw"}"')
                     .replace('"dnase.bw"', f'"{profile.parent / "dnase.bw"}"')
                     .replace('"features.csv"', f'"{profile.parent / "features.csv"}"'))
    with pytest.raises(ConfigError, match="no model for cell type 'demo'"):
        call("GENE1", "demo", config=other)


def test_cli_outputs(profile, tmp_path, run_cli):
    out = tmp_path / "regions.bed"
    track = tmp_path / "mask.bw"
    code, _, err = run_cli(["call", "--gene", "GENE1", "--gene", "GENE2", "--gene", "GENE4",
                         "--cell", "demo", "--config", str(profile), "-o", str(out),
                         "--track", str(track), "--trackline", "--predict"])
    assert code == 0, err
    bed = read_narrowpeak(out)
    assert len(bed) > 0 and set(bed["chrom"]) <= set(SIZES)
    assert bed.sort_values(["chrom", "start"], kind="stable").index.tolist() == list(
        range(len(bed)))
    assert out.read_text().startswith("track type=narrowPeak")
    assert bed["score"].between(0, 1000).all()
    tsv = pd.read_csv(str(out) + ".tsv", sep="\t")
    assert {"gene", "distance_to_tss", "prob_selected", "pred"} <= set(tsv.columns)
    assert tsv["pred"].notna().all()
    side = json.loads((tmp_path / "regions.bed.json").read_text())
    assert side["model"]["sha256"] and side["params"]["top_fraction"] == 0.1
    assert side["inputs"]["genome"].endswith("genome.fa") and side["outputs"]["track"]
    assert {"torch", "numpy"} <= set(side["versions"])
    bw = pyBigWig.open(str(track))
    assert bw.chroms() == SIZES
    # GENE1 [2000, 4000) and GENE2 [2601, 4601) overlap: the track holds the maximum
    res = call(["GENE1", "GENE2"], "demo", config=profile)
    m1, m2 = res.masks
    lo, hi = m2.locus.start, m1.locus.end
    expect = np.maximum(m1.mask[lo - m1.locus.start:], m2.mask[:hi - lo])
    np.testing.assert_allclose(bw.values("chr1", lo, hi), expect, rtol=1e-6)
    bw.close()
    assert not (tmp_path / "regions.bed.parts").exists()


def test_cli_bf16_official_precision(profile, tmp_path, run_cli):
    out = tmp_path / "bf16.bed"
    code, _, err = run_cli(["call", "--gene", "GENE1", "--cell", "demo", "--config",
                            str(profile), "-o", str(out), "--precision", "bf16-official"])
    assert code == 0, err
    side = json.loads((tmp_path / "bf16.bed.json").read_text())
    assert side["precision"] == "bf16-official"
    fp32 = call("GENE1", "demo", config=profile).mask
    bf16 = call("GENE1", "demo", config=profile, precision="bf16-official").mask
    np.testing.assert_allclose(bf16.alpha, fp32.alpha, rtol=2e-2)
    assert len(read_narrowpeak(out)) > 0


@pytest.fixture
def two_gene_bed(profile, tmp_path, run_cli):
    out = tmp_path / "r.bed"
    code, _, err = run_cli(["call", "--gene", "GENE1", "--gene", "GENE4", "--cell", "demo",
                         "--config", str(profile), "-o", str(out)])
    assert code == 0, err
    return out


def test_cli_bed_is_read_by_pyranges(two_gene_bed):
    pyranges = pytest.importorskip("pyranges")
    gr = pyranges.read_bed(str(two_gene_bed))
    ours = read_narrowpeak(two_gene_bed)
    assert len(gr) == len(ours) > 0
    assert gr.df["Start"].tolist() == ours["start"].tolist()


@pytest.mark.skipif(shutil.which("bedtools") is None, reason="bedtools binary not installed")
def test_cli_bed_is_sorted_as_bedtools_sorts(two_gene_bed):
    check = subprocess.run(["bedtools", "sort", "-i", str(two_gene_bed)], capture_output=True,
                           text=True, check=True)
    assert check.stdout == two_gene_bed.read_text()


def test_cli_bad_gene_one_line_error(profile, tmp_path, run_cli):
    out = tmp_path / "x.bed"
    code, _, err = run_cli(["call", "--cell", "nocell", "--gene", "GENE1", "--config",
                         str(profile), "-o", str(out)])
    assert code == 1 and err.startswith("regfind: error:") and err.count("\n") == 1
    assert not out.exists()


def test_resume_after_interruption(profile, tmp_path):
    genes = [g[1] for g in GENES]
    full = call(genes, "demo", config=profile)
    workdir = tmp_path / "parts"

    def dies_after_two(items):
        for i, item in enumerate(items):
            if i == 2:
                raise KeyboardInterrupt
            yield item

    with pytest.raises(KeyboardInterrupt):
        call(genes, "demo", config=profile, workdir=workdir, progress=dies_after_two)
    assert len(list(workdir.glob("*.npz"))) == 2
    seen = []

    def counts(items):
        for item in items:
            seen.append(item.locus.gene)
            yield item

    resumed = call(genes, "demo", config=profile, workdir=workdir, progress=counts)
    assert len(seen) == len(genes) - 2
    pd.testing.assert_frame_equal(resumed.regions, full.regions)
    for a, b in zip(resumed.masks, full.masks, strict=True):
        assert a.locus == b.locus and np.array_equal(a.mask, b.mask)


def test_hard_model_cutoff_default(profile, tmp_path):
    hard = save_tiny_model(tmp_path / "hard", variant="hard")
    res = call("GENE1", "demo", config=profile, model=hard)
    assert res.params.cutoff == 0.5 and res.params.top_fraction is None
    kept = res.mask.mask >= 0.5
    assert 0.05 < kept.mean() < 0.95  # a mask with both kept and dropped bases
    # By hand: runs of kept bases, merged across gaps <= 50 bp, kept when >= 100 bp long.
    runs, start = [], None
    for i, k in enumerate([*kept.tolist(), False]):
        if k and start is None:
            start = i
        elif not k and start is not None:
            runs.append([start, i])
            start = None
    merged = []
    for r in runs:
        if merged and r[0] - merged[-1][1] <= 50:
            merged[-1][1] = r[1]
        else:
            merged.append(r)
    expected = [[s + 2000, e + 2000] for s, e in merged if e - s >= 100]
    assert res.regions[["start", "end"]].to_numpy().tolist() == expected


def test_cli_loci_bed(profile, tmp_path, run_cli):
    bed = tmp_path / "loci.bed"
    bed.write_text("1\t2990\t3010\tmyregion\n")  # '1' is chr1 by alias
    out = tmp_path / "loci_regions.bed"
    with pytest.warns(Warning):
        code, _, err = run_cli(["call", "--loci", str(bed), "--cell", "demo", "--config",
                             str(profile), "-o", str(out)])
    assert code == 0, err
    regions = read_narrowpeak(out)
    assert len(regions) and regions["name"].str.startswith("myregion|chr1:").all()
    assert regions["start"].min() >= 2000 and regions["end"].max() <= 4000


def test_sigkill_midway_then_resume(tmp_path):
    """A run killed with SIGKILL leaves no output; --resume finishes it identically."""
    import os
    import signal
    import sys
    import time

    many = [(f"ENSG1{i:03d}", f"G{i:03d}", "chr1", 1000 + 100 * i, "+") for i in range(40)]
    root = tmp_path / "p"
    root.mkdir()
    toml = write_profile(root, save_tiny_model(root / "model"), genes=many)
    names = [g[1] for g in many]
    (tmp_path / "genes.txt").write_text("\n".join(names) + "\n")

    def argv(out):
        return [sys.executable, "-c", "from regfind.cli import main; main()", "call",
                "--genes", str(tmp_path / "genes.txt"), "--cell", "demo", "--config",
                str(toml), "-o", str(out)]

    out = tmp_path / "killed.bed"
    parts = tmp_path / "killed.bed.parts"
    proc = subprocess.Popen(argv(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if parts.exists() and len(list(parts.glob("*.npz"))) >= 3:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be killed")
    done = len(list(parts.glob("*.npz")))
    assert 3 <= done < len(names)
    assert not out.exists()  # nothing half-written
    assert not list(tmp_path.glob(".killed.bed*"))  # no temporary file left either
    resumed = subprocess.run(argv(out) + ["--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {done} of {len(names)} gene(s) already finished" in resumed.stderr
    fresh = tmp_path / "fresh.bed"
    subprocess.run(argv(fresh), capture_output=True, text=True, check=True)
    assert out.read_text() == fresh.read_text()
    assert (tmp_path / "killed.bed.tsv").read_text() == (tmp_path / "fresh.bed.tsv").read_text()


def test_window_reach_warning(profile, tmp_path):
    cols = ["chrom", "chromStart", "chromEnd", "measuredGeneSymbol", "startTSS", "Regulated",
            "ValidConnection"]
    rows = [["chr1", 2500, 2600, "GENE1", 3000, "TRUE", "TRUE"],    # inside GENE1's window
            ["chr1", 8000, 8200, "GENE1", 3000, "TRUE", "TRUE"],    # outside it
            ["chr1", 8000, 8200, "GENE4", 2500, "TRUE", "TRUE"]]    # GENE4 is on chr2
    truth = tmp_path / "crispr.tsv"
    truth.write_text("\t".join(cols) + "\n" + "\n".join("\t".join(map(str, r)) for r in rows)
                     + "\n")
    with pytest.warns(RegfindWarning, match="GENE1: 1 of its 2 CRISPRi-validated enhancers"):
        res = call(["GENE1", "GENE4"], "demo", config=profile, crispr=truth)
    assert res.provenance["window_reach"]["out_of_reach"] == {
        "GENE1": {"outside": 1, "positives": 2}}
    assert call("GENE1", "demo", config=profile, crispr=None).provenance["window_reach"] == {}


@pytest.mark.parametrize("variant", ["soft", "hard"])
def test_plot_and_report_show_the_cutoff_the_regions_were_called_at(profile, tmp_path, variant):
    import re

    from regfind.inputs.profiles import profile_for_cell
    from regfind.look.report import write_report

    model = save_tiny_model(tmp_path / variant, variant=variant)
    res = call("GENE1", "demo", config=profile, model=model, keep_masks=True)
    gm = res.mask
    assert set(res.regions["cutoff"]) == {gm.cutoff}
    if variant == "soft":  # top 10% of the bases the model chooses: promoter excluded
        chosen = np.delete(gm.mask[gm.locus.on_chrom], np.s_[900:1100])
        n = chosen.size
        assert int(np.ceil(0.1 * n)) <= int((chosen >= gm.cutoff).sum()) <= int(0.1 * n) + 5
    else:
        assert gm.cutoff == 0.5
    expect = call_intervals(gm.mask, gm.cutoff, 100, 50, locus=gm.locus)
    assert list(res.regions["start"]) == list(expect["start"])
    fig = res.plot()
    drawn = [ln.get_ydata()[0] for ax in fig.axes for ln in ax.get_lines()
             if str(ln.get_label()).startswith("cutoff")]
    assert drawn == [pytest.approx(gm.cutoff)]
    sources = profile_for_cell("demo", config=profile).sources("demo")
    html = write_report(res, sources, tmp_path / "r.html", motifs=False).read_text()
    shown = re.findall(r'class="cutoff">([^<]+)<', html)
    assert shown == [f"{gm.cutoff:.4g}"]

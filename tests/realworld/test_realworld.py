"""Files as other tools write them: compression by content, the BED family, flat scores."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from regfind.io.bed import read_bed, read_bedgraph

ROWS = ["chr2\t100\t200\tr1\t0\t+", "chr2\t300\t450\tr2\t5\t-"]


def _write(path: Path, lines: list[str], gz: bool = False) -> Path:
    text = "\n".join(lines) + "\n" if lines else ""
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["track.bedGraph", "track.bedGraph.gz", "track.txt"])
def test_gzip_bedgraph_is_read_by_content_not_by_name(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, ["chr1\t0\t100\t0.5", "chr1\t100\t250\t3"], gz=True)
    t = read_bedgraph(path)
    assert t["end"].tolist() == [100, 250] and t["value"].tolist() == [0.5, 3.0]


def test_gzip_bed_without_gz_suffix(tmp_path: Path) -> None:
    t = read_bed(_write(tmp_path / "peaks.bed", ROWS, gz=True))
    assert t["start"].tolist() == [100, 300]


def test_cli_peaks_on_gzip_bedgraph_named_plain(tmp_path: Path, run_cli) -> None:
    lines = [f"chr1\t{i * 10}\t{i * 10 + 10}\t{3.0 if 20 <= i < 40 else 0.5}" for i in range(100)]
    path = _write(tmp_path / "track.bedGraph", lines, gz=True)
    code, _, err = run_cli(["peaks", path, "-c", "2", "-l", "50", "-g", "60", "-o",
                            tmp_path / "x.narrowPeak"])
    assert code == 0, err
    t = read_bed(tmp_path / "x.narrowPeak")
    assert (t["start"].tolist(), t["end"].tolist()) == ([200], [400])


@pytest.mark.parametrize(("extra", "expect"), [
    (["150", "180", "255,0,0"], ("thickStart", "thickEnd", "itemRgb")),                 # BED9
    (["150"], ("thickStart",)),                                                           # BED7
    (["150", "180", "0", "2", "20,30,", "0,70,"],
     ("thickStart", "thickEnd", "itemRgb", "blockCount", "blockSizes", "blockStarts")),  # BED12
    (["1.5", "2.0", "-1"], ("signalValue", "pValue", "qValue")),                         # broadPeak
    (["1.5", "2.0", "-1", "40"], ("signalValue", "pValue", "qValue", "peak")),  # narrowPeak
])
def test_bed_family_by_content(tmp_path: Path, extra: list[str], expect: tuple) -> None:
    t = read_bed(_write(tmp_path / "x.bed", [r + "\t" + "\t".join(extra) for r in ROWS]))
    assert tuple(t.columns[6:]) == expect
    assert t["start"].tolist() == [100, 300] and t["end"].tolist() == [200, 450]


def test_bed6_plus_n_takes_names_from_its_header(tmp_path: Path) -> None:
    lines = ["#chrom\tstart\tend\tname\tscore\tstrand\tgene_id\teffect\tsites",
             *(r + "\tG1\t0.3\tA,B,C" for r in ROWS)]
    t = read_bed(_write(tmp_path / "truth.bed", lines))
    assert list(t.columns[6:]) == ["gene_id", "effect", "sites"]
    plain = read_bed(_write(tmp_path / "nohead.bed", [r + "\tG1\t0.3\tA,B,C" for r in ROWS]))
    assert list(plain.columns[6:]) == ["extra7", "extra8", "extra9"]


@pytest.mark.parametrize("lines", [[], ["track name=empty"], ["#chrom\tstart\tend"]])
def test_empty_bed_is_a_set_of_zero_regions(tmp_path: Path, lines: list[str]) -> None:
    t = read_bed(_write(tmp_path / "e.bed", lines))
    assert len(t) == 0 and list(t.columns) == ["chrom", "start", "end"]


def test_compare_accepts_empty_sets_and_the_demo_truth(tmp_path: Path, run_cli,
                                                       demo_genome: Path) -> None:
    a = _write(tmp_path / "a.bed", ["chr1\t4900\t5300", "chr1\t20000\t20500"])
    empty = _write(tmp_path / "empty.narrowPeak", [])
    code, out, err = run_cli(["compare", a, empty, "--truth", demo_genome / "truth.bed",
                              "--permutations", "0", "--json", tmp_path / "c.json"])
    assert code == 0, err
    doc = json.loads((tmp_path / "c.json").read_text())
    sets = {r["set"]: r for r in doc["sets"]}
    assert sets["a"]["regions"] == 2 and sets["empty"]["regions"] == 0
    # chr1:4968-5292 is SIM0001's first planted enhancer: set a hits it, the empty set nothing
    assert sets["a"]["truth_precision"] == 0.5 and sets["empty"]["truth_recall"] == 0


def test_flat_scores_call_no_region_with_a_warning() -> None:
    from regfind.errors import RegfindWarning
    from regfind.intervals.caller import call, top_fraction_cutoff

    with pytest.warns(RegfindWarning, match="no variation"):
        assert len(call(np.zeros(1000, np.float32), None, 10, 5, top_fraction=0.1)) == 0
    with pytest.warns(RegfindWarning, match="no variation"):
        assert len(call(np.full(500, 0.3), None, 10, 5, top_fraction=0.1)) == 0
    # a track that varies keeps the documented tie rule (ties at the k-th value keep more)
    assert top_fraction_cutoff(np.array([0, 0, 0, 1.0]), 0.5) == 0


def test_fasta_index_older_than_the_fasta_is_rebuilt(tmp_path: Path) -> None:
    import os

    from regfind.io.genome import Genome

    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\nACGTACGTAC\nGGGGCCCC\n")
    assert Genome(fa).sequence("chr1", 8, 12) == "ACGG"
    fa.write_text(">chr1 edited header that shifts every offset\nACGTACGTAC\nGGGGCCCC\n")
    old = fa.stat().st_mtime - 100
    os.utime(fa.with_name("g.fa.fai"), (old, old))
    assert Genome(fa).sequence("chr1", 8, 12) == "ACGG"


@pytest.mark.parametrize("args", [
    ["call", "--gene", "SIM0801", "--cell", "demo", "-o", "{f}/regions.bed"],
    ["peaks", "{t}", "-c", "2", "-o", "{f}/x.narrowPeak"],
    ["faithfulness", "--gene", "SIM0801", "--cell", "demo", "--json", "{f}/deep/f.json"],
])
def test_outputs_under_a_plain_file_fail_before_any_work(tmp_path: Path, run_cli,
                                                          args: list[str]) -> None:
    plain = tmp_path / "somefile"
    plain.write_text("not a folder\n")
    track = _write(tmp_path / "t.bedGraph", ["chr1\t0\t100\t3"])
    code, _, err = run_cli([a.format(f=plain, t=track) for a in args])
    assert code != 0 and "is a file, not a folder" in err and "Traceback" not in err
    assert plain.read_text() == "not a folder\n"


def test_compare_matches_chromosome_spellings_with_a_warning() -> None:
    import pandas as pd

    from regfind.errors import RegfindWarning
    from regfind.evaluate.compare import compare

    a = pd.DataFrame({"chrom": ["chr2", "chr2"], "start": [100, 500], "end": [200, 600]})
    b = pd.DataFrame({"chrom": ["2", "2"], "start": [150, 900], "end": [250, 950]})
    with pytest.warns(RegfindWarning, match="renamed as a spells them"):
        res = compare({"a": a, "b": b}, truth=b, permutations=0)
    assert res.pairwise.iloc[0]["jaccard"] == pytest.approx(50 / (200 + 150 - 50))
    t = res.sets.set_index("set")
    assert t.loc["a", "truth_precision"] == 0.5 and t.loc["b", "truth_recall"] == 1.0
    other = pd.DataFrame({"chrom": ["chrX"], "start": [0], "end": [10]})
    with pytest.warns(RegfindWarning, match="share no chromosome"):
        compare({"a": a, "x": other}, permutations=0)


def test_compare_a_set_named_like_a_summary_column() -> None:
    """`regfind compare regions.bed ...` names a set 'regions': no clash with the counts."""
    import pandas as pd

    from regfind.evaluate.compare import compare

    a = pd.DataFrame({"chrom": ["chr1", "chr1"], "start": [0, 100], "end": [10, 110]})
    b = pd.DataFrame({"chrom": ["chr1"], "start": [5], "end": [50]})
    res = compare({"regions": a, "bp": b}, permutations=0)
    up = res.upset.set_index("combination")
    assert list(res.upset.columns[4:]) == ["regions (set)", "bp (set)"]
    assert up["regions"].sum() == 2 and up["bp"].sum() == 10 + 10 + 45 - 5
    assert "regions" in res.format_upset()


def _interrupt_after(n: int):
    """A stand-in for the call's progress bar that presses Ctrl-C after ``n`` genes."""
    def bar(tqdm, total, initial=0, progress=True):
        def wrap(items):
            for i, item in enumerate(items):
                if i == n:
                    raise KeyboardInterrupt
                yield item
        return wrap
    return bar


def test_interrupted_call_says_how_to_resume(tmp_path: Path, run_cli, monkeypatch) -> None:
    """Ctrl-C after some genes: the message names the kept genes and --resume; a rerun says
    how many it reuses."""
    from call_data import save_tiny_model, write_profile

    import regfind.calling.files as run_mod

    genes = [(f"ENSG1{i:03d}", f"G{i:03d}", "chr1", 1000 + 100 * i, "+") for i in range(6)]
    toml = write_profile(tmp_path / "p", save_tiny_model(tmp_path / "p" / "model"), genes=genes)
    real = run_mod._progress_bar

    out = tmp_path / "calls.bed"
    argv = ["call", "--gene", "G000", "--gene", "G001", "--gene", "G002", "--gene", "G003",
            "--cell", "demo", "--config", toml, "-o", out, "--batch-size", "1"]
    monkeypatch.setattr(run_mod, "_progress_bar", _interrupt_after(2))
    code, _, err = run_cli(argv)
    assert code == 130 and not out.exists()
    assert "interrupted: 2 finished gene(s) are kept in" in err and "--resume" in err
    monkeypatch.setattr(run_mod, "_progress_bar", real)
    code, _, err = run_cli([*argv, "--resume"])
    assert code == 0, err
    assert "resuming: 2 of 4 gene(s) already finished" in err and out.exists()


def test_demo_build_says_what_it_does(tmp_path: Path, monkeypatch, capsys) -> None:
    import regfind.simulate as sim
    from regfind.simulate.demo import ensure_demo_data

    seen = {}

    def fake(config, out, *, progress=False):
        seen["progress"] = progress
        raise RuntimeError("stop here")

    monkeypatch.setattr(sim, "simulate", fake)
    with pytest.raises(RuntimeError, match="stop here"):
        ensure_demo_data(tmp_path / "demo")
    err = capsys.readouterr().err
    assert "building the demo genome in" in err and "first use only" in err
    assert seen["progress"] is True


def test_crispri_pairs_spelled_8_match_masks_on_chr8() -> None:
    """CRISPRi tables written with Ensembl names ('8') still score masks of 'chr8' windows."""
    import pandas as pd

    from regfind.coords import Locus
    from regfind.errors import RegfindWarning
    from regfind.evaluate.benchmark import score_masks
    from regfind.intervals.regions import GeneMask
    from regfind.io.crispri import out_of_reach

    loc = Locus.around_tss("chr8", 1000, 10_000, gene="G", window=200)  # [900, 1100)
    mask = np.linspace(0, 1, 200, dtype=np.float32)
    gm = GeneMask(loc, mask, np.ones(200, np.float32), np.ones(200, np.float32))
    pairs = pd.DataFrame({"gene": ["G", "G"], "chrom": ["8", "8"], "start": [950, 1200],
                          "end": [960, 1300], "label": [True, True]})
    with pytest.warns(RegfindWarning, match=r"'8' -> 'chr8'"):
        got = score_masks(pairs, [gm])
    assert got[0] == pytest.approx(mask[50:60].mean()) and np.isnan(got[1])
    windows = pd.DataFrame({"gene": ["G"], "chrom": ["chr8"], "start": [900], "end": [1100]})
    with pytest.warns(RegfindWarning, match=r"'8' -> 'chr8'"):
        assert out_of_reach(windows, pairs) == {"G": (1, 2)}


def test_report_truth_in_another_spelling_is_matched_to_the_genome() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from regfind.errors import RegfindWarning
    from regfind.look.report import _table

    sources = SimpleNamespace(genome=SimpleNamespace(chrom_sizes={"chr1": 10, "chrM": 5},
                                                     path="genome.fa"))
    truth = pd.DataFrame({"chrom": ["1", "MT"], "start": [0, 1], "end": [5, 2]})
    with pytest.warns(RegfindWarning, match="renamed as genome.fa spells them"):
        assert _table(truth, sources)["chrom"].tolist() == ["chr1", "chrM"]
    other = pd.DataFrame({"chrom": ["chrUn_x"], "start": [0], "end": [5]})
    with pytest.warns(RegfindWarning, match="share no chromosome"):
        _table(other, sources)


def test_compare_within_the_windows_of_a_call(tmp_path: Path, run_cli) -> None:
    """Genome-wide truth against a call of two genes: the windows come from the call's sidecar."""
    from call_data import save_tiny_model, write_profile

    toml = write_profile(tmp_path / "p", save_tiny_model(tmp_path / "p" / "model"))
    calls = tmp_path / "calls.bed"
    code, _, err = run_cli(["call", "--gene", "EDGE", "--gene", "GENE4", "--cell", "demo",
                            "--config", toml, "-o", calls])
    assert code == 0, err
    windows = json.loads((tmp_path / "calls.bed.json").read_text())["windows"]
    # 2 kb windows centred on the TSS, cut at the chromosome start (EDGE: TSS 400)
    assert windows == [{"gene": "EDGE", "chrom": "chr1", "start": 0, "end": 1400},
                       {"gene": "GENE4", "chrom": "chr2", "start": 1500, "end": 3500}]
    # truth: one region in each window, and two far away on chr1
    truth = _write(tmp_path / "truth.bed", ["chr1\t0\t1400", "chr2\t1500\t3500",
                                            "chr1\t6000\t6100", "chr1\t8000\t8100"])
    code, out, err = run_cli(["compare", calls, "--truth", truth, "--permutations", "0",
                              "--json", tmp_path / "g.json"])
    assert code == 0, err
    assert "add --within-windows" in err and "counts its regions genome-wide" in err
    genome_wide = json.loads((tmp_path / "g.json").read_text())["sets"][0]
    assert genome_wide["truth_recall"] == pytest.approx(2 / 4)  # the far regions are missed
    code, out2, err2 = run_cli(["compare", calls, "--truth", truth, "--within-windows",
                                tmp_path / "calls.bed.tsv", "--permutations", "0",
                                "--json", tmp_path / "c.json"])
    assert code == 0, err2
    assert "the 2 gene window(s) of the call calls.bed.tsv (3,400 bp)" in err2
    sets = json.loads((tmp_path / "c.json").read_text())["sets"][0]
    assert sets["regions"] > 0
    # every call lies in its window, and each window is one truth region: recall 2/2 and
    # precision 1
    assert sets["truth_recall"] == pytest.approx(1.0)
    assert sets["truth_precision"] == pytest.approx(1.0)


def test_peaks_default_score_is_the_one_macs3_writes(tmp_path: Path, run_cli) -> None:
    """Fold-change tracks: score int(10 x summit) as macs3 bdgpeakcall, not 1000 everywhere."""
    import subprocess

    from regfind.errors import RegfindError
    from regfind.intervals.macs3 import macs3_executable
    from regfind.io.bed import read_narrowpeak

    track = _write(tmp_path / "fc.bdg", ["chr1\t0\t100\t0.5", "chr1\t100\t400\t3.2",
                                          "chr1\t400\t500\t1", "chr1\t500\t900\t12.7",
                                          "chr1\t900\t1000\t0.1"])
    out = tmp_path / "ours.narrowPeak"
    code, _, err = run_cli(["peaks", track, "-c", "2", "-l", "50", "-g", "30", "-o", out])
    assert code == 0, err
    ours = read_narrowpeak(out)
    assert ours["score"].tolist() == [32, 126]  # trunc(10 x 3.2), trunc(10 x 12.7)
    try:
        macs3 = macs3_executable()
    except RegfindError:
        pytest.skip("macs3 not installed: the by-hand values above are checked")
    theirs = tmp_path / "macs3.narrowPeak"
    subprocess.run([macs3, "bdgpeakcall", "-i", str(track), "-c", "2", "-l", "50", "-g", "30",
                    "-o", str(theirs)], check=True, capture_output=True)
    assert read_narrowpeak(theirs)["score"].tolist() == ours["score"].tolist()


def test_peaks_on_a_mask_track_keeps_the_0_1000_scale(tmp_path: Path, run_cli) -> None:
    from regfind.io.bed import read_narrowpeak

    track = _write(tmp_path / "mask.bdg", ["chr1\t0\t100\t0.1", "chr1\t100\t400\t0.3996",
                                            "chr1\t400\t500\t0.1"])
    out = tmp_path / "m.narrowPeak"
    code, _, err = run_cli(["peaks", track, "-c", "0.2", "-l", "50", "-g", "30", "-o", out])
    assert code == 0, err
    assert read_narrowpeak(out)["score"].tolist() == [399]


def test_resume_with_other_rules_is_refused(tmp_path: Path, run_cli, monkeypatch) -> None:
    """A parts folder is a derived file: resuming it under other rules would mix two runs."""
    from call_data import save_tiny_model, write_profile

    import regfind.calling.files as run_mod

    toml = write_profile(tmp_path / "p", save_tiny_model(tmp_path / "p" / "model"))

    out = tmp_path / "calls.bed"
    argv = ["call", "--gene", "GENE1", "--gene", "GENE4", "--gene", "GENE5", "--cell", "demo",
            "--config", toml, "-o", out, "--batch-size", "1"]
    real = run_mod._progress_bar
    monkeypatch.setattr(run_mod, "_progress_bar", _interrupt_after(1))
    assert run_cli(argv)[0] == 130
    monkeypatch.setattr(run_mod, "_progress_bar", real)
    code, _, err = run_cli([*argv, "--top-fraction", "0.2", "--resume"])
    assert code == 1 and "cannot resume from" in err and "another params" in err
    assert "Traceback" not in err and not out.exists()
    code, _, err = run_cli([*argv, "--resume"])  # the same rules resume
    assert code == 0 and "resuming: 1 of 3 gene(s)" in err

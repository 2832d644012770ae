"""A new user's machine: no profiles file, every ``--cell`` command on the built-in demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GENE = "SIM0801"


@pytest.fixture
def fresh_home(demo_genome: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME and config folder; the demo data stay where the session built them."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / "config"))
    monkeypatch.setenv("REGFIND_DEMO_DIR", str(demo_genome))
    monkeypatch.delenv("REGFIND_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_profiles_lists_the_builtin_demo(fresh_home: Path, run_cli) -> None:
    code, out, err = run_cli(["profiles"])
    assert code == 0, err
    assert "demo (built-in)" in out and "none at" in out


def test_unknown_cell_names_what_is_available(fresh_home: Path, run_cli) -> None:
    code, _, err = run_cli(["call", "--gene", GENE, "--cell", "K562", "-o", "k.bed"])
    assert code != 0
    assert "unknown cell type 'K562'; available: demo (built-in)" in err
    assert "Traceback" not in err and not Path("k.bed").exists()


def test_report_and_plot_locus_on_demo(fresh_home: Path, run_cli) -> None:
    code, _, err = run_cli(["report", "--gene", GENE, "--cell", "demo", "-o", "r.html"])
    assert code == 0, err
    assert "Regions called at mask" in Path("r.html").read_text()
    code, _, err = run_cli(["plot", "locus", "--gene", GENE, "--cell", "demo", "-o", "l.png"])
    assert code == 0, err
    assert Path("l.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_typo_gets_the_suggestion_and_writes_nothing(fresh_home: Path, run_cli) -> None:
    code, _, err = run_cli(["report", "--gene", "SIM801", "--cell", "demo", "-o", "r.html"])
    assert code != 0 and "close matches: SIM0801" in err
    assert not Path("r.html").exists()


def test_call_typo_exits_non_zero_and_writes_nothing(fresh_home: Path, run_cli) -> None:
    code, _, err = run_cli(["call", "--gene", "SIM801", "--cell", "demo", "-o", "bad.bed"])
    assert code != 0 and "close matches: SIM0801" in err and "nothing written" in err
    assert list(Path(".").glob("bad.bed*")) == []


def test_attribute_with_track_on_demo(fresh_home: Path, run_cli) -> None:
    import pyBigWig

    code, _, err = run_cli(["attribute", "--gene", GENE, "--cell", "demo", "--method",
                            "saliency", "-o", "s.bed", "--track", "s.bw"])
    assert code == 0, err
    bw = pyBigWig.open("s.bw")
    assert set(bw.chroms()) == {"chr1", "chr2", "chr3", "chr4", "chr5"}
    assert json.loads(Path("s.bed.json").read_text())["outputs"]["track"] == "s.bw"


def test_faithfulness_and_compare_with_the_demo_truth(fresh_home: Path, demo_genome: Path,
                                                      run_cli) -> None:
    code, out, err = run_cli(["faithfulness", "--gene", GENE, "--cell", "demo",
                              "--fractions", "0.1", "--json", "f.json"])
    assert code == 0, err and "mask" in out
    code, _, err = run_cli(["call", "--gene", GENE, "--cell", "demo", "-o", "r.bed"])
    assert code == 0, err
    code, out, err = run_cli(["compare", "r.bed", "--truth", demo_genome / "truth.bed"])
    assert code == 0, err
    assert "truth_precision" in out


def test_variants_and_links_on_demo(fresh_home: Path, demo_genome: Path, run_cli) -> None:
    import pyfaidx

    base = str(pyfaidx.Fasta(str(demo_genome / "genome.fa"))["chr5"][7100:7101]).upper()
    alt = "A" if base != "A" else "C"
    Path("v.tsv").write_text(f"chrom\tpos\tref\talt\nchr5\t7101\t{base}\t{alt}\n")
    code, _, err = run_cli(["variants", "v.tsv", "--cell", "demo", "--gene", GENE,
                            "-o", "effects.tsv"])
    assert code == 0, err
    rows = Path("effects.tsv").read_text().splitlines()
    assert len(rows) == 2 and "scored" in rows[1]
    code, _, err = run_cli(["call", "--gene", GENE, "--cell", "demo", "-o", "c.bed"])
    assert code == 0, err
    code, _, err = run_cli(["links", "c.bed", "-o", "links.tsv"])
    assert code == 0, err
    header, *links = Path("links.tsv").read_text().splitlines()
    assert header.split("\t")[:3] == ["chr", "start", "end"] and links
    assert all(line.split("\t")[0] == "chr5" for line in links)


def test_report_says_which_genes_it_skipped(fresh_home: Path, run_cli) -> None:
    with pytest.warns(Warning, match="SIM9999: skipped, not in the report"):
        code, _, err = run_cli(["report", "--gene", GENE, "--gene", "SIM9999", "--cell", "demo",
                                "--no-motifs", "--no-browser", "-o", "r.html"])
    assert code == 0, err and Path("r.html").exists()


def test_output_in_a_missing_folder_fails_before_work(fresh_home: Path, run_cli) -> None:
    code, _, err = run_cli(["call", "--gene", GENE, "--cell", "demo", "-o", "nodir/r.bed"])
    assert code == 2 and "folder nodir does not exist; create it first" in err
    assert not Path("nodir").exists()


def test_region_outside_the_window_is_reported_1_based(fresh_home: Path, run_cli) -> None:
    code, _, err = run_cli(["plot", "locus", "--gene", GENE, "--cell", "demo", "-o", "l.png",
                            "--region", "chr5:50,000-60,000"])
    assert code == 1 and "region chr5:50,000-60,000 does not overlap the window" in err
    assert "chr5:2,001-12,000 (1-based" in err and not Path("l.png").exists()


def test_load_model_takes_a_zoo_name() -> None:
    import regfind

    model = regfind.load_model("demo-soft", device="cpu")
    assert model.config.seq_range == 10_000 and model.source["format"] == "regfind-seq2exp"


def test_misspelt_cell_gets_a_suggestion(fresh_home: Path, run_cli) -> None:
    code, _, err = run_cli(["call", "--gene", GENE, "--cell", "dmeo", "-o", "k.bed"])
    assert code == 1 and "unknown cell type 'dmeo'; did you mean 'demo'?" in err

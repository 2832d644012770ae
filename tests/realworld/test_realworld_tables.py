"""Missing values in the tables users bring: dropped with a count, never relabelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from regfind.evaluate.benchmark import crispr_benchmark, read_crispr

HEADER = ("chrom\tchromStart\tchromEnd\tmeasuredGeneSymbol\tstartTSS\tRegulated\t"
          "ValidConnection\tCellType")


def _crispri(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


ROWS = [
    "chr1\t1000\t1500\tGA\t5000\tTRUE\tTRUE\tK562",
    "chr1\t2000\t2500\tGA\t5000\tFALSE\tTRUE\tK562",
    "chr1\t3000\t3500\tGA\tNA\tTRUE\tTRUE\tK562",     # no TSS: unusable
    "chr1\t4000\t4500\tGA\t5000\tNA\tTRUE\tK562",     # no label: unusable, not a negative
    "chr1\t6000\t6500\tGA\t5000\t\tTRUE\tK562",       # empty label
    "chr1\t7000\t7500\tGA\t5000\tFALSE\tNA\tK562",    # validity unknown: not a valid pair
    "chr1\t8000\t8500\tGA\t5000\tTRUE\tTRUE\tK562",
]


def test_na_rows_are_dropped_with_a_count_and_never_relabelled(tmp_path: Path) -> None:
    path = _crispri(tmp_path / "crispri.tsv", ROWS)
    with pytest.warns(UserWarning, match=r"dropped 3 of 6 pairs .*line 4, column startTSS"):
        pairs = read_crispr(path)
    assert pairs["start"].tolist() == [1000, 2000, 8000]
    assert pairs["label"].tolist() == [True, False, True]
    assert pairs["tss"].tolist() == [5000, 5000, 5000]
    assert pairs.attrs["dropped_rows"] == 3


def test_text_in_a_coordinate_is_dropped_too(tmp_path: Path) -> None:
    path = _crispri(tmp_path / "c.tsv", [ROWS[0], "chr1\tfoo\t1500\tGA\t5000\tTRUE\tTRUE\tK562"])
    with pytest.warns(UserWarning, match="column chromStart"):
        pairs = read_crispr(path)
    assert len(pairs) == 1


def test_benchmark_reports_the_dropped_pairs(tmp_path: Path) -> None:
    path = _crispri(tmp_path / "crispri.tsv", ROWS)
    with pytest.warns(UserWarning, match="dropped 3"):
        res = crispr_benchmark(path, methods=["distance"], n_boot=10, seed=0)
    assert res.summary()["dropped_rows"] == 3 and res.params["dropped_rows"] == 3
    assert "3 pair(s) of the file dropped" in res.format_reach()
    # 3 usable pairs, 2 positives: AUPRC of distance (1/|mid - tss|) from the ranking by hand:
    # distances 3750 (+), 2750 (-), 3250 (+) -> ranked -, +, + -> AP = (1/2 + 2/3) / 2
    row = res.metrics.set_index(["method", "scope", "bin"]).loc[("distance", "all", "all")]
    assert row["pairs"] == 3 and row["positives"] == 2
    assert row["auprc"] == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_cli_benchmark_on_na_table_says_dropped(tmp_path: Path, run_cli) -> None:
    path = _crispri(tmp_path / "crispri.tsv", ROWS)
    with pytest.warns(UserWarning, match="dropped 3 of 6 pairs"):
        code, out, err = run_cli(["benchmark", "crispr", "--truth", path, "--methods",
                                  "distance", "--bootstrap", "10"])
    assert code == 0, err
    assert "3 pair(s) of the file dropped" in out and "Traceback" not in err


def test_cool_with_all_nan_weights_is_refused(tmp_path: Path) -> None:
    import h5py
    import numpy as np
    from inputs_data import CHROM_SIZES, COOL_PIXELS, write_cool

    from regfind.errors import DataError
    from regfind.io.hic import ContactMapHiC

    path = write_cool(tmp_path / "failed.cool", CHROM_SIZES, 10, COOL_PIXELS)
    with h5py.File(path, "a") as fh:
        fh["bins/weight"] = np.full(fh["bins/chrom"].shape[0], np.nan)
    with pytest.raises(DataError, match=r"failed\.cool: every 'weight' balancing weight is NaN"
                       r".*hic_normalization = 'NONE'"):
        ContactMapHiC(path, 10, "weight")
    assert ContactMapHiC(path, 10, "NONE").contacts is not None  # raw counts still open


def test_cool_with_some_nan_weights_opens(tmp_path: Path) -> None:
    """Masked low-coverage bins (NaN weights) are normal: only an all-NaN balance is refused."""
    import h5py
    import numpy as np
    from inputs_data import CHROM_SIZES, COOL_PIXELS, write_cool

    from regfind.coords import Locus
    from regfind.io.hic import ContactMapHiC

    path = write_cool(tmp_path / "ok.cool", CHROM_SIZES, 10, COOL_PIXELS)
    with h5py.File(path, "a") as fh:
        w = np.ones(fh["bins/chrom"].shape[0])
        w[0] = np.nan
        fh["bins/weight"] = w
    hic = ContactMapHiC(path, 10, "weight", abc_adjust=False)
    v = hic.contacts(Locus.around_tss("chr1", 505, 1000, window=200))  # [405, 605)
    # TSS bin 50: pixel (50, 50) = 10 and (45, 50) = 3 times weights 1 (cooler divides)
    assert v[500 - 405] == pytest.approx(10) and v[455 - 405] == pytest.approx(3)


@pytest.mark.parametrize("bad", ["NA", "nan", "", "inf"])
def test_expression_table_refuses_missing_targets(tmp_path: Path, bad: str) -> None:
    from regfind.errors import DataError
    from regfind.train.data import read_expression

    path = tmp_path / "expr.tsv"
    path.write_text(f"gene\tsplit\tlog10_expr\nG1\ttrain\t1.5\nG2\ttrain\t{bad}\n")
    with pytest.raises(DataError, match=r"expr\.tsv line 3, column log10_expr: .* is not a "
                       "finite number"):
        read_expression(path)


def test_abc_gene_list_refuses_na_activity(tmp_path: Path) -> None:
    from regfind.errors import DataError
    from regfind.io.features import read_abc_activity

    path = tmp_path / "GeneList.txt"
    path.write_text("symbol\tH3K27ac.RPM.TSS1Kb\tDHS.RPM.TSS1Kb\nENSG1\t4\t9\nENSG2\tNA\t1\n")
    with pytest.raises(DataError, match=r"line 3, column H3K27ac\.RPM\.TSS1Kb: 'NA'"):
        read_abc_activity(path)
    path.write_text("symbol\tH3K27ac.RPM.TSS1Kb\tDHS.RPM.TSS1Kb\nENSG1.3\t4\t9\n")
    assert read_abc_activity(path) == {"ENSG1": pytest.approx(6.0)}


PROFILES = """
[profiles.good]
fasta = "g.fa"
[profiles.good.cells.K562]
h3k27ac = "k.bw"
dnase = "d.bw"
[profiles.bad]
fasta = "g.fa"
[profiles.bad.cells.HepG2]
h3k27ac = "k.bw"
dnase = "d.bw"
hic_resolution = "5kb"
"""


@pytest.fixture
def mixed_profiles(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.toml"
    path.write_text(PROFILES)
    return path


def test_bad_profile_value_names_file_key_and_example(mixed_profiles: Path) -> None:
    from regfind.errors import ConfigError
    from regfind.inputs.profiles import get_profile

    with pytest.raises(ConfigError, match=r"profiles\.toml: \[profiles\.bad\]\.cells\.HepG2 "
                       r"hic_resolution = '5kb' is not valid; write for example "
                       r"hic_resolution = 5000"):
        get_profile("bad", mixed_profiles)


def test_one_bad_profile_does_not_break_the_others(mixed_profiles: Path) -> None:
    from regfind.errors import ConfigError
    from regfind.inputs.profiles import profile_for_cell

    assert profile_for_cell("K562", config=mixed_profiles).name == "good"
    with pytest.raises(ConfigError, match="hic_resolution = '5kb'"):
        profile_for_cell("HepG2", config=mixed_profiles)  # its own profile's error, not 'unknown'


@pytest.mark.parametrize(("line", "key"), [
    ("hic_resolution = 0", "hic_resolution"),
    ("hic_resolution = true", "hic_resolution"),
    ("hic_normalization = 5", "hic_normalization"),
    ('model = ""', "model"),
])
def test_other_bad_values(tmp_path: Path, line: str, key: str) -> None:
    from regfind.errors import ConfigError
    from regfind.inputs.profiles import get_profile

    path = tmp_path / "p.toml"
    path.write_text(f'[profiles.x]\nfasta = "g.fa"\n[profiles.x.cells.C]\nh3k27ac = "k.bw"\n'
                    f'dnase = "d.bw"\n{line}\n')
    with pytest.raises(ConfigError, match=rf"{key} = .* is not valid; write for example"):
        get_profile("x", path)


def test_cli_profiles_lists_good_and_names_the_bad(mixed_profiles: Path, run_cli) -> None:
    code, out, err = run_cli(["profiles", "--config", mixed_profiles])
    assert code == 1 and "Traceback" not in err
    assert "good: K562" in out and "bad: NOT READ" in out and "hic_resolution = '5kb'" in out
    assert "1 profile(s) could not be read" in err


def _gz(path: Path, text: str) -> Path:
    import gzip

    path.write_bytes(gzip.compress(text.encode()))
    return path


def test_gzip_tables_named_plain_are_read_by_content(tmp_path: Path) -> None:
    """Every text reader decides compression by the gzip magic, not by the name."""
    from regfind.io.chroms import read_chrom_sizes
    from regfind.io.text import read_gene_list
    from regfind.train.data import read_expression

    crispri = _gz(tmp_path / "crispri.tsv", "\n".join([HEADER, *ROWS[:2]]) + "\n")
    assert read_crispr(crispri)["label"].tolist() == [True, False]
    genes = _gz(tmp_path / "genes.txt", "# my genes\nMYC\textra\n\nGATA1\n")
    assert read_gene_list(genes) == ["MYC", "GATA1"]
    expr = _gz(tmp_path / "expr.tsv", "gene\tsplit\tlog10_expr\nG1\ttrain\t1.5\n")
    assert read_expression(expr) == [("G1", "train", 1.5)]
    sizes = _gz(tmp_path / "hg.chrom.sizes", "chr1\t1000\nchr2\t500\n")
    assert read_chrom_sizes(sizes) == {"chr1": 1000, "chr2": 500}


def test_cli_gene_list_gzip_named_plain(tmp_path: Path, run_cli) -> None:
    from call_data import save_tiny_model, write_profile

    toml = write_profile(tmp_path / "p", save_tiny_model(tmp_path / "p" / "model"))
    genes = _gz(tmp_path / "genes.txt", "GENE1\nGENE4\n")
    out = tmp_path / "r.bed"
    code, _, err = run_cli(["call", "--genes", genes, "--cell", "demo", "--config", toml,
                            "-o", out])
    assert code == 0, err
    import json

    assert json.loads((tmp_path / "r.bed.json").read_text())["genes"] == ["GENE1", "GENE4"]

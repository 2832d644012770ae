"""``regfind peaks`` on bedGraph and bigWig tracks (CliRunner)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from regfind.cli import cli, main
from regfind.intervals.caller import call_bedgraph, to_bedgraph
from regfind.io import bed


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def track() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    values = np.repeat(rng.integers(0, 9, 400) / 8, rng.integers(1, 8, 400)).astype(np.float32)
    return pd.concat([to_bedgraph(values, "chr1"), to_bedgraph(values[::-1], "chr2", 100)])


def test_peaks_on_bedgraph_and_bigwig_agree(runner, tmp_path, track):
    bdg = bed.write_bedgraph(track, tmp_path / "t.bdg")
    bw = bed.write_bigwig(track, tmp_path / "t.bw", {"chr1": 5000, "chr2": 5000})
    for src in (bdg, bw):
        out = tmp_path / f"{src.suffix[1:]}.narrowPeak"
        result = runner.invoke(cli, ["peaks", str(src), "-c", "0.5", "-l", "10", "-g", "3",
                                     "--name", "G", "-o", str(out)])  # fmt: skip
        assert result.exit_code == 0, result.output
        got = bed.read_narrowpeak(out)
        expected = call_bedgraph(track, 0.5, 10, 3, label="G")
        assert got[["start", "end", "peak", "name"]].values.tolist() == (
            expected[["start", "end", "peak", "name"]].values.tolist()
        )


def test_default_output_name_follows_macs3(runner, tmp_path, track, monkeypatch):
    bdg = bed.write_bedgraph(track, tmp_path / "mask.bdg")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["peaks", str(bdg), "-c", "0.5", "--trackline"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "mask_c0.5_l200_g30_peaks.narrowPeak").read_text()
    assert text.startswith("track type=narrowPeak")


def test_top_fraction_and_cutoff_analysis(runner, tmp_path, track):
    bdg = bed.write_bedgraph(track, tmp_path / "t.bdg")
    out = tmp_path / "top.narrowPeak"
    args = ["peaks", str(bdg), "--top-fraction", "0.2", "-l", "5", "-g", "2", "-o", str(out)]
    assert runner.invoke(cli, args).exit_code == 0
    assert len(bed.read_narrowpeak(out)) > 0
    result = runner.invoke(cli, ["peaks", str(bdg), "--cutoff-analysis", "-l", "5", "-g", "2",
                                 "--cutoff-analysis-steps", "8"])  # fmt: skip
    lines = result.output.splitlines()
    assert lines[0] == "cutoff\tnpeaks\ttotal_bp\tmean_length" and len(lines) == 9


def test_cutoff_analysis_tsv_never_writes_exponents():
    from regfind.intervals.caller import cutoff_analysis_tsv

    table = pd.DataFrame({"cutoff": [0.3171234567, 0.1], "npeaks": [3, 0],
                          "total_bp": [123456, 0], "mean_length": [41152.0, float("nan")]})
    assert cutoff_analysis_tsv(table).splitlines() == [
        "cutoff\tnpeaks\ttotal_bp\tmean_length", "0.317123\t3\t123456\t41152.0",
        "0.1\t0\t0\tNaN"]


def test_usage_errors_exit_2(runner, tmp_path, track):
    bdg = bed.write_bedgraph(track, tmp_path / "t.bdg")
    assert runner.invoke(cli, ["peaks", str(bdg)]).exit_code == 2
    both = ["peaks", str(bdg), "-c", "1", "--top-fraction", "0.1"]
    assert runner.invoke(cli, both).exit_code == 2
    assert runner.invoke(cli, ["peaks", str(bdg), "-c", "1", "-l", "-3"]).exit_code == 2


def test_bad_file_is_one_line_and_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.bdg"
    bad.write_text("chr1\tx\n")
    with pytest.raises(SystemExit) as exc:
        main(["peaks", str(bad), "-c", "1"])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("regfind: error:")

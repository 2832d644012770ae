"""Round trips of regfind.io.bed: narrowPeak, BED, broadPeak, bedGraph and bigWig."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from regfind.errors import CoordinateError, DataError
from regfind.intervals.caller import call, to_bedgraph
from regfind.io import bed


@pytest.fixture
def regions() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    parts = [
        call(rng.random(5000).astype(np.float32), 0.9, 5, 3, chrom=c, offset=1000, label="G")
        for c in ("chr2", "chr10", "chr1")
    ]
    return pd.concat(parts, ignore_index=True)


def test_narrowpeak_round_trip_is_sorted_and_unchanged(tmp_path, regions):
    path = bed.write_narrowpeak(regions, tmp_path / "r.narrowPeak")
    back = bed.read_narrowpeak(path)
    expected = regions.sort_values(["chrom", "start"], ignore_index=True)
    assert back["chrom"].tolist() == expected["chrom"].tolist()
    for col in ("start", "end", "score", "peak", "name", "strand"):
        assert back[col].tolist() == expected[col].tolist()
    np.testing.assert_allclose(back["signalValue"], expected["signalValue"], rtol=1e-5)
    assert (back["pValue"] == -1).all() and (back["qValue"] == -1).all()
    assert bed.read_bed(path).columns.tolist() == list(bed.NARROWPEAK_COLUMNS)


def test_narrowpeak_lines_are_tab_separated_bed6_plus_4(tmp_path, regions):
    path = bed.write_narrowpeak(regions, tmp_path / "r.narrowPeak", trackline=True)
    lines = path.read_text().splitlines()
    assert lines[0].startswith('track type=narrowPeak name="r"')
    fields = lines[1].split("\t")
    assert len(fields) == 10 and fields[5] == "." and fields[7] == "-1"
    assert len(bed.read_narrowpeak(path)) == len(regions)  # track line skipped


def test_score_is_clamped_on_write(tmp_path, regions):
    regions = regions.head(2).assign(score=[-5, 2500])
    back = bed.read_narrowpeak(bed.write_narrowpeak(regions, tmp_path / "r.bed"))
    assert sorted(back["score"].tolist()) == [0, 1000]


def test_gzip_round_trip(tmp_path, regions):
    path = bed.write_narrowpeak(regions, tmp_path / "r.narrowPeak.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert len(bed.read_bed(path)) == len(regions)


def test_failed_write_leaves_nothing_behind(tmp_path, regions):
    target = tmp_path / "r.narrowPeak"
    target.write_text("old\n")
    with pytest.raises(CoordinateError):
        bed.write_narrowpeak(regions.assign(start=-1), target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.narrowPeak"]


def test_broadpeak_and_bed3(tmp_path):
    (tmp_path / "b.broadPeak").write_text("chr1\t5\t10\tx\t7\t.\t1.5\t-1\t-1\n")
    assert bed.read_broadpeak(tmp_path / "b.broadPeak")["signalValue"].tolist() == [1.5]
    (tmp_path / "b.bed").write_text("browser position chr1\nchr1\t5\t10\n")
    assert bed.read_bed(tmp_path / "b.bed").values.tolist() == [["chr1", 5, 10]]


def test_malformed_files_raise_data_error(tmp_path):
    (tmp_path / "a.bed").write_text("chr1\tfive\t10\n")
    with pytest.raises(DataError):
        bed.read_bed(tmp_path / "a.bed")
    (tmp_path / "b.bed").write_text("chr1\t1\t2\t3\t4\t5\t6\t7\n")
    with pytest.raises(DataError):
        bed.read_bed(tmp_path / "b.bed")
    with pytest.raises(DataError):
        bed.read_bed(tmp_path / "missing.bed")


def test_bedgraph_round_trip_is_exact_in_float32(tmp_path):
    values = np.random.default_rng(3).random(500).astype(np.float32)
    table = to_bedgraph(values, "chr1", offset=10)
    back = bed.read_bedgraph(bed.write_bedgraph(table, tmp_path / "t.bdg", trackline=True))
    assert back["value"].dtype == np.float32
    np.testing.assert_array_equal(back["value"].to_numpy(), values)
    assert back["start"].tolist() == list(range(10, 510))


def test_bedgraph_overlap_is_rejected(tmp_path):
    table = pd.DataFrame({"chrom": ["a", "a"], "start": [0, 2], "end": [3, 4], "value": [1, 2]})
    with pytest.raises(CoordinateError):
        bed.write_bedgraph(table, tmp_path / "t.bdg")


def test_bigwig_round_trip(tmp_path):
    pytest.importorskip("pyBigWig")
    values = np.random.default_rng(4).random(300).astype(np.float32)
    table = pd.concat([to_bedgraph(values, "chr2", 50), to_bedgraph(values[:10], "chr1")])
    sizes = {"chr1": 1000, "chr2": 2000}
    path = bed.write_bigwig(table, tmp_path / "t.bw", sizes)
    assert bed.is_bigwig(path)
    back, back_sizes = bed.read_bigwig(path)
    assert back_sizes == sizes
    expected = table.sort_values(["chrom", "start"], ignore_index=True)
    assert back["start"].tolist() == expected["start"].tolist()
    np.testing.assert_array_equal(back["value"].to_numpy(), expected["value"].to_numpy())


def test_bigwig_rejects_rows_past_chromosome_end(tmp_path):
    table = to_bedgraph(np.ones(10, np.float32), "chr1", 995)
    with pytest.raises(CoordinateError):
        bed.write_bigwig(table, tmp_path / "t.bw", {"chr1": 1000})
    assert not list(tmp_path.iterdir())


def test_pyranges_reads_narrowpeak_back(tmp_path, regions):
    pr = pytest.importorskip("pyranges")
    path = bed.write_narrowpeak(regions, tmp_path / "r.bed")
    back = pr.read_bed(str(path)).df
    assert len(back) == len(regions)
    assert sorted(back["Start"].tolist()) == sorted(regions["start"].tolist())


@pytest.mark.skipif(shutil.which("bedtools") is None, reason="bedtools binary not installed")
def test_bedtools_accepts_narrowpeak_as_sorted(tmp_path, regions):
    path = bed.write_narrowpeak(regions, tmp_path / "r.narrowPeak", trackline=True)
    out = subprocess.run(["bedtools", "sort", "-i", str(path)], capture_output=True, text=True,
                         check=True)  # fmt: skip
    body = [line for line in path.read_text().splitlines() if not line.startswith("track")]
    assert out.stdout.splitlines() == body
    subprocess.run(["sort", "-c", "-k1,1", "-k2,2n", "-t", "\t"], input="\n".join(body) + "\n",
                   text=True, check=True, env={"LC_ALL": "C"})  # fmt: skip

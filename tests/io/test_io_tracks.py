import numpy as np
import pytest
from inputs_data import CHROM_SIZES, h3k27ac_entries, write_bigwig

from regfind.coords import Locus
from regfind.errors import DataError, GenomeMismatchError, RegfindWarning
from regfind.io.tracks import BigWigTrack


@pytest.fixture
def track(tmp_path):
    return BigWigTrack(write_bigwig(tmp_path / "k.bw", CHROM_SIZES, h3k27ac_entries()), "H3K27ac")


def test_values_with_gaps_and_nan(track):
    loc = Locus.around_tss("chr1", 100, 1000, window=200)  # [0, 200)
    v = track.values(loc)
    assert v.shape == (200,) and v.dtype == np.float32
    expected = np.zeros(200, dtype=np.float32)
    expected[0:100] = 2.0
    expected[150:160] = 5.0  # [160, 170) is NaN -> 0, [100, 150) and [170, 200) are gaps -> 0
    np.testing.assert_array_equal(v, expected)


def test_values_are_raw(track):
    v = track.values(Locus.around_tss("chr1", 500, 1000, window=200))
    np.testing.assert_allclose(v, np.arange(400, 600) / 100, rtol=1e-6)


def test_left_and_right_padding(track):
    left = track.values(Locus.around_tss("chr1", 30, 1000, window=200))
    assert not left[:70].any() and (left[70:170] == 2.0).all() and not left[170:].any()
    right = track.values(Locus.around_tss("chr1", 950, 1000, window=200))
    assert (right[140:150] == 7.0).all() and not right[150:].any()
    assert not right[:140].any()


def test_tiny_chromosome(track):
    v = track.values(Locus.around_tss("chr2", 20, 50, window=200))
    expected = np.zeros(200, dtype=np.float32)
    expected[90:100] = 1.5  # genome [10, 20) + pad_left 80
    np.testing.assert_array_equal(v, expected)


def test_chromosome_absent_from_bigwig_is_zero(tmp_path):
    bw = BigWigTrack(write_bigwig(tmp_path / "x.bw", {"chr1": 1000}, [("chr1", 0, 5, 1.0)]))
    assert not bw.values(Locus.around_tss("chr2", 20, 50, window=200)).any()


def test_alias_is_applied_and_stated(tmp_path):
    bw = BigWigTrack(write_bigwig(tmp_path / "e.bw", {"1": 1000}, [("1", 0, 100, 3.0)]), "DNase")
    with pytest.warns(RegfindWarning, match=r"'chr1' of the genome is called '1' in .*e\.bw"):
        v = bw.values(Locus.around_tss("chr1", 100, 1000, window=200))
    assert (v[:100] == 3.0).all()


def test_length_mismatch(tmp_path):
    path = write_bigwig(tmp_path / "b.bw", {"chr1": 1200}, [("chr1", 0, 5, 1.0)])
    bw = BigWigTrack(path, "DNase")
    with pytest.raises(GenomeMismatchError, match=r"chr1 is 1200 bp in DNase bigWig .*b\.bw"):
        bw.values(Locus.around_tss("chr1", 100, 1000, window=200))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"H3K27ac bigWig .*none\.bw does not exist"):
        BigWigTrack(tmp_path / "none.bw", "H3K27ac")


def test_corrupt_bigwig(tmp_path):
    good = write_bigwig(tmp_path / "k.bw", CHROM_SIZES, h3k27ac_entries())
    bad = tmp_path / "bad.bw"
    bad.write_bytes(good.read_bytes()[:40])
    with pytest.raises(DataError, match=r"bad\.bw is not a readable bigWig"):
        BigWigTrack(bad, "H3K27ac")
    text = tmp_path / "text.bw"
    text.write_text("chr1 0 10 1\n")
    with pytest.raises(DataError, match=r"text\.bw is not a readable bigWig"):
        BigWigTrack(text, "H3K27ac")

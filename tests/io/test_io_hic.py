import numpy as np
import pytest
from inputs_data import CHROM_SIZES, COOL_PIXELS, write_cool, write_geneexp_hic

from regfind.coords import Locus
from regfind.errors import DataError, GenomeMismatchError
from regfind.io.hic import (
    ContactMapHiC,
    GeneExpHiC,
    PowerLawHiC,
    log_contacts,
    official_double_pad,
    powerlaw,
)


@pytest.fixture
def cool(tmp_path):
    return write_cool(tmp_path / "m.cool", CHROM_SIZES, 10, COOL_PIXELS)


def raw(path):
    return ContactMapHiC(path, 10, "NONE", abc_adjust=False)


def test_mid_chromosome_row_of_tss_bin(cool):
    v = raw(cool).contacts(Locus.around_tss("chr1", 505, 1000, window=200))  # [405, 605)
    assert v.dtype == np.float32 and v.shape == (200,)
    expected = np.zeros(200, dtype=np.float32)
    expected[45:55] = 3  # bin 45 = genome [450, 460)
    expected[95:105] = 10  # TSS bin 50
    expected[145:155] = 4  # bin 55: lower triangle, mirrored
    np.testing.assert_array_equal(v, expected)


def test_left_end(cool):
    v = raw(cool).contacts(Locus.around_tss("chr1", 30, 1000, window=200))
    expected = np.zeros(200, dtype=np.float32)
    expected[100:110] = 2  # genome [30, 40) + pad 70
    expected[190:200] = 6  # bin 12 = genome [120, 130)
    np.testing.assert_array_equal(v, expected)


def test_right_end(cool):
    v = raw(cool).contacts(Locus.around_tss("chr1", 995, 1000, window=200))  # [895, 1095)
    expected = np.zeros(200, dtype=np.float32)
    expected[75:85] = 8  # bin 97 = [970, 980)
    expected[95:105] = 5  # bin 99 = [990, 1000); the rest is padding
    np.testing.assert_array_equal(v, expected)


def test_tiny_chromosome(cool):
    v = raw(cool).contacts(Locus.around_tss("chr2", 20, 50, window=200))
    expected = np.zeros(200, dtype=np.float32)
    expected[120:130] = 1  # chr2 bin 4 = [40, 50) + pad 80
    np.testing.assert_array_equal(v, expected)


def test_abc_pseudocount_and_qc(cool, tmp_path):
    loc = Locus.around_tss("chr1", 505, 1000, window=200)
    v = ContactMapHiC(cool, 10, "NONE").contacts(loc)
    pseudo = np.float32(powerlaw(np.array(1e6)))
    np.testing.assert_allclose(v[95:105], 10 + pseudo, rtol=1e-6)
    np.testing.assert_allclose(v[0:10], pseudo, rtol=1e-6)
    empty = write_cool(tmp_path / "e.cool", CHROM_SIZES, 10, [(0, 0, 1)])
    assert not ContactMapHiC(empty, 10, "NONE").contacts(loc).any()  # fails ABC QC


def test_mcool_resolution_and_normalisation_errors(cool, tmp_path):
    with pytest.raises(DataError, match=r"m\.cool at 5000 bp resolution.*found 10.*hic_resolution"):
        ContactMapHiC(cool, 5000, "NONE")
    with pytest.raises(DataError, match=r"no 'VC' normalisation \(it has NONE\)"):
        ContactMapHiC(cool, 10)
    with pytest.raises(DataError, match="does not exist"):
        ContactMapHiC(tmp_path / "none.cool")
    bad = tmp_path / "bad.cool"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(DataError, match=r"cannot open Hi-C file .*bad\.cool"):
        ContactMapHiC(bad, 10, "NONE")


def test_build_mismatch_and_missing_chromosome(tmp_path):
    path = write_cool(tmp_path / "o.cool", {"chr1": 1200}, 10, [(0, 0, 1)])
    with pytest.raises(GenomeMismatchError, match=r"1200 bp in Hi-C file .*o\.cool"):
        raw(path).contacts(Locus.around_tss("chr1", 505, 1000, window=200))
    with pytest.raises(GenomeMismatchError, match="'chr2' of the genome is not in"):
        raw(path).contacts(Locus.around_tss("chr2", 20, 50, window=200))


def test_powerlaw():
    assert powerlaw(np.array([0, 5000]))[0] == powerlaw(np.array([5000]))[0]
    expected = np.exp(-4.80 + 11.63 * 0.87 - 0.87 * np.log(10001))
    np.testing.assert_allclose(powerlaw(np.array([10000])), [expected])
    v = PowerLawHiC().contacts(Locus.around_tss("chr1", 30, 1000, window=200))
    assert not v[:70].any() and v[100] == np.float32(powerlaw(np.array([0]))[0])


def test_log_contacts():
    np.testing.assert_allclose(log_contacts(np.array([0, 9, 99])), [0, 1, 2], rtol=1e-6)
    assert log_contacts(np.zeros(3)).dtype == np.float32


def test_official_double_pad_shifts():
    v = np.arange(1, 201, dtype=np.float32)
    left = official_double_pad(v, Locus.around_tss("c", 30, 1000, window=200))  # P = 70
    np.testing.assert_array_equal(left[35:], v[:165])
    assert not left[:35].any()
    right = official_double_pad(v, Locus.around_tss("c", 950, 1000, window=200))  # R = 50
    np.testing.assert_array_equal(right[:175], v[25:])
    assert not right[175:].any()
    odd = official_double_pad(v, Locus.around_tss("c", 29, 1000, window=200))  # P = 71
    np.testing.assert_array_equal(odd[36:], v[:164])  # ceil(71 / 2) = 36
    both = official_double_pad(v, Locus.around_tss("c", 20, 50, window=200))  # P 80, R 70
    np.testing.assert_array_equal(both[5:], v[:195])
    mid = Locus.around_tss("c", 500, 1000, window=200)
    np.testing.assert_array_equal(official_double_pad(v, mid), v)


def test_geneexp_vectors(tmp_path):
    v = np.arange(200, dtype=np.float32)
    v[3] = np.nan
    folder = write_geneexp_hic(tmp_path / "HiC" / "K562", {"chr1_30": v, "chr1_500": v})
    hic = GeneExpHiC(folder)
    mid = hic.contacts(Locus.around_tss("chr1", 500, 1000, window=200))
    assert mid[3] == 0 and mid[4] == 4
    left = hic.contacts(Locus.around_tss("chr1", 30, 1000, window=200))
    expected = np.arange(1, 165, dtype=np.float32)
    expected[2] = 0  # stored NaN at 3 moved to 38, then 0
    np.testing.assert_array_equal(left[36:], expected)
    assert not left[:35].any()
    plain = GeneExpHiC(folder, official_shift=False).contacts(
        Locus.around_tss("chr1", 30, 1000, window=200)
    )
    assert plain[4] == 4


def test_geneexp_errors(tmp_path):
    folder = write_geneexp_hic(tmp_path / "HiC", {"chr1_500": np.zeros(100, dtype=np.float32)})
    hic = GeneExpHiC(folder)
    with pytest.raises(DataError, match=r"has no Hi-C vector 'chr1_30'.*hic = 'powerlaw'"):
        hic.contacts(Locus.around_tss("chr1", 30, 1000, window=200))
    with pytest.raises(DataError, match=r"has shape \(100,\), expected \(200,\)"):
        hic.contacts(Locus.around_tss("chr1", 500, 1000, window=200))
    with pytest.raises(DataError, match="no Hi-C vectors for chr2"):
        hic.contacts(Locus.around_tss("chr2", 20, 50, window=200))
    with pytest.raises(DataError, match="has no hic_feat_<chrom>.h5 files"):
        GeneExpHiC(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        GeneExpHiC(tmp_path / "nope")

import numpy as np
import pytest

from regfind.coords import DEFAULT_WINDOW, Locus
from regfind.errors import CoordinateError


def test_default_window_is_official():
    loc = Locus.around_tss("chr8", 127_736_068, 145_138_636, gene="MYC")
    assert DEFAULT_WINDOW == 200_000
    assert (loc.start, loc.end) == (127_636_068, 127_836_068)
    assert loc.tss_index == 100_000
    assert loc.promoter_slice() == slice(99_000, 101_000)
    assert not loc.is_padded
    assert loc.on_chrom == slice(0, 200_000)


def test_mid_chromosome_maps():
    loc = Locus.around_tss("c", 500, 1000, window=200)
    assert (loc.start, loc.end, loc.tss_index) == (400, 600, 100)
    assert loc.to_genome([0, 100, 199]).tolist() == [400, 500, 599]
    assert loc.to_window([400, 500, 599]).tolist() == [0, 100, 199]
    s, e = loc.interval_to_genome([0, 10], [5, 200])
    assert s.tolist() == [400, 410] and e.tolist() == [405, 600]
    assert (loc.pad_left, loc.pad_right) == (0, 0)
    assert loc.region == "c:400-600"


def test_round_trip_is_identity():
    loc = Locus.around_tss("c", 37, 90, window=200)
    idx = np.arange(200)
    assert np.array_equal(loc.to_window(loc.to_genome(idx)), idx)


def test_left_end():
    loc = Locus.around_tss("c", 30, 1000, window=200)
    assert (loc.start, loc.end) == (-70, 130)
    assert (loc.clipped_start, loc.clipped_end) == (0, 130)
    assert (loc.pad_left, loc.pad_right) == (70, 0)
    assert loc.on_chrom == slice(70, 200)
    assert loc.to_genome(70) == 0
    s, e = loc.interval_to_genome([0, 60, 150], [50, 80, 200])
    assert s.tolist() == [0, 0, 80] and e.tolist() == [0, 10, 130]  # first one is empty


def test_right_end():
    loc = Locus.around_tss("c", 950, 1000, window=200)
    assert (loc.start, loc.end) == (850, 1050)
    assert (loc.pad_left, loc.pad_right) == (0, 50)
    assert loc.on_chrom == slice(0, 150)
    assert loc.to_window(999) == 149
    s, e = loc.interval_to_genome([140], [200])
    assert (s[0], e[0]) == (990, 1000)


def test_tss_at_last_base_and_first_base():
    right = Locus.around_tss("c", 999, 1000, window=200)
    assert (right.pad_left, right.pad_right) == (0, 99)
    left = Locus.around_tss("c", 0, 1000, window=200)
    assert (left.pad_left, left.pad_right) == (100, 0)


def test_chromosome_shorter_than_window():
    loc = Locus.around_tss("tiny", 20, 50, window=200)
    assert (loc.start, loc.end) == (-80, 120)
    assert (loc.pad_left, loc.pad_right) == (80, 70)
    assert loc.on_chrom == slice(80, 130)
    padded = loc.pad(np.ones(50, dtype=np.float32))
    assert padded.shape == (200,) and padded.sum() == 50 and padded[80] == 1 and padded[79] == 0


def test_odd_window():
    loc = Locus.around_tss("c", 500, 1000, window=5)
    assert (loc.start, loc.end, loc.tss_index) == (498, 503, 2)


def test_pad_2d_and_bool():
    loc = Locus.around_tss("c", 950, 1000, window=200)
    arr = loc.pad(np.ones((150, 4), dtype=np.float32))
    assert arr.shape == (200, 4) and arr.dtype == np.float32 and arr[150:].sum() == 0
    mask = loc.pad(np.ones(150, dtype=bool), fill=False)
    assert mask.dtype == bool and mask[:150].all() and not mask[150:].any()
    with pytest.raises(CoordinateError, match="got 10 values for a span of 150 bp"):
        loc.pad(np.ones(10))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tss": 1000, "chrom_length": 1000}, "outside chromosome c"),
        ({"tss": -1, "chrom_length": 1000}, "outside chromosome c"),
        ({"tss": 5, "chrom_length": 0}, "chrom_length must be > 0"),
        ({"tss": 5, "chrom_length": 10, "strand": "x"}, "strand must be one of"),
        ({"tss": 5, "chrom_length": 10, "window": 0}, "window must be a positive"),
    ],
)
def test_invalid_loci(kwargs, message):
    with pytest.raises(CoordinateError, match=message):
        Locus.around_tss("c", **kwargs)


def test_inconsistent_fields_rejected():
    with pytest.raises(CoordinateError, match="around_tss"):
        Locus("c", 0, 10, "+", "g", 4, 100)
    with pytest.raises(CoordinateError, match="empty window"):
        Locus("c", 5, 5, "+", "g", 5, 100)


def test_out_of_window_maps_raise():
    loc = Locus.around_tss("c", 500, 1000, window=200)
    with pytest.raises(CoordinateError, match="window index out of"):
        loc.to_genome([200])
    with pytest.raises(CoordinateError, match="outside the window"):
        loc.to_window(399)
    assert loc.to_window(399, check=False) == -1
    with pytest.raises(CoordinateError, match="0 <= start <= end <= 200"):
        loc.interval_to_genome([10], [5])
    with pytest.raises(CoordinateError, match="shapes differ"):
        loc.interval_to_genome([1, 2], [3])


def test_locus_is_frozen():
    loc = Locus.around_tss("c", 500, 1000, window=200)
    with pytest.raises(AttributeError):
        loc.start = 3  # type: ignore[misc]


@pytest.mark.parametrize(("text", "want"), [
    ("chr5:5,101-5,570", ("chr5", 5100, 5570)),   # what UCSC shows for BED chr5 5100 5570
    ("chr5:5101-5101", ("chr5", 5100, 5101)),      # one base
    ("1_200_001-1_250_000", (None, 1_200_000, 1_250_000)),
    ("  chrUn_KI270742v1:1-10 ", ("chrUn_KI270742v1", 0, 10)),
])
def test_region_strings_are_1_based_closed(text, want) -> None:
    from regfind.coords import parse_region

    assert parse_region(text) == want


@pytest.mark.parametrize("text", ["chr5:0-10", "chr5:20-10", "chr5", "chr5:a-b", "chr5:1-2-3"])
def test_bad_region_strings(text) -> None:
    from regfind.coords import parse_region
    from regfind.errors import CoordinateError

    with pytest.raises(CoordinateError):
        parse_region(text)


# ------------------------------------------------------------------ alleles edited into windows

def test_edited_snv_is_identity_map():
    loc = Locus.around_tss("c", 50, 1000, window=20)        # window [40, 60), TSS index 10
    source, allele = loc.edited(45, 1, 1)
    assert source.tolist() == list(range(40, 60))
    assert allele.tolist() == [-1] * 5 + [0] + [-1] * 14


def test_edited_deletion_right_of_tss_keeps_left_part():
    loc = Locus.around_tss("c", 50, 1000, window=20)
    source, allele = loc.edited(54, 3, 1)                   # REF [54, 57) -> 1 base
    # 40..54 in place, then 57.. read on, 2 bases past the window end
    assert source.tolist() == list(range(40, 55)) + list(range(57, 62))
    assert allele.tolist() == [-1] * 14 + [0] + [-1] * 5
    assert source[loc.tss_index] == loc.tss


def test_edited_insertion_left_of_tss_keeps_right_part():
    loc = Locus.around_tss("c", 50, 1000, window=20)
    source, allele = loc.edited(44, 1, 4)                   # 1 base -> 4 bases at 44
    # the 3 inserted bases push the left end out: bases 43..44 then three more 'at' 44
    assert source.tolist() == list(range(43, 45)) + [44] * 3 + list(range(45, 60))
    assert allele.tolist() == [-1] + [0, 1, 2, 3] + [-1] * 15
    assert source[loc.tss_index] == loc.tss


def test_edited_rejects_ref_outside_window():
    loc = Locus.around_tss("c", 50, 1000, window=20)
    with pytest.raises(CoordinateError, match="not inside the window"):
        loc.edited(58, 3, 1)


def test_from_edited_projects_back():
    loc = Locus.around_tss("c", 50, 1000, window=20)
    source, _ = loc.edited(54, 3, 1)
    values = np.arange(20, dtype=float)                     # value = edited index
    back = loc.from_edited(values, source)
    # deleted bases 55, 56 take the value of 54 (index 14); the rest map back
    assert back.tolist() == list(range(15)) + [14.0, 14.0] + [15.0, 16.0, 17.0]
    source, _ = loc.edited(44, 1, 4)
    back = loc.from_edited(values, source)
    # base 44 takes the max over its 4 edited bases (1..4); base 40..42 were pushed out and
    # take the nearest value to their right (base 43, edited index 0)
    assert back.tolist() == [0.0, 0.0, 0.0, 0.0, 4.0] + list(np.arange(5, 20, dtype=float))

"""Unit tests of regfind.intervals.caller on hand-made tracks (no MACS3 needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regfind.coords import Locus
from regfind.errors import CoordinateError, InputError
from regfind.intervals.caller import (
    CUTOFF_ANALYSIS_COLUMNS,
    NARROWPEAK_COLUMNS,
    call,
    call_bedgraph,
    cutoff_analysis,
    to_bedgraph,
    top_fraction_cutoff,
)


def _spans(regions: pd.DataFrame) -> list[tuple[int, int, int]]:
    """(start, end, absolute summit) of each region."""
    summits = regions["start"] + regions["peak"]
    return list(zip(regions["start"], regions["end"], summits, strict=True))


def test_value_equal_to_cutoff_is_kept():
    track = np.array([0, 0.5, 0.5, 0, 0], np.float32)
    assert _spans(call(track, 0.5, 1, 0)) == [(1, 3, 2)]


def test_float32_cutoff_is_compared_in_float32():
    track = np.array([0.1, 0.1], np.float32)  # float32(0.1) < 0.1 in float64
    assert len(call(track, 0.1, 1, 0)) == 1


def test_gap_equal_to_max_gap_merges_and_one_more_splits():
    track = np.array([1, 0, 0, 1], np.float32)
    assert _spans(call(track, 1, 1, 2)) == [(0, 4, 0)]
    assert _spans(call(track, 1, 1, 1)) == [(0, 1, 0), (3, 4, 3)]


def test_region_of_exactly_min_length_is_kept():
    track = np.array([0, 1, 1, 1, 0, 1, 1, 0], np.float32)
    assert _spans(call(track, 1, 3, 0)) == [(1, 4, 2)]


def test_empty_track_and_nothing_kept_give_empty_table():
    for track in (np.zeros(0), np.zeros(10)):
        regions = call(track, 1, 1, 0)
        assert list(regions.columns) == list(NARROWPEAK_COLUMNS)
        assert len(regions) == 0


def test_region_touching_both_window_ends():
    regions = call(np.ones(7), 1, 1, 0, chrom="chr2", offset=10)
    assert _spans(regions) == [(10, 17, 13)]
    assert regions["name"].tolist() == ["chr2:10-17"]


@pytest.mark.parametrize(
    ("track", "peak"),
    [
        ([2, 2, 2, 2], 2),  # one plateau of even length: its middle, rounded up
        ([2, 0, 2], 0),  # two tied plateaus: the first (lower middle of two)
        ([2, 0, 2, 0, 2], 2),  # three: the middle one
        ([2, 0, 2, 0, 2, 0, 2], 2),  # four: the second
        ([1, 3, 3, 1, 3], 2),  # tie of plateau [1, 3) and base 4: the first, at its middle
    ],
)
def test_summit_ties_follow_macs3(track, peak):
    regions = call(np.array(track, np.float32), 1, 1, 1)
    assert regions["peak"].tolist() == [peak]


def test_summit_quirk_when_region_maximum_is_zero():
    # MACS3 restarts its summit scan after a segment of value 0: the -1 after it wins
    track = np.array([-2, 0, -1, -3], np.float32)
    regions = call(track, -5, 1, 0, score_scale=-10)
    assert regions["peak"].tolist() == [2]


def test_all_summits_returns_each_tie():
    regions = call(np.array([2, 0, 2, 0, 1], np.float32), 1, 1, 1, call_summits=True)
    assert regions["peak"].tolist() == [0, 2]
    assert regions["name"].tolist() == ["window:0-5_1", "window:0-5_2"]


def test_columns_score_signal_and_label():
    track = np.array([0, 0.5, 1.0, np.nan, 0.25, 0], np.float32)
    regions = call(track, 0.25, 1, 1, chrom="chr1", offset=100, label="MYC")
    row = regions.iloc[0]
    assert (row["start"], row["end"], row["peak"]) == (101, 105, 1)
    assert row["name"] == "MYC|chr1:101-105"
    assert row["score"] == 1000 and row["strand"] == "."
    assert row["signalValue"] == pytest.approx((0.5 + 1.0 + 0.25) / 3)  # NaN base left out
    assert row["pValue"] == -1 and row["qValue"] == -1


def test_score_is_truncated_and_clamped():
    assert call(np.array([0.3996], np.float32), 0, 1, 0)["score"].tolist() == [399]
    assert call(np.array([5.0]), 0, 1, 0)["score"].tolist() == [1000]
    assert call(np.array([-5.0]), -6, 1, 0)["score"].tolist() == [0]


def test_padding_outside_the_chromosome_is_never_kept():
    locus = Locus.around_tss("chr1", 2, chrom_length=6, window=8, gene="G")
    regions = call(np.ones(8), 1, 1, 0, locus=locus)
    assert _spans(regions) == [(0, 6, 3)]
    assert regions["name"].tolist() == ["G|chr1:0-6"]


def test_top_fraction():
    track = np.arange(100, dtype=np.float32)
    assert top_fraction_cutoff(track, 0.1) == 90
    assert _spans(call(track, None, 1, 0, top_fraction=0.1)) == [(90, 100, 99)]
    assert top_fraction_cutoff(np.array([0, 0, 0, 1.0]), 0.5) == 0  # ties keep more


def test_top_fraction_on_bedgraph_weighs_rows_by_length():
    table = pd.DataFrame(
        {"chrom": ["a", "a"], "start": [0, 90], "end": [90, 100], "value": [0.0, 1.0]}
    )
    assert top_fraction_cutoff(table, 0.1) == 1.0
    assert top_fraction_cutoff(table, 0.11) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"cutoff": None}, InputError),
        ({"cutoff": 1, "top_fraction": 0.1}, InputError),
        ({"cutoff": float("nan")}, InputError),
        ({"cutoff": 1, "min_length": -1}, InputError),
        ({"cutoff": 1, "max_gap": 1.5}, InputError),
        ({"cutoff": 1, "chrom": "chr 1"}, CoordinateError),
        ({"cutoff": 1, "top_fraction": None, "scores": np.ones((2, 2))}, InputError),
    ],
)
def test_bad_arguments_raise(kwargs, error):
    args = {"scores": np.ones(4), "min_length": 1, "max_gap": 0, **kwargs}
    with pytest.raises(error):
        call(**args)


def test_bedgraph_path_equals_per_base_path():
    rng = np.random.default_rng(0)
    tracks = {f"chr{i}": np.repeat(rng.integers(0, 5, 80) / 4, rng.integers(1, 6, 80))
              for i in range(5)}  # fmt: skip
    per_base = pd.concat([call(t, 0.5, 4, 3, chrom=c) for c, t in tracks.items()],
                         ignore_index=True)  # fmt: skip
    table = pd.concat([to_bedgraph(t, c) for c, t in tracks.items()])
    pd.testing.assert_frame_equal(call_bedgraph(table, 0.5, 4, 3), per_base)


def test_bedgraph_gaps_are_never_kept():
    table = pd.DataFrame({"chrom": ["a", "a"], "start": [0, 5], "end": [3, 8], "value": [1.0, 1]})
    assert _spans(call_bedgraph(table, 1, 1, 2)) == [(0, 8, 1)]
    assert _spans(call_bedgraph(table, 1, 1, 1)) == [(0, 3, 1), (5, 8, 6)]


def test_bedgraph_overlap_is_an_error():
    table = pd.DataFrame({"chrom": ["a", "a"], "start": [0, 2], "end": [3, 8], "value": [1.0, 1]})
    with pytest.raises(CoordinateError):
        call_bedgraph(table, 1, 1, 0)


def test_to_bedgraph_run_length_encodes_and_drops_nan():
    table = to_bedgraph(np.array([1, 1, np.nan, 2, 2, 2]), "c", offset=10)
    assert table[["start", "end", "value"]].values.tolist() == [[10, 12, 1], [13, 16, 2]]


def test_cutoff_analysis_matches_call():
    rng = np.random.default_rng(1)
    track = rng.random(2000).astype(np.float32)
    table = cutoff_analysis(track, 5, 2, steps=10)
    assert list(table.columns) == list(CUTOFF_ANALYSIS_COLUMNS)
    assert table["cutoff"].is_monotonic_decreasing and len(table) == 10
    for row in table.itertuples():
        regions = call(track, row.cutoff, 5, 2)
        assert row.npeaks == len(regions)
        assert row.total_bp == int((regions["end"] - regions["start"]).sum())


def test_cutoff_analysis_explicit_cutoffs_on_bedgraph():
    table = to_bedgraph(np.array([0, 1, 1, 0, 0, 2, 2, 2], np.float32), "a")
    out = cutoff_analysis(table, 1, 0, cutoffs=[3, 1.5, 1])
    assert out[["npeaks", "total_bp"]].values.tolist() == [[0, 0], [1, 3], [2, 5]]
    assert np.isnan(out["mean_length"].iloc[0])


def test_many_windows_vectorised_quickly():
    rng = np.random.default_rng(2)
    track = rng.random(200_000).astype(np.float32)
    regions = call(track, None, 50, 20, top_fraction=0.1)
    assert (regions["end"] - regions["start"] >= 50).all()

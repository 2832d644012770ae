"""Running macs3 bdgpeakcall through its CLI; parity with regfind's own caller."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regfind.intervals.caller import call, to_bedgraph
from regfind.intervals.macs3 import run_bdgpeakcall

pytest.importorskip("MACS3")


def test_bdgpeakcall_matches_regfind_caller_within_windows():
    rng = np.random.default_rng(0)
    values = np.repeat(rng.gamma(0.5, 1.0, 60), 50).astype(np.float32)
    track = to_bedgraph(values, "chr1", 1000)
    windows = pd.DataFrame({"chrom": ["chr1"], "start": [1500], "end": [3500]})
    peaks, cmd = run_bdgpeakcall(track, 0.3, 100, 30, windows=windows)
    assert cmd[1] == "bdgpeakcall" and "-c" in cmd
    ours = call(values[500:2500], 0.3, 100, 30, chrom="chr1", offset=1500)
    # By hand from the 50 bp bins >= 0.3 inside [1500, 3500): runs of >= 2 bins (>= 100 bp);
    # single bins and runs split by a 50 bp gap (> max_gap 30) are dropped.
    expected = [[1550, 1750], [1900, 2000], [2150, 2250], [2750, 2850]]
    assert ours[["start", "end"]].to_numpy().tolist() == expected
    assert peaks[["start", "end"]].to_numpy().tolist() == expected
    assert (peaks["start"] >= 1500).all() and (peaks["end"] <= 3500).all()

"""The numpy bedGraph reader and narrowPeak writer under io.bed (and `regfind peaks`)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from regfind.io.columns import read_bedgraph_columns


def _by_hand(text: str) -> list[tuple[str, int, int, float]]:
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(("track", "browser", "#")):
            continue
        c, s, e, v = line.split()
        rows.append((c, int(s), int(e), float(np.float32(v))))
    return rows


CASES = {
    "one chromosome": "chr1\t0\t10\t1.5\nchr1\t10\t30\t2\n",
    "blocks": "chr1\t0\t10\t1\nchr1\t10\t20\t2\nchr2\t0\t5\t3\nchrX\t0\t7\t0.25\n",
    "split chromosome": "chr1\t0\t10\t1\nchr2\t0\t5\t3\nchr1\t10\t20\t2\n",
    "spaces": "chr1 0 10 1\nchr1  10 20 2\n",
    "headers and comments": "track type=bedGraph\nbrowser x\n# c\nchr1\t0\t10\t1\n# mid\n"
                            "chr1\t10\t20\t2\n",
    "no final newline": "chr1\t0\t10\t1\nchr2\t0\t10\t2",
    "prefix names": "chr1\t0\t10\t1\nchr11\t0\t10\t2\nchr1_alt\t0\t5\t3\n",
    "blank line": "chr1\t0\t10\t1\n\nchr1\t10\t20\t2\n",
}


@pytest.mark.parametrize("name", list(CASES))
def test_reader_equals_a_line_by_line_parse(tmp_path: Path, name: str) -> None:
    text = CASES[name]
    for path in (tmp_path / "t.bdg", tmp_path / "t_gz.bdg"):
        data = text.encode()
        path.write_bytes(gzip.compress(data) if "gz" in path.name else data)
        cols = read_bedgraph_columns(path)
        got = list(zip(cols["chrom"].tolist(), cols["start"].tolist(), cols["end"].tolist(),
                       cols["value"].astype(float).tolist(), strict=True))
        assert got == _by_hand(text)
        assert cols["start"].dtype == np.int64 and cols["value"].dtype == np.float32


def test_empty_and_header_only(tmp_path: Path) -> None:
    for text in ("", "track type=bedGraph\n"):
        (tmp_path / "e.bdg").write_text(text)
        assert read_bedgraph_columns(tmp_path / "e.bdg")["start"].size == 0


def test_bad_row_is_one_data_error(tmp_path: Path) -> None:
    from regfind.errors import DataError

    (tmp_path / "b.bdg").write_text("chr1\t0\t10\t1\nchr1\tten\t20\t2\n")
    with pytest.raises(DataError, match=r"b\.bdg: not a bedGraph file"):
        read_bedgraph_columns(tmp_path / "b.bdg")


def test_peaks_on_a_bedgraph_imports_no_pandas(tmp_path: Path) -> None:
    """`regfind peaks` on a bedGraph is numpy only (importing pandas costs more than calling)."""
    track = tmp_path / "t.bdg"
    track.write_text("chr1\t0\t100\t0.5\nchr1\t100\t400\t3.2\nchr1\t400\t500\t1\n")
    code = ("import sys; from regfind.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, "peaks", str(track), "-c", "2", "-l", "50",
                          "-g", "30", "-o", str(tmp_path / "p.narrowPeak")],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
    assert (tmp_path / "p.narrowPeak").read_text().startswith("chr1\t100\t400\t")

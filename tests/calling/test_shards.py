"""``regfind call --shard i/n`` + ``regfind merge`` give the single-process output (demo genome)."""

from __future__ import annotations

import json

import pytest
from demo_data import GENES, PROFILE_ARGS

from regfind.calling.shards import parse_shard, shard_positions
from regfind.cli import main
from regfind.errors import ConfigError


@pytest.fixture(scope="module")
def profile(demo_genome):
    return PROFILE_ARGS


@pytest.fixture(scope="module")
def genes_file(profile, tmp_path_factory):
    path = tmp_path_factory.mktemp("genes") / "genes.txt"
    # an Ensembl ID of a gene already listed by symbol: one label, one shard
    path.write_text("\n".join([*GENES, "NOPE", "ENSSIMG00000202"]) + "\n")
    return path


@pytest.fixture(scope="module")
def single(profile, genes_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "regions.bed"
    main(["call", "--genes", str(genes_file), *profile, "-o", str(out),
          "--track", str(out.with_suffix(".bedgraph"))])
    return out


def test_parse_shard():
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3/3", "x", "1/0", "-1/2", "1/2/3"):
        with pytest.raises(ConfigError):
            parse_shard(bad)


def test_shard_positions_partition():
    labels = ["b", "a", "c", "a", "d"]
    parts = [shard_positions(labels, i, 3) for i in range(3)]
    assert sorted(p for part in parts for p in part) == list(range(5))
    assert any({1, 3} <= set(p) for p in parts)  # equal labels in one shard
    assert shard_positions(list(reversed(labels)), 0, 3) == [4 - p for p in parts[0]][::-1]


def test_three_shards_merge_identical(profile, genes_file, single, tmp_path, run_cli):
    out = tmp_path / "regions.bed"
    base = ["call", "--genes", genes_file, *profile, "-o", out]
    for i in range(3):
        code, _, err = run_cli([*base, "--shard", f"{i}/3"])
        assert code == 0, err
        assert (tmp_path / f"regions.bed.shard-{i}-of-3" / "manifest.json").exists()
    assert not out.exists()
    track = tmp_path / "regions.bedgraph"
    code, _, err = run_cli(["merge", "-o", out, "--track", track])
    assert code == 0, err
    assert out.read_bytes() == single.read_bytes()
    assert (tmp_path / "regions.bed.tsv").read_bytes() == (
        single.parent / "regions.bed.tsv").read_bytes()
    assert track.read_bytes() == single.with_suffix(".bedgraph").read_bytes()
    side = json.loads((tmp_path / "regions.bed.json").read_text())
    ref = json.loads((single.parent / "regions.bed.json").read_text())
    assert side["genes"] == ref["genes"] and side["skipped"] == ref["skipped"]
    assert side["model"] == ref["model"] and side["params"] == ref["params"]


def test_merge_reports_missing_shard(profile, genes_file, tmp_path, run_cli):
    out = tmp_path / "r.bed"
    base = ["call", "--genes", genes_file, *profile, "-o", out]
    for i in (0, 2):
        assert run_cli([*base, "--shard", f"{i}/3"])[0] == 0
    code, _, err = run_cli(["merge", "-o", out])
    assert code == 1 and "shards 1/3 are not among" in err
    assert not out.exists()


def test_merge_refuses_different_runs(profile, genes_file, tmp_path, run_cli):
    a, b = tmp_path / "a.bed", tmp_path / "b.bed"
    base = ["call", "--genes", genes_file, *profile]
    assert run_cli([*base, "-o", a, "--shard", "0/2"])[0] == 0
    assert run_cli([*base, "-o", b, "--shard", "1/2", "--top-fraction", "0.2"])[0] == 0
    code, _, err = run_cli(["merge", "-o", a, tmp_path / "a.bed.shard-0-of-2",
                      tmp_path / "b.bed.shard-1-of-2"])
    assert code == 1 and "different runs (params differs)" in err


def test_bad_shard_and_engine_combination(profile, tmp_path, run_cli):
    base = ["call", "--gene", GENES[0], *profile,
            "-o", tmp_path / "x.bed"]
    code, _, err = run_cli([*base, "--shard", "3/3"])
    assert code == 1 and "0 <= I < N" in err
    code, _, err = run_cli([*base, "--shard", "0/2", "--engine", "dask"])
    assert code == 2 and "do not combine" in err


def test_engine_missing_names_extra(profile, tmp_path, run_cli, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    code, _, err = run_cli(["call", "--gene", GENES[0], *profile,
                      "-o", tmp_path / "x.bed", "--engine", "dask"])
    assert code == 1 and "pip install 'regfind[scale]'" in err

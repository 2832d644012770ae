"""A GeneExp-layout replica read through a ``geneexp_root`` profile gives the official tensors."""

import json
import math
import os
import pickle

import h5py
import numpy as np
import pyBigWig
import pyfaidx
import pytest
from inputs_data import (
    GENEEXP_FEATURES,
    GENEEXP_GENES,
    GENELIST_K562,
    PEI,
    geneexp_blacklist,
    write_geneexp,
)

from regfind.errors import DataError, GenomeMismatchError, UnsafeFileError
from regfind.inputs.build import for_gene
from regfind.inputs.profiles import load_profiles
from regfind.io.blacklist import Blacklist
from regfind.io.boolpickle import read_bool_pickle

W = 200
ONE_HOT = {"A": [1, 0, 0, 0], "C": [0, 1, 0, 0], "G": [0, 0, 1, 0], "T": [0, 0, 0, 1]}


@pytest.fixture
def root(tmp_path):
    return write_geneexp(tmp_path / "GeneExp")


@pytest.fixture
def cfg(root):
    path = root.parent / "profiles.toml"
    path.write_text('[profiles.geneexp]\ngeneexp_root = "GeneExp"\n')
    return path


def official(root, ensid):
    """The official loader's tensors for one gene, written independently.

    What it reads and computes: docs/official-model.md, "Window and coordinates" to "Gene
    features".
    """
    genes = {g[0]: g for g in GENEEXP_GENES}
    _, _, chrom, tss, _, k27_rpm, dhs_rpm = genes[ensid]
    length = json.loads((root / "chr_length.json").read_text())["hg38"][chrom]
    start, end = tss - W // 2, tss + W // 2
    left, right = max(0, -start), max(0, end - length)
    s, e = max(0, start), min(length, end)
    seq = "N" * left + str(pyfaidx.Fasta(str(root / "hg38/hg38.ml.fa"))[chrom][s:e]) + "N" * right
    seqs = np.array([ONE_HOT.get(c.upper(), [0, 0, 0, 0]) for c in seq], dtype=np.float32)

    def bw(rel):
        with pyBigWig.open(str(root / PEI / rel)) as fh:
            v = np.nan_to_num(np.array(fh.values(chrom, s, e), dtype=np.float32))
        return np.pad(v, (left, right))

    with h5py.File(root / PEI / f"HiC/K562/hic_feat_{chrom}.h5", "r") as fh:
        hic = np.pad(fh[f"{chrom}_{tss}"][:], (left, right))  # padded again: the official quirk
    hic = np.log10(np.nan_to_num(hic) + 1)
    c = len(hic) // 2
    hic = hic[c - W // 2 : c + W // 2]
    signals = np.stack([bw("H3K27ac/K562/ENCFF465GBD.bigWig"),
                        bw("DNase-seq/K562/ENCFF414OGC.bigWig"), hic], axis=-1)
    with open(root / "hg38_blacklist_dict_v1.pkl", "rb") as fh:
        masks = pickle.load(fh)  # noqa: S301 - the test's own file
    blacklist = np.pad(masks[chrom][s:e], (left, right), constant_values=False)
    rna = np.array([*GENEEXP_FEATURES[ensid], math.sqrt(k27_rpm * dhs_rpm)], dtype=np.float32)
    return seqs, signals.astype(np.float32), rna, blacklist


@pytest.mark.parametrize("ensid", [g[0] for g in GENEEXP_GENES])
def test_replica_gives_the_official_tensors(cfg, root, ensid):
    x = for_gene(ensid, "K562", config=cfg, window=W)
    seqs, signals, rna, blacklist = official(root, ensid)
    np.testing.assert_array_equal(x.seqs[0], seqs)
    np.testing.assert_allclose(x.signals[0], signals, rtol=1e-6, atol=0)
    np.testing.assert_allclose(x.rna_feat[0], rna, rtol=1e-6)
    np.testing.assert_array_equal(x.blacklist[0], blacklist)
    assert x.signals.dtype == np.float32 and x.blacklist.dtype == bool


def test_hand_checked_quirks(cfg):
    mid = for_gene("MIDG", "K562", config=cfg, window=W)  # symbol from the split CSV
    assert (mid.locus.chrom, mid.locus.tss, mid.locus.gene) == ("chr1", 500, "MIDG")
    hic = mid.signals[0, :, 2]
    np.testing.assert_allclose(hic[:5], np.log10(np.arange(1, 6) + 1), rtol=1e-6)  # unshifted
    assert hic[107] == 0  # the stored NaN
    assert np.flatnonzero(mid.blacklist[0]).tolist() == list(range(80, 90))  # [480, 490)
    assert mid.rna_feat[0, 8] == pytest.approx(6.0)  # sqrt(4 x 9), raw, not logged
    left = for_gene("LEFTG", "K562", config=cfg, window=W)  # P = 70: shifted 35 bases right
    hic = left.signals[0, :, 2]
    assert not hic[:105].any()  # 70 padding + 35 shift
    np.testing.assert_allclose(hic[105:110], np.log10(np.arange(71, 76) + 1), rtol=1e-6)
    assert left.locus.strand == "-" and left.seqs[0, 70:].sum() > 0  # not reverse-complemented
    right = for_gene("RIGHTG", "K562", config=cfg, window=W)  # R = 49: shifted 24 bases left
    hic = right.signals[0, :, 2]
    np.testing.assert_allclose(hic[:3], np.log10(np.arange(25, 28) + 1), rtol=1e-6)
    assert np.flatnonzero(right.blacklist[0]).tolist() == list(range(146, 151))
    assert any("padded 0 bp left, 49 bp right" in n for n in right.notes)


def test_profile_lists_the_dataset_files(cfg, root):
    prof = load_profiles(cfg)["geneexp"]
    assert prof.geneexp_root == root and list(prof.cells) == ["K562"]  # GM12878 absent
    status = {label: s for label, _, s in prof.check_files()}
    assert all(s == "ok" for s in status.values()), status
    assert {"blacklist", "chrom_sizes", "K562.gene_list", "K562.hic"} <= set(status)
    assert prof.blacklist.name == "hg38_blacklist_dict_v1.pkl"


def test_profile_overrides_and_missing_root(cfg, root, tmp_path):
    bed = tmp_path / "bl.bed"
    bed.write_text("chr1\t400\t402\n")
    cfg.write_text(f'[profiles.g]\ngeneexp_root = "GeneExp"\nblacklist = "{bed}"\n'
                   '[profiles.g.cells.k562]\nmodel = "seq2exp-soft-k562"\n')
    prof = load_profiles(cfg)["g"]
    assert prof.blacklist == bed and prof.cell("K562").model == "seq2exp-soft-k562"
    assert prof.cell("K562").gene_list == root / PEI / GENELIST_K562
    x = for_gene("MIDG", "K562", config=cfg, window=W)
    assert np.flatnonzero(x.blacklist[0]).tolist() == [0, 1]
    cfg.write_text('[profiles.g]\ngeneexp_root = "nowhere"\n')
    prof = load_profiles(cfg)["g"]
    assert set(prof.cells) == {"K562", "GM12878"}
    assert {s for _, _, s in prof.check_files()} == {"MISSING"}
    with pytest.raises(DataError, match=r"nowhere/promo_enhan_inter/.*GeneList\.txt does not"):
        for_gene("MIDG", "K562", config=cfg, window=W)


def snapshot(folder):
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_with_code_is_refused_and_not_run(cfg, root, tmp_path, monkeypatch):
    monkeypatch.setenv("REGFIND_CACHE", str(tmp_path / "cache"))
    marker = tmp_path / "pwned"
    masks = geneexp_blacklist()
    masks["chr2"] = _Evil(marker)
    pkl = root / "hg38_blacklist_dict_v1.pkl"
    pkl.write_bytes(pickle.dumps(masks))
    before = snapshot(tmp_path)
    message = (r"refusing to load .*hg38_blacklist_dict_v1\.pkl: it asks to import "
               r"posix\.system.*nothing from it was run")
    with pytest.raises(UnsafeFileError, match=message):
        for_gene("MIDG", "K562", config=cfg, window=W)
    assert not marker.exists()
    assert snapshot(tmp_path) == before  # no index, no cache entry, nothing
    monkeypatch.setattr("regfind.io._cache.MIN_BYTES", 0)  # even where it would be cached
    with pytest.raises(UnsafeFileError, match=message):
        Blacklist(pkl)
    assert not marker.exists() and snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"chr1": np.zeros(4, dtype=np.float32)}, "holds arrays of dtype float32, expected bool"),
        ({"chr1": np.zeros((2, 2), dtype=bool)}, r"shape \(2, 2\), expected 1-D"),
        ([np.zeros(4, dtype=bool)], "expected a dict of chromosome name to numpy bool array"),
        ({"chr1": [True, False]}, "expected a dict"),
        ({"chr1": np.zeros(3, dtype=object)}, r"asks to import builtins\.|dtype object"),
    ],
)
def test_unexpected_pickles(tmp_path, obj, message):
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps(obj))
    before = snapshot(tmp_path)
    with pytest.raises(DataError, match=message):
        read_bool_pickle(path)
    assert snapshot(tmp_path) == before


def test_truncated_and_missing_pickle(tmp_path):
    path = tmp_path / "t.pkl"
    path.write_bytes(pickle.dumps(geneexp_blacklist())[:60])
    with pytest.raises(DataError, match=r"cannot read mask pickle .*t\.pkl"):
        read_bool_pickle(path)
    with pytest.raises(DataError, match="does not exist"):
        Blacklist(tmp_path / "none.pkl")


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_protocol_and_numpy1_names(tmp_path, protocol):
    data = pickle.dumps(geneexp_blacklist(), protocol=protocol)
    if protocol == 2:  # numpy 1.x spells the module numpy.core
        data = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        assert b"numpy.core.multiarray" in data
    path = tmp_path / "b.pkl"
    path.write_bytes(data)
    intervals, lengths = read_bool_pickle(path)
    assert lengths == {"chr1": 1000, "chr2": 50}
    assert intervals["chr1"][0].tolist() == [10, 480, 995]
    assert intervals["chr1"][1].tolist() == [20, 490, 1000]
    assert intervals["chr2"][0].tolist() == [0] and intervals["chr2"][1].tolist() == [5]


def test_pickle_intervals_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("REGFIND_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("regfind.io._cache.MIN_BYTES", 0)
    path = tmp_path / "b.pkl"
    path.write_bytes(pickle.dumps(geneexp_blacklist()))
    first = read_bool_pickle(path)
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 1
    monkeypatch.setattr("regfind.io.boolpickle._load", lambda p: pytest.fail("not cached"))
    assert read_bool_pickle(path)[1] == first[1]


def test_build_mismatch_with_chr_length_json(cfg, root):
    (root / "chr_length.json").write_text('{"hg38": {"chr1": 1001, "chr2": 50}}')
    before = snapshot(root)
    with pytest.raises(GenomeMismatchError, match=r"'chr1' is 1001 bp in .*chr_length\.json but "
                       r"'chr1' is 1000 bp in .*hg38\.ml\.fa"):
        for_gene("MIDG", "K562", config=cfg, window=W)
    assert snapshot(root) == before


def test_build_mismatch_with_blacklist_pickle(cfg, root):
    masks = geneexp_blacklist()
    masks["chr1"] = np.zeros(1200, dtype=bool)
    (root / "hg38_blacklist_dict_v1.pkl").write_bytes(pickle.dumps(masks))
    with pytest.raises(GenomeMismatchError, match=r"1200 bp in .*hg38_blacklist_dict_v1\.pkl"):
        for_gene("MIDG", "K562", config=cfg, window=W)

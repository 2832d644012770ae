"""Every input failure of issue 3 raises a clear message and writes nothing; the GTF cache."""

import gzip
import pickle
from pathlib import Path

import pytest
from inputs_data import CHROM_SIZES, gtf_text, write_bigwig, write_files, write_gz

from regfind.errors import DataError, GenomeMismatchError, UnsafeFileError
from regfind.inputs.build import Sources, for_gene
from regfind.io import _cache
from regfind.io.annotation import read_annotation


def snapshot(folder):
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*"))


def cache_of(tmp_path):
    return tmp_path.parent / f"{tmp_path.name}-cache"


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setenv("REGFIND_CACHE", str(cache_of(tmp_path)))
    monkeypatch.setattr(_cache, "MIN_BYTES", 0)  # cache even tiny files: failures must not
    files = write_files(tmp_path)
    import pyfaidx

    pyfaidx.Fasta(str(files["fasta"])).close()  # index built up front, as users have it
    return files


class _Evil:
    def __reduce__(self):
        return (print, ("ran",))


def _case(name, files, tmp):
    """Build the failing call of one case; returns (callable, error class, message regex)."""
    f = files

    def sources(**kw):
        args = {"annotation": f["annotation"], "h3k27ac": f["h3k27ac"], "dnase": f["dnase"],
                "blacklist": f["blacklist"]} | kw
        return Sources(f["fasta"], **args)

    if name == "unknown gene":
        return (lambda: for_gene("GENAE", sources=sources(), window=200), DataError,
                r"'GENAE' is not in annotation .*close matches: .*GENEA")
    if name == "ambiguous gene":
        return (lambda: for_gene("DUP", sources=sources(), window=200), DataError,
                r"'DUP' is ambiguous.*ENSG00000000003\.1.*ENSG00000000004\.1")
    if name == "missing file":
        return (lambda: sources(dnase=tmp / "none.bw"), DataError,
                r"DNase bigWig .*none\.bw does not exist")
    if name == "missing annotation":
        return (lambda: sources(annotation=tmp / "none.gtf"), DataError,
                r"annotation .*none\.gtf does not exist")
    if name == "missing chromosome":
        (tmp / "g9.bed").write_text("chr9\t500\t700\tP\t0\t+\n")
        return (lambda: for_gene("P", sources=sources(annotation=tmp / "g9.bed"), window=200),
                GenomeMismatchError, r"'chr9' of .*g9\.bed is not in .*g\.fa")
    if name == "naming mismatch":
        bw = write_bigwig(tmp / "two.bw", {"1": 1000, "CHR1": 1000}, [("1", 0, 5, 1.0)])
        return (lambda: for_gene("GENEA", sources=sources(h3k27ac=bw), window=200),
                GenomeMismatchError, r"'chr1' of .*g\.fa matches several chromosomes of "
                r".*two\.bw: 1, CHR1")
    if name == "build mismatch":
        bw = write_bigwig(tmp / "hg19.bw", {"chr1": 1200}, [("chr1", 0, 5, 1.0)])
        return (lambda: sources(dnase=bw), GenomeMismatchError,
                r"1200 bp in .*hg19\.bw but 'chr1' is 1000 bp in .*g\.fa")
    if name == "corrupt bigWig":
        bad = tmp / "bad.bw"
        bad.write_bytes(f["h3k27ac"].read_bytes()[:40])
        return (lambda: sources(h3k27ac=bad), DataError, r"bad\.bw is not a readable bigWig")
    if name == "unsafe pickle":
        pkl = tmp / "bl.pkl"
        pkl.write_bytes(pickle.dumps({"chr1": _Evil()}))
        return (lambda: sources(blacklist=pkl), UnsafeFileError,
                r"bl\.pkl: it asks to import builtins\.print")
    if name == "corrupt GTF":
        bad = write_gz(tmp / "bad.gtf.gz", gtf_text().replace("\t101\t300", "\tx\t300", 1))
        return (lambda: sources(annotation=bad), DataError,
                r"bad\.gtf\.gz: GTF line 3 has non-integer start/end")
    raise AssertionError(name)


CASES = ["unknown gene", "ambiguous gene", "missing file", "missing annotation",
         "missing chromosome", "naming mismatch", "build mismatch", "corrupt bigWig",
         "unsafe pickle", "corrupt GTF"]


@pytest.mark.parametrize("name", CASES)
def test_failure_has_message_and_writes_nothing(files, tmp_path, name, capsys):
    call, error, message = _case(name, files, tmp_path)
    cache = cache_of(tmp_path)
    before = snapshot(tmp_path)
    cache_before = snapshot(cache) if cache.exists() else []
    with pytest.raises(error, match=message):
        call()
    assert snapshot(tmp_path) == before
    cache_after = snapshot(cache) if cache.exists() else []
    new = {p for p, *_ in cache_after} - {p for p, *_ in cache_before}
    # the cached file's name, without the entry's hex key (which may itself spell "bad")
    names = [Path(p).name.rsplit("-", 1)[0] for p in new]
    bad = [n for n in names if any(k in n for k in ("none", "bad", "bl.pkl", "two", "hg19"))]
    assert bad == []  # no cache entry of the failing file
    assert "ran" not in capsys.readouterr().out


def test_gtf_cache_hit_and_invalidation(tmp_path, monkeypatch):
    monkeypatch.setenv("REGFIND_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(_cache, "MIN_BYTES", 0)
    path = write_gz(tmp_path / "genes.gtf.gz", gtf_text())
    first = read_annotation(path)
    entries = list((tmp_path / "cache").rglob("*.npz"))
    assert len(entries) == 1
    from regfind.io import annotation

    calls = []
    real = annotation._parse_file
    monkeypatch.setattr(annotation, "_parse_file", lambda p: calls.append(p) or real(p))
    again = read_annotation(path)
    assert calls == []  # from the cache
    assert [g.describe() for g in again] == [g.describe() for g in first]
    assert again.lookup("GENEA").transcripts == first.lookup("GENEA").transcripts
    assert again.lookup("GENEE").gene_id == "ENSG00000000005.2"
    # the file changes (size and mtime): the entry is stale, the file is parsed again
    with gzip.open(path, "wt") as fh:
        fh.write(gtf_text().replace("GENEA", "GENEZ"))
    assert read_annotation(path).lookup("GENEZ").tss == 100 and len(calls) == 1
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 1  # replaced, not added
    entries[0].write_bytes(b"garbage")  # a corrupt entry is ignored and rebuilt
    assert read_annotation(path).lookup("GENEZ").tss == 100 and len(calls) == 2
    read_annotation(path)
    assert len(calls) == 2


def test_small_files_and_no_cache_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("REGFIND_CACHE", str(tmp_path / "cache"))
    path = write_gz(tmp_path / "genes.gtf.gz", gtf_text())
    read_annotation(path)  # below MIN_BYTES
    monkeypatch.setattr(_cache, "MIN_BYTES", 0)
    monkeypatch.setenv("REGFIND_NO_CACHE", "1")
    read_annotation(path)
    assert not (tmp_path / "cache").exists()


def test_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("REGFIND_CACHE", str(blocker / "sub"))  # cannot be created
    monkeypatch.setattr(_cache, "MIN_BYTES", 0)
    path = write_gz(tmp_path / "genes.gtf.gz", gtf_text())
    assert read_annotation(path).lookup("GENEA").tss == 100


def test_sizes_file_mismatch_and_format(files, tmp_path):
    sizes = tmp_path / "hg38.sizes"
    sizes.write_text("chr1\t1000\nchr2\t51\n")
    with pytest.raises(GenomeMismatchError, match=r"'chr2' is 51 bp in .*hg38\.sizes"):
        Sources(files["fasta"], h3k27ac=files["h3k27ac"], dnase=files["dnase"],
                chrom_sizes=sizes)
    sizes.write_text("chr1 ten\n")
    with pytest.raises(DataError, match=r"hg38\.sizes is malformed"):
        Sources(files["fasta"], h3k27ac=files["h3k27ac"], dnase=files["dnase"],
                chrom_sizes=sizes)
    ok = Sources(files["fasta"], h3k27ac=files["h3k27ac"], dnase=files["dnase"],
                 chrom_sizes=dict(CHROM_SIZES))
    assert ok.genome.chrom_sizes == CHROM_SIZES

import pytest

from regfind.errors import GenomeMismatchError, RegfindWarning
from regfind.io.chroms import alias_key, check_lengths, resolve_chrom


@pytest.mark.parametrize(
    ("name", "key"), [("chr8", "8"), ("8", "8"), ("CHR8", "8"), ("chrM", "mt"), ("MT", "mt")]
)
def test_alias_key(name, key):
    assert alias_key(name) == key


def test_exact_match_is_silent():
    assert resolve_chrom("chr8", ["chr8", "8"], file="a.bw") == "chr8"


def test_unique_alias_warns_naming_files():
    with pytest.warns(RegfindWarning, match=r"'chr8' of genome\.fa is called '8' in a\.bw"):
        assert resolve_chrom("chr8", ["8", "9"], file="a.bw", reference="genome.fa") == "8"


def test_ambiguous_alias_errors():
    with pytest.raises(GenomeMismatchError, match=r"several chromosomes of a\.bw: 8, CHR8"):
        resolve_chrom("chr8", ["8", "CHR8"], file="a.bw", reference="genome.fa")


def test_missing_names_both_files():
    with pytest.raises(GenomeMismatchError, match=r"'chr8' of genome\.fa is not in a\.bw"):
        resolve_chrom("chr8", ["chr1"], file="a.bw", reference="genome.fa")
    assert resolve_chrom("chr8", ["chr1"], file="a.bw", missing_ok=True) is None


def test_length_mismatch():
    check_lengths({"1": 10, "2": 5}, "a.bw", {"chr1": 10, "chr3": 7}, "g.fa")
    with pytest.raises(GenomeMismatchError, match=r"'1' is 11 bp in a\.bw but 'chr1' is 10 bp"):
        check_lengths({"1": 11}, "a.bw", {"chr1": 10}, "g.fa")

"""The simulator: determinism, files re-read by their libraries, truth consistent with the rules."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from regfind.simulate import SimConfig, simulate, verify_manifest
from regfind.simulate.elements import contact
from regfind.simulate.motifs import load_motifs, max_relative_score

TINY = SimConfig(seed=3, n_genes=9, n_chroms=3, valid_chroms=("chr2",), test_chroms=("chr3",),
                 window=6000, spacer=500, center_len=500, profile_name="tiny", cell="tinycell")
_CODES = {c: i for i, c in enumerate("ACGT")}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    return simulate(TINY, tmp_path_factory.mktemp("sim"))


def _beds(path: Path) -> list[list[str]]:
    return [ln.split("\t") for ln in path.read_text().splitlines() if not ln.startswith("#")]


def _codes(seq: str) -> np.ndarray:
    return np.array([_CODES[c] for c in seq.upper()], dtype=np.uint8)


def test_same_seed_gives_identical_files(sim, tmp_path: Path) -> None:
    again = simulate(TINY, tmp_path / "again")
    names = sorted(p.name for p in sim.out.iterdir())
    assert names == sorted(p.name for p in again.out.iterdir())
    for name in names:
        assert (sim.out / name).read_bytes() == (again.out / name).read_bytes(), name
    assert verify_manifest(sim.out) == verify_manifest(again.out)


def test_other_seed_differs_and_manifest_detects_changes(sim, tmp_path: Path) -> None:
    other = simulate(TINY.with_(seed=4), tmp_path / "other")
    assert (other.out / "genome.fa").read_bytes() != (sim.out / "genome.fa").read_bytes()
    from regfind.errors import DataError

    with pytest.raises(DataError, match="expected"):
        verify_manifest(other.out, expected=verify_manifest(sim.out))
    (other.out / "truth.bed").write_text("changed\n")
    with pytest.raises(DataError, match="differs"):
        verify_manifest(other.out)


def test_files_reread_by_their_libraries(sim) -> None:
    import pyBigWig
    import pyfaidx

    from regfind.io.annotation import read_annotation
    from regfind.io.features import FeatureTable

    fa = pyfaidx.Fasta(str(sim.out / "genome.fa"))
    assert list(fa.keys()) == ["chr1", "chr2", "chr3"]
    assert len(fa["chr1"]) == TINY.spacer + 3 * TINY.locus_len
    assert set(str(fa["chr1"][:])) <= set("ACGT")
    for name in ("h3k27ac.bw", "dnase.bw"):
        bw = pyBigWig.open(str(sim.out / name))
        assert bw.chroms() == {k: len(fa[k]) for k in fa.keys()}
        vals = bw.values("chr1", 0, 1000, numpy=True)
        assert np.isfinite(vals).all() and (vals >= 0).all()
    ann = read_annotation(sim.out / "genes.gtf")
    assert len(ann) == TINY.n_genes
    for g in sim.genes:
        hit = ann.lookup(g.gene_id)
        assert (hit.chrom, hit.tss, hit.strand, hit.name) == (g.chrom, g.tss, g.strand, g.name)
        assert g.gene_id in FeatureTable(sim.out / "gene_features.csv")


def test_profile_makes_for_gene_work(sim) -> None:
    from regfind.inputs.build import for_gene
    from regfind.inputs.profiles import get_profile

    prof = get_profile("tiny", config=sim.profiles)
    assert prof.cell("tinycell").hic == "powerlaw"
    g = sim.genes[0]
    x = for_gene(g.name, "tinycell", "tiny", config=sim.profiles, window=TINY.window)
    assert x.seqs.shape == (1, TINY.window, 4) and x.signals.shape == (1, TINY.window, 3)
    assert x.locus.start == g.tss - TINY.window // 2 and not x.notes
    assert x.rna_feat[0, 8] > 0


def test_expression_follows_the_documented_rule(sim) -> None:
    rows = [ln.split("\t") for ln in (sim.out / "expression.tsv").read_text().splitlines()[1:]]
    truth = _beds(sim.out / "truth.bed")
    by_gene: dict[str, list[list[str]]] = {}
    for r in truth:
        by_gene.setdefault(r[6], []).append(r)
    for gid, _name, chrom, tss, _, split, y, cage, prom, n_causal in rows:
        assert split == TINY.split_of(chrom)
        assert math.isclose(float(y), math.log10(float(cage) + 1), abs_tol=1e-5)
        elems = by_gene.get(gid, [])
        assert len(elems) == int(n_causal)
        act = float(prom)
        for r in elems:
            mid = (int(r[1]) + int(r[2])) // 2
            # docs/simulation.md: c(d) = (max(d, floor) / floor) ** -gamma (floor 1 kb, 0.87)
            d = abs(mid - int(tss))
            want = (max(d, TINY.contact_floor) / TINY.contact_floor) ** -TINY.contact_gamma
            assert math.isclose(float(r[9]), want, rel_tol=1e-4)
            act += float(r[8]) * float(r[9])
        noise = math.log(float(cage) / (TINY.expr_scale * act))
        assert abs(noise) < 5 * TINY.expr_noise
        for r in elems:
            drop = float(r[8]) * float(r[9])
            want = math.log10(100 * act + 1) - math.log10(100 * (act - drop) + 1)
            assert math.isclose(float(r[7]), want, rel_tol=1e-3, abs_tol=1e-5)


def test_sites_are_in_the_genome_and_decoys_carry_no_activator(sim) -> None:
    import pyfaidx

    fa = pyfaidx.Fasta(str(sim.out / "genome.fa"))
    acts = load_motifs(tuple(m for m, _ in TINY.activators), TINY.jaspar_release, 0.5)
    by_id = {m.matrix_id: m for m in acts}
    for r in _beds(sim.out / "truth.bed"):
        for site in r[10].split(","):
            name_id, pos_score = site.split("@")
            mid = name_id.split("/")[1]
            pos, score = pos_score.split(":")
            m = by_id[mid]
            seq = _codes(str(fa[r[0]][int(pos):int(pos) + m.width]))
            assert math.isclose(max_relative_score(seq, m), float(score), abs_tol=1e-3)
    decoys = [r for r in _beds(sim.out / "noncausal.bed") if r[7] == "decoy"]
    assert decoys
    for r in decoys:
        seq = _codes(str(fa[r[0]][int(r[1]):int(r[2])]))
        assert all(max_relative_score(seq, m) < TINY.decoy_max_score for m in acts)
        assert "CTCF" in r[9]


def test_open_elements_have_peaks_closed_sites_do_not(sim) -> None:
    import pyBigWig

    bw = pyBigWig.open(str(sim.out / "dnase.bw"))
    causal = [bw.stats(r[0], int(r[1]), int(r[2]), type="max")[0]
              for r in _beds(sim.out / "truth.bed")]
    other = _beds(sim.out / "noncausal.bed")
    decoy = [bw.stats(r[0], int(r[1]), int(r[2]), type="max")[0] for r in other
             if r[7] == "decoy"]
    closed = [bw.stats(r[0], int(r[1]), int(r[2]), type="mean")[0] for r in other
              if r[7] == "closed"]
    assert min(causal) > 2 * TINY.background_fc and min(decoy) > 2 * TINY.background_fc
    assert np.mean(closed) < TINY.background_fc  # capped at closed_fc before the noise


def test_cli_simulate(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from regfind.cli import cli

    res = CliRunner().invoke(cli, ["simulate", "--out", str(tmp_path / "s"), "--genes", "4",
                                   "--window", "4000", "--chroms", "2", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "profiles.toml").is_file()
    assert "--cell demo" in res.output


def test_read_elements_returns_both_files_by_class(sim, tmp_path: Path) -> None:
    from regfind.errors import DataError
    from regfind.simulate import read_elements

    truth, other = _beds(sim.out / "truth.bed"), _beds(sim.out / "noncausal.bed")
    df = read_elements(sim.out)
    assert len(df) == len(truth) + len(other)
    assert list(df.columns[:8]) == ["chrom", "start", "end", "name", "score", "strand",
                                    "gene_id", "class"]
    causal = df[df["class"] == "causal"]
    assert [[r.chrom, r.start, r.end, r.name, r.gene_id] for r in causal.itertuples()] == \
        [[r[0], int(r[1]), int(r[2]), r[3], r[6]] for r in truth]
    assert causal["effect_log10"].notna().all() and causal["openness"].isna().all()
    decoys = read_elements(sim.out, ("decoy",))
    assert list(decoys["name"]) == [r[3] for r in other if r[7] == "decoy"]
    assert decoys["start"].dtype.kind == "i"
    with pytest.raises(DataError, match="unknown element class"):
        read_elements(sim.out, ("enhancer",))
    with pytest.raises(DataError, match="truth.bed is missing.*regfind simulate"):
        read_elements(tmp_path)


def test_contact_constants_are_the_documented_ones() -> None:
    """docs/simulation.md: 1 kb floor, ABC's exponent 0.87."""
    from regfind.simulate import DEMO

    assert contact(0, DEMO) == 1.0 and contact(1_000, DEMO) == 1.0
    assert contact(10_000, DEMO) == pytest.approx(10 ** -0.87, rel=1e-12)  # 0.1349
    assert contact(100_000, DEMO) == pytest.approx(0.01820, rel=1e-3)

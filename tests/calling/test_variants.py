"""regfind variants end to end on the demo genome: a small VCF written here, rows checked.

Demo genes on chr1 (expression.tsv): SIM0001 TSS 7000 (window [2000, 12000)) and SIM0002 TSS
19000 (window [14000, 24000)); 10 kb windows. Position 13000 lies in no window. The planted
causal enhancer SIM0001_causal1 is chr1:4968-5292 (truth.bed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regfind.io.genome import one_hot_encode
from regfind.io.variants import read_variants

TSS = 7000
START = 2000      # SIM0001's window start
L = 10_000


@pytest.fixture(scope="module")
def genome(demo_genome):
    import pyfaidx

    fasta = pyfaidx.Fasta(str(demo_genome / "genome.fa"))
    return lambda s, e: str(fasta["chr1"][s:e]).upper()


def _other(base: str) -> str:
    return "A" if base != "A" else "C"


@pytest.fixture(scope="module")
def vcf(genome, tmp_path_factory):
    g = genome
    rows = [  # 1-based POS, as VCF writes it
        ("snv", 5176, g(5175, 5176), _other(g(5175, 5176))),        # in causal1 (GATA1@5173)
        ("same", 5176, g(5175, 5176), g(5175, 5176)),               # REF == ALT
        ("del", 8001, g(8000, 8004), g(8000, 8001)),                # 3 bp deletion, TSS right
        ("ins", 5501, g(5500, 5501), g(5500, 5501) + "ACGT"),       # 4 bp insertion, TSS left
        ("mismatch", 9001, _other(g(9000, 9001)), "G"),             # REF not the genome's
        ("symbolic", 9101, g(9100, 9101), "<DEL>"),
        ("outside", 13001, g(13000, 13001), _other(g(13000, 13001))),
        ("long", 9201, g(9200, 9260), g(9200, 9201)),               # 60 bp REF
        ("nochrom", 100, "A", "C"),
    ]
    path = tmp_path_factory.mktemp("variants") / "small.vcf"
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=2402000>",
             "##contig=<ID=chrZ,length=1000>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{'chrZ' if vid == 'nochrom' else 'chr1'}\t{pos}\t{vid}\t{ref}\t{alt}\t.\t.\t."
              for vid, pos, ref, alt in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def effects(vcf):
    from regfind.calling.variants import variant_effects

    with pytest.warns(UserWarning, match="1 of 9 variants have a REF allele"):
        return variant_effects(vcf, "demo", batch_size=4)


def _row(effects, vid):
    rows = effects[effects["id"] == vid]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_status_of_every_variant(effects):
    status = dict(zip(effects["id"], effects["status"], strict=True))
    assert status == {"snv": "scored", "same": "scored", "del": "scored", "ins": "scored",
                      "mismatch": "ref_mismatch", "symbolic": "skipped", "outside": "outside",
                      "long": "skipped", "nochrom": "skipped"}
    assert effects.attrs["counts"] == {"variants": 9, "scored": 4, "ref_mismatch": 1,
                                       "skipped": 3, "outside": 1}
    assert "symbolic ALT" in _row(effects, "symbolic")["reason"]
    assert "longer than 50 bp" in _row(effects, "long")["reason"]
    assert "chrZ" in _row(effects, "nochrom")["reason"]
    assert "in no gene's window" in _row(effects, "outside")["reason"]
    assert "but the genome has" in _row(effects, "mismatch")["reason"]
    assert np.isnan(_row(effects, "mismatch")["pred_alt"])       # never scored


def test_genomic_coordinates_gene_and_distance(effects):
    snv, dele = _row(effects, "snv"), _row(effects, "del")
    assert (snv["start"], snv["end"], snv["gene"], snv["tss"]) == (5175, 5176, "SIM0001", TSS)
    assert (dele["start"], dele["end"]) == (8000, 8004)
    assert snv["distance_to_tss"] == 5175 - TSS          # left of the TSS: its last base
    assert dele["distance_to_tss"] == 8000 - TSS
    scored = effects[effects["status"] == "scored"]
    key = scored["delta_pred"].abs().to_numpy()
    assert np.all(key[:-1] >= key[1:])                    # sorted by |effect|
    assert effects["status"].iloc[:4].eq("scored").all()  # unscored rows last


def test_ref_equal_alt_changes_nothing(effects):
    same = _row(effects, "same")
    assert same["delta_pred"] == pytest.approx(0, abs=1e-5)
    assert same["delta_mask"] == pytest.approx(0, abs=1e-5)
    assert same["region_change"] in ("same", "none")
    assert same["n_regions_ref"] == same["n_regions_alt"]


def test_reference_side_is_regfind_call(effects):
    from regfind.calling.api import call

    res = call("SIM0001", "demo", predict=True, crispr=None)
    snv = _row(effects, "snv")
    assert snv["pred_ref"] == pytest.approx(float(res.regions["pred"].iloc[0]), abs=1e-5)
    assert snv["mask_ref"] == pytest.approx(float(res.mask.mask[5175 - START]), abs=1e-6)
    hit = res.regions[(res.regions["start"] <= 5175) & (res.regions["end"] > 5175)]
    assert snv["in_region"] == (len(hit) == 1)
    if len(hit):
        assert snv["region_ref"] == f"chr1:{hit['start'].iloc[0]}-{hit['end'].iloc[0]}"
    assert snv["n_regions_ref"] == len(res.regions)


def _predict(seq: str, inputs, signals, blacklist):
    import torch

    from regfind.model.context import open_run

    net = open_run("demo").model
    x = one_hot_encode(seq)[None]
    with torch.no_grad():
        out = net(torch.from_numpy(x), torch.from_numpy(signals[None]),
                  torch.from_numpy(inputs.rna_feat), torch.from_numpy(blacklist[None]))
    return float(out.pred[0])


def test_alt_windows_built_by_hand(effects, genome):
    # the edited windows written out here, independently of regfind.coords.Locus.edited
    from regfind.inputs.build import for_gene

    inp = for_gene("SIM0001", "demo", window=L)
    sig, black = inp.signals[0], inp.blacklist[0]
    ref = genome(START, START + L)
    snv = _row(effects, "snv")
    i = 5175 - START
    alt = ref[:i] + snv["alt"] + ref[i + 1:]
    assert snv["pred_alt"] == pytest.approx(_predict(alt, inp, sig, black), abs=1e-5)
    # deletion right of the TSS: the left part stays, the right end reads 3 bases further
    i = 8000 - START
    alt = ref[:i + 1] + genome(8004, START + L + 3)
    alt_sig = np.concatenate([sig[:i + 1], sig[i + 4:], np.repeat(sig[-1:], 3, axis=0)])
    alt_black = np.concatenate([black[:i + 1], black[i + 4:], np.repeat(black[-1:], 3)])
    assert len(alt) == L
    got = _row(effects, "del")["pred_alt"]
    assert got == pytest.approx(_predict(alt, inp, alt_sig, alt_black), abs=1e-5)
    # insertion left of the TSS: the right part stays, the left end moves out by 4 bases
    i = 5500 - START
    alt = ref[4:i + 1] + "ACGT" + ref[i + 1:]
    alt_sig = np.concatenate([sig[4:i + 1], np.repeat(sig[i:i + 1], 4, axis=0), sig[i + 1:]])
    alt_black = np.concatenate([black[4:i + 1], np.repeat(black[i:i + 1], 4), black[i + 1:]])
    assert len(alt) == L
    got = _row(effects, "ins")["pred_alt"]
    assert got == pytest.approx(_predict(alt, inp, alt_sig, alt_black), abs=1e-5)


def test_genes_option_restricts(vcf):
    from regfind.calling.variants import variant_effects

    with pytest.warns(UserWarning):
        out = variant_effects(vcf, "demo", genes=["SIM0002"])
    assert set(out.loc[out["status"] == "scored", "gene"]) == set()
    assert (out.loc[out["id"] == "snv", "reason"] == "outside the windows of the given genes"
            ).all()


def test_tsv_input_same_rows(vcf, effects, tmp_path):
    from regfind.calling.variants import variant_effects

    table = read_variants(vcf)
    tsv = tmp_path / "v.tsv"
    keep = table[table["id"].isin(["snv", "del", "outside"])]
    pd.DataFrame({"chrom": keep["chrom"], "pos": keep["start"] + 1, "ref": keep["ref"],
                  "alt": keep["alt"], "id": keep["id"]}).to_csv(tsv, sep="\t", index=False)
    out = variant_effects(tsv, "demo").set_index("id")
    for vid in ("snv", "del"):
        assert out.loc[vid, "delta_pred"] == pytest.approx(_row(effects, vid)["delta_pred"],
                                                           abs=1e-6)
    assert out.loc["outside", "status"] == "outside"


def test_read_variants_multiallelic_and_tsv_errors(tmp_path):
    from regfind.errors import DataError

    p = tmp_path / "m.vcf"
    p.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n"
                 "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                 "chr1\t10\trs1\tAC\tA,ACC\t.\t.\t.\n")
    t = read_variants(p)
    assert t[["start", "end", "ref", "alt", "record"]].values.tolist() == [
        [9, 11, "AC", "A", 0], [9, 11, "AC", "ACC", 0]]
    bad = tmp_path / "bad.tsv"
    bad.write_text("chrom\tposition\tref\talt\nchr1\t5\tA\tC\n")
    with pytest.raises(DataError, match="no pos"):
        read_variants(bad)


def test_cli_tsv_and_vcf_out(vcf, tmp_path, run_cli):
    import pysam

    out, vout = tmp_path / "eff.tsv", tmp_path / "out.vcf.gz"
    with pytest.warns(UserWarning, match="different genome build"):
        code, _, err = run_cli(["variants", vcf, "--cell", "demo", "-o", out, "--vcf-out",
                                vout])
    assert code == 0, err
    assert "1 REF mismatches" in err and "outside every window" in err
    table = pd.read_csv(out, sep="\t")
    assert len(table) == 9 and table["status"].iloc[0] == "scored"
    with pysam.VariantFile(str(vout)) as fh:
        info = {rec.id: rec.info.get("REGFIND") for rec in fh}
    snv = info["snv"][0].split("|")
    assert snv[:2] == [table.loc[table["id"] == "snv", "alt"].iloc[0], "SIM0001"]
    assert info["mismatch"] is None and info["outside"] is None
    tsv = tmp_path / "v.tsv"
    tsv.write_text("chrom\tpos\tref\talt\nchr1\t5176\tA\tC\n")
    code, _, err = run_cli(["variants", tsv, "--cell", "demo", "-o", out, "--vcf-out", vout])
    assert code == 2 and "--vcf-out needs a VCF input" in err


def test_resume_after_interruption(genome, tmp_path):
    from regfind.calling.variants import variant_effects
    from regfind.errors import ConfigError

    spans = [(5175, 5176), (8000, 8004), (17175, 17176), (20000, 20004)]  # 2 in each gene
    variants = pd.DataFrame({
        "chrom": "chr1", "start": [s for s, _ in spans], "end": [e for _, e in spans],
        "id": ["a", "b", "c", "d"], "ref": [genome(s, e) for s, e in spans],
        "alt": [_other(genome(s, s + 1)) for s, _ in spans], "record": range(4)})
    full = variant_effects(variants, "demo")
    assert (full["status"] == "scored").sum() == 4
    workdir = tmp_path / "parts"

    def dies_after_four(items):                      # gene 1: reference + 2 variants, then dies
        for i, item in enumerate(items):
            if i == 4:
                raise KeyboardInterrupt
            yield item

    with pytest.raises(KeyboardInterrupt):
        variant_effects(variants, "demo", workdir=workdir, progress=dies_after_four)
    assert len(list(workdir.glob("*.json"))) == 1
    seen = []

    def counts(items):
        for item in items:
            seen.append(item)
            yield item

    resumed = variant_effects(variants, "demo", workdir=workdir, progress=counts)
    assert len(seen) == 3                                # only the second gene's windows
    # batches are composed differently: float32 rounding of the model differs (~1e-7)
    pd.testing.assert_frame_equal(resumed, full, check_exact=False, rtol=0, atol=1e-5)
    with pytest.raises(ConfigError, match="other variants or settings"):
        variant_effects(variants.iloc[:2], "demo", workdir=workdir)

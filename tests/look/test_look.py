"""Figures, motifs and the HTML report on the tiny synthetic profile."""

from __future__ import annotations

import itertools
from collections import Counter
from html.parser import HTMLParser

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from regfind.cli import main
from regfind.errors import ConfigError, CoordinateError, InputError
from regfind.intervals.caller import cutoff_analysis
from regfind.look import motifs as M
from regfind.look import plot
from regfind.look.plot._base import bin_argmax, binned


@pytest.fixture(scope="module")
def window(result, sources):
    from regfind.look.plot._result import window_tracks

    gm = result.masks[0]
    signals, onehot = window_tracks(gm, sources)
    return gm, signals, onehot


def _check_png(path, fig):
    img = mpimg.imread(path)
    w, h = np.round(fig.get_size_inches() * fig.dpi).astype(int)
    assert img.shape[:2] == (h, w)
    assert img[..., :3].std() > 0.05  # not blank
    return img


def test_locus_every_track(window, result, sources, tmp_path):
    gm, signals, _ = window
    regions = result.regions[result.regions["gene"] == "GENE1"]
    peaks = pd.DataFrame({"chrom": ["chr1"], "start": [2300], "end": [2500]})
    truth = pd.DataFrame({"chrom": ["chr1"] * 2, "start": [2350, 3800], "end": [2450, 3900],
                          "positive": [True, False]})
    attr = {"saliency": np.random.default_rng(0).normal(size=(gm.locus.window, 4))}
    signals = signals.copy()
    signals[:, 2] = np.linspace(0.5, 1.0, len(signals))   # a Hi-C channel that varies here
    fig = plot.locus(gm, signals=signals, genes=sources.annotation, regions=regions,
                     peaks=peaks, truth=truth, attributions=attr, cutoff=0.5,
                     path=tmp_path / "locus.png")
    _check_png(tmp_path / "locus.png", fig)
    assert fig.get_size_inches()[0] == 11.0 and len(fig.axes) == 7  # 3 tracks
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert any("H3K27ac" in s for s in labels) and any("Hi-C" in s for s in labels)
    assert "kb" in fig.axes[-1].get_xlabel() and "chr1" in fig.axes[-1].get_xlabel()


def _legend_texts(fig):
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]


def test_locus_flat_track_gets_no_panel_and_hic_is_a_profile(window):
    gm, signals, _ = window
    flat = signals.copy()
    flat[:, 2] = 0.05
    fig = plot.locus(gm, signals=flat)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert not any("Hi-C" in s for s in labels) and len(fig.axes) == 3
    note = fig.axes[-1].texts[-1].get_text()
    assert note.startswith("Hi-C constant (0.05) over this range, no panel")
    decay = signals.copy()
    decay[:, 2] = 1.0 + 1.0 / (1.0 + np.abs(np.arange(len(decay)) - gm.locus.tss_index))
    fig = plot.locus(gm, signals=decay, bin_size=1)
    ax = next(a for a in fig.axes if "Hi-C" in a.get_ylabel())
    lo, hi = ax.get_ylim()
    assert 0.9 < lo < 1.0 and 2.0 < hi < 2.1          # spans the values, not from 0
    profile = [ln for ln in ax.lines if ln.get_linestyle() == "-"]   # the TSS line is dotted
    assert len(profile) == 1 and not ax.collections    # a line profile, not a filled block


def test_locus_legend_lists_only_what_is_drawn(window, result):
    gm, signals, _ = window
    regions = result.regions[result.regions["gene"] == "GENE1"]
    pos = pd.DataFrame({"chrom": ["chr1"], "start": [2350], "end": [2450], "positive": [True]})
    texts = _legend_texts(plot.locus(gm, regions=regions, truth=pos))
    assert "truth: positive" in texts and "truth: negative" not in texts
    neg = pos.assign(positive=False)
    texts = _legend_texts(plot.locus(gm, regions=regions.iloc[:0], truth=neg))
    assert "truth: negative" in texts and "truth: positive" not in texts
    assert not any(t.startswith("region") for t in texts)
    forced = regions[regions["forced"]]
    assert len(forced) >= 1
    fig = plot.locus(gm, regions=forced)
    texts = _legend_texts(fig)
    assert "promoter (kept by rule)" in texts and not any(t.startswith("region") for t in texts)
    bars = fig.axes[1].collections[0]
    assert {tuple(np.round(c, 3)) for c in bars.get_facecolors()} == {(0.667, 0.667, 0.667, 1.0)}
    far = pos.assign(start=2350 + 10**6, end=2450 + 10**6)   # on chr1, outside the window
    assert not any(t.startswith("truth") for t in _legend_texts(plot.locus(gm, truth=far)))


def test_locus_zoom_and_formats(window, tmp_path):
    gm, signals, _ = window
    fig = plot.locus(gm, signals=signals, region="chr1:2,801-3,300")  # 1-based, as browsers
    assert fig.axes[-1].get_xlim() == (2800, 3300)
    assert "showing chr1:2,800-3,300" in fig.texts[0].get_text()
    plot.save(fig, tmp_path / "z.png")
    _check_png(tmp_path / "z.png", fig)
    assert b"<svg" in plot.save(fig, tmp_path / "z.svg").read_bytes()[:400]
    assert plot.save(fig, tmp_path / "z.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(ConfigError, match=".png, .svg or .pdf"):
        plot.save(fig, tmp_path / "z.jpg")
    with pytest.raises(CoordinateError):
        plot.locus(gm, region="chr1:9000-9500")
    with pytest.raises(InputError, match="shape"):
        plot.locus(gm, signals=signals[:10])


def test_callresult_plot(result, sources, tmp_path):
    with pytest.raises(ConfigError, match="say which"):
        result.plot()
    fig = result.plot("GENE4", sources=sources, path=tmp_path / "g4.png")
    _check_png(tmp_path / "g4.png", fig)
    assert "GENE4" in fig.texts[0].get_text()


def test_logos_with_hits(window, result, tmp_path):
    gm, _, onehot = window
    regions = result.regions[result.regions["gene"] == "GENE1"]
    r = regions.iloc[0]
    hits = pd.DataFrame({"chrom": ["chr1"], "start": [r.start + 5], "end": [r.start + 15],
                         "strand": ["+"], "motif_name": ["TEST"], "pvalue": [1e-5]})
    fig = plot.logos(onehot, regions, gm.locus, mask=gm.mean, hits=hits, n=2,
                     path=tmp_path / "logos.png")
    _check_png(tmp_path / "logos.png", fig)
    assert any(t.get_text() == "TEST (+)" for ax in fig.axes for t in ax.texts)
    attr = plot.contributions(onehot, np.ones(len(onehot)))
    assert np.array_equal(attr, onehot)


def test_logo_motif_labels_never_overlap(window, result, tmp_path):
    gm, _, onehot = window
    regions = result.regions[result.regions["gene"] == "GENE1"].head(1)
    r = regions.iloc[0]
    n = 12                                      # crowded: 12 hits 2 bp apart, long names
    hits = pd.DataFrame({"chrom": ["chr1"] * n, "start": r.start + 2 * np.arange(n),
                         "end": r.start + 2 * np.arange(n) + 8, "strand": ["+"] * n,
                         "motif_name": [f"LONG_MOTIF_NAME_{k}" for k in range(n)],
                         "pvalue": 10.0 ** -(10 - np.arange(n) / 2)})
    fig = plot.logos(onehot, regions, gm.locus, mask=gm.mean, hits=hits, n=1, width=40,
                     path=tmp_path / "crowded.png")
    _check_png(tmp_path / "crowded.png", fig)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    shown = [t for t in ax.texts if t.get_visible()]
    boxes = [t.get_window_extent(renderer) for t in shown]
    assert 3 <= len(shown) < n
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    title = ax.title if ax.title.get_text() else ax._left_title
    assert f"{n - len(shown)} more hits not labelled" in title.get_text()
    top = max(b.y1 for b in boxes)
    assert title.get_window_extent(renderer).y0 >= top      # the title is above every label
    assert shown[0].get_text() == "LONG_MOTIF_NAME_0 (+)"   # the most significant is labelled
    assert all(b.y0 >= ax.get_window_extent(renderer).y1 for b in boxes)


def test_comparison_figures(window, tmp_path):
    gm = window[0]
    pr = pd.DataFrame({"method": ["mask"] * 3 + ["peaks"] * 3, "recall": [0, .5, 1] * 2,
                       "precision": [1, .8, .5, 1, .5, .4]})
    fig = plot.pr_curves(pr, baseline=0.3, path=tmp_path / "pr.png")
    _check_png(tmp_path / "pr.png", fig)
    assert "AUPRC 0.650" in " ".join(t.get_text() for t in fig.axes[0].get_legend().texts)
    curves = pd.DataFrame({"method": ["mask"] * 4, "curve": ["deletion"] * 2 + ["insertion"] * 2,
                           "fraction": [0, 1, 0, 1], "value": [2, 1, 1, 2]})
    fig = plot.faithfulness_curves(curves, path=tmp_path / "f.png")
    _check_png(tmp_path / "f.png", fig)
    table = cutoff_analysis(gm.mask, 100, 50, steps=20)
    fig = plot.cutoff_curves(table, chosen=0.5, path=tmp_path / "c.png")
    _check_png(tmp_path / "c.png", fig)
    with pytest.raises(InputError, match="recall"):
        plot.pr_curves(pd.DataFrame({"method": ["a"], "precision": [1]}))


def test_binning():
    v = np.array([1, 5, 2, np.nan, -7, 3, 4])
    np.testing.assert_allclose(binned(v, 3, "max"), [5, 3, 4])
    np.testing.assert_allclose(binned(v, 3, "mean"), [8 / 3, -2, 4])
    np.testing.assert_allclose(binned(v, 3, "absmax"), [5, -7, 4])
    assert bin_argmax(v, 3).tolist() == [1, 5, 6]


# -- motifs -------------------------------------------------------------------------------------


def _naive_scores(pwm_int, seq):
    idx = {"A": 0, "C": 1, "G": 2, "T": 3}
    w = len(pwm_int)
    return np.array([sum(pwm_int[k, idx[seq[i + k]]] for k in range(w))
                     for i in range(len(seq) - w + 1)])


def test_score_distribution_exact():
    m = M.Motif("X", "X", np.array([[8, 1, 1, 0], [0, 0, 9, 1], [1, 1, 1, 7], [3, 3, 2, 2]]))
    sc = M._Scorer.build(m, (0.25,) * 4)
    all_kmers = ["".join(p) for p in itertools.product("ACGT", repeat=4)]
    scores = np.concatenate([_naive_scores(sc.fwd, k) for k in all_kmers])
    for t in np.unique(scores):
        assert sc.pvalues(np.array([t]))[0] == pytest.approx((scores >= t).mean())
    assert (scores >= sc.threshold(0.01)).mean() <= 0.01


def test_scan_matches_naive_both_strands():
    rng = np.random.default_rng(3)
    seq = "".join(rng.choice(list("ACGT"), 3000))
    motif = M.load_jaspar(["MA0139.2"])[0]
    table = pd.DataFrame({"chrom": ["chr9"], "start": [1000], "end": [4000], "name": ["r"],
                          "seq": [seq]})
    hits, present = M.scan(table, [motif], pvalue=1e-3)
    sc = M._Scorer.build(motif, (0.25,) * 4)
    cut = sc.threshold(1e-3)
    fwd = np.flatnonzero(_naive_scores(sc.fwd, seq) >= cut)
    rev = np.flatnonzero(_naive_scores(sc.rev, seq) >= cut)
    got = hits.groupby("strand")["start"].apply(list).to_dict()
    assert got.get("+", []) == list(1000 + fwd) and sorted(got.get("-", [])) == list(1000 + rev)
    assert present[0, 0] == bool(len(fwd) + len(rev))
    assert (hits["end"] - hits["start"] == len(motif)).all()


def test_shuffle_keeps_dinucleotides_and_seed():
    s = "ACGTTGCAAGGCTTAGCNNNACGTAGCTAGCATCGAGGG"
    table = pd.DataFrame({"chrom": ["c"], "start": [0], "end": [len(s)], "name": ["r"],
                          "seq": [s]})
    a = M.shuffle_background(table, 4, seed=1)
    b = M.shuffle_background(table, 4, seed=1)
    assert a.equals(b) and len(a) == 4

    def dn(x):
        return Counter(x[i:i + 2] for i in range(len(x) - 1))

    for sh in a["seq"]:
        assert dn(sh) == dn(s) and sh[17:20] == "NNN"
    assert len(set(a["seq"])) > 1


def test_planted_motif_enriched_and_reverse_strand():
    rng = np.random.default_rng(5)
    genome = list(rng.choice(list("ACGT"), 60_000))
    motifs = M.load_jaspar(["MA0139.2", "MA0035.5", "MA0079"])
    ctcf = "".join("ACGT"[i] for i in motifs[0].counts.argmax(axis=1))
    rc = ctcf[::-1].translate(str.maketrans("ACGT", "TGCA"))
    rows = []
    for k in range(20):
        s = 2000 + 2500 * k
        genome[s + 50:s + 50 + len(ctcf)] = rc if k % 2 else ctcf
        rows.append(("chr1", s, s + 300, f"r{k}"))
    regions = pd.DataFrame(rows, columns=["chrom", "start", "end", "name"])
    res = M.analyse(regions, {"chr1": "".join(genome)}, motifs, seed=0)
    top = res.enrichment.iloc[0]
    assert top["motif_name"] == "CTCF" and top["rank"] == 1 and top["qvalue"] < 1e-6
    assert top["regions_hit"] == 20
    strong = res.hits[(res.hits["motif_name"] == "CTCF") & (res.hits["pvalue"] < 1e-8)]
    assert sorted(strong["start"]) == [2050 + 2500 * k for k in range(20)]
    assert set(strong["strand"]) == {"+", "-"} and set(strong["sequence"]) == {ctcf}
    flank = M.analyse(regions, {"chr1": "".join(genome)}, motifs, background="flank",
                      chrom_sizes={"chr1": 60_000})
    assert flank.enrichment.iloc[0]["motif_name"] == "CTCF"


def test_unknown_jaspar_id():
    with pytest.raises(ConfigError, match="not found"):
        M.load_jaspar(["MA9999.9"])


def test_enrichment_qvalues_are_benjamini_hochberg():
    rng = np.random.default_rng(0)
    motifs = [M.Motif(f"M{k}", f"M{k}", np.eye(4)[[k % 4] * 3] * 10) for k in range(30)]
    regions = rng.uniform(size=(40, 30)) < np.linspace(0.1, 0.9, 30)
    background = rng.uniform(size=(120, 30)) < 0.3
    table = M.enrichment(regions, background, motifs)
    p = table["pvalue"].to_numpy()                       # sorted ascending
    n = p.size                                           # q_i = min over j >= i of p_j n / j
    q = [min(1.0, min(p[j] * n / (j + 1) for j in range(i, n))) for i in range(n)]
    np.testing.assert_allclose(table["qvalue"], q, rtol=1e-12)
    assert M.enrichment(regions[:, :0], background[:, :0], []).empty


# -- report -------------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.ids, self.imgs, self.stack = [], set(), 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.imgs += 1
        if tag not in ("meta", "img", "br", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


def _parse(text):
    p = _Links()
    p.feed(text)
    p.close()
    assert not p.stack
    return p


def test_report_self_contained(profile, sources, result, tmp_path):
    from regfind.look.report import report

    peaks = pd.DataFrame({"chrom": ["chr1"], "start": [2300], "end": [2500]})
    with pytest.warns(Warning, match="NOPE: skipped, not in the report"):
        out = report(["GENE1", "GENE4", "NOPE"], "demo", tmp_path / "r.html", config=profile,
                     peaks=peaks, motifs=M.load_jaspar(["MA0139.2", "MA0079"]),
                     top_fraction=0.2)
    text = out.read_text()
    p = _parse(text)
    assert not [r for r in p.refs if r.lower().startswith(("http:", "https:", "//"))]
    assert all(r.startswith(("#", "data:image/png;base64,")) for r in p.refs)
    assert {"index", "motifs", "discovered", "provenance", "gene-GENE1", "gene-GENE4"} <= p.ids
    assert "From the mask (2 windows)" in text
    assert p.imgs == 4 and "NOPE" in text and "P(selected)" in text
    assert "matplotlib" in text and "Comparison to peaks" in text
    n_forced = int(result.regions["forced"].sum())   # same genes and rule as the report
    assert n_forced >= 1 and text.count('<tr class="forced">') == n_forced
    assert text.count("</span> kept by rule<br>") == n_forced and "model alone:" in text


def test_cli_plot_and_report(profile, tmp_path, capsys):
    def run(args):
        try:
            main(args)
        except SystemExit as exc:
            return exc.code
        return 0

    png = tmp_path / "l.png"
    code = run(["plot", "locus", "--gene", "GENE1", "--cell", "demo", "--config", str(profile),
                "-o", str(png), "--logos", str(tmp_path / "lg.svg")])
    assert code == 0, capsys.readouterr().err
    assert mpimg.imread(png).std() > 0.05 and (tmp_path / "lg.svg").exists()
    html = tmp_path / "r.html"
    code = run(["report", "--gene", "GENE4", "--cell", "demo", "--config", str(profile),
                "-o", str(html), "--motif", "MA0139.2", "--image-format", "svg"])
    assert code == 0, capsys.readouterr().err
    assert "data:image/svg+xml;base64," in html.read_text()
    tsv = tmp_path / "cut.tsv"
    pd.DataFrame({"cutoff": [0.1, 0.5], "npeaks": [3, 1], "total_bp": [900, 200],
                  "mean_length": [300, 200]}).to_csv(tsv, sep="\t", index=False)
    assert run(["plot", "cutoffs", str(tsv), "-o", str(tmp_path / "c.png")]) == 0
    code = run(["plot", "pr", str(tsv), "-o", str(tmp_path / "p.png")])
    assert code == 1 and "lacks column" in capsys.readouterr().err


def test_report_discovery_reads_at_most_its_bases(result, sources, tmp_path, monkeypatch):
    from regfind.look import report as R

    monkeypatch.setattr(R, "DISCOVERY_BASES", result.masks[0].locus.window)
    text = R.write_report(result, sources, tmp_path / "r.html", browser=False,
                          motifs=M.load_jaspar(["MA0139.2"])).read_text()
    assert "From the mask (1 windows: the first 1 genes of 2, to bound memory)" in text
    assert 'id="discovered"' not in R.write_report(
        result, sources, tmp_path / "n.html", motifs=False, browser=False).read_text()


def test_faithfulness_figure_labels_mean_curves_and_refuses_mixed_genes() -> None:
    rows = [("mask", "deletion", f, v) for f, v in ((0, 1.0), (0.5, 0.4), (1, 0.0))]
    mean = pd.DataFrame(rows, columns=["method", "curve", "fraction", "value"]).assign(genes=2)
    fig = plot.faithfulness_curves(mean, kind="curve")
    assert fig.axes[0].get_ylabel().startswith("mean normalised prediction")
    assert "AUC 0.45" in fig.axes[0].get_legend().get_texts()[0].get_text()
    two = pd.concat([mean.drop(columns="genes").assign(gene=g) for g in ("A", "B")])
    with pytest.raises(InputError, match="curves of 2 genes"):
        plot.faithfulness_curves(two, kind="curve")
    one = two[two["gene"] == "A"]
    assert plot.faithfulness_curves(one, kind="curve").axes[0].get_ylabel() == (
        "predicted log10(CAGE+1)")

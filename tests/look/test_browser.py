"""The report's embedded igv.js genome-browser view (offline, one file)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess

import matplotlib.image as mpimg
import pandas as pd
import pytest

from regfind.look.browser import igv_config, igv_js, script_json

_CONFIG = re.compile(r'<script type="application/json" class="igv-config" '
                     r'data-target="([^"]+)">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def page(profile, tmp_path_factory):
    from regfind.look.report import report

    out = tmp_path_factory.mktemp("page") / "r.html"
    peaks = pd.DataFrame({"chrom": ["chr1"], "start": [2300], "end": [2500]})
    truth = pd.DataFrame({"chrom": ["chr1"], "start": [2350], "end": [2450],
                          "positive": [True]})
    return report(["GENE1", "GENE4"], "demo", out, config=profile, peaks=peaks, truth=truth,
                  motifs=False, discovery=False, top_fraction=0.2)


def test_config_places_the_window_and_tracks(result, sources):
    gm = result.masks[0]
    loc = gm.locus
    regions = result.regions[result.regions["gene"] == loc.gene]
    truth = pd.DataFrame({"chrom": [loc.chrom] * 2, "start": [2350, 3800], "end": [2450, 3900],
                          "positive": [True, False]})
    cfg = igv_config(gm, sources.genome, regions=regions, truth=truth, genes=sources.annotation)
    lo, hi = loc.clipped_start, loc.clipped_end
    assert cfg["locus"] == f"{loc.chrom}:{lo + 1}-{hi}" and cfg["loadDefaultGenomes"] is False
    uri = cfg["reference"]["fastaURL"]
    assert uri.startswith("data:text/plain;base64,")
    header, seq = base64.b64decode(uri.split(",", 1)[1]).decode().split("\n")[:2]
    assert header == f">{loc.chrom}:{lo + 1}-{hi} @len={loc.chrom_length}"
    assert seq == sources.genome.sequence(loc.chrom, lo, hi)
    names = [t["name"] for t in cfg["tracks"]]
    assert names == ["Seq2Exp mask (Beta mean)", "called regions", "truth", "genes"]
    mask = cfg["tracks"][0]["features"]
    assert mask[0]["start"] == lo and mask[-1]["end"] == hi
    assert all(a["end"] == b["start"] for a, b in zip(mask, mask[1:], strict=False))
    first = mask[0]
    width = first["end"] - first["start"]
    assert first["value"] == pytest.approx(float(gm.mean[lo - loc.start:][:width].max()),
                                           abs=1e-4)
    reg = cfg["tracks"][1]["features"]
    assert [(f["start"], f["end"]) for f in reg] == list(zip(regions["start"], regions["end"],
                                                            strict=True))
    forced = [f["name"] for f, x in zip(reg, regions["forced"], strict=True) if x]
    assert forced and set(forced) == {"promoter (kept by rule)"}
    colours = [f["color"] for f in cfg["tracks"][2]["features"]]
    assert colours == ["#c44e52", "#999999"]
    assert "http" not in json.dumps(cfg)


def test_script_json_cannot_close_the_script():
    text = script_json({"name": "</script><!-- & >"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><!-- & >"}


def test_report_embeds_browser_offline(page):
    text = page.read_text()
    configs = _CONFIG.findall(text)
    assert [t for t, _ in configs] == ["igv-GENE1", "igv-GENE4"]
    for target, body in configs:
        assert f'<div class="igv-view" id="{target}"></div>' in text
        cfg = json.loads(body)
        assert "http" not in body and cfg["reference"]["indexed"] is False
        assert [t["name"] for t in cfg["tracks"]] == [
            "Seq2Exp mask (Beta mean)", "called regions", "peaks", "truth", "genes"]
    assert igv_js() in text and text.count("<script>") == 2     # igv.js once, then the attach
    tags = re.findall(r"<(?:script|img|link|iframe)\b[^>]*>", text)
    assert not [t for t in tags if re.search(r"(src|href)=[\"']?(https?:)?//", t)]


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome", "headless_shell"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_browser_view_loads_in_headless_chromium(page, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): no browser check")
    args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--virtual-time-budget=20000", "--window-size=1300,2400"]
    dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    # set once igv.createBrowser resolved, i.e. the reference and every track loaded (igv.js
    # draws inside a shadow root, which --dump-dom does not show)
    assert dom.count('data-ready="yes"') == 2 and 'data-ready="error"' not in dom
    shot = tmp_path / "shot.png"
    subprocess.run([*args, f"--screenshot={shot}", page.as_uri()], capture_output=True,
                   timeout=120, check=True)
    img = mpimg.imread(shot)
    assert img.shape[:2] == (2400, 1300) and img[..., :3].std() > 0.05


def test_missing_igv_package_is_one_clear_error(monkeypatch):
    from importlib import resources

    from regfind.errors import ConfigError

    def missing(name):
        raise ModuleNotFoundError(f"No module named {name!r}")

    monkeypatch.setattr(resources, "files", missing)
    with pytest.raises(ConfigError, match="pip install igv-notebook .*--no-browser"):
        igv_js()

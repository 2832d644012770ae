"""The bundled demo model and the regeneration of its data (regenerating is slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from regfind.errors import DataError
from regfind.simulate import SimConfig, simulate
from regfind.simulate.demo import DEMO_MANIFEST_SHA256, ensure_demo_data

DEMO_MODEL = Path(__file__).resolve().parents[2] / "models" / "demo-soft"


def test_demo_model_loads_and_its_card_names_the_data() -> None:
    from regfind.model.checkpoint import load_model, sha256_file

    if not (DEMO_MODEL / "model.json").is_file():
        pytest.skip("models/demo-soft is not built")
    card = json.loads((DEMO_MODEL / "model.json").read_text())
    assert card["provenance"]["data"]["manifest_sha256"] == DEMO_MANIFEST_SHA256
    assert card["sha256"] == sha256_file(DEMO_MODEL / "model.safetensors")
    assert (DEMO_MODEL / "model.safetensors").stat().st_size < 10 * 2**20
    model = load_model(DEMO_MODEL, device="cpu")
    assert model.config.variant == "soft" and model.config.seq_range == 10_000


def test_other_data_are_refused(tmp_path: Path) -> None:
    tiny = SimConfig(n_genes=3, n_chroms=1, valid_chroms=(), test_chroms=(), window=4000,
                     center_len=500, spacer=500)
    simulate(tiny, tmp_path)
    with pytest.raises(DataError, match="not those the demo model"):
        ensure_demo_data(tmp_path)
    assert ensure_demo_data(tmp_path, verify=False) == tmp_path


@pytest.mark.slow
def test_demo_data_regenerate_and_the_model_calls_regions(tmp_path: Path) -> None:
    import torch

    from regfind.inputs.build import for_gene
    from regfind.intervals.caller import call
    from regfind.model.checkpoint import load_model

    folder = ensure_demo_data(tmp_path / "demo")
    if not (DEMO_MODEL / "model.json").is_file():
        pytest.skip("models/demo-soft is not built")
    model = load_model(DEMO_MODEL, device="cpu")
    gene = (folder / "expression.tsv").read_text().splitlines()[-1].split("\t")[1]
    x = for_gene(gene, "demo", "demo", config=folder / "profiles.toml", window=10_000)
    t = x.to_torch()
    with torch.no_grad():
        mask, _, _ = model.generate(t["seqs"], t["signals"], t["blacklist"])
    regions = call(mask[0].numpy(), None, 100, 50, top_fraction=0.1, chrom=x.locus.chrom,
                   offset=x.locus.start)
    assert len(regions) > 0 and np.all(regions["start"] >= x.locus.start)

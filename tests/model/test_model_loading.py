"""Strict and safe checkpoint loading: errors, refusals and regfind's own format."""

from __future__ import annotations

import os
import shutil
import zipfile

import pytest
import torch

from regfind.errors import CheckpointError, ConfigError, InputError, UnsafeCheckpointError
from regfind.model.checkpoint import (
    load_model,
    official_config,
    read_official,
    save_model,
    sha256_file,
)
from regfind.model.config import Seq2ExpConfig
from regfind.model.seq2exp import Seq2Exp


class _RunsCommand:
    """An object whose unpickling would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _tiny(variant="soft", **kw):
    return Seq2Exp(Seq2ExpConfig.preset(variant, d_model=16, gen_n_layer=2, enc_n_layer=2,
                                        seq_range=400, center_len=40, **kw))


def _official_ckpt(official_dir, tmp_path, edit):
    ckpt = read_official(official_dir / "tiny_soft.ckpt")
    edit(ckpt)
    out = tmp_path / "edited.ckpt"
    torch.save(ckpt, out)
    return out


def test_pickled_callable_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": _RunsCommand(marker)}, path)
    with pytest.raises(UnsafeCheckpointError, match="allow-list"):
        load_model(path, device="cpu")
    assert not marker.exists()


def test_missing_tensor_named(official_dir, tmp_path):
    key = "model.generator.backbone.layers.1.mixer.mamba_fwd.D"
    path = _official_ckpt(official_dir, tmp_path, lambda c: c["state_dict"].pop(key))
    with pytest.raises(CheckpointError, match="missing tensor.*layers.1.mixer.mamba_fwd.D"):
        load_model(path, device="cpu")


def test_unexpected_tensor_named(official_dir, tmp_path):
    def edit(c):
        c["state_dict"]["model.pos_emb"] = torch.zeros(1, 2000, 16)
    with pytest.raises(CheckpointError, match="unexpected tensor.*pos_emb"):
        load_model(_official_ckpt(official_dir, tmp_path, edit), device="cpu")


def test_misshaped_tensor_names_both_shapes(official_dir, tmp_path):
    def edit(c):
        c["state_dict"]["model.mask_output.weight"] = torch.zeros(3, 16)
    with pytest.raises(CheckpointError, match=r"mask_output.weight has shape \[3, 16\] in the "
                                              r"file but \[2, 16\] in the model"):
        load_model(_official_ckpt(official_dir, tmp_path, edit), device="cpu")


def test_inconsistent_tied_tensors(official_dir, tmp_path):
    key = "model.generator.backbone.layers.0.mixer.mamba_rev.in_proj.weight"

    def edit(c):
        c["state_dict"][key] = c["state_dict"][key].clone() + 1.0
    with pytest.raises(CheckpointError, match="tied"):
        load_model(_official_ckpt(official_dir, tmp_path, edit), device="cpu")


def test_resolver_interpolation_in_model_config_rejected(official_dir, tmp_path):
    def edit(c):
        c["hyper_parameters"].model.config.d_model = "${eval:'__import__(\"os\").getpid()'}"
    with pytest.raises(ConfigError, match="resolver"):
        load_model(_official_ckpt(official_dir, tmp_path, edit), device="cpu")


def test_gpu_mem_is_never_resolved(official_dir):
    ckpt = read_official(official_dir / "tiny_soft.ckpt")
    resolved, cell = official_config(ckpt["hyper_parameters"])
    assert resolved["seq_range"] == 2000 and cell == "K562"
    # the stored train.gpu_mem still holds its unresolved eval interpolation
    from omegaconf import OmegaConf
    raw = OmegaConf.to_container(ckpt["hyper_parameters"].train, resolve=False)
    assert raw["gpu_mem"].startswith("${eval:")


def test_unsupported_option_rejected(official_dir, tmp_path):
    def edit(c):
        c["hyper_parameters"].model.config.use_peak_mask = True
    with pytest.raises(ConfigError, match="use_peak_mask"):
        load_model(_official_ckpt(official_dir, tmp_path, edit), device="cpu")


def test_not_a_checkpoint(tmp_path):
    bad = tmp_path / "x.ckpt"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_model(bad, device="cpu")
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "absent.ckpt")


def test_truncated_checkpoint(official_dir, tmp_path):
    data = (official_dir / "tiny_soft.ckpt").read_bytes()
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_model(cut, device="cpu")


def test_own_format_roundtrip(official_dir, tmp_path):
    model = load_model(official_dir / "tiny_hard.ckpt", device="cpu")
    out = save_model(model, tmp_path / "m", provenance={"source": "tiny_hard.ckpt"})
    again = load_model(out, device="cpu")
    assert again.config == model.config
    assert again.encoder is again.generator
    for (k, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items(),
                              strict=True):
        assert torch.equal(a, b), k
    with zipfile.ZipFile(official_dir / "tiny_hard.ckpt"):
        pass  # the official file is untouched
    assert again.source["sha256"] == sha256_file(out / "model.safetensors")


def test_own_format_corruption_detected(tmp_path):
    out = save_model(_tiny(), tmp_path / "m")
    weights = out / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_model(out, device="cpu")


def test_own_format_missing_file(tmp_path):
    out = save_model(_tiny(), tmp_path / "m")
    shutil.copytree(out, tmp_path / "n")
    (tmp_path / "n" / "model.json").unlink()
    with pytest.raises(CheckpointError, match="model.json is missing"):
        load_model(tmp_path / "n", device="cpu")


def test_save_leaves_no_temporary_files(tmp_path):
    out = save_model(_tiny(), tmp_path / "m")
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.safetensors"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(seqs=torch.zeros(2, 400, 5)), r"seqs has shape \(2, 400, 5\), expected \[B, L, 4\]"),
    (dict(seqs=torch.zeros(2, 400, 4, dtype=torch.float64)), "dtype torch.float64"),
    (dict(signals=torch.zeros(2, 300, 3)), "signals has shape"),
    (dict(rna_feat=torch.zeros(2, 8)), "rna_feat has shape"),
    (dict(rna_feat=torch.zeros(3, 9)), "rna_feat has 3 rows"),
    (dict(blacklist=torch.zeros(2, 400)), "blacklist has dtype"),
    (dict(blacklist=torch.zeros(2, 399, dtype=torch.bool)), "blacklist has shape"),
])
def test_wrong_inputs_raise(kwargs, message):
    model = _tiny()
    args = dict(seqs=torch.zeros(2, 400, 4), signals=torch.zeros(2, 400, 3),
                rna_feat=torch.zeros(2, 9), blacklist=None)
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        model(**args)


def test_hard_needs_exact_length():
    model = _tiny("hard")
    with pytest.raises(InputError, match="exactly 400"):
        model(torch.zeros(1, 300, 4), torch.zeros(1, 300, 3), torch.zeros(1, 9))


def test_config_errors():
    with pytest.raises(ConfigError, match="variant"):
        Seq2ExpConfig(variant="medium")
    with pytest.raises(ConfigError, match="center_len"):
        Seq2ExpConfig(center_len=0)
    with pytest.raises(ConfigError, match="unknown model configuration keys"):
        Seq2ExpConfig.from_dict({"d_model": 8, "colour": "red"})
    cfg = Seq2ExpConfig.preset("hard", d_model=32)
    assert Seq2ExpConfig.from_dict(cfg.to_dict()) == cfg and cfg.dt_rank == 2

"""A human-readable summary of a checkpoint (``regfind model info``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from regfind.model.checkpoint import load_model, official_config, read_official
from regfind.model.seq2exp import n_parameters

_TRAINING_KEYS = {
    "optimizer": ("lr", "weight_decay", "betas"),
    "trainer": ("max_steps", "precision", "gradient_clip_val"),
    "dataset": ("cell_type", "seq_range", "batch_size", "k_fold", "blacklist_ver", "expr_type"),
    "task": ("_name_",),
}


def describe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Summarise a checkpoint: variant, sizes, window, cell type, training configuration.

    The checkpoint is loaded strictly (so a summary is only printed for a usable file). For an
    official checkpoint the training settings are read from the stored hyper-parameters
    without resolving any interpolation.

    Returns
    -------
    dict
        Plain values, in display order.
    """
    model = load_model(path, device="cpu")
    cfg = model.config
    provenance = model.source.get("provenance", {}) or {}
    trained_on = (provenance.get("data") or {}).get("cell") if isinstance(
        provenance.get("data"), dict) else None
    summary: dict[str, Any] = {
        "path": str(path),
        "format": model.source["format"],
        "sha256": model.source["sha256"],
        "variant": f"Seq2Exp-{cfg.variant}",
        "cell_type": cfg.cell_type or (f"{trained_on} (the cell type of its training data)"
                                       if trained_on else "unknown"),
        "window_bp": cfg.seq_range,
        "promoter_bp": cfg.center_len,
        "d_model": cfg.d_model,
        "layers": f"generator {cfg.gen_n_layer}, predictor {cfg.enc_n_layer}"
                  + (" (shared)" if cfg.enc_prd_ps else ""),
        "parameters": n_parameters(model),
        "mask": _mask_summary(cfg),
        "architecture": "official" if cfg.is_official_shape else _variant_summary(cfg),
    }
    if model.source["format"] == "lightning":
        summary["training"] = _training_summary(Path(path))
    else:
        summary["provenance"] = provenance
    return summary


def short_value(key: str, value: Any, width: int = 100) -> str:
    """One line for a summary value: a training history as its best epoch, long text cut.

    The full values stay in ``regfind model info --json``.
    """
    if key == "history" and isinstance(value, list) and value and isinstance(value[0], dict):
        best = min(value, key=lambda h: h.get("valid_mse", float("inf")))
        pearson = best.get("valid_pearson")
        extra = f", valid Pearson {pearson:.3f}" if isinstance(pearson, float) else ""
        return (f"{len(value)} epochs; lowest validation MSE at epoch {best.get('epoch')}"
                f"{extra}")
    if key == "metrics" and isinstance(value, dict):
        return "; ".join(f"{split} Pearson {m['pearson']:.3f}, MSE {m['mse']:.4f} (n {m['n']})"
                         for split, m in value.items()
                         if isinstance(m, dict) and {"pearson", "mse", "n"} <= set(m))
    text = str(value)
    if isinstance(value, str) or len(text) <= width:
        return text
    return text[:width - 25] + " ... (full: --json)"


def _mask_summary(cfg: Any) -> str:
    rule = "Beta mean" if cfg.variant == "soft" else f"Beta mean >= {cfg.sample_threshold}"
    return (f"{rule}; prior_scale_factor {cfg.prior_scale_factor}, beta_min {cfg.beta_min}, "
            f"marginal Beta mean {cfg.marginal_mean}")


def _variant_summary(cfg: Any) -> str:
    parts = [f"mask gate {cfg.mask_gate}"]
    if cfg.stem_width:
        parts.append(f"motif stem {cfg.stem_channels} x {cfg.stem_width} bp"
                     + (" gated by the signals" if cfg.stem_gate else ""))
    if cfg.pool != "promoter":
        parts.append(f"pool {cfg.pool}")
    return "regfind variant: " + ", ".join(parts)


def _training_summary(path: Path) -> dict[str, Any]:
    from omegaconf import OmegaConf

    ckpt = read_official(path)
    hp = ckpt["hyper_parameters"]
    official_config(hp, source=str(path))  # validates that model.config is safe to resolve
    out: dict[str, Any] = {"global_step": ckpt.get("global_step"), "epoch": ckpt.get("epoch"),
                           "lightning": ckpt.get("pytorch-lightning_version")}
    for section, keys in _TRAINING_KEYS.items():
        node = hp.get(section)
        if node is None:
            continue
        raw = OmegaConf.to_container(node, resolve=False)
        for key in keys:
            if key in raw:
                out[f"{section}.{key}"] = raw[key]
    return out

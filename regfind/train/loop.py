"""Train Seq2Exp on any data profile (``regfind train``).

Objective (docs/official-model.md, "Training objective"):
``SmoothL1(pred, log10 expression) + kl_weight * KL`` where KL is the mean over bases of
KL(combined Beta || marginal Beta), the mask being drawn with ``rsample`` in training. AdamW,
linear warm-up then cosine decay, gradient-norm clipping, checkpoint selection on the
validation MSE (docs/official-model.md, "Genes, split and metrics"), a tqdm progress bar with
the losses.

Output folder:

- ``model.safetensors`` + ``model.json``: the best model so far (regfind's format; the card's
  ``provenance`` holds the training data, seed, options and metrics);
- ``training_state.pt``: the last epoch's weights, optimizer, scheduler and history, for
  ``resume=True`` (plain tensors and numbers, loaded with ``weights_only=True``);
- ``history.json``: the per-epoch losses and metrics.

On CPU the model's differentiable path uses compiled kernels (:mod:`regfind.model._scan_grad`).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from regfind.errors import ConfigError, DataError

__all__ = ["TrainConfig", "evaluate", "train"]

STATE_FILE = "training_state.pt"


@dataclass(frozen=True)
class TrainConfig:
    """Options of a training run (model shape, optimisation, budget).

    Attributes
    ----------
    variant : {'soft', 'hard'}
    d_model, d_state, gen_n_layer, enc_n_layer, center_len : int
        Model shape (the window is the data's); see :class:`regfind.model.config.Seq2ExpConfig`.
    epochs, batch_size : int
    lr, weight_decay, warmup_frac, kl_weight, clip : float
        AdamW learning rate and decay; fraction of the steps spent warming up; KL weight (0.01
        in the paper); gradient-norm clip.
    target_scale : {'standardize', 'none'}
        'standardize' computes the SmoothL1 on ``(pred - mean) / std`` of the training targets
        (the model still predicts the target itself). The paper's KL weight was set for log10
        CAGE of std ~1; on targets of smaller spread the prediction loss sits deep in the
        quadratic regime and the KL term overwhelms it (see docs/simulation.md).
    kl_warmup_frac : float
        Fraction of the steps over which the KL weight ramps linearly from 0 to ``kl_weight``
        (0: the full weight from the first step, as in the paper).
    dt_range : tuple of 2 float
        Range of the initial scan step sizes (log-uniform; Mamba's default 1e-3 to 0.1). A
        channel's memory is about ``1 / dt`` bases at init, so smaller steps let the scan
        carry distal signal to the promoter from the first step.
    mask_gate : {'official', 'noise'}
        How the predictor reads the soft mask (:class:`regfind.model.config.Seq2ExpConfig`);
        'noise' is a regfind variant that makes the mask a real bottleneck.
    stem_width, stem_channels : int
        Motif-width convolution stem of the sequence embedding (regfind variant; 0: none).
    stem_init : {'random', 'jaspar'}
        'jaspar': the stem starts as a scanner of the JASPAR CORE vertebrate motif groups
        (:mod:`regfind.model.motif_stem`; ``stem_channels`` must be 0, it is set by the groups); its
        filters stay fixed and their thresholds are learned.
    stem_gate : bool
        Gate each stem channel by the base's signals (:class:`regfind.model.config.
        Seq2ExpConfig`).
    pool : {'promoter', 'promoter+window'}
        What the predictor pools (:class:`regfind.model.config.Seq2ExpConfig`).
    gen_signal : bool
        The generator also reads the signal embedding (False in the published models).
    prior_scale, beta_min, marginal_mean, marginal_scale : float or None
        Override the variant's ``prior_scale_factor`` (weight of the signal prior in the
        combined Beta), ``beta_min`` (floor of both Beta concentrations; with 0 and no prior
        the generator's logits move the mask over the whole of (0, 1)) and the marginal Beta
        of the KL term (its mean is the fraction of the window the mask is pulled towards
        keeping). None: the published value.
    mask_init : float or None
        Start the mask high and let the KL prune it: the generator's output bias is set so
        that its own Beta (before ``beta_min`` and the prior) has mean ``mask_init`` and
        concentration 2. None: PyTorch's default initialisation (the paper's).
    generator_delay : float
        Fraction of the steps during which the generator (and its output layer) is frozen, so
        the predictor first learns to read the signal-driven mask (0: joint from the start).
    generator_lr_mult : float
        Learning rate of the generator relative to ``lr``.
    seed : int
    max_minutes : float or None
        Stop after the epoch that crosses this wall-clock budget (the schedule is not changed).
    device : str
        'cpu', 'cuda' or 'auto'.
    """

    variant: str = "soft"
    d_model: int = 16
    d_state: int = 8
    gen_n_layer: int = 2
    enc_n_layer: int = 1
    center_len: int = 1000
    epochs: int = 8
    batch_size: int = 4
    lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_frac: float = 0.05
    kl_weight: float = 0.01
    clip: float = 1.0
    target_scale: str = "none"
    kl_warmup_frac: float = 0.0
    dt_range: tuple[float, float] = (1e-3, 0.1)
    mask_gate: str = "official"
    stem_width: int = 0
    stem_channels: int = 0
    stem_init: str = "random"
    stem_gate: bool = False
    pool: str = "promoter"
    gen_signal: bool = False
    prior_scale: float | None = None
    beta_min: float | None = None
    mask_init: float | None = None
    marginal_mean: float | None = None
    marginal_scale: float | None = None
    generator_delay: float = 0.0
    generator_lr_mult: float = 1.0
    seed: int = 0
    max_minutes: float | None = None
    device: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)


def _make_model(tc: TrainConfig, window: int) -> Any:
    from regfind.model.config import Seq2ExpConfig
    from regfind.model.seq2exp import Seq2Exp

    stem = None
    if tc.stem_init == "jaspar":
        from regfind.model.motif_stem import jaspar_stem

        stem = jaspar_stem(tc.stem_width)
    overrides = {k: v for k, v in (("prior_scale_factor", tc.prior_scale),
                                   ("beta_min", tc.beta_min),
                                   ("marginal_mean", tc.marginal_mean),
                                   ("marginal_scale", tc.marginal_scale)) if v is not None}
    cfg = Seq2ExpConfig.preset(tc.variant, d_model=tc.d_model, d_state=tc.d_state,  # type: ignore[arg-type]
                               gen_n_layer=tc.gen_n_layer, enc_n_layer=tc.enc_n_layer,
                               seq_range=window, center_len=tc.center_len,
                               mask_gate=tc.mask_gate, stem_width=tc.stem_width,
                               stem_channels=len(stem[2]) if stem else tc.stem_channels,
                               stem_gate=tc.stem_gate, pool=tc.pool,
                               gen_signal=tc.gen_signal,
                               **overrides)
    model = Seq2Exp(cfg)
    if stem is not None:
        import torch

        with torch.no_grad():
            model.seq_stem.weight.copy_(torch.from_numpy(stem[0]))
            model.seq_stem.bias.copy_(torch.from_numpy(stem[1]))
        model.seq_stem.requires_grad_(False)
        model.stem_motifs = stem[2]  # recorded in the model card
    if tc.mask_init is not None:
        import torch

        with torch.no_grad():  # softplus(bias) = 2 * (1 - F, F) for (beta, alpha)
            target = torch.tensor([2 * (1 - tc.mask_init), 2 * tc.mask_init])
            model.mask_output.bias.copy_(torch.log(torch.expm1(target)))
    if tuple(tc.dt_range) != (1e-3, 0.1):
        from regfind.model.mamba import Mamba

        for module in model.modules():
            if isinstance(module, Mamba):
                module._init_dt(cfg, *tc.dt_range)
    return model


def _schedule(total: int, warmup: int, start: int = 0):  # noqa: ANN202
    """Learning-rate factor: 0 before ``start``, then linear warm-up and cosine decay."""
    def factor(step: int) -> float:
        if step < start:
            return 0.0
        if step < warmup:
            return (step + 1) / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return factor


def evaluate(model: Any, data: Any, batch_size: int = 8, device: Any = "cpu") -> dict[str, float]:
    """Return MSE, MAE and Pearson r of the model's predictions on a :class:`GeneSet`.

    Metrics are computed once over all genes, with the test-time mask, as the official
    evaluation does (docs/official-model.md, "Genes, split and metrics").
    """
    import torch

    if len(data) == 0:
        return {"mse": float("nan"), "mae": float("nan"), "pearson": float("nan"), "n": 0}
    model.eval()
    preds = []
    with torch.no_grad():
        for start in range(0, len(data), batch_size):
            b = data.batch(np.arange(start, min(start + batch_size, len(data))), device)
            preds.append(model(b["seqs"], b["signals"], b["rna_feat"], b["blacklist"]).pred.cpu())
    pred = torch.cat(preds).numpy().astype(np.float64)
    y = data.target.astype(np.float64)
    r = float(np.corrcoef(pred, y)[0, 1]) if len(y) > 1 and pred.std() > 0 else float("nan")
    return {"mse": float(np.mean((pred - y) ** 2)), "mae": float(np.mean(np.abs(pred - y))),
            "pearson": r, "n": len(y)}


def _loss(model: Any, b: dict, scale: tuple[float, float] = (0.0, 1.0)) -> tuple[Any, Any, Any]:
    """Prediction loss on ``(x - scale[0]) / scale[1]``, mean KL, and the model output."""
    import torch.nn.functional as F

    from regfind.model.seq2exp import kl_to_marginal

    out = model(b["seqs"], b["signals"], b["rna_feat"], b["blacklist"])
    mu, sd = scale
    pred_loss = F.smooth_l1_loss((out.pred - mu) / sd, (b["target"] - mu) / sd)
    kl = kl_to_marginal(out.alpha, out.beta, model.config).mean()
    return pred_loss, kl, out


def _save_state(out: Path, model: Any, opt: Any, sched: Any, epoch: int, history: list,
                best: float) -> None:
    import os
    import tempfile

    import torch

    state = {"model": model.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict(), "epoch": epoch, "best_mse": best,
             "history_json": json.dumps(history),
             # the mask's Beta samples draw from torch's generator: a resumed run continues it
             "torch_rng": torch.get_rng_state(),
             "cuda_rng": (torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [])}
    fd, tmp = tempfile.mkstemp(prefix=f".{STATE_FILE}.", dir=out)
    os.close(fd)
    torch.save(state, tmp)
    os.replace(tmp, out / STATE_FILE)


def _load_state(out: Path, model: Any, opt: Any, sched: Any) -> tuple[int, list, float]:
    import torch

    state = torch.load(out / STATE_FILE, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    if "torch_rng" in state:  # states written before the generator was saved lack it
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
    return int(state["epoch"]), json.loads(state["history_json"]), float(state["best_mse"])


def train(sets: dict[str, Any], out: str | Path, tc: TrainConfig = TrainConfig(), *,
          provenance: dict[str, Any] | None = None, resume: bool = False,
          progress: bool = True) -> dict[str, Any]:
    """Train a Seq2Exp model and keep the best one (lowest validation MSE) in ``out``.

    Parameters
    ----------
    sets : dict of str to GeneSet
        'train' and 'valid' (and optionally 'test', evaluated with the best model at the end);
        see :func:`regfind.train.data.build_sets`.
    out : path
        Output folder (see the module docstring).
    tc : TrainConfig
    provenance : dict, optional
        Extra facts for the model card (data set, manifest sha256, ...).
    resume : bool
        Continue from ``out/training_state.pt``.

    Returns
    -------
    dict
        ``history`` (per epoch), ``valid`` and ``test`` metrics of the best model,
        ``seconds`` and ``steps``.
    """
    import torch

    from regfind._env import resolve_device
    from regfind.model.checkpoint import load_model, save_model

    _check_options(tc)
    if len(sets.get("train", [])) == 0:
        raise DataError("no training genes (split 'train' is empty)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(tc.seed)
    device = resolve_device(tc.device)
    window = sets["train"].codes.shape[1]
    model = _make_model(tc, window)
    with torch.no_grad():  # start the output at the mean target (not 0) so the first steps
        model.pToExpr[-1].bias.fill_(float(sets["train"].target.mean()))  # learn more than it
    model = model.to(device)
    steps_per_epoch = math.ceil(len(sets["train"]) / tc.batch_size)
    total = steps_per_epoch * tc.epochs
    gen, rest = _param_groups(model)
    opt = torch.optim.AdamW([{"params": rest, "lr": tc.lr},
                             {"params": gen, "lr": tc.lr * tc.generator_lr_mult}],
                            weight_decay=tc.weight_decay)
    warmup = int(tc.warmup_frac * total)
    gen_start = math.ceil(tc.generator_delay * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, [_schedule(total, warmup), _schedule(total, warmup, gen_start)])
    start_epoch, history, best = 0, [], float("inf")
    if resume:
        if not (out / STATE_FILE).is_file():
            raise ConfigError(f"cannot resume: {out / STATE_FILE} does not exist")
        start_epoch, history, best = _load_state(out, model, opt, sched)
    card = {"training": {**asdict(tc), "window": window,
                         "n_genes": {k: len(v) for k, v in sets.items()}},
            **({"stem_motifs": model.stem_motifs} if hasattr(model, "stem_motifs") else {}),
            **(provenance or {})}
    t0 = time.time()
    rng = np.random.default_rng(tc.seed)
    for _ in range(start_epoch):  # keep the shuffling order of an uninterrupted run
        rng.permutation(len(sets["train"]))
    for epoch in range(start_epoch, tc.epochs):
        row = _epoch(model, opt, sched, sets["train"], rng, tc, device, epoch, progress)
        row.update({f"valid_{k}": v for k, v in
                    evaluate(model, _selection_set(sets), device=device).items()})
        row["seconds"] = round(time.time() - t0, 1)
        history.append(row)
        if row["valid_mse"] < best:
            best = row["valid_mse"]
            save_model(model, out, provenance={**card, "best_epoch": epoch + 1,
                                               "history": history})
        _save_state(out, model, opt, sched, epoch + 1, history, best)
        (out / "history.json").write_text(json.dumps(history, indent=2) + "\n")
        if tc.max_minutes is not None and time.time() - t0 > 60 * tc.max_minutes:
            break
    best_model = load_model(out, device=device)
    result = {"history": history, "seconds": round(time.time() - t0, 1),
              "valid": evaluate(best_model, _selection_set(sets), device=device),
              "test": evaluate(best_model, sets["test"], device=device)
              if len(sets.get("test", [])) else {}}
    best_epoch = int(np.argmin([h["valid_mse"] for h in history])) + 1
    save_model(best_model, out, provenance={**card, "best_epoch": best_epoch, "history": history,
                                            "metrics": {"valid": result["valid"],
                                                        "test": result["test"]}})
    return result


def _param_groups(model: Any) -> tuple[list, list]:
    """Trainable parameters of the generator (its stack and output layer), and the rest.

    When the predictor shares the generator's stack (hard variant) only the output layer
    counts as the generator's.
    """
    shared = model.config.enc_prd_ps
    gen, rest = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            own = name.startswith("mask_output.") or (name.startswith("generator.")
                                                      and not shared)
            (gen if own else rest).append(p)
    return gen, rest


def _selection_set(sets: dict[str, Any]) -> Any:
    """Return the genes that select the checkpoint: 'valid', else 'train'."""
    valid = sets.get("valid")
    return valid if valid is not None and len(valid) else sets["train"]


def _target_scale(target: np.ndarray, how: str) -> tuple[float, float]:
    """``(mean, std)`` that the prediction loss standardises with (``(0, 1)`` for 'none')."""
    if how == "none":
        return 0.0, 1.0
    sd = float(np.std(target))
    return float(np.mean(target)), sd if sd > 0 else 1.0


def _check_options(tc: TrainConfig) -> None:
    if tc.target_scale not in ("standardize", "none"):
        raise ConfigError(f"target_scale must be 'standardize' or 'none', got {tc.target_scale!r}")
    lo, hi = tc.dt_range
    if not 0 < lo <= hi:
        raise ConfigError(f"dt_range must be 0 < min <= max, got {tc.dt_range}")
    if not 0.0 <= tc.generator_delay < 1.0:
        raise ConfigError(f"generator_delay must be in [0, 1), got {tc.generator_delay}")
    if tc.stem_init not in ("random", "jaspar"):
        raise ConfigError(f"stem_init must be 'random' or 'jaspar', got {tc.stem_init!r}")
    if tc.stem_init == "jaspar" and (tc.stem_width < 4 or tc.stem_channels):
        raise ConfigError("the JASPAR stem takes a width (>= 4) and no channel count (set by "
                          f"the motif groups); got {tc.stem_width} and {tc.stem_channels}")
    if tc.mask_init is not None and not 0 < tc.mask_init < 1:
        raise ConfigError(f"mask_init must be in (0, 1), got {tc.mask_init}")
    if tc.generator_lr_mult <= 0:
        raise ConfigError(f"generator_lr_mult must be > 0, got {tc.generator_lr_mult}")
    if not 0.0 <= tc.kl_warmup_frac <= 1.0:
        raise ConfigError(f"kl_warmup_frac must be in [0, 1], got {tc.kl_warmup_frac}")


def _epoch(model: Any, opt: Any, sched: Any, data: Any, rng: np.random.Generator,
           tc: TrainConfig, device: Any, epoch: int, progress: bool) -> dict[str, float]:
    import torch
    from tqdm import tqdm

    model.train()
    order = rng.permutation(len(data))
    batches = [order[i:i + tc.batch_size] for i in range(0, len(order), tc.batch_size)]
    sums = {"loss": 0.0, "pred_loss": 0.0, "kl": 0.0}
    scale = _target_scale(data.target, tc.target_scale)
    ramp = max(1, int(tc.kl_warmup_frac * tc.epochs * len(batches)))
    bar = tqdm(batches, desc=f"epoch {epoch + 1}/{tc.epochs}", disable=not progress,
               mininterval=5.0)
    for n, idx in enumerate(bar, 1):
        b = data.batch(idx, device)
        pred_loss, kl, _ = _loss(model, b, scale)
        step = epoch * len(batches) + n - 1
        loss = pred_loss + tc.kl_weight * min(1.0, step / ramp if tc.kl_warmup_frac else 1.0) * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.clip)
        opt.step()
        sched.step()
        for k, v in (("loss", loss), ("pred_loss", pred_loss), ("kl", kl)):
            sums[k] += float(v.detach())
        bar.set_postfix(loss=f"{sums['loss'] / n:.4f}", kl=f"{sums['kl'] / n:.3f}",
                        lr=f"{sched.get_last_lr()[0]:.2e}")
    model.eval()
    return {"epoch": epoch + 1, **{k: v / len(batches) for k, v in sums.items()}}

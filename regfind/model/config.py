"""Seq2Exp model configuration: the values that shape the network and its mask.

A :class:`Seq2ExpConfig` is built from the ``model.config`` subtree of an official checkpoint's
hyper-parameters (:meth:`Seq2ExpConfig.from_official`), from regfind's own model card
(:meth:`Seq2ExpConfig.from_dict`), or from one of the two published presets
(:meth:`Seq2ExpConfig.preset`). Options that neither published variant uses are rejected with a
:class:`~regfind.errors.ConfigError` rather than silently ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from regfind.errors import ConfigError

Variant = Literal["soft", "hard"]
MaskGate = Literal["official", "noise", "swap"]
Pool = Literal["promoter", "promoter+window"]

# Official option -> the only value regfind supports (the value both published variants use).
_FIXED_OPTIONS: dict[str, Any] = {
    "interact": "concat",
    "prior_signal": "all",
    "post_sample": True,
    "post_dist": "beta",
    "decouple_x": True,
    "only_x_sig": False,
    "use_include_list": False,
    "use_bio_mask": False,
    "use_peak_mask": False,
    "use_mask_model": False,
    "merge_peak_mask": False,
    "pool_mask": 0,
    "merge_mask": 0,
    "node_merge_mask": False,
    "use_gumbel": False,
    "test_top": False,
    "useRNAFeat": True,
    "rms_norm": True,
    "bidirectional": True,
    "bidirectional_strategy": "add",
    "bidirectional_weight_tie": True,
    "rcps": False,
}
_FIXED_SSM: dict[str, Any] = {"conv_bias": True, "bias": False}


@dataclass(frozen=True)
class Seq2ExpConfig:
    """Shape and mask settings of a Seq2Exp network (the official ``BiMambaMIRNP``).

    Attributes
    ----------
    variant : {'soft', 'hard'}
        Test-time mask: the Beta mean ('soft', ``test_soft``) or the mean thresholded at
        ``sample_threshold`` ('hard', ``test_hard``).
    d_model : int
        Width of the embeddings and of both BiMamba stacks (128 in the published models).
    gen_n_layer, enc_n_layer : int
        Layers of the generator and of the predictor (encoder) stacks.
    seq_range : int
        Window length L in bases (200000 published). The hard variant needs exactly this length.
    center_len : int
        Promoter length at the window centre that is forced into the mask and mean-pooled.
    prior_scale_factor, beta_min, z_scale : float
        Constants of the signal priors and the combined Beta
        (docs/official-model.md, "Mask distribution").
    prior_beta, prior_weight : tuple of 3 float
        Per-signal prior beta and mixing weight (H3K27ac, DNase, Hi-C).
    sample_threshold : float
        Threshold of the hard test-time mask on the Beta mean.
    gen_signal : bool
        Whether the generator sees the signal embedding (False in both published variants).
    enc_prd_ps : bool
        Predictor shares its parameters with the generator (hard variant).
    pos_enc : bool
        Learned absolute position embedding and compaction of kept bases (hard variant).
    marginal_mean, marginal_scale : float
        Fixed marginal Beta of the KL term (training only).
    d_state, d_conv, expand : int
        Mamba state size, causal convolution width and inner expansion.
    dt_rank : int
        Rank of the step-size projection (``ceil(d_model / 16)`` for 'auto').
    norm_epsilon : float
        RMSNorm epsilon.
    base_size, signal_size, rna_feat_dim : int
        Input channels: one-hot bases (4), signals (3), gene features (9).
    mask_gate : {'official', 'noise'}
        How the predictor reads the mask. 'official' multiplies the embeddings by the mask
        before the pre-norm encoder, whose first RMSNorm cancels most of a per-base scale
        (docs/model.md, "Does the soft mask gate?"). 'noise' (a regfind variant) mixes the
        RMS-normalised embedding with unit Gaussian noise, ``m * norm(x) + (1 - m) * eps``, so
        a base's content reaches the predictor with a signal-to-noise ratio ``m / (1 - m)``
        (information-bottleneck masking); the noise is fresh in training and a fixed seeded
        pattern in evaluation (deterministic and batch-size invariant). 'swap' (a regfind
        variant) mixes it instead with another gene's normalised content at the same position
        in training (the batch rolled by one), and in evaluation with the running mean of the
        normalised content seen in training (saved with the model): a masked-out base
        looks like an ordinary base of some other window, so dropping it costs the predictor
        nothing, while noise would add variance wherever the mask is low.
    stem_width, stem_channels : int
        A regfind variant: a convolution of ``stem_channels`` filters of ``stem_width`` bases
        over the one-hot sequence, ReLU, projected and added to the sequence embedding (motif
        detectors for both the generator and the predictor). 0: no stem (official).
    stem_gate : bool
        A regfind variant: each stem channel is multiplied by a learned gate of the base's
        signals, ``sigmoid(Linear(3 -> C)(log1p(signals)))``, so a motif counts where the
        chromatin says it can (a motif-times-accessibility feature, as in enhancer models).
    pool : {'promoter', 'promoter+window'}
        What the predictor pools: its hidden states over the promoter (official), or (a regfind
        variant) that concatenated with their mean over the whole window, so every base the
        mask lets through reaches the output by a direct path, not only through the scans.
    cell_type : str or None
        Cell type the model was trained on, when known (metadata only).
    """

    variant: Variant = "soft"
    d_model: int = 128
    gen_n_layer: int = 4
    enc_n_layer: int = 4
    seq_range: int = 200_000
    center_len: int = 2000
    prior_scale_factor: float = 10.0
    beta_min: float = 1.0
    z_scale: float = 1.0
    prior_beta: tuple[float, float, float] = (1.5, 0.2, 1.0)
    prior_weight: tuple[float, float, float] = (2.0, 2.0, 1.0)
    sample_threshold: float = 0.5
    gen_signal: bool = False
    enc_prd_ps: bool = False
    pos_enc: bool = False
    marginal_mean: float = 0.1
    marginal_scale: float = 10.0
    d_state: int = 16
    d_conv: int = 4
    expand: int = 2
    dt_rank: int = 8
    norm_epsilon: float = 1e-5
    base_size: int = 4
    signal_size: int = 3
    rna_feat_dim: int = 9
    mask_gate: MaskGate = "official"
    stem_width: int = 0
    stem_channels: int = 0
    stem_gate: bool = False
    pool: Pool = "promoter"
    cell_type: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        self._validate()

    @property
    def is_official_shape(self) -> bool:
        """Whether the network is one of the published architectures (no regfind variant)."""
        return (self.mask_gate == "official" and self.stem_width == 0
                and self.pool == "promoter" and not self.stem_gate)

    # ------------------------------------------------------------------ derived sizes
    @property
    def d_inner(self) -> int:
        """Inner width of each Mamba mixer (``expand * d_model``)."""
        return self.expand * self.d_model

    @property
    def promoter_slice(self) -> slice:
        """Window indices ``[(L - center_len) // 2, ... + center_len)`` of the promoter."""
        start = (self.seq_range - self.center_len) // 2
        return slice(start, start + self.center_len)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def preset(cls, variant: Variant, **overrides: Any) -> Seq2ExpConfig:
        """Return the published Seq2Exp-soft or Seq2Exp-hard configuration.

        The values are listed in docs/official-model.md, "Published configurations".

        Parameters
        ----------
        variant : {'soft', 'hard'}
            Which published variant.
        **overrides
            Field values to change (e.g. smaller ``d_model`` for tests).
        """
        if variant == "soft":
            base: dict[str, Any] = dict(variant="soft", prior_scale_factor=10.0, beta_min=1.0,
                                        marginal_mean=0.1, marginal_scale=10.0)
        elif variant == "hard":
            base = dict(variant="hard", prior_scale_factor=1.0, beta_min=0.0,
                        marginal_mean=0.45, marginal_scale=0.1, enc_prd_ps=True, pos_enc=True)
        else:
            raise ConfigError(f"unknown Seq2Exp variant {variant!r}: expected 'soft' or 'hard'")
        base.update(overrides)
        if "d_model" in overrides and "dt_rank" not in overrides:
            base["dt_rank"] = math.ceil(base["d_model"] / 16)
        return cls(**base)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Seq2ExpConfig:
        """Build a config from regfind's own model card (the output of :meth:`to_dict`)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown model configuration keys {unknown}; known: {sorted(known)}")
        values = dict(data)
        for key in ("prior_beta", "prior_weight"):
            if key in values:
                values[key] = tuple(float(v) for v in values[key])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict of every field (inverse of :meth:`from_dict`)."""
        out = asdict(self)
        out["prior_beta"] = list(self.prior_beta)
        out["prior_weight"] = list(self.prior_weight)
        return out

    @classmethod
    def from_official(cls, cfg: Mapping[str, Any], *, cell_type: str | None = None
                      ) -> Seq2ExpConfig:
        """Build a config from the resolved ``model.config`` of an official checkpoint.

        Parameters
        ----------
        cfg : mapping
            The resolved ``hyper_parameters.model.config`` as plain Python values.
        cell_type : str, optional
            ``dataset.cell_type`` of the run, kept as metadata.

        Raises
        ------
        ConfigError
            When a required key is missing or an option is set to a value that neither published
            variant uses (the message names the key, the value and what is supported).
        """
        _check_fixed_options(cfg)
        variant = _official_variant(cfg)
        d_model = int(_require(cfg, "d_model"))
        ssm = dict(cfg.get("ssm_cfg") or {})
        dt_rank = ssm.get("dt_rank", "auto")
        dt_rank = math.ceil(d_model / 16) if dt_rank == "auto" else int(dt_rank)
        enc_n_layer = int(_require(cfg, "enc_n_layer"))
        return cls(
            variant=variant,
            d_model=d_model,
            enc_n_layer=enc_n_layer,
            gen_n_layer=int(cfg.get("gen_n_layer") or enc_n_layer),
            seq_range=int(_require(cfg, "seq_range")),
            center_len=int(_require(cfg, "center_len")),
            prior_scale_factor=float(_require(cfg, "prior_scale_factor")),
            beta_min=float(_require(cfg, "beta_min")),
            z_scale=float(cfg.get("z_scale", 1.0)),
            prior_beta=_triple(cfg, "prior_beta"),
            prior_weight=_triple(cfg, "prior_weight"),
            sample_threshold=float(cfg.get("sample_threshold", 0.5)),
            gen_signal=bool(cfg.get("gen_signal", False)),
            enc_prd_ps=bool(cfg.get("enc_prd_ps", False)),
            pos_enc=bool(cfg.get("pos_enc", False)),
            marginal_mean=float(cfg.get("marginal_mean", 0.1)),
            marginal_scale=float(cfg.get("marginal_scale", 10.0)),
            d_state=int(ssm.get("d_state", 16)),
            d_conv=int(ssm.get("d_conv", 4)),
            expand=int(ssm.get("expand", 2)),
            dt_rank=dt_rank,
            norm_epsilon=float(cfg.get("norm_epsilon", 1e-5)),
            base_size=int(cfg.get("base_size", 4)),
            signal_size=int(cfg.get("signal_size", 3)),
            rna_feat_dim=int(cfg.get("rna_feat_dim", 9)),
            cell_type=cell_type,
        )

    # ------------------------------------------------------------------ checks
    def _validate(self) -> None:
        if self.variant not in ("soft", "hard"):
            raise ConfigError(f"variant must be 'soft' or 'hard', got {self.variant!r}")
        for name in ("d_model", "gen_n_layer", "enc_n_layer", "seq_range", "d_state", "d_conv",
                     "expand", "dt_rank"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if not 0 < self.center_len <= self.seq_range:
            raise ConfigError(f"center_len must be in (0, seq_range={self.seq_range}], "
                              f"got {self.center_len}")
        if self.enc_prd_ps and self.gen_n_layer != self.enc_n_layer:
            raise ConfigError("enc_prd_ps (shared generator/predictor) needs gen_n_layer == "
                              f"enc_n_layer, got {self.gen_n_layer} and {self.enc_n_layer}")
        if (self.base_size, self.signal_size) != (4, 3):
            raise ConfigError("only base_size 4 (A, C, G, T) and signal_size 3 (H3K27ac, DNase, "
                              f"Hi-C) are supported, got {self.base_size} and {self.signal_size}")
        if not 0 < self.marginal_mean < 1 or self.marginal_scale <= 0:
            raise ConfigError("the marginal Beta needs 0 < marginal_mean < 1 and marginal_scale "
                              f"> 0, got {self.marginal_mean} and {self.marginal_scale}")
        if self.beta_min < 0:
            raise ConfigError(f"beta_min must be >= 0, got {self.beta_min}")
        if self.prior_scale_factor < 0:
            raise ConfigError(f"prior_scale_factor must be >= 0, got {self.prior_scale_factor}")
        if self.mask_gate not in ("official", "noise", "swap"):
            raise ConfigError("mask_gate must be 'official', 'noise' or 'swap', got "
                              f"{self.mask_gate!r}")
        if self.mask_gate != "official" and self.pos_enc:
            raise ConfigError(f"mask_gate {self.mask_gate!r} is for the soft variant (the hard "
                              "variant already passes only the kept bases to its predictor)")
        if self.pool not in ("promoter", "promoter+window") or (
                self.pool != "promoter" and self.pos_enc):
            raise ConfigError(f"pool must be 'promoter' or (soft variant) 'promoter+window', "
                              f"got {self.pool!r}")
        if self.stem_gate and not self.stem_width:
            raise ConfigError("stem_gate needs a stem (stem_width and stem_channels > 0)")
        if self.stem_width and self.stem_width % 2 == 0:
            raise ConfigError(f"stem_width must be odd (centred filters), got {self.stem_width}")
        if (self.stem_width > 0) != (self.stem_channels > 0) or min(self.stem_width,
                                                                     self.stem_channels) < 0:
            raise ConfigError("stem_width and stem_channels must both be 0 (no stem) or both "
                              f"positive, got {self.stem_width} and {self.stem_channels}")
        if len(self.prior_beta) != 3 or len(self.prior_weight) != 3:
            raise ConfigError("prior_beta and prior_weight need 3 values (H3K27ac, DNase, Hi-C)")


def _require(cfg: Mapping[str, Any], key: str) -> Any:
    if key not in cfg or cfg[key] is None:
        raise ConfigError(f"checkpoint model.config has no value for {key!r}")
    return cfg[key]


def _triple(cfg: Mapping[str, Any], key: str) -> tuple[float, float, float]:
    raw = _require(cfg, key)
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    try:
        values = tuple(float(p) for p in parts)
    except ValueError as exc:
        raise ConfigError(f"model.config.{key} = {raw!r} is not a list of numbers") from exc
    if len(values) != 3:
        raise ConfigError(f"model.config.{key} = {raw!r} needs 3 values (H3K27ac, DNase, Hi-C)")
    return values  # type: ignore[return-value]


def _check_fixed_options(cfg: Mapping[str, Any]) -> None:
    for key, supported in _FIXED_OPTIONS.items():
        if key in cfg and cfg[key] != supported:
            raise ConfigError(
                f"model.config.{key} = {cfg[key]!r} is not supported: regfind implements the "
                f"published Seq2Exp variants, which use {key} = {supported!r}")
    ssm = cfg.get("ssm_cfg") or {}
    for key, supported in _FIXED_SSM.items():
        if key in ssm and ssm[key] != supported:
            raise ConfigError(f"model.config.ssm_cfg.{key} = {ssm[key]!r} is not supported "
                              f"(published models use {supported!r})")


def _official_variant(cfg: Mapping[str, Any]) -> Variant:
    soft, hard = bool(cfg.get("test_soft", False)), bool(cfg.get("test_hard", False))
    if soft == hard:
        raise ConfigError(
            f"model.config has test_soft={soft} and test_hard={hard}: exactly one must be true "
            "(Seq2Exp-soft uses test_soft, Seq2Exp-hard test_hard)")
    return "soft" if soft else "hard"

"""``regfind train``: train Seq2Exp on a data profile and an expression table."""

from __future__ import annotations

import json
from pathlib import Path

import click

from regfind.cli._options import OUTPUT_DIR


@click.command()
@click.option("--profile", "profile", default=None, help="Data profile (the only one if omitted).")
@click.option("--cell", required=True, help="Cell type of the profile.")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="Profiles TOML (else REGFIND_CONFIG or the user config dir).")
@click.option("--expression", required=True, type=click.Path(exists=True, path_type=Path),
              help="Table with gene, split (train/valid/test) and target columns.")
@click.option("--target", default="log10_expr", show_default=True, help="Target column.")
@click.option("-o", "--out", "out", required=True, type=OUTPUT_DIR,
              help="Output folder (model, training state, history).")
@click.option("--window", default=10_000, show_default=True, help="Window length in bp.")
@click.option("--variant", type=click.Choice(["soft", "hard"]), default="soft",
              show_default=True)
@click.option("--d-model", default=16, show_default=True)
@click.option("--d-state", default=8, show_default=True)
@click.option("--gen-layers", default=2, show_default=True)
@click.option("--enc-layers", default=1, show_default=True)
@click.option("--center-len", default=1000, show_default=True, help="Promoter length in bp.")
@click.option("--epochs", default=8, show_default=True)
@click.option("--batch-size", default=4, show_default=True)
@click.option("--lr", default=2e-3, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--kl-weight", default=0.01, show_default=True, help="KL weight (paper: 0.01).")
@click.option("--kl-warmup", default=0.0, show_default=True,
              help="Fraction of the steps over which the KL weight ramps up from 0.")
@click.option("--dt-range", nargs=2, type=float, default=(1e-3, 0.1), show_default=True,
              help="Range of the initial scan step sizes (memory ~ 1/dt bases).")
@click.option("--target-scale", type=click.Choice(["none", "standardize"]), default="none",
              show_default=True,
              help="standardize: SmoothL1 on the z-scored target (for targets of small spread).")
@click.option("--mask-gate", type=click.Choice(["official", "noise", "swap"]),
              default="official",
              show_default=True,
              help="noise, swap (regfind variants): the mask mixes each base's content with "
                   "noise, or with another gene's content, so it gates what the predictor reads.")
@click.option("--stem", "stem", nargs=2, type=int, default=(0, 0), show_default=True,
              metavar="WIDTH CHANNELS",
              help="Motif stem (regfind variant): CHANNELS filters of WIDTH bp on the sequence.")
@click.option("--jaspar-stem", "jaspar_stem", type=int, default=None, metavar="WIDTH",
              help="Motif stem (regfind variant) of the JASPAR vertebrate motif groups, filters "
                   "of WIDTH bp, fixed; their thresholds are learned (instead of --stem).")
@click.option("--stem-gate", is_flag=True,
              help="Gate each stem channel by the base's signals (motif x accessibility).")
@click.option("--pool", type=click.Choice(["promoter", "promoter+window"]), default="promoter",
              show_default=True,
              help="promoter+window (regfind variant): also pool the whole window.")
@click.option("--gen-signal", is_flag=True, help="The generator also reads the signal tracks.")
@click.option("--prior-scale", type=float, default=None,
              help="Weight of the signal prior in the mask's Beta (soft: 10).")
@click.option("--beta-min", type=float, default=None,
              help="Floor of both Beta concentrations (soft: 1; 0 frees the mask's range).")
@click.option("--mask-init", type=float, default=None,
              help="Start the generator's mask at this mean and let the KL prune it.")
@click.option("--marginal", "marginal", nargs=2, type=float, default=None, metavar="MEAN SCALE",
              help="Marginal Beta of the KL term (soft: 0.1 10): the kept fraction it pulls to.")
@click.option("--generator-delay", type=float, default=0.0, show_default=True,
              help="Fraction of the steps with the generator frozen (predictor first).")
@click.option("--generator-lr-mult", type=float, default=1.0, show_default=True,
              help="Generator learning rate relative to --lr.")
@click.option("--max-minutes", type=float, default=None, help="Stop after this many minutes.")
@click.option("--device", default="auto", show_default=True, help="cpu, cuda or auto.")
@click.option("--resume", is_flag=True, help="Continue from OUT/training_state.pt.")
@click.option("--cache", type=click.Path(path_type=Path), default=None,
              help="Folder for the cached inputs (.npz); default OUT/cache.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(profile: str | None, cell: str, config: Path | None, expression: Path, target: str,
          out: Path, window: int, variant: str, d_model: int, d_state: int, gen_layers: int,
          enc_layers: int, center_len: int, epochs: int, batch_size: int, lr: float, seed: int,
          kl_weight: float, kl_warmup: float, dt_range: tuple[float, float], target_scale: str,
          mask_gate: str, stem: tuple[int, int], jaspar_stem: int | None, stem_gate: bool,
          pool: str,
          gen_signal: bool,
          prior_scale: float | None, beta_min: float | None, mask_init: float | None,
          marginal: tuple[float, float] | None, generator_delay: float,
          generator_lr_mult: float, max_minutes: float | None, device: str, resume: bool,
          cache: Path | None, quiet: bool) -> None:
    """Train Seq2Exp (SmoothL1 + 0.01 KL, AdamW, warm-up + cosine) and keep the best model."""
    from regfind.train.data import build_sets
    from regfind.train.loop import TrainConfig
    from regfind.train.loop import train as run

    sets = build_sets(profile, cell, expression, window=window, config=config, target=target,
                      cache_dir=cache or out / "cache", progress=not quiet)
    tc = TrainConfig(variant=variant, d_model=d_model, d_state=d_state, gen_n_layer=gen_layers,
                     enc_n_layer=enc_layers, center_len=center_len, epochs=epochs,
                     batch_size=batch_size, lr=lr, seed=seed, max_minutes=max_minutes,
                     device=device, kl_weight=kl_weight, kl_warmup_frac=kl_warmup,
                     target_scale=target_scale, dt_range=tuple(dt_range),
                     mask_gate=mask_gate, stem_width=jaspar_stem or stem[0],
                     stem_channels=0 if jaspar_stem else stem[1],
                     stem_init="jaspar" if jaspar_stem else "random", stem_gate=stem_gate,
                     pool=pool,
                     gen_signal=gen_signal, prior_scale=prior_scale, beta_min=beta_min,
                     mask_init=mask_init,
                     marginal_mean=marginal[0] if marginal else None,
                     marginal_scale=marginal[1] if marginal else None,
                     generator_delay=generator_delay, generator_lr_mult=generator_lr_mult)
    prov = {"data": {"profile": profile, "cell": cell, "expression": str(expression),
                     "target": target}}
    result = run(sets, out, tc, provenance=prov, resume=resume, progress=not quiet)
    click.echo(json.dumps({"valid": result["valid"], "test": result["test"],
                           "seconds": result["seconds"]}, indent=2))

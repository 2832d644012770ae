"""``regfind benchmark retrain``: retrain the predictor on the bases each method selects."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("retrain")
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="Simulated folder [default: the demo data, regenerated and verified].")
@click.option("--model", "model", default=None,
              help="Model path or name whose mask is tested [default: the demo model].")
@click.option("--epochs", default=4, show_default=True, type=click.IntRange(min=1),
              help="Training epochs of each retrained predictor (the same for every set).")
@click.option("--batch-size", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=2e-3, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--top-fraction", default=0.1, show_default=True,
              help="Fraction of each window's bases (outside the promoter) the mask selects.")
@click.option("--set", "only", multiple=True, type=click.Choice(["mask", "macs3", "random", "all"]),
              help="Run only these selections (repeatable) [all four].")
@click.option("--cache", type=click.Path(path_type=Path), default=None,
              help="Folder for the cached model inputs (.npz).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def retrain(data: Path | None, model: str | None, epochs: int, batch_size: int, lr: float,
            seed: int, top_fraction: float, only: tuple[str, ...], cache: Path | None,
            as_json: bool) -> None:
    """Held-out MSE and Pearson of predictors retrained on mask, MACS3, random and all bases.

    The paper's test of a mask (its Table 2): the same predictor shape, budget and seed, reading
    only (a) the mask's top regions, (b) MACS3-rule DNase peaks of the same total size, (c) the
    mask's regions moved to random places, (d) every base.
    """
    from regfind.evaluate.benchmark_retrain import SETS, retrain_benchmark
    from regfind.inputs.profiles import DEMO_MODEL
    from regfind.simulate.demo import ensure_demo_data

    folder = data if data is not None else ensure_demo_data()
    res = retrain_benchmark(folder, model or DEMO_MODEL, epochs=epochs, batch_size=batch_size,
                            lr=lr, seed=seed, top_fraction=top_fraction,
                            sets=tuple(only) or SETS, cache_dir=cache,
                            log=None if as_json else lambda s: click.echo(s, err=True))
    if as_json:
        click.echo(json.dumps(res, indent=2))
        return
    click.echo(f"{'set':<8}{'mse':>9}{'pearson':>9}{'bases read':>12}")
    for name, row in res["sets"].items():
        click.echo(f"{name:<8}{row['mse']:>9.4f}{row['pearson']:>9.3f}"
                   f"{row['selected_fraction']:>12.1%}")
    click.echo(f"MACS3 rules on DNase at fold change >= {res['macs3_cutoff']:.3g} "
               f"({res['sets'][next(iter(res['sets']))]['n']} held-out genes)")

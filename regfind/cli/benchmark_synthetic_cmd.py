"""``regfind benchmark synthetic``: score methods against a simulated genome's planted truth.

To register it under the ``benchmark`` group: ``benchmark.add_command(synthetic)`` with
``from regfind.cli.benchmark_synthetic_cmd import synthetic``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("synthetic")
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="Simulated folder [default: the demo data, regenerated and verified].")
@click.option("--model", "model", default=None,
              help="Model path or name [default: the demo model].")
@click.option("--split", default="test", show_default=True,
              type=click.Choice(["train", "valid", "test"]))
@click.option("--top-fraction", default=0.1, show_default=True,
              help="Fraction of each window's bases called as regions.")
@click.option("--attributions/--no-attributions", default=True, show_default=True,
              help="Also score saliency and input x gradient (one forward and backward pass "
                   "per gene).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def synthetic(data: Path | None, model: str | None, split: str, top_fraction: float,
              attributions: bool, as_json: bool) -> None:
    """Base-level AUPRC and region-level precision/recall/F1 per method, and expression."""
    from regfind.evaluate.benchmark_synthetic import run_synthetic
    from regfind.inputs.profiles import DEMO_MODEL
    from regfind.model.context import resolve_model
    from regfind.simulate.demo import ensure_demo_data

    folder = data if data is not None else ensure_demo_data()
    res = run_synthetic(folder, resolve_model(model or DEMO_MODEL), split=split,
                        top_fraction=top_fraction, attributions=attributions)
    if as_json:
        click.echo(json.dumps(res, indent=2))
        return
    click.echo(f"{'method':<18}{'auprc':>8}{'precision':>11}{'recall':>8}{'f1':>8}")
    for name, m in res["methods"].items():
        click.echo(f"{name:<18}{m['auprc']:>8.3f}{m['precision']:>11.3f}{m['recall']:>8.3f}"
                   f"{m['f1']:>8.3f}")
    e = res["expression"]
    click.echo(f"expression on {e['n']} {split} genes: pearson {e['pearson']:.3f}, "
               f"mse {e['mse']:.4f}")

"""``regfind simulate``: write a simulated genome with known causal elements."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Folder to write.")
@click.option("--genes", type=int, default=None, help="Number of genes [default: 1000].")
@click.option("--window", type=int, default=None, help="Window per gene in bp [default: 10000].")
@click.option("--seed", type=int, default=None, help="Random seed [default: 0].")
@click.option("--chroms", type=int, default=None, help="Number of chromosomes [default: 5].")
@click.option("--name", default=None, help="Profile and cell name [default: demo].")
def simulate(out: Path, genes: int | None, window: int | None, seed: int | None,
             chroms: int | None, name: str | None) -> None:
    """Simulate a regulatory genome (FASTA, GTF, bigWigs, truth BED, profile) into OUT."""
    from regfind.simulate import DEMO
    from regfind.simulate import simulate as run

    changes = {k: v for k, v in (("n_genes", genes), ("window", window), ("seed", seed),
                                 ("n_chroms", chroms)) if v is not None}
    if name is not None:
        changes.update(profile_name=name, cell=name)
    if changes.get("n_chroms", DEMO.n_chroms) != DEMO.n_chroms:
        n = changes["n_chroms"]
        changes.setdefault("valid_chroms", (f"chr{n - 1}",) if n > 2 else ())
        changes.setdefault("test_chroms", (f"chr{n}",) if n > 1 else ())
    result = run(DEMO.with_(**changes), out)
    cfg = result.config
    click.echo(f"wrote {len(result.genes)} genes on {cfg.n_chroms} chromosomes to {out}; use "
               f"--config {result.profiles} --cell {cfg.cell}")

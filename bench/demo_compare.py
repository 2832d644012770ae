"""The mask, two attribution methods and MACS3 on the demo genome: regions and faithfulness.

For the first N genes of the demo genome's test chromosome (chr5; ``config.json``'s
``test_chroms``), with the bundled demo model (or ``--model``):

a. ``regfind.call``: the mask's regions (default rule: top 10% of each window, -l 100 -g 50);
b. ``regfind.scores.attribution.attribute_inputs``: saliency and input x gradient, regions called
   with the same rule (input x gradient is the input times saliency's gradient, as in captum:
   it is derived from the saliency run and checked against ``attribute_inputs`` on the first
   gene, which halves the backward passes);
c. ``macs3 bdgpeakcall`` (the real binary, ``regfind.intervals.macs3.run_bdgpeakcall``) on the DNase
   bigWig restricted to the gene windows: fold change >= 2 (the synthetic benchmark's cutoff),
   -l 100 -g 50; peaks touching the blacklist are dropped, as ENCODE peak sets are;
d. ``regfind.evaluate.compare.compare`` of the four sets, truth = ``truth.bed`` (the planted causal
   enhancers) of those genes, windows = the on-chromosome gene windows;
e. deletion/insertion curves (``regfind.evaluate.faithfulness``) of mask, saliency, input x
   gradient, MACS3 (peak score = signalValue, outside peaks last) and a seeded random ranking, on
   the same genes, reusing the scores of a-c.

Prints plain tables and the time of each step. Run: ``.venv/bin/python bench/demo_compare.py
[--genes 40] [--json out.json] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

ATTRIBUTIONS = ("saliency", "input_x_gradient")
MACS3_CUTOFF, MIN_LENGTH, MAX_GAP = 2.0, 100, 50


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--genes", type=int, default=40, help="test-chromosome genes [40]")
    p.add_argument("--model", help="model path or name [the demo profile's: demo-soft]")
    p.add_argument("--out", type=Path, help="write the region sets, windows and truth as BED here")
    p.add_argument("--json", type=Path, help="also write every table as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--permutations", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--device", default="cpu")
    return p.parse_args()


class Clock:
    """Wall time of each step."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.steps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.steps[name] = round(now - self.last, 2)
        self.last = now
        print(f"[{name}: {self.steps[name]:.1f} s]", flush=True)


def test_genes(folder: Path, n: int) -> pd.DataFrame:
    """The first ``n`` genes (by position) of the test chromosomes."""
    test = json.loads((folder / "config.json").read_text())["test_chroms"]
    expr = pd.read_csv(folder / "expression.tsv", sep="\t")
    return expr[expr["chrom"].isin(test)].sort_values(["chrom", "tss"]).head(n)


def read_truth(folder: Path, gene_ids: list[str]) -> pd.DataFrame:
    from regfind.simulate import read_elements

    truth = read_elements(folder, ("causal",))
    return truth[truth["gene_id"].isin(gene_ids)].reset_index(drop=True)


def windows_of(masks: list[Any]) -> pd.DataFrame:
    rows = [(m.locus.chrom, m.locus.clipped_start, m.locus.clipped_end, m.locus.gene)
            for m in masks]
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "name"])


def input_x_gradient(sal: Any, inputs: Any, params: Any) -> SimpleNamespace:
    """Return input x gradient from saliency's signed gradient (one backward for both).

    captum's InputXGradient is exactly ``inputs * d pred / d inputs``; the default reduction
    ``abs_sum`` then gives ``|sum over letters|``.
    """
    from regfind.scores.attribution import call_scores, input_x_gradient_scores

    scores = input_x_gradient_scores(sal, inputs)
    return SimpleNamespace(scores=scores, regions=call_scores(scores, inputs.locus, params))


def attributions(net: Any, sources: Any, genes: list[str], seed: int, device: str
                 ) -> dict[str, dict[str, Any]]:
    """``{gene: {method: attribution}}`` with the default call rule.

    Saliency runs through ``attribute_inputs``; input x gradient is derived from its gradient
    and checked against ``attribute_inputs(..., "input_x_gradient")`` on the first gene.
    """
    from regfind.inputs.build import for_gene
    from regfind.intervals.regions import CallParams
    from regfind.scores.attribution import attribute_inputs

    params = CallParams.default(net.config.variant)
    out: dict[str, dict[str, Any]] = {}
    for gene in genes:
        inputs = for_gene(gene, sources=sources, window=net.config.seq_range)
        sal = attribute_inputs(net, inputs, "saliency", params=params, seed=seed, device=device)
        out[gene] = {"saliency": sal, "input_x_gradient": input_x_gradient(sal, inputs, params)}
        if gene == genes[0]:
            check = attribute_inputs(net, inputs, "input_x_gradient", params=params, seed=seed,
                                     device=device)
            np.testing.assert_allclose(out[gene]["input_x_gradient"].scores, check.scores,
                                       rtol=1e-6, atol=0)
            pd.testing.assert_frame_equal(out[gene]["input_x_gradient"].regions, check.regions)
    return out


def off_blacklist(peaks: pd.DataFrame, blacklist: pd.DataFrame) -> pd.DataFrame:
    """Drop peaks that touch a blacklisted interval."""
    keep = np.ones(len(peaks), dtype=bool)
    for i, (chrom, start, end) in enumerate(peaks[["chrom", "start", "end"]].itertuples(
            index=False)):
        b = blacklist[blacklist["chrom"] == chrom]
        keep[i] = not ((b["start"] < end) & (b["end"] > start)).any()
    return peaks[keep].reset_index(drop=True)


def macs3_peaks(folder: Path, windows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    from regfind.intervals.macs3 import read_peaks, run_bdgpeakcall

    peaks, command = run_bdgpeakcall(folder / "dnase.bw", MACS3_CUTOFF, MIN_LENGTH, MAX_GAP,
                                     windows=windows)
    return off_blacklist(peaks, read_peaks(folder / "blacklist.bed")), command


def curves(net: Any, sources: Any, masks: list[Any], attrs: dict[str, dict[str, Any]],
           peaks: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """Deletion/insertion curves of every method on every gene (scores reused)."""
    from regfind.evaluate.faithfulness import faithfulness
    from regfind.evaluate.faithfulness_genes import FRACTIONS, peak_scores
    from regfind.inputs.build import for_gene

    tables = []
    for gm in masks:
        gene = gm.locus.gene
        inputs = for_gene(gene, sources=sources, window=net.config.seq_range)
        if inputs.locus != gm.locus:
            raise RuntimeError(f"{gene}: the mask and the inputs disagree on the window")
        scores = {"mask": gm.mean.astype(float), "macs3": peak_scores(peaks, gm.locus),
                  "random": np.random.default_rng(args.seed + 1).random(gm.mask.size)}
        scores |= {m: a.scores.astype(float) for m, a in attrs[gene].items()}
        table = faithfulness(net, inputs, scores, FRACTIONS, batch_size=args.batch_size,
                             device=args.device, seed=args.seed)
        tables.append(table.assign(gene=gene))
    table = pd.concat(tables, ignore_index=True)
    return table[["gene", *[c for c in table.columns if c != "gene"]]]


def write_sets(out: Path, sets: dict[str, pd.DataFrame], windows: pd.DataFrame,
               truth: pd.DataFrame) -> None:
    from regfind._files import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    for name, df in {**sets, "windows": windows, "truth": truth}.items():
        with atomic_write(out / f"{name}.bed") as tmp:
            df.sort_values(["chrom", "start"])[["chrom", "start", "end"]].to_csv(
                tmp, sep="\t", header=False, index=False)


def region_sets(net: Any, sources: Any, names: list[str], folder: Path, clock: Clock,
                args: argparse.Namespace) -> dict[str, Any]:
    """Steps a-c: the four region sets, the masks, attributions and windows."""
    from regfind.calling.api import call

    res = call(names, sources=sources, model=net, device=args.device, keep_masks=True)
    clock.lap("a. regfind.call (mask)")
    attrs = attributions(net, sources, names, args.seed, args.device)
    clock.lap("b. attributions (saliency, input_x_gradient)")
    windows = windows_of(res.masks)
    peaks, command = macs3_peaks(folder, windows)
    clock.lap("c. macs3 bdgpeakcall on DNase")
    sets = {"mask": res.regions}
    sets |= {m: pd.concat([attrs[g][m].regions for g in names], ignore_index=True)
             for m in ATTRIBUTIONS}
    sets["macs3"] = peaks
    return {"sets": sets, "masks": res.masks, "attrs": attrs, "windows": windows,
            "macs3_command": " ".join(Path(command[0]).name if i == 0 else a
                                      for i, a in enumerate(command))}


def report(genes: pd.DataFrame, run: dict[str, Any], truth: pd.DataFrame, cmp: Any,
           faith: Any) -> None:
    print(f"\ngenes: {len(genes)} on {', '.join(genes['chrom'].unique())} "
          f"({genes['gene_name'].iloc[0]} .. {genes['gene_name'].iloc[-1]}); "
          f"truth: {len(truth)} causal enhancers; windows: "
          f"{int((run['windows']['end'] - run['windows']['start']).sum()):,} bp")
    print(f"macs3: {run['macs3_command']}\n")
    print(cmp.format_tables())
    print(cmp.format_upset())
    print(faith.format_summary())


def main() -> None:
    args = parse_args()
    from regfind.evaluate.compare import compare
    from regfind.evaluate.faithfulness_genes import FaithfulnessResult
    from regfind.inputs.profiles import demo_profile
    from regfind.model.checkpoint import load_model
    from regfind.model.context import resolve_model
    from regfind.simulate.demo import ensure_demo_data

    clock = Clock()
    folder = ensure_demo_data()
    prof = demo_profile()
    sources = prof.sources("demo")
    net = load_model(resolve_model(args.model or prof.cell("demo").model), device="cpu")
    genes = test_genes(folder, args.genes)
    names = list(genes["gene_name"])
    truth = read_truth(folder, list(genes["gene_id"]))
    clock.lap("setup (demo data, model)")
    run = region_sets(net, sources, names, folder, clock, args)
    cmp = compare(run["sets"], truth=truth, windows=run["windows"],
                  permutations=args.permutations, seed=args.seed)
    clock.lap("d. regfind.evaluate.compare")
    table = curves(net, sources, run["masks"], run["attrs"], run["sets"]["macs3"], args)
    faith = FaithfulnessResult.from_curves(table, params={"seed": args.seed})
    clock.lap("e. faithfulness curves")
    if args.out is not None:
        write_sets(args.out, run["sets"], run["windows"], truth)
    report(genes, run, truth, cmp, faith)
    total = time.perf_counter() - clock.start
    print(f"total wall time: {total:.1f} s")
    if args.json:
        from regfind._files import atomic_write

        data = {"genes": names, "compare": cmp.to_dict(), "faithfulness": faith.to_dict(),
                "timings_s": clock.steps | {"total": round(total, 1)}}
        with atomic_write(args.json) as tmp:
            tmp.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()

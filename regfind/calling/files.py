"""A whole ``regfind call`` run from Python: genes in, files out, in one process, a shard or Dask.

:func:`call_to_files` is what the ``regfind call`` command runs and :func:`merge_to_files` what
``regfind merge`` runs; the CLI only parses options and prints. Messages for the user (resumed
genes, an interruption, what a shard stored) go to ``notify`` (default: none). Outputs are
written atomically: the narrowPeak BED, its ``.tsv`` and ``.json`` sidecar and, when asked, a
track (docs/call.md).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regfind.errors import ConfigError, DataError


def _gene_list(genes: list[str], genes_file: Path | None, all_genes: bool,
               sources: Any, has_loci: bool) -> list[str]:
    out = list(genes)
    if genes_file is not None:
        from regfind.io.text import read_gene_list

        out += read_gene_list(genes_file)
    if all_genes:
        if sources.annotation is None:
            raise ConfigError("--all-genes needs an annotation in the profile")
        out += [g.label for g in sources.annotation.genes]
    if not out and not has_loci:
        raise ConfigError("nothing to call: give genes, a gene-list file, loci or all_genes")
    return list(dict.fromkeys(out))


Notify = Callable[[str], None]


def _quiet(message: str) -> None:
    """Say nothing (the default ``notify``)."""


def call_to_files(output: Path, cell: str, *, genes: list[str] | None = None,
                  genes_file: Path | None = None, loci_bed: Path | None = None,
                  all_genes: bool = False, profile: str | None = None,
                  config: Path | None = None, model_path: str | None = None,
                  rules: Any = None, keep_masks: bool = False, track: Path | None = None,
                  trackline: bool = False, predict: bool = False, batch_size: int = 1,
                  device: str | None = None, resume: bool = False, precision: str = "fp32",
                  shard: str | None = None, engine: str | None = None,
                  scheduler: str | None = None, workers: int | None = None,
                  progress: bool = True, notify: Notify = _quiet) -> Any:
    """Call genes and write the narrowPeak BED, ``.tsv``, ``.json`` (and a track).

    Parameters
    ----------
    output : Path
        The BED; ``<output>.tsv`` and ``<output>.json`` are written beside it, and finished
        genes are kept in ``<output>.parts/`` until the run ends (the basis of ``resume``).
    cell : str
        Cell type (``'demo'``: the built-in demo).
    genes, genes_file, loci_bed, all_genes
        What to call: symbols or identifiers, a gene-list file, a BED of loci, or every gene
        of the annotation.
    profile, config, model_path
        As for :func:`regfind.model.context.open_run`.
    rules : CallRules, optional
        Interval rules (default: the model variant's).
    keep_masks : bool, default False
        Keep the masks in the returned result (a track always keeps them).
    track : Path, optional
        Also write the masks as bigWig or bedGraph.
    trackline, predict, batch_size, device, precision
        As for ``regfind call``.
    resume : bool, default False
        Reuse the genes a previous run of the same command finished (refused when that run
        used other rules, another model or cell type).
    shard : str, optional
        ``"I/N"``: call only shard I of N into ``<output>.shard-I-of-N/`` (then
        :func:`merge_to_files`); returns None.
    engine, scheduler, workers
        ``engine='dask'`` spreads the genes over Dask workers (a local cluster unless a
        scheduler address is given).
    progress : bool, default True
        Show a progress bar on a terminal.
    notify : callable, optional
        Receives one-line messages for the user.

    Returns
    -------
    CallResult or None
        The result written (None for a shard).

    Raises
    ------
    ConfigError
        Nothing to call, or ``shard`` with ``engine``.
    DataError
        No gene could be called (nothing is written).
    """
    from tqdm import tqdm

    from regfind.calling.api import call, loci_from_bed
    from regfind.calling.shards import check_resumable, write_manifest
    from regfind.intervals.regions import CallRules
    from regfind.model.context import open_run

    rules = rules or CallRules()
    genes = list(genes or [])
    if shard is not None and engine is not None:
        raise ConfigError("--shard and --engine do not combine: shards are for schedulers "
                          "that start one process per shard")
    if engine is not None:
        from regfind.calling.scale import import_distributed

        import_distributed()
    ctx = open_run(cell, profile=profile, config=config, model=model_path)
    sources, model = ctx.sources, ctx.model
    names = _gene_list(genes, genes_file, all_genes, sources, loci_bed is not None)
    loci = loci_from_bed(loci_bed, sources, model.config.seq_range) if loci_bed else []
    run = _Run(cell, sources, model, names, loci, rules, batch_size, device, predict, precision)
    if shard is not None:
        bar = _progress_bar(tqdm, len(names + loci), progress=progress)
        return _run_shard(run, shard, output, resume, bar, notify)
    workdir = output.with_name(output.name + ".parts")
    if workdir.exists() and not resume:
        shutil.rmtree(workdir)
    plan = run.plan()
    check_resumable(workdir, plan)
    write_manifest(workdir, plan)
    keep = track is not None or keep_masks
    if engine is not None:
        spec = {k: v for k, v in ctx.worker_spec().items() if k != "cell"}
        result = _run_engine(run, plan, spec, workdir, keep, scheduler, workers)
    else:
        done = _resumed(workdir, names, loci, sources, notify) if resume else 0
        bar = _progress_bar(tqdm, len(names) + len(loci), initial=done, progress=progress)
        try:
            result = call(names, cell, loci=loci, sources=sources, model=model, rules=rules,
                          batch_size=batch_size, device=device, predict=predict,
                          precision=precision, keep_masks=keep, workdir=workdir, progress=bar)
        except KeyboardInterrupt:
            saved = len(list(workdir.glob("*.npz"))) if workdir.is_dir() else 0
            notify(f"interrupted: {saved} finished gene(s) are kept in {workdir}; run the same "
                   "command with --resume to continue from them")
            raise
    _check_not_empty(result, len(names) + len(loci), workdir)
    _write_outputs(result, output, track, trackline, sources.genome.chrom_sizes)
    shutil.rmtree(workdir, ignore_errors=True)
    return result


@dataclass
class _Run:
    """What every mode of ``regfind call`` shares."""

    cell: str
    sources: Any
    model: Any
    names: list[str]
    loci: list[Any]
    rules: Any  # regfind.intervals.regions.CallRules
    batch_size: int
    device: str | None
    predict: bool
    precision: str = "fp32"

    def labels(self) -> list[str]:
        from regfind.calling.api import gene_label

        return [gene_label(self.sources, g) for g in self.names] + [loc.gene for loc in self.loci]

    def plan(self, shard: tuple[int, int] = (0, 1)) -> dict[str, Any]:
        from regfind.calling.shards import make_plan

        params = self.rules.resolve(self.model.config.variant)
        names = self.names + [loc.gene for loc in self.loci]
        return make_plan(self.model, self.sources, self.cell, params, names, self.labels(),
                         self.predict, shard)


def _run_shard(run: _Run, shard: str, output: Path, resume: bool, bar: Any,
               notify: Notify) -> None:
    from regfind.calling.api import call
    from regfind.calling.shards import (
        check_resumable,
        parse_shard,
        shard_dir,
        shard_positions,
        write_manifest,
    )

    index, count = parse_shard(shard)
    plan = run.plan((index, count))
    mine = shard_positions(plan["labels"], index, count)
    directory = shard_dir(output, index, count)
    if directory.exists() and not resume:
        shutil.rmtree(directory)
    check_resumable(directory, plan)
    write_manifest(directory, plan)
    genes = [run.names[k] for k in mine if k < len(run.names)]
    loci = [run.loci[k - len(run.names)] for k in mine if k >= len(run.names)]
    skipped: list[tuple[str, str]] = []
    if genes or loci:
        result = call(genes, run.cell, loci=loci, sources=run.sources, model=run.model,
                      rules=run.rules, batch_size=run.batch_size, device=run.device,
                      predict=run.predict, precision=run.precision, keep_masks=False,
                      workdir=directory, progress=bar)
        skipped = result.skipped
    write_manifest(directory, plan, skipped=skipped, complete=True)
    notify(f"shard {index}/{count}: {len(mine)} genes ({len(skipped)} skipped) stored in "
           f"{directory}; when every shard is done: regfind merge -o {output}")


def _run_engine(run: _Run, plan: dict[str, Any], spec: dict[str, Any], workdir: Path,
                keep: bool, scheduler: str | None, workers: int | None) -> Any:
    from regfind.calling.scale import WorkerSpec, run_chunks
    from regfind.calling.shards import merge, write_manifest

    worker = WorkerSpec(cell=run.cell, workdir=str(workdir.resolve()), **spec, rules=run.rules,
                        batch_size=run.batch_size, device=run.device, predict=run.predict,
                        precision=run.precision)
    skipped = run_chunks([*run.names, *run.loci], worker, labels=plan["labels"],
                         address=scheduler, n_workers=workers)
    write_manifest(workdir, plan, skipped=skipped, complete=True)
    return merge([workdir], keep_masks=keep)[0]


def merge_to_files(dirs: list[Path], output: Path, *, track: Path | None = None,
                   trackline: bool = False) -> Any:
    """Join shard directories into the files one ``call_to_files`` over all genes writes.

    Parameters
    ----------
    dirs : list of Path
        Shard directories; empty: every ``<output>.shard-I-of-N`` beside ``output``.
    output, track, trackline
        As for :func:`call_to_files`.

    Returns
    -------
    CallResult

    Raises
    ------
    ConfigError
        No shard directory given or found.
    """
    from regfind.calling.shards import merge

    if not dirs:
        dirs = sorted(output.parent.glob(f"{output.name}.shard-*-of-*"))
        if not dirs:
            raise ConfigError(f"no shard directories given and none found next to {output} "
                              f"({output.name}.shard-I-of-N)")
    result, chrom_sizes = merge(dirs, keep_masks=track is not None)
    _write_outputs(result, output, track, trackline, chrom_sizes)
    return result


def _write_outputs(result: Any, output: Path, track: Path | None, trackline: bool,
                   chrom_sizes: dict[str, int]) -> None:
    from regfind.calling.api import write_sidecar

    outputs = {"bed": str(output), "tsv": str(output) + ".tsv"}
    result.to_bed(output, trackline=trackline)
    result.to_tsv(outputs["tsv"])
    if track is not None:
        result.to_track(track, chrom_sizes)
        outputs["track"] = str(track)
    write_sidecar(result, str(output) + ".json", outputs)


def _progress_bar(tqdm: Any, total: int, initial: int = 0, progress: bool = True) -> Any:
    def wrap(items: Any) -> Any:
        return tqdm(items, total=total, initial=initial, unit="gene", desc="regfind call",
                    leave=False, disable=None if progress else True)
    return wrap


def _resumed(workdir: Path, names: list[str], loci: list[Any], sources: Any,
             notify: Notify) -> int:
    """Count the requested genes a resumed run reuses, and say so."""
    from regfind.calling.api import GeneStore, gene_label
    from regfind.errors import RegfindError

    if not workdir.is_dir():
        return 0
    store = GeneStore(workdir)
    labels = [loc.gene for loc in loci]
    for g in names:
        try:
            labels.append(gene_label(sources, g))
        except RegfindError:  # an unknown gene is skipped (and reported) by the call itself
            labels.append(g)
    done = sum(store.has(lab) for lab in labels)
    notify(f"resuming: {done} of {len(labels)} gene(s) already finished in {workdir} are "
           "reused")
    return done


def cutoff_table(result: Any) -> Any:
    """Regions, bases and mean length per cutoff over the masks of a call (its rules' lengths).

    Parameters
    ----------
    result : CallResult
        With its masks kept.

    Returns
    -------
    pandas.DataFrame
        :data:`regfind.intervals.caller.CUTOFF_ANALYSIS_COLUMNS`, highest cutoff first.
    """
    import numpy as np

    from regfind.intervals.caller import cutoff_analysis

    p = result.params
    gap = np.full(p.max_gap + 1, np.nan, dtype=np.float32)  # windows never merge across genes
    track = np.concatenate([x for m in result.masks for x in (m.mask, gap)])
    return cutoff_analysis(track, p.min_length, p.max_gap)


def _check_not_empty(result: Any, requested: int, workdir: Path) -> None:
    """Refuse to write outputs when every requested gene was skipped (nothing was called)."""
    if requested and len(result.skipped) >= requested:
        shutil.rmtree(workdir, ignore_errors=True)
        gene, reason = result.skipped[0]
        more = f" (and {requested - 1} more skipped)" if requested > 1 else ""
        raise DataError(f"no gene could be called; nothing written. {gene}: {reason}{more}")

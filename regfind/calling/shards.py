"""Split a many-gene run into shards and merge per-gene results into one output.

A run's genes are split deterministically: the unique result names (annotation labels, or
locus names) are sorted and the k-th of them belongs to shard ``k % n``, so every shard of the
same command computes the same split without talking to the others. Each shard stores its
genes in a work directory in :class:`regfind.calling.api.GeneStore`'s format (one ``<gene>.npz`` per
finished gene, written atomically) plus a ``manifest.json`` describing the whole run (every
gene in order, rules, model, inputs). :func:`merge` reads any number of such directories
(shards, or the ``.parts`` folder of a distributed run) and rebuilds the result of a
single-process run: same rows, same order, so the same BED and TSV bytes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from regfind.calling.api import CallResult, GeneStore, run_provenance, sorted_regions
from regfind.errors import ConfigError, DataError
from regfind.intervals.regions import CallParams
from regfind.io.bed import atomic_write

MANIFEST = "manifest.json"
FORMAT = "regfind-parts/1"
# Keys of the manifest that must agree between the directories merged together.
_SAME = ("labels", "params", "cell", "predict", "model_sha256")


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"I/N"`` (0-based shard I of N, e.g. ``SLURM_ARRAY_TASK_ID/N``).

    Raises
    ------
    ConfigError
        If the text is not two integers with ``0 <= I < N``.
    """
    try:
        index, count = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise ConfigError(f"--shard expects I/N (e.g. 0/10), got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise ConfigError(f"--shard {text}: need 0 <= I < N (shards are numbered from 0)")
    return index, count


def shard_positions(labels: Sequence[str], index: int, count: int) -> list[int]:
    """Return the positions in ``labels`` that belong to shard ``index`` of ``count``.

    Equal labels always land in the same shard; the split does not depend on input order.
    """
    rank = {lab: k for k, lab in enumerate(sorted(set(labels)))}
    return [pos for pos, lab in enumerate(labels) if rank[lab] % count == index]


def shard_dir(output: str | os.PathLike[str], index: int, count: int) -> Path:
    """Return the work directory of one shard: ``<output>.shard-<I>-of-<N>``."""
    out = Path(output)
    return out.with_name(f"{out.name}.shard-{index}-of-{count}")


def make_plan(net: Any, sources: Any, cell: str, params: CallParams, names: list[str],
              labels: list[str], predict: bool, shard: tuple[int, int] = (0, 1)
              ) -> dict[str, Any]:
    """Describe a run (or one shard of it) for its manifest.

    Parameters
    ----------
    net : Seq2Exp
        The model (its source and configuration are recorded).
    sources : Sources
        Opened inputs (file paths and chromosome sizes are recorded).
    cell : str
    params : CallParams
    names, labels : list of str
        Every gene and locus of the whole run in input order: as asked for, and the names
        their results are stored under (:func:`regfind.calling.api.gene_label`).
    predict : bool
    shard : (int, int)
        This directory's shard, ``(0, 1)`` for a whole run.
    """
    prov = run_provenance(net, sources, cell, params, labels, [], time.time(), predict)
    return {"format": FORMAT, "shard": list(shard), "names": names, "labels": labels,
            "params": dict(params.__dict__), "cell": cell, "predict": predict,
            "model_sha256": getattr(net, "source", {}).get("sha256"),
            "chrom_sizes": [[c, int(n)] for c, n in sources.genome.chrom_sizes.items()],
            "provenance": prov, "skipped": [], "complete": False}


def write_manifest(directory: str | os.PathLike[str], plan: dict[str, Any], *,
                   skipped: Sequence[tuple[str, str]] | None = None,
                   complete: bool = False) -> Path:
    """Write ``plan`` (with the skipped genes and completion flag) as the manifest, atomically."""
    path = Path(directory) / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dict(plan, skipped=[list(s) for s in skipped or []], complete=complete)
    if complete:
        data["provenance"] = dict(plan["provenance"],
                                  seconds=round(time.time() - _started(plan), 3))
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")
    return path


def _started(plan: dict[str, Any]) -> float:
    text = plan["provenance"].get("started", "")
    try:
        return time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%S%z"))
    except ValueError:
        return time.time()


#: What a resumed run must share with the run that wrote its directory (genes may be added).
_RESUME_SAME = ("params", "cell", "predict", "model_sha256")


def check_resumable(directory: str | os.PathLike[str], plan: dict[str, Any]) -> None:
    """Refuse to resume from a directory written by a different run.

    Parameters
    ----------
    directory : path-like
        A parts or shard directory; without a manifest there is nothing to check.
    plan : dict
        The new run's plan (:func:`make_plan`).

    Raises
    ------
    ConfigError
        The stored run used other rules, another cell type, another model or another
        ``predict`` setting; the message names what differs and the fix.
    """
    path = Path(directory) / MANIFEST
    if not path.is_file():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return  # unreadable: the run rewrites it
    for key in _RESUME_SAME:
        if old.get(key) != plan.get(key):
            raise ConfigError(
                f"cannot resume from {directory}: it was written with another {key} "
                f"({old.get(key)!r}, now {plan.get(key)!r}); rerun without --resume to start "
                "afresh, or with the earlier options")


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a work directory's manifest.

    Raises
    ------
    DataError
        If the directory has no readable regfind manifest.
    """
    path = Path(directory) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{directory} is not a regfind shard or parts directory (no readable "
                        f"{MANIFEST}: {exc})") from None
    if data.get("format") != FORMAT:
        raise DataError(f"{path}: unknown format {data.get('format')!r} (expected {FORMAT})")
    return data


def merge(dirs: Sequence[str | os.PathLike[str]], *, keep_masks: bool = False
          ) -> tuple[CallResult, dict[str, int]]:
    """Merge shard (or parts) directories into the result of a single-process run.

    Parameters
    ----------
    dirs : sequence of path-like
        Directories written by ``regfind call --shard``, a distributed run or a ``.parts`` run.
    keep_masks : bool, default False
        Also load every gene's mask (needed for a track; 12 bytes per base per gene).

    Returns
    -------
    (CallResult, dict)
        The merged result and the genome's chromosome sizes.

    Raises
    ------
    ConfigError
        If the directories come from different runs, or no directory is given.
    DataError
        If a gene of the run is neither stored nor reported as skipped in any directory.
    """
    if not dirs:
        raise ConfigError("merge needs at least one shard directory")
    manifests = [read_manifest(d) for d in dirs]
    first = manifests[0]
    _check_same(dirs, manifests)
    stores = [GeneStore(Path(d)) for d in dirs]
    skipped = _skipped(manifests)
    label_of = dict(zip(first["names"], first["labels"], strict=True))
    gone = {label_of.get(g, g) for g, _ in skipped}
    owner = _owners(first["labels"], stores, gone, manifests, dirs)
    tables = [owner[lab].load_table(lab) for lab in first["labels"] if lab in owner]
    masks = ([owner[lab].load_mask(lab) for lab in first["labels"] if lab in owner]
             if keep_masks else [])
    params = CallParams(**first["params"])
    prov = dict(first["provenance"], genes=first["labels"],
                windows=[owner[lab].load_window(lab) for lab in first["labels"] if lab in owner],
                skipped=[{"gene": g, "reason": r} for g, r in skipped],
                seconds=round(sum(m["provenance"].get("seconds", 0) for m in manifests), 3),
                shards=len(manifests))
    result = CallResult(sorted_regions(tables), masks, skipped, params, prov)
    return result, {c: int(n) for c, n in first["chrom_sizes"]}


def _check_same(dirs: Sequence[Any], manifests: list[dict[str, Any]]) -> None:
    for d, m in zip(dirs[1:], manifests[1:], strict=True):
        for key in _SAME:
            if m.get(key) != manifests[0].get(key):
                raise ConfigError(f"{d} and {dirs[0]} come from different runs ({key} differs); "
                                  "merge only the shards of one command")


def _skipped(manifests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for m in manifests:
        for gene, reason in m.get("skipped", []):
            out.setdefault(gene, reason)
    order = {lab: k for k, lab in reversed(list(enumerate(manifests[0]["names"])))}
    return sorted(out.items(), key=lambda it: order.get(it[0], len(order)))


def _owners(labels: list[str], stores: list[GeneStore], skipped: set[str],
            manifests: list[dict[str, Any]], dirs: Sequence[Any]) -> dict[str, GeneStore]:
    owner: dict[str, GeneStore] = {}
    missing = []
    for lab in dict.fromkeys(labels):
        store = next((s for s in stores if s.has(lab)), None)
        if store is not None:
            owner[lab] = store
        elif lab not in skipped:
            missing.append(lab)
    if missing:
        shards = {tuple(m["shard"]) for m in manifests}
        n = manifests[0]["shard"][1]
        absent = sorted(set(range(n)) - {i for i, _ in shards})
        hint = (f"shards {', '.join(f'{i}/{n}' for i in absent)} are not among the directories"
                if absent else "rerun the unfinished shards with --resume")
        raise DataError(f"{len(missing)} genes have no result in {', '.join(map(str, dirs))} "
                        f"(e.g. {', '.join(missing[:3])}): {hint}")
    return owner

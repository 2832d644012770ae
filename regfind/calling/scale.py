"""Run a many-gene call on a Dask cluster: one model per worker, results per gene, one merge.

The driver splits the genes still to do into chunks and maps a task over them. Each worker
process loads the model and opens the input files once (:func:`_worker_state` is cached per
process) and stores every finished gene in the shared work directory in
:class:`regfind.calling.api.GeneStore`'s format, atomically. When all chunks are done the driver
merges the directory (:func:`regfind.calling.shards.merge`) into the result a single-process
run gives.

Failures: a worker that dies has its running chunk rescheduled on another worker by the Dask
scheduler (up to ``distributed.scheduler.allowed-failures`` times); genes it had stored are
not recomputed. A chunk that raises is retried twice. When a run stops (crash, Ctrl-C, a
chunk failing for good) the stored genes stay, and a rerun with the same work directory
computes only the rest. Dask is an optional dependency: ``pip install 'regfind[scale]'``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from regfind.coords import Locus
from regfind.errors import DependencyError, RegfindError
from regfind.intervals.regions import CallRules

Item = str | Locus
_RETRIES = 2


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to run chunks (plain values, sent to every task).

    Attributes
    ----------
    cell, profile, config : str or None
        The data profile (opened once per worker process).
    model : str
        Checkpoint path, readable from every worker.
    workdir : str
        Shared directory the per-gene results go to.
    rules : CallRules
        The interval rules of the run (:class:`regfind.intervals.regions.CallRules`), built
        once where the run started; sent to the workers as a plain dict.
    batch_size : int
    device : str or None
        ``cuda`` picks ``cuda:<worker number % GPUs>`` on a multi-GPU machine.
    predict : bool
    precision : {'fp32', 'bf16-official'}
    """

    cell: str
    profile: str | None
    config: str | None
    model: str
    workdir: str
    rules: CallRules = field(default_factory=CallRules)
    batch_size: int = 1
    device: str | None = None
    predict: bool = False
    precision: str = "fp32"


def import_distributed() -> Any:
    """Return the ``distributed`` module, or raise a clear error naming the extra to install."""
    try:
        import distributed
    except ImportError:
        raise DependencyError("--engine dask needs Dask distributed: pip install "
                              "'regfind[scale]' (or pip install 'dask[distributed]')") from None
    return distributed


def local_cluster(n_workers: int | None = None, *, threads_per_worker: int = 1) -> Any:
    """Start a Dask cluster of worker processes listening on 127.0.0.1 only, no dashboard.

    Parameters
    ----------
    n_workers : int, optional
        Default: the number of CUDA devices if any, else the number of CPU cores.
    threads_per_worker : int, default 1
        One thread per worker: each worker holds one model.
    """
    distributed = import_distributed()
    if n_workers is None:
        n_workers = _gpu_count() or os.cpu_count() or 1
    # The scheduler always serves HTTP (metrics) even without a dashboard; a free loopback port
    # keeps two local clusters (or another Dask user on 8787) from colliding.
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                                    processes=True, host="127.0.0.1",
                                    dashboard_address="127.0.0.1:0")


def _gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def run_chunks(items: Sequence[Item], spec: WorkerSpec, *,
               labels: Sequence[str] | None = None, client: Any = None,
               address: str | None = None, n_workers: int | None = None,
               chunk_size: int | None = None, timeout: float | None = None,
               on_gene: Callable[[str], None] | None = None) -> list[tuple[str, str]]:
    """Compute every item not yet stored in ``spec.workdir`` on a Dask cluster.

    Parameters
    ----------
    items : sequence of str or Locus
        Genes (as asked for) and loci; those already stored are not sent.
    spec : WorkerSpec
    labels : sequence of str, optional
        The names results are stored under, one per item (default: the gene name as given,
        the locus name); see :func:`regfind.calling.api.gene_label`.
    client : distributed.Client, optional
        Use this client; else connect to ``address``, else start :func:`local_cluster`.
    address : str, optional
        Scheduler address, e.g. ``tcp://10.0.0.1:8786``.
    n_workers : int, optional
        Workers of the local cluster.
    chunk_size : int, optional
        Genes per task (default: 4 batches, at least 8 genes).
    timeout : float, optional
        Seconds to wait for the whole run.
    on_gene : callable, optional
        Called on the worker with each gene's name when its mask is computed, before it is
        stored (progress reports; tests use it to kill a worker).

    Returns
    -------
    list of (str, str)
        Genes that could not be called, with the reason.
    """
    distributed = import_distributed()
    from regfind.calling.api import GeneStore

    store = GeneStore(Path(spec.workdir))
    if labels is None:
        labels = [it.gene if isinstance(it, Locus) else it for it in items]
    todo = [it for it, lab in zip(items, labels, strict=True) if not store.has(lab)]
    if not todo:
        return []
    size = chunk_size or max(8, 4 * spec.batch_size)
    chunks = [list(todo[i:i + size]) for i in range(0, len(todo), size)]
    if client is not None:
        return _run_on(client, chunks, spec, timeout, on_gene)
    with _client(distributed, address, n_workers) as own:
        return _run_on(own, chunks, spec, timeout, on_gene)


@contextmanager
def _client(distributed: Any, address: str | None, n_workers: int | None) -> Iterator[Any]:
    """Connect to a scheduler or start a local cluster; close what was started."""
    cluster = None if address else local_cluster(n_workers)
    try:
        client = distributed.Client(address or cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _run_on(client: Any, chunks: list[list[Item]], spec: WorkerSpec, timeout: float | None,
            on_gene: Callable[[str], None] | None) -> list[tuple[str, str]]:
    distributed = import_distributed()
    futures = client.map(_run_chunk, chunks, spec=asdict(spec), on_gene=on_gene, pure=False,
                         retries=_RETRIES, key=[f"regfind-chunk-{i}-{os.urandom(4).hex()}"
                                                for i in range(len(chunks))])
    try:
        with client.as_current():
            distributed.wait(futures, timeout=timeout)
        results = client.gather(futures)
    except distributed.KilledWorker as exc:
        raise RegfindError(f"workers kept dying on one chunk of genes ({exc}); genes finished "
                           f"so far are kept in {spec.workdir}: rerun to resume") from None
    except TimeoutError:
        raise RegfindError(f"the distributed run did not finish within {timeout:g} s; genes "
                           f"finished so far are kept in {spec.workdir}: rerun to resume"
                           ) from None
    finally:
        client.cancel(futures)
    return [tuple(s) for chunk in results for s in chunk]


def _run_chunk(items: list[Item], spec: dict[str, Any],
               on_gene: Callable[[str], None] | None = None) -> list[tuple[str, str]]:
    """Call one chunk on a worker; return its skipped genes."""
    from regfind.calling.api import call

    s = WorkerSpec(**{**spec, "rules": CallRules(**spec["rules"])})
    sources, net = _worker_state(s.cell, s.profile, s.config, s.model)
    genes = [it for it in items if isinstance(it, str)]
    loci = [it for it in items if isinstance(it, Locus)]
    result = call(genes, s.cell, loci=loci, sources=sources, model=net, rules=s.rules,
                  batch_size=s.batch_size, device=_worker_device(s.device),
                  predict=s.predict, precision=s.precision, keep_masks=False, workdir=s.workdir,
                  progress=None if on_gene is None else functools.partial(_report, on_gene))
    return [(g, r) for g, r in result.skipped]


def _report(on_gene: Callable[[str], None], masks: Any) -> Any:
    for gm in masks:
        on_gene(gm.locus.gene)
        yield gm


@functools.lru_cache(maxsize=2)
def _worker_state(cell: str, profile: str | None, config: str | None, model: str
                  ) -> tuple[Any, Any]:
    """Open the inputs and load the model once per worker process."""
    from regfind.model.context import open_run

    ctx = open_run(cell, profile=profile, config=config, model=model)
    return ctx.sources, ctx.model


def _worker_device(device: str | None) -> str | None:
    """Spread the workers of one machine over its GPUs when ``device`` is plain ``cuda``."""
    if device != "cuda" or _gpu_count() < 2:
        return device
    distributed = import_distributed()
    try:
        name = distributed.get_worker().name
    except ValueError:
        return device
    index = name if isinstance(name, int) else sum(map(ord, str(name)))
    return f"cuda:{index % _gpu_count()}"

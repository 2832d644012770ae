"""``regfind.call``: from genes and a cell type to the regions the model relies on.

The pipeline per gene: inputs (:mod:`regfind.inputs.build`) → generator mask
(:mod:`regfind.model.inference`) → regions with statistics (:mod:`regfind.intervals.regions`).
Many genes stream in batches; a gene that fails is reported with its reason and the others
complete. With a work directory, every finished gene is stored there at once, so a killed run
resumes without recomputing it.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regfind._env import package_versions
from regfind.coords import Locus
from regfind.errors import ConfigError, DataError, RegfindError, RegfindWarning
from regfind.inputs.build import InputStream, ModelInputs, Sources, for_locus
from regfind.intervals.caller import NARROWPEAK_COLUMNS
from regfind.intervals.regions import (
    STAT_COLUMNS,
    CallParams,
    CallRules,
    call_gene,
    gene_cutoff,
)
from regfind.io.bed import atomic_write, write_narrowpeak
from regfind.model.context import open_run, resolve_model
from regfind.model.inference import GeneMask, run_masks

#: Libraries whose versions every run records (they decide the numbers).
_VERSIONED = ("torch", "numpy", "pandas", "numba", "pyBigWig", "pyfaidx")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class CallResult:
    """Regions of one or many genes, with the masks they came from.

    Attributes
    ----------
    regions : pandas.DataFrame
        narrowPeak columns (``chrom, start, end, name, score, strand, signalValue, pValue,
        qValue, peak``) then :data:`regfind.intervals.regions.STAT_COLUMNS`; genome coordinates,
        0-based half-open, sorted.
    masks : list of GeneMask
        Per-gene masks (empty when the run did not keep them).
    skipped : list of (str, str)
        Genes that failed, with the reason.
    params : CallParams
    provenance : dict
        Model, inputs and settings of the run (what the JSON sidecar holds).
    """

    regions: pd.DataFrame
    masks: list[GeneMask] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    params: CallParams = field(default_factory=CallParams)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def mask(self) -> GeneMask:
        """The mask of a single-gene result."""
        if len(self.masks) != 1:
            raise ConfigError(f"this result holds {len(self.masks)} masks; use .masks")
        return self.masks[0]

    def plot(self, gene: str | None = None, **kwargs: Any) -> Any:
        """Draw a gene's locus view (a Figure; :func:`regfind.look.plot.plot_result`)."""
        from regfind.look.plot import plot_result

        return plot_result(self, gene, **kwargs)

    def to_bed(self, path: str | os.PathLike[str], *, trackline: bool = False) -> Path:
        """Write the regions as narrowPeak (BED6+4), sorted, atomically."""
        return write_narrowpeak(self.regions, path, trackline=trackline,
                                description=f"regfind call: {self.params.describe()}")

    def to_tsv(self, path: str | os.PathLike[str]) -> Path:
        """Write the per-region statistics table (tab-separated, with a header), atomically."""
        with atomic_write(path) as tmp:
            self.regions.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
        return Path(path)

    def to_track(self, path: str | os.PathLike[str], chrom_sizes: dict[str, int]) -> Path:
        """Write the masks as bigWig (``.bw``) or bedGraph; overlaps take the maximum."""
        from regfind.calling.masktrack import write_mask_track

        return write_mask_track(((m.locus, m.mask) for m in self.masks), path, chrom_sizes)

    def to_bigwig(self, path: str | os.PathLike[str], chrom_sizes: dict[str, int]) -> Path:
        """Write the masks as a bigWig (see :meth:`to_track`)."""
        return self.to_track(path, chrom_sizes)

    def to_pyranges(self) -> Any:
        """Return the regions as a ``pyranges.PyRanges`` (needs pyranges)."""
        import pyranges

        df = self.regions.rename(columns={"chrom": "Chromosome", "start": "Start",
                                          "end": "End", "strand": "Strand"})
        return pyranges.PyRanges(df.drop(columns="Strand"))

    def to_bedtool(self) -> Any:
        """Return the regions as a ``pybedtools.BedTool`` (needs pybedtools and bedtools)."""
        import pybedtools

        return pybedtools.BedTool.from_dataframe(self.regions[list(NARROWPEAK_COLUMNS)])

    def __repr__(self) -> str:
        genes = self.regions["gene"].nunique() if len(self.regions) else 0
        bp = int((self.regions["end"] - self.regions["start"]).sum()) if len(self.regions) else 0
        return (f"CallResult({len(self.regions)} regions, {bp:,} bp, {genes} genes, "
                f"{len(self.skipped)} skipped; {self.params.describe()})")

    def _repr_html_(self) -> str:
        head = self.regions.head(20)[["name", "chrom", "start", "end", "length", "mean_mask",
                                      "prob_selected", "distance_to_tss", "forced"]]
        return f"<p>{self.__repr__()}</p>" + head.to_html(index=False)


def call(gene: str | Sequence[str] | None = None, cell: str | None = None, *,
         loci: Sequence[Locus] | None = None, profile: str | None = None,
         config: str | os.PathLike[str] | None = None,
         model: Any = None, sources: Sources | None = None,
         cutoff: float | None = None, top_fraction: float | None = None,
         min_length: int | None = None, max_gap: int | None = None,
         rules: CallRules | None = None, batch_size: int = 1, device: str | None = None,
         predict: bool = False,
         precision: str = "fp32", keep_masks: bool = True,
         workdir: str | os.PathLike[str] | None = None,
         crispr: str | os.PathLike[str] | None = "auto",
         progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None) -> CallResult:
    """Call the regions Seq2Exp relies on for one or many genes.

    Parameters
    ----------
    gene : str or sequence of str
        Symbols or Ensembl IDs.
    loci : sequence of Locus, optional
        Windows to call instead of (or besides) genes, e.g. from :func:`loci_from_bed`; their
        gene features are computed approximately (with a warning).
    cell : str
        Cell type of the data profile (needed unless ``sources`` is given).
    profile, config : optional
        Data profile name and profiles file (see :mod:`regfind.inputs.profiles`).
    model : Seq2Exp or path, optional
        The model; default: the cell type's ``model`` in the profile.
    sources : Sources, optional
        Opened input files; overrides ``cell``/``profile``.
    cutoff, top_fraction, min_length, max_gap : optional
        Interval rules (defaults per model variant: :meth:`CallParams.default`).
    rules : CallRules, optional
        The same rules as one object (what the CLI, the shards and the workers pass); give
        either ``rules`` or the four values.
    batch_size : int, default 1
        Genes per model call.
    device : str, optional
        CUDA when available if not given.
    predict : bool, default False
        Also run the predictor and report the predicted expression (``pred`` column).
    precision : {'fp32', 'bf16-official'}, default 'fp32'
        'bf16-official' reproduces the official run's bf16 numerics (docs/official-model.md,
        "Numerics of the official run (bf16)"; see :func:`regfind.model.inference.run_masks`).
    keep_masks : bool, default True
        Keep every gene's mask in the result (memory: 12 bytes per base per gene).
    workdir : path-like, optional
        Store each finished gene here and reuse finished genes on a rerun (resume).
    progress : callable, optional
        Wraps the gene iterator (e.g. ``tqdm``).
    crispr : path-like, 'auto' or None, default 'auto'
        CRISPRi benchmark file for window-reach warnings: a gene whose validated enhancers lie
        outside its window gets a :class:`~regfind.errors.RegfindWarning` (and an entry in
        the provenance). 'auto' uses the copy ``regfind fetch crispri`` made, if any.

    Returns
    -------
    CallResult
    """
    genes = [gene] if isinstance(gene, str) else list(gene or [])
    loci = list(loci or [])
    if not genes and not loci:
        raise ConfigError("nothing to call: give gene='MYC', a list of genes or loci=")
    run = open_run(cell, profile=profile, config=config, model=model, sources=sources)
    sources, net, cell_label = run.sources, run.model, run.cell
    rules = CallRules.from_arguments(rules, cutoff, top_fraction, min_length, max_gap)
    params = rules.resolve(net.config.variant)
    store = GeneStore(Path(workdir)) if workdir is not None else None
    labels = [gene_label(sources, g) for g in genes] + [loc.gene for loc in loci]
    todo = [g for g, lab in zip(genes, labels, strict=False)
            if store is None or not store.has(lab)]
    todo_loci = [loc for loc in loci if store is None or not store.has(loc.gene)]
    stream = InputStream(todo, sources, batch_size=batch_size, window=net.config.seq_range)
    started = time.time()
    batches = itertools.chain(stream, _locus_batches(todo_loci, sources, batch_size))
    masks = run_masks(net, batches, device=device, predict=predict, precision=precision)
    if progress is not None:
        masks = progress(masks)
    windows: list[dict[str, Any]] = []
    tables, kept = _collect(masks, params, net, store, keep_masks, windows)
    if store is not None:
        tables, kept = store.load_all(labels, keep_masks)
        windows = [store.load_window(lab) for lab in labels if store.has(lab)]
    regions = sorted_regions(tables)
    skipped = list(stream.skipped)
    prov = run_provenance(net, sources, cell_label, params, labels, skipped, started, predict)
    prov["precision"] = precision
    prov["windows"] = windows
    prov["window_reach"] = _window_reach(crispr, regions, net.config.seq_range)
    return CallResult(regions, kept, skipped, params, prov)


def _window_reach(crispr: Any, regions: pd.DataFrame, window: int) -> dict[str, Any]:
    """Warn about called genes whose CRISPRi-validated enhancers lie outside their window."""
    import warnings

    from regfind.io.crispri import benchmark_path, out_of_reach, read_crispr

    if crispr is None or regions.empty:
        return {}
    try:
        path = benchmark_path(None if crispr == "auto" else crispr)
    except RegfindError:
        if crispr == "auto":
            return {}
        raise
    genes = regions.drop_duplicates("gene")
    start = genes["tss"].to_numpy(np.int64) - window // 2
    windows = pd.DataFrame({"gene": genes["gene"].to_numpy(), "chrom": genes["chrom"].to_numpy(),
                            "start": start, "end": start + window})
    missed = out_of_reach(windows, read_crispr(path))
    for gene, (outside, total) in missed.items():
        warnings.warn(f"{gene}: {outside} of its {total} CRISPRi-validated enhancers "
                      f"({Path(path).name}) lie outside the model's {window:,} bp window; the "
                      "model cannot find them", RegfindWarning, stacklevel=3)
    return {"file": str(path), "out_of_reach": {g: {"outside": o, "positives": t}
                                                 for g, (o, t) in missed.items()}}


def _locus_batches(loci: list[Locus], sources: Sources, batch_size: int
                   ) -> Iterator[ModelInputs]:
    for i in range(0, len(loci), batch_size):
        yield ModelInputs.stack([for_locus(loc, sources) for loc in loci[i:i + batch_size]])


def loci_from_bed(path: str | os.PathLike[str], sources: Sources, window: int) -> list[Locus]:
    """Windows centred on the rows of a BED file (midpoint ``(start + end) // 2``).

    Each window is named after the BED name column, else ``chrom:start-end`` of the row.
    Chromosome names are matched to the FASTA (aliases such as ``8``/``chr8`` are resolved).
    """
    from regfind.io.bed import read_bed

    table = read_bed(path)
    out = []
    for row in table.itertuples(index=False):
        chrom = sources.genome.resolve(str(row.chrom), reference=path)
        name = str(getattr(row, "name", "") or "") or f"{row.chrom}:{row.start}-{row.end}"
        centre = (int(row.start) + int(row.end)) // 2
        out.append(Locus.around_tss(chrom, centre, sources.genome.chrom_sizes[chrom],
                                    gene=name, window=window))
    return out


def gene_label(sources: Sources, gene: str) -> str:
    """Return the name results are stored under: the annotation label, else ``gene``."""
    try:
        return sources.annotation.lookup(gene).label if sources.annotation else gene
    except RegfindError:
        return gene


def resolve_model_path(name: str | os.PathLike[str]) -> Path:
    """Return a model's local path (kept name of :func:`regfind.model.context.resolve_model`)."""
    return resolve_model(name)


def _collect(masks: Iterator[GeneMask], params: CallParams, net: Any, store: GeneStore | None,
             keep: bool, windows: list[dict[str, Any]]) -> tuple[list[pd.DataFrame],
                                                                list[GeneMask]]:
    tables, kept = [], []
    for gm in masks:
        windows.append(window_record(gm.locus))
        gm = replace(gm, cutoff=gene_cutoff(gm, params, net.config.center_len))
        table = call_gene(gm, params, variant=net.config.variant,
                          threshold=net.config.sample_threshold,
                          promoter_bp=net.config.center_len)
        if store is not None:
            store.save(gm, table)
        tables.append(table)
        if keep:
            kept.append(gm)
    return tables, kept


def sorted_regions(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-gene region tables, sorted by chrom, start, end, gene (stable)."""
    columns = [*NARROWPEAK_COLUMNS, *STAT_COLUMNS]
    tables = [t for t in tables if len(t)]
    if not tables:
        return pd.DataFrame({c: [] for c in columns})
    out = pd.concat(tables, ignore_index=True)[columns]
    return out.sort_values(["chrom", "start", "end", "gene"], kind="stable", ignore_index=True)


def run_provenance(net: Any, sources: Sources, cell: str, params: CallParams,
                   genes: list[str], skipped: list[tuple[str, str]], started: float,
                   predict: bool) -> dict[str, Any]:
    """Return the provenance of a run: model, inputs, rules, genes, versions, timing."""
    from regfind import __version__

    files = {k: str(getattr(getattr(sources, k, None), "path", "") or "")
             for k in ("genome", "annotation", "blacklist", "h3k27ac", "dnase", "hic",
                       "features")}
    return {
        "regfind_version": __version__, "versions": package_versions(_VERSIONED),
        "model": {**getattr(net, "source", {}), "config": net.config.to_dict()},
        "cell": cell, "inputs": files, "params": params.__dict__ | {"rule": params.describe()},
        "genes": genes, "skipped": [{"gene": g, "reason": r} for g, r in skipped],
        "predict": predict, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                                     time.localtime(started)),
        "seconds": round(time.time() - started, 3),
    }


def window_record(locus: Locus) -> dict[str, Any]:
    """``{gene, chrom, start, end}``: a window's part on its chromosome (genome coordinates).

    The sidecar of a call lists one per called gene (``windows``), so that later steps (e.g.
    ``regfind compare --within-windows calls.bed``) count truth only where the model looked.
    """
    return {"gene": locus.gene, "chrom": locus.chrom, "start": int(locus.clipped_start),
            "end": int(locus.clipped_end)}


def read_call_windows(path: str | os.PathLike[str]) -> pd.DataFrame | None:
    """Return the gene windows recorded by a call, or ``None`` when ``path`` is not a call.

    Parameters
    ----------
    path : path-like
        A call's BED, its ``.tsv`` or its ``.json`` sidecar (the sidecar is found next to the
        BED or TSV: ``calls.bed`` -> ``calls.bed.json``).

    Returns
    -------
    pandas.DataFrame or None
        Columns ``chrom, start, end, gene`` (0-based half-open, genome coordinates).

    Raises
    ------
    DataError
        The sidecar exists but is not valid JSON.
    """
    p = Path(path)
    base = p.with_suffix("") if p.suffix in (".json", ".tsv") else p
    sidecar = p if p.suffix == ".json" else base.with_name(base.name + ".json")
    if not sidecar.is_file():
        return None
    try:
        data = json.loads(sidecar.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the call sidecar {sidecar}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("windows"), list):
        return None
    rows = data["windows"]
    return pd.DataFrame({"chrom": [str(r["chrom"]) for r in rows],
                         "start": np.array([r["start"] for r in rows], dtype=np.int64),
                         "end": np.array([r["end"] for r in rows], dtype=np.int64),
                         "gene": [str(r["gene"]) for r in rows]})


def write_sidecar(result: CallResult, path: str | os.PathLike[str],
                  outputs: dict[str, str]) -> Path:
    """Write the provenance of ``result`` (and the files written) as JSON, atomically."""
    data = {**result.provenance, "outputs": outputs,
            "n_regions": len(result.regions)}
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return Path(path)


class GeneStore:
    """Per-gene results on disk (``<gene>.npz``), written atomically; the basis of resume."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, gene: str) -> Path:
        return self.root / f"{_SAFE.sub('_', gene)}.npz"

    def has(self, gene: str) -> bool:
        """Whether ``gene`` (its stored label) is finished."""
        return self._path(gene).exists()

    def save(self, gm: GeneMask, table: pd.DataFrame) -> None:
        """Store one finished gene: its mask, Beta concentrations, locus and regions."""
        gene = gm.locus.gene
        loc = gm.locus
        with atomic_write(self._path(gene)) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh, mask=gm.mask, alpha=gm.alpha, beta=gm.beta,
                pred=np.float64(np.nan if gm.pred is None else gm.pred),
                locus=np.array(json.dumps([loc.chrom, loc.start, loc.end, loc.strand, loc.gene,
                                           loc.tss, loc.chrom_length])),
                notes=np.array(list(gm.notes), dtype=str), cutoff=np.float64(gm.cutoff),
                table=np.array(table.to_json(orient="split")),
                dtypes=np.array(json.dumps({c: str(t) for c, t in table.dtypes.items()})))

    def load_table(self, gene: str) -> pd.DataFrame:
        """Return the stored region table of ``gene``."""
        from io import StringIO

        with np.load(self._path(gene)) as z:
            table = pd.read_json(StringIO(str(z["table"])), orient="split", dtype=False)
            return table.astype(json.loads(str(z["dtypes"])))

    def load_mask(self, gene: str) -> GeneMask:
        """Return the stored mask of ``gene``."""
        with np.load(self._path(gene)) as z:
            chrom, start, end, strand, name, tss, clen = json.loads(str(z["locus"]))
            locus = Locus(chrom, start, end, strand, name, tss, clen)
            pred = float(z["pred"])
            cutoff = float(z["cutoff"]) if "cutoff" in z.files else float("nan")
            return GeneMask(locus, z["mask"], z["alpha"], z["beta"],
                            None if np.isnan(pred) else pred, tuple(z["notes"].tolist()),
                            cutoff)

    def load_window(self, gene: str) -> dict[str, Any]:
        """Return the stored gene's window on its chromosome (:func:`window_record`)."""
        with np.load(self._path(gene)) as z:
            chrom, start, end, strand, name, tss, clen = json.loads(str(z["locus"]))
        return window_record(Locus(chrom, start, end, strand, name, tss, clen))

    def load_all(self, genes: list[str], keep: bool) -> tuple[list[pd.DataFrame],
                                                              list[GeneMask]]:
        """Return the tables (and masks when ``keep``) of the stored genes among ``genes``."""
        found = [g for g in genes if self.has(g)]
        tables = [self.load_table(g) for g in found]
        return tables, [self.load_mask(g) for g in found] if keep else []

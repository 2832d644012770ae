"""``regfind.variant_effects``: what a non-coding variant does to a gene and to its regions.

For each variant and each gene whose model window holds the variant's REF allele, the model runs
twice: on the reference window and on the window with ALT edited in
(:meth:`regfind.coords.Locus.edited`: the window keeps its length and the TSS its index). The
table reports the predicted expression of both and their difference (log10 units), the mask at
the variant, the called region that contains it in each (regions of the ALT mask are called on
its projection onto the reference bases, :meth:`~regfind.coords.Locus.from_edited`, at the
reference window's cutoff, so the rule is the same for both), and whether the variant creates,
removes or shifts that region. Coordinates are genomic, 0-based half-open (``docs/variants.md``).

The epigenome is the reference cell's: an edited base keeps the H3K27ac, DNase, Hi-C contact and
blacklist value of the reference base it came from (inserted bases those of the last REF base).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regfind.coords import Locus
from regfind.errors import ConfigError, DataError, RegfindError, RegfindWarning
from regfind.inputs.build import ModelInputs, Sources, for_locus
from regfind.intervals.regions import (
    CallParams,
    CallRules,
    _distance,
    call_gene,
    gene_cutoff,
)
from regfind.io.annotation import Gene
from regfind.io.genome import one_hot_encode
from regfind.io.variants import VARIANT_COLUMNS, allele_problem, read_variants
from regfind.model.context import open_run
from regfind.model.inference import GeneMask, run_masks

__all__ = ["EFFECT_COLUMNS", "MAX_ALLELE", "variant_effects"]

#: Longest REF or ALT allele scored (bp); longer ones are skipped with a reason.
MAX_ALLELE = 50
#: Columns of :func:`variant_effects`, in order.
EFFECT_COLUMNS = (
    "chrom", "start", "end", "id", "ref", "alt", "gene", "tss", "distance_to_tss", "status",
    "reason", "pred_ref", "pred_alt", "delta_pred", "mask_ref", "mask_alt", "delta_mask",
    "in_region", "region_ref", "region_alt", "region_change", "region_mask_ref",
    "region_mask_alt", "delta_region_mask", "n_regions_ref", "n_regions_alt", "record")
_STATUSES = ("scored", "ref_mismatch", "skipped", "outside")


@dataclass
class _Pair:
    """One variant (a row of :func:`read_variants`) scored against one gene's window."""

    row: int
    gene: Gene
    locus: Locus


def variant_effects(variants: str | os.PathLike[str] | pd.DataFrame, cell: str | None = None,
                    *, genes: Iterable[str] | None = None, profile: str | None = None,
                    config: str | os.PathLike[str] | None = None, model: Any = None,
                    sources: Sources | None = None, cutoff: float | None = None,
                    top_fraction: float | None = None, min_length: int | None = None,
                    max_gap: int | None = None, rules: CallRules | None = None,
                    max_allele: int = MAX_ALLELE,
                    batch_size: int = 8, device: str | None = None, precision: str = "fp32",
                    workdir: str | os.PathLike[str] | None = None,
                    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None
                    ) -> pd.DataFrame:
    """Score variants with Seq2Exp: expression and regions with REF against ALT.

    Parameters
    ----------
    variants : path-like or pandas.DataFrame
        A VCF/VCF.gz or TSV (``chrom pos ref alt``, 1-based ``pos``), read with
        :func:`regfind.io.variants.read_variants`, or a table in that function's layout
        (``chrom, start, end, ref, alt``, 0-based; ``id`` and ``record`` optional).
    cell : str
        Cell type of the data profile ('demo': the built-in demo); unless ``sources``.
    genes : iterable of str, optional
        Score only against these genes (symbols or Ensembl IDs). Default: every annotated gene
        whose window holds the variant's REF allele.
    profile, config, model, sources : optional
        As for :func:`regfind.call` (:func:`regfind.model.context.open_run`).
    cutoff, top_fraction, min_length, max_gap : optional
        Interval rules (:meth:`regfind.intervals.regions.CallParams.default`).
    rules : CallRules, optional
        The same rules as one object; give either ``rules`` or the four values.
    max_allele : int, default 50
        Longest REF or ALT scored (bp).
    batch_size : int, default 8
        Windows per model call (each scored variant × gene is one window, each gene one more).
    device, precision : optional
        As for :func:`regfind.call`.
    workdir : path-like, optional
        Store each gene's rows here when its last variant is scored, and reuse them on a rerun
        with the same variants and settings (resume). A folder holding another run's results
        raises :class:`~regfind.errors.ConfigError`.
    progress : callable, optional
        Wraps the iterator over windows (e.g. ``tqdm``).

    Returns
    -------
    pandas.DataFrame
        :data:`EFFECT_COLUMNS`, one row per variant × gene (one row per variant that is not
        scored), sorted by ``|delta_pred|`` (largest first; rows without a score last).
        ``start``/``end``: REF span, 0-based half-open. ``status``: ``scored``,
        ``ref_mismatch`` (REF differs from the genome; not scored), ``skipped`` (symbolic or
        long allele, unknown chromosome: see ``reason``) or ``outside`` (in no window).
        ``pred_*``: predicted log10(CAGE + 1); ``delta_* = *_alt - *_ref``. ``mask_*``: mean
        mask over the REF bases (ALT bases in the edited window). ``region_ref`` /
        ``region_alt``: the called region containing the variant (``chrom:start-end``,
        0-based) or ''; ``region_change``: ``none``, ``same``, ``created``, ``removed`` or
        ``shifted``; ``region_mask_*``: mean mask over the union of those regions, on the
        reference bases. ``distance_to_tss``: signed bp from the TSS to the nearest REF base.
        ``record``: index of the input record. ``attrs["counts"]`` counts variants (alleles)
        per status.

    Raises
    ------
    ConfigError
        No annotation, unknown gene names, bad settings.
    DataError
        The variants file cannot be read.
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    genes = None if genes is None else list(genes)
    run = open_run(cell, profile=profile, config=config, model=model, sources=sources)
    src, net = run.sources, run.model
    if src.annotation is None:
        raise ConfigError("variant effects need an annotation in the profile (gene TSSs)")
    table = (_as_table(variants) if isinstance(variants, pd.DataFrame)
             else read_variants(variants))
    rules = CallRules.from_arguments(rules, cutoff, top_fraction, min_length, max_gap)
    params = rules.resolve(net.config.variant)
    window = net.config.seq_range
    chosen = [src.annotation.lookup(g) for g in genes] if genes is not None else None
    status, reason, pairs = _plan(table, src, chosen, window, max_allele,
                                  restricted=genes is not None)
    rows = [_unscored(table.iloc[i], status[i], reason[i]) for i in range(len(table))
            if status[i] != "scored"]
    store = None
    if workdir is not None:
        store = _Store(Path(workdir), _fingerprint(table, params, genes, max_allele, run))
        done = {_key(p.locus) for p in pairs if store.has(_key(p.locus))}
        rows += store.load(sorted(done))
        pairs = [p for p in pairs if _key(p.locus) not in done]
    jobs = list(_jobs(pairs))
    masks: Iterable[GeneMask] = run_masks(net, _batches(jobs, table, src, batch_size),
                                          device=device, predict=True, precision=precision)
    if progress is not None:
        masks = progress(_Sized(masks, len(jobs)))
    rows += _compare_all(jobs, masks, table, params, net, store)
    out = _sorted(pd.DataFrame(rows, columns=list(EFFECT_COLUMNS)))
    counts = {s: int(sum(1 for x in status if x == s)) for s in _STATUSES}
    out.attrs["counts"] = {"variants": len(table), **counts}
    if counts["ref_mismatch"]:
        warnings.warn(f"{counts['ref_mismatch']} of {len(table)} variants have a REF allele "
                      "that differs from the genome (not scored); a different genome build?",
                      RegfindWarning, stacklevel=2)
    return out


def _as_table(df: pd.DataFrame) -> pd.DataFrame:
    """Check a variants DataFrame given in Python; add ``id`` ('') and ``record`` (0..n-1)."""
    missing = [c for c in ("chrom", "start", "end", "ref", "alt") if c not in df.columns]
    if missing:
        raise ConfigError(f"the variants table has no column(s) {', '.join(missing)} (the "
                          "layout of regfind.io.variants.read_variants)")
    out = df.reset_index(drop=True).copy()
    if "id" not in out.columns:
        out["id"] = ""
    if "record" not in out.columns:
        out["record"] = np.arange(len(out))
    out["ref"], out["alt"] = out["ref"].astype(str).str.upper(), out["alt"].astype(str).str.upper()
    return out[list(VARIANT_COLUMNS)].astype({"start": "int64", "end": "int64",
                                              "record": "int64"})


class _Sized:
    """An iterable with a known length (so a progress bar shows its total)."""

    def __init__(self, items: Iterable[Any], n: int) -> None:
        self.items, self.n = items, n

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return self.n


# -- which variant meets which window ------------------------------------------------------------

def _plan(table: pd.DataFrame, src: Sources, chosen: list[Gene] | None, window: int,
          max_allele: int, *, restricted: bool) -> tuple[list[str], list[str], list[_Pair]]:
    """Return each variant's status and reason, and the (variant, gene) pairs to score."""
    windows = _windows(src, chosen if chosen is not None else list(src.annotation), window)
    chroms: dict[str, str | None] = {}
    status, reason, pairs = [], [], []
    for i, v in enumerate(table.itertuples(index=False)):
        why = allele_problem(str(v.ref), str(v.alt), max_allele)
        chrom = _chrom(src, str(v.chrom), chroms)
        if not why and chrom is None:
            why = f"chromosome {v.chrom} is not in the genome {src.genome.path.name}"
        if why:
            status.append("skipped")
            reason.append(why)
            continue
        length = src.genome.chrom_sizes[chrom]
        if v.end > length:
            status.append("ref_mismatch")
            reason.append(f"REF {v.chrom}:{v.start}-{v.end} runs past the chromosome end "
                          f"({length} bp)")
            continue
        have = src.genome.sequence(chrom, int(v.start), int(v.end))
        if have.upper() != str(v.ref).upper():
            status.append("ref_mismatch")
            reason.append(f"REF {v.ref[:20]} but the genome has {have[:20]}")
            continue
        hits = [p for p in windows.get(chrom, ()) if p.start <= v.start and v.end <= p.end]
        if not hits:
            status.append("outside")
            reason.append("outside the windows of the given genes" if restricted
                          else "in no gene's window")
            continue
        status.append("scored")
        reason.append("")
        pairs += [_Pair(i, g, loc) for g, loc in ((h.gene_obj, h.locus) for h in hits)]
    return status, reason, pairs


@dataclass
class _Window:
    start: int
    end: int
    gene_obj: Gene
    locus: Locus


def _windows(src: Sources, genes: list[Gene], window: int) -> dict[str, list[_Window]]:
    out: dict[str, list[_Window]] = {}
    seen: set[tuple[str, int, str]] = set()
    for g in genes:
        try:
            loc = src.locus(g, window)
        except RegfindError:
            continue   # a gene on a chromosome the genome lacks has no window
        key = (loc.chrom, loc.tss, loc.gene)
        if key not in seen:
            seen.add(key)
            out.setdefault(loc.chrom, []).append(_Window(loc.start, loc.end, g, loc))
    return out


def _chrom(src: Sources, chrom: str, cache: dict[str, str | None]) -> str | None:
    if chrom not in cache:
        try:
            cache[chrom] = src.genome.resolve(chrom, reference="the variants file")
        except RegfindError:
            cache[chrom] = None
    return cache[chrom]


# -- windows in, masks out ---------------------------------------------------------------------

@dataclass
class _Job:
    """One model window: a gene's reference (``pair`` None) or one variant edited into it."""

    locus: Locus
    gene: Gene
    pair: _Pair | None = None
    source: np.ndarray | None = None
    allele: np.ndarray | None = None


def _jobs(pairs: list[_Pair]) -> Iterator[_Job]:
    """Yield each gene's reference window, then its variants (a reference is read once)."""
    by_gene: dict[tuple[str, int, str], list[_Pair]] = {}
    for p in pairs:
        by_gene.setdefault((p.locus.chrom, p.locus.tss, p.locus.gene), []).append(p)
    for group in by_gene.values():
        first = group[0]
        yield _Job(first.locus, first.gene)
        yield from (_Job(p.locus, p.gene, p) for p in group)


def _batches(jobs: list[_Job], table: pd.DataFrame, src: Sources, size: int
             ) -> Iterator[ModelInputs]:
    def one(job: _Job, ref: list[ModelInputs]) -> ModelInputs:
        if job.pair is None:
            ref[:] = [for_locus(job.locus, src, gene=job.gene)]
            return ref[0]
        return _edited_inputs(ref[0], job, table.iloc[job.pair.row], src)

    current: list[ModelInputs] = []
    built = (one(j, current) for j in jobs)
    while batch := list(itertools.islice(built, size)):
        yield ModelInputs.stack(batch)


def _edited_inputs(ref: ModelInputs, job: _Job, v: Any, src: Sources) -> ModelInputs:
    """Return the reference inputs with ALT edited in (sets ``job.source`` and ``job.allele``)."""
    loc = ref.locus
    source, allele = loc.edited(int(v.start), len(v.ref), len(v.alt))
    margin = max(0, len(v.ref) - len(v.alt))   # a deletion reads this far past the window
    if margin:
        wide = Locus.around_tss(loc.chrom, loc.tss, loc.chrom_length, gene=loc.gene,
                                window=loc.window + 2 * margin)
        seqs = src.genome.one_hot(wide)[source - wide.start]
    else:
        seqs = ref.seqs[0][source - loc.start]
    edit = allele >= 0
    seqs[edit] = one_hot_encode(str(v.alt))[allele[edit]]
    near = np.clip(source - loc.start, 0, loc.window - 1)   # epigenome of the source base
    job.source, job.allele = source, allele
    return ModelInputs(seqs[None], ref.signals[0][near][None], ref.rna_feat,
                       ref.blacklist[0][near][None], (loc,), ())


def _compare_all(jobs: list[_Job], masks: Iterable[GeneMask], table: pd.DataFrame,
                 params: CallParams, net: Any, store: _Store | None) -> list[dict[str, Any]]:
    cfg = net.config
    rules = {"variant": cfg.variant, "threshold": cfg.sample_threshold,
             "promoter_bp": cfg.center_len}
    rows: list[dict[str, Any]] = []
    gene: list[dict[str, Any]] = []
    ref_gm: GeneMask | None = None
    ref_regions = pd.DataFrame()
    for job, gm in zip(jobs, masks, strict=True):
        if job.pair is None:
            if ref_gm is not None:
                _finish(store, ref_gm.locus, gene, rows)
            gene = []
            ref_gm = GeneMask(gm.locus, gm.mask, gm.alpha, gm.beta, gm.pred, gm.notes,
                              gene_cutoff(gm, params, cfg.center_len))
            ref_regions = call_gene(ref_gm, params, **rules)
            continue
        v = table.iloc[job.pair.row]   # jobs start with their gene's reference (_jobs)
        gene.append(_effect(v, ref_gm, ref_regions, gm, job, params, rules))  # type: ignore[arg-type]
    if ref_gm is not None:
        _finish(store, ref_gm.locus, gene, rows)
    return rows


def _finish(store: _Store | None, locus: Locus, gene: list[dict[str, Any]],
            rows: list[dict[str, Any]]) -> None:
    """Keep one gene's rows (and store them at once when resuming)."""
    if store is not None:
        store.save(_key(locus), gene)
    rows += gene


def _key(locus: Locus) -> str:
    return f"{locus.gene}@{locus.chrom}:{locus.tss}"


def _fingerprint(table: pd.DataFrame, params: CallParams, genes: Iterable[str] | None,
                 max_allele: int, run: Any) -> str:
    """Return a hash of what stored rows depend on: variants, genes, rules, model."""
    import hashlib

    text = json.dumps({"variants": table.to_csv(index=False), "genes": sorted(genes or []),
                       "params": params.__dict__, "max_allele": max_allele,
                       "model": str(run.model_path or ""), "cell": run.cell,
                       "profile": run.profile}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class _Store:
    """Per-gene effect rows on disk (one JSON file per gene, written atomically): resume."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        from regfind._files import atomic_write

        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        stamp = root / "fingerprint"
        if stamp.exists() and stamp.read_text().strip() != fingerprint:
            raise ConfigError(f"{root} holds results of other variants or settings; remove it "
                              "(or run without --resume)")
        if not stamp.exists():
            with atomic_write(stamp) as tmp:
                tmp.write_text(fingerprint + "\n")

    def _path(self, key: str) -> Path:
        return self.root / (re.sub(r"[^A-Za-z0-9_.-]+", "_", key) + ".json")

    def has(self, key: str) -> bool:
        return self._path(key).exists()

    def save(self, key: str, rows: list[dict[str, Any]]) -> None:
        from regfind._files import atomic_write

        with atomic_write(self._path(key)) as tmp:
            tmp.write_text(json.dumps(rows, default=_plain))

    def load(self, keys: list[str]) -> list[dict[str, Any]]:
        return [r for k in keys for r in json.loads(self._path(k).read_text())]


def _plain(value: Any) -> Any:
    """Numpy scalars as Python numbers (for JSON)."""
    return value.item() if hasattr(value, "item") else str(value)


def _effect(v: Any, ref: GeneMask, ref_regions: pd.DataFrame, alt: GeneMask, job: _Job,
            params: CallParams, rules: dict[str, Any]) -> dict[str, Any]:
    loc = ref.locus
    src = job.source
    proj = GeneMask(loc, *(loc.from_edited(x, src).astype(np.float32)
                           for x in (alt.mask, alt.alpha, alt.beta)), alt.pred, (), ref.cutoff)
    alt_regions = call_gene(proj, params, **rules)
    start, end = int(v.start), int(v.end)
    r_ref, r_alt = _containing(ref_regions, start, end), _containing(alt_regions, start, end)
    lo, hi = start - loc.start, end - loc.start
    mask_ref = float(ref.mask[lo:hi].mean())
    mask_alt = float(alt.mask[job.allele >= 0].mean())
    spans = [r for r in (r_ref, r_alt) if r is not None]
    if spans:
        s = min(r[0] for r in spans) - loc.start
        e = max(r[1] for r in spans) - loc.start
        reg_ref, reg_alt = float(ref.mask[s:e].mean()), float(proj.mask[s:e].mean())
    else:
        reg_ref = reg_alt = float("nan")
    pred_ref, pred_alt = float(ref.pred), float(alt.pred)   # type: ignore[arg-type]
    return {**_variant_fields(v), "gene": loc.gene, "tss": loc.tss,
            "distance_to_tss": int(_distance(np.array([start]), np.array([end]), loc.tss)[0]),
            "status": "scored", "reason": "", "pred_ref": pred_ref, "pred_alt": pred_alt,
            "delta_pred": pred_alt - pred_ref, "mask_ref": mask_ref, "mask_alt": mask_alt,
            "delta_mask": mask_alt - mask_ref, "in_region": r_ref is not None,
            "region_ref": _name(loc.chrom, r_ref), "region_alt": _name(loc.chrom, r_alt),
            "region_change": _change(r_ref, r_alt), "region_mask_ref": reg_ref,
            "region_mask_alt": reg_alt, "delta_region_mask": reg_alt - reg_ref,
            "n_regions_ref": len(ref_regions), "n_regions_alt": len(alt_regions)}


def _containing(regions: pd.DataFrame, start: int, end: int) -> tuple[int, int] | None:
    """Return the span of the regions overlapping ``[start, end)``; None when none."""
    if regions.empty:
        return None
    hit = regions[(regions["start"] < end) & (regions["end"] > start)]
    if hit.empty:
        return None
    return int(hit["start"].min()), int(hit["end"].max())


def _change(ref: tuple[int, int] | None, alt: tuple[int, int] | None) -> str:
    if ref is None:
        return "none" if alt is None else "created"
    if alt is None:
        return "removed"
    return "same" if ref == alt else "shifted"


def _name(chrom: str, span: tuple[int, int] | None) -> str:
    return "" if span is None else f"{chrom}:{span[0]}-{span[1]}"


def _variant_fields(v: Any) -> dict[str, Any]:
    return {"chrom": str(v.chrom), "start": int(v.start), "end": int(v.end), "id": str(v.id),
            "ref": str(v.ref), "alt": str(v.alt), "record": int(v.record)}


def _unscored(v: Any, status: str, reason: str) -> dict[str, Any]:
    return {**_variant_fields(v), "gene": "", "status": status, "reason": reason,
            "in_region": False, "region_ref": "", "region_alt": "", "region_change": ""}


def _sorted(out: pd.DataFrame) -> pd.DataFrame:
    out = out.astype({"start": "int64", "end": "int64", "record": "int64",
                      "in_region": bool})
    for c in ("tss", "distance_to_tss", "n_regions_ref", "n_regions_alt"):
        out[c] = out[c].astype("Int64")
    key = out["delta_pred"].abs().fillna(-1.0)
    order = np.lexsort((out["record"].to_numpy(), -key.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def write_effects(effects: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write :func:`variant_effects` output as TSV (with a header), atomically."""
    from regfind._files import atomic_write

    if not isinstance(effects, pd.DataFrame):
        raise DataError("write_effects needs the DataFrame of variant_effects")
    with atomic_write(path) as tmp:
        effects.to_csv(tmp, sep="\t", index=False, float_format="%.6g")

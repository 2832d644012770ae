"""Reference data: the files each official cell type needs, fetched into the cache.

The registry (``regfind/zoo/data.toml``, or the file named by ``REGFIND_DATA_REGISTRY``, e.g.
an institute mirror) lists per genome (FASTA, annotation, blacklist), per cell type (H3K27ac and
DNase bigWigs, gene features, ABC GeneList, optional Hi-C) and per benchmark the files with
URL, size and sha256 where known. A target is a genome (``hg38``), a cell type (``K562``, which
implies its genome) or a benchmark (``crispri``). Files go to ``<cache>/data/<dir>/``; after a
fetch the data profile of the genome is written (:mod:`regfind.zoo._profile`).
"""

from __future__ import annotations

import gzip
import os
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regfind.errors import ChecksumError, ConfigError, DataError, OfflineError
from regfind.zoo._download import (
    Remote,
    _temporary,
    _write_record,
    fetch_file,
    offline_mode,
    read_record,
    sha256_file,
    verify_file,
)

__all__ = ["DataFile", "FetchPlan", "fetch", "load_registry", "plan", "targets"]

_PACKAGED = Path(__file__).resolve().parent / "data.toml"


@dataclass(frozen=True)
class DataFile:
    """One registry file: its remote, cache folder, profile key and unpacking."""

    label: str
    remote: Remote
    folder: str
    source: str = ""
    key: str = ""
    cell: str = ""
    optional: bool = False
    decompress: str = ""
    unpacked: str = ""

    def download_path(self, cache: Path) -> Path:
        """Return where the downloaded file is kept."""
        return cache / "data" / self.folder / self.remote.filename

    def local_path(self, cache: Path) -> Path:
        """Return the file the profile names (the unpacked file for packed downloads)."""
        return cache / "data" / self.folder / (self.unpacked or self.remote.filename)


@dataclass
class FetchPlan:
    """What fetching a target involves."""

    target: str
    genome: str
    cells: list[str] = field(default_factory=list)
    files: list[DataFile] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    skipped: list[DataFile] = field(default_factory=list)


def load_registry(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read the data registry (``path``, ``REGFIND_DATA_REGISTRY`` or the packaged one)."""
    path = Path(path or os.environ.get("REGFIND_DATA_REGISTRY") or _PACKAGED).expanduser()
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"data registry {path} cannot be read: {exc}") from exc
    return {k: data.get(k, {}) for k in ("genomes", "cells", "benchmarks")}


def targets(registry: dict[str, Any] | None = None) -> list[str]:
    """Return the names ``regfind fetch`` accepts."""
    reg = registry or load_registry()
    return [*reg["genomes"], *reg["cells"], *reg["benchmarks"]]


def plan(target: str, *, hic: bool = False, registry: dict[str, Any] | None = None
         ) -> FetchPlan:
    """Return the files (and models) a target needs; optional files only with ``hic``."""
    reg = registry or load_registry()
    kind, name = _find(target, reg)
    body = reg[kind][name]
    genome = name if kind == "genomes" else str(body.get("genome", ""))
    out = FetchPlan(name, genome)
    if kind == "cells":
        out.cells.append(name)
        if body.get("model"):
            out.models.append(str(body["model"]))
    if kind != "benchmarks":
        _add(out, reg["genomes"].get(genome, {}), "", hic)
    _add(out, body, name if kind == "cells" else "", hic)
    return out


def fetch(target: str, *, cache: Path, allow_unknown: bool = False, offline: bool | None = None,
          hic: bool = False, progress: bool = True, registry: dict[str, Any] | None = None,
          retries: int = 3, backoff: float = 1.0) -> tuple[FetchPlan, dict[str, Path]]:
    """Fetch (or, offline, check) every file of a target; return the plan and local paths.

    Raises
    ------
    OfflineError
        Offline and files are missing: all of them are named, with the command to fetch them.
    ChecksumError
        A file does not match its sha256, or its sha256 is unknown and ``allow_unknown`` is
        false (checked for every file before anything is downloaded).
    DownloadError
    """
    the_plan = plan(target, hic=hic, registry=registry)
    hint = f"regfind fetch {the_plan.target}" + (" --hic" if hic else "")
    _preflight(the_plan, cache, allow_unknown, offline, hint)
    paths = {}
    for item in the_plan.files:
        folder = item.download_path(cache).parent
        if item.unpacked and _unpacked_ok(item, cache):
            paths[item.label] = item.local_path(cache)
            continue
        got = fetch_file(item.remote, folder, hint=hint, allow_unknown=allow_unknown,
                         offline=offline, progress=progress, retries=retries, backoff=backoff)
        paths[item.label] = _unpack(item, got, cache) if item.decompress else got
    return the_plan, paths


def status(item: DataFile, cache: Path) -> str:
    """Return 'present' (not re-hashed here), 'partial N bytes' or 'missing'."""
    if item.local_path(cache).exists():
        return "present"
    part = item.download_path(cache).with_name(item.remote.filename + ".part")
    if part.exists():
        return f"partial {part.stat().st_size:,} bytes"
    return "missing"


def _find(target: str, reg: dict[str, Any]) -> tuple[str, str]:
    for kind in ("genomes", "cells", "benchmarks"):
        for name in reg[kind]:
            if name.lower() == target.lower():
                return kind, name
    raise ConfigError(f"unknown fetch target {target!r}; known: {', '.join(targets(reg))}")


def _add(out: FetchPlan, body: dict[str, Any], cell: str, hic: bool) -> None:
    for label, spec in body.get("files", {}).items():
        item = _data_file(f"{cell}.{label}" if cell else label, spec, cell)
        if item.optional and not hic:
            out.skipped.append(item)
        else:
            out.files.append(item)


def _data_file(label: str, spec: dict[str, Any], cell: str) -> DataFile:
    try:
        remote = Remote(str(spec.get("url", "")), str(spec["filename"]),
                        str(spec.get("sha256", "")), int(spec.get("size", 0)) or None)
        return DataFile(label, remote, str(spec["dir"]), str(spec.get("source", "")),
                        str(spec.get("key", "")), cell, bool(spec.get("optional", False)),
                        str(spec.get("decompress", "")), str(spec.get("unpacked", "")))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"data registry entry {label!r} is malformed: {exc}") from exc


def _preflight(the_plan: FetchPlan, cache: Path, allow_unknown: bool, offline: bool | None,
               hint: str) -> None:
    """Fail before any download: offline with missing files, or unknown checksums."""
    missing = [i for i in the_plan.files if not i.local_path(cache).exists()
               and not i.download_path(cache).exists()]
    if missing and offline_mode(offline):
        lines = "\n".join(f"  {i.label}: {i.local_path(cache)}" for i in missing)
        raise OfflineError(f"{len(missing)} file(s) missing and network use is off (--offline "
                           f"or REGFIND_OFFLINE):\n{lines}\nfetch them with `{hint}` where there "
                           "is network, or copy them to those paths by hand")
    unknown = [i for i in missing if not i.remote.sha256]
    if unknown and not allow_unknown:
        names = ", ".join(i.remote.filename for i in unknown)
        raise ChecksumError(f"no sha256 is known for {names}; rerun `{hint} "
                            "--allow-unknown-checksum` to accept them and record their sha256 "
                            "(or see `--dry-run`)")


def _unpacked_ok(item: DataFile, cache: Path) -> bool:
    path = item.local_path(cache)
    if not path.exists():
        return False
    verify_file(path, Remote(item.remote.url, item.unpacked))
    return True


def _unpack(item: DataFile, packed: Path, cache: Path) -> Path:
    if item.decompress != "gzip":
        raise ConfigError(f"{item.label}: unsupported decompress {item.decompress!r}")
    dest = item.local_path(cache)
    with _temporary(dest) as tmp:
        try:
            with gzip.open(packed, "rb") as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except (OSError, EOFError) as exc:
            raise DataError(f"cannot unpack {packed}: {exc}") from exc
        os.replace(tmp, dest)
    origin = f"unpacked from {packed.name} (sha256 {(read_record(packed) or {}).get('sha256')})"
    _write_record(dest, Remote(item.remote.url, item.unpacked), sha256_file(dest), origin)
    return dest

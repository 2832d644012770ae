"""Data profiles: named bindings of a genome and its cell types to files (TOML).

The profiles file is found, in order, from the ``config`` argument (``--config``), the
``REGFIND_CONFIG`` environment variable, or ``profiles.toml`` in the user config directory
(``platformdirs.user_config_dir('regfind')``). Relative paths are relative to the file; ``~``
is expanded. Example::

    [profiles.hg38]
    fasta = "/data/hg38/hg38.fa"
    annotation = "/data/gencode.v44.annotation.gtf.gz"
    blacklist = "/data/hg38-blacklist.bed.gz"        # optional

    [profiles.hg38.cells.K562]
    h3k27ac = "/data/K562/ENCFF465GBD.bigWig"
    dnase = "/data/K562/ENCFF414OGC.bigWig"
    hic = "/data/K562/4DNFITUOMFUQ.hic"   # .cool/.mcool/.hic, a GeneExp HiC/K562 folder, "powerlaw"
    hic_resolution = 5000                 # optional
    hic_normalization = "VC"              # optional
    gene_features = "/data/GM12878_K562_18377_gene_expr_fromXpresso.csv"   # optional
    model = "seq2exp-hard-k562"           # optional
    gene_list = "/data/K562/GeneList.txt"  # optional ABC GeneList: genes/TSS and PromoterActivity

A local copy of the official GeneExp dataset is one key (:mod:`regfind.io.geneexp` lists the
files it implies; any of them may still be overridden, cells K562 and GM12878 are filled in)::

    [profiles.geneexp]
    geneexp_root = "/data/GeneExp"
    [profiles.geneexp.cells.K562]
    model = "seq2exp-soft-k562"           # optional additions or overrides
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regfind.errors import ConfigError

if TYPE_CHECKING:
    from regfind.inputs.sources import Sources

__all__ = ["DEMO", "CellType", "Profile", "config_path", "default_profile", "demo_profile",
           "get_profile", "load_each_profile", "load_profiles", "profile_for_cell"]

_GENOME_FILES = ("fasta", "annotation", "blacklist", "chrom_sizes", "gene_names", "geneexp_root")
_CELL_FILES = ("h3k27ac", "dnase", "hic", "gene_features", "gene_list")
_CELL_KEYS = (*_CELL_FILES, "hic_resolution", "hic_normalization", "model")


@dataclass(frozen=True)
class CellType:
    """Files and settings of one cell type (paths absolute; ``hic`` may be 'powerlaw').

    ``gene_list`` is an ABC GeneList: it replaces the profile's annotation for this cell and
    supplies PromoterActivity (as the official loader does).
    """

    name: str
    h3k27ac: Path
    dnase: Path
    hic: Path | str = "powerlaw"
    gene_features: Path | None = None
    gene_list: Path | None = None
    hic_resolution: int = 5000
    hic_normalization: str = "VC"
    model: str | None = None


@dataclass(frozen=True)
class Profile:
    """A genome (FASTA, annotation, blacklist) and its cell types, from a profiles file.

    ``chrom_sizes`` (a ``.sizes`` table or GeneExp ``chr_length.json``) is checked against the
    FASTA; ``gene_names`` (a CSV with ``ENSID`` and ``Gene name``) adds symbols to annotations
    that name genes by Ensembl ID; ``geneexp_root`` is set for GeneExp-dataset profiles.
    """

    name: str
    source: Path
    fasta: Path
    annotation: Path | None = None
    blacklist: Path | None = None
    chrom_sizes: Path | None = None
    gene_names: Path | None = None
    geneexp_root: Path | None = None
    cells: dict[str, CellType] = field(default_factory=dict)

    def cell(self, name: str) -> CellType:
        """Return a cell type by name (case-insensitive)."""
        for key, cell in self.cells.items():
            if key.lower() == name.lower():
                return cell
        raise ConfigError(
            f"profile {self.name!r} in {self.source} has no cell type {name!r} (has "
            f"{', '.join(self.cells) or 'none'}); add [profiles.{self.name}.cells.{name}]"
        )

    def files(self) -> list[tuple[str, Path]]:
        """Every file the profile names, as ``(label, path)``."""
        out = [(k, getattr(self, k)) for k in _GENOME_FILES if getattr(self, k) is not None]
        for cell in self.cells.values():
            for k in _CELL_FILES:
                value = getattr(cell, k)
                if isinstance(value, Path):
                    out.append((f"{cell.name}.{k}", value))
        return out

    def check_files(self) -> list[tuple[str, Path, str]]:
        """Return ``(label, path, status)`` per file; status 'ok', 'MISSING' or 'UNREADABLE'."""
        out = []
        for label, path in self.files():
            if not path.exists():
                status = "MISSING"
            elif not os.access(path, os.R_OK):
                status = "UNREADABLE"
            else:
                status = "ok"
            out.append((label, path, status))
        return out

    def sources(self, cell: str) -> Sources:
        """Open the files of the genome and one cell type."""
        from regfind.inputs.sources import Sources
        from regfind.io.annotation import read_annotation
        from regfind.io.features import FeatureTable

        c = self.cell(cell)
        ann_path = c.gene_list or self.annotation
        annotation = read_annotation(ann_path) if ann_path is not None else None
        if annotation is not None and self.gene_names is not None:
            from regfind.io.geneexp import add_symbols

            annotation = add_symbols(annotation, self.gene_names)
        features = (FeatureTable(c.gene_features, activity=c.gene_list)
                    if c.gene_features is not None else None)
        return Sources(self.fasta, annotation=annotation, blacklist=self.blacklist,
                       h3k27ac=c.h3k27ac, dnase=c.dnase, hic=c.hic, features=features,
                       cell=c.name, hic_resolution=c.hic_resolution,
                       hic_normalization=c.hic_normalization, chrom_sizes=self.chrom_sizes)


def config_path(config: str | Path | None = None) -> Path:
    """Return the profiles file to use (argument, ``REGFIND_CONFIG``, user config dir)."""
    if config is not None:
        return Path(config).expanduser()
    env = os.environ.get("REGFIND_CONFIG")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("regfind")) / "profiles.toml"


def load_profiles(config: str | Path | None = None) -> dict[str, Profile]:
    """Read all profiles of the profiles file.

    Raises
    ------
    ConfigError
        The file is missing, not valid TOML, or a profile lacks a required key or has a value
        of the wrong type or range (the first such profile's error).
    """
    profiles, errors = load_each_profile(config)
    if errors:
        raise next(iter(errors.values()))
    return profiles


def load_each_profile(config: str | Path | None = None
                      ) -> tuple[dict[str, Profile], dict[str, ConfigError]]:
    """Read every profile on its own, so that one bad profile does not break the others.

    Returns
    -------
    profiles : dict of str to Profile
        The profiles that were read.
    errors : dict of str to ConfigError
        Profile name -> the error of each profile that could not be read.

    Raises
    ------
    ConfigError
        The file is missing, not valid TOML, or has no ``[profiles.<name>]`` table.
    """
    path = config_path(config)
    if not path.is_file():
        raise ConfigError(
            f"no profiles file at {path}; create it (see docs/inputs.md) or pass --config / "
            "set REGFIND_CONFIG"
        )
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"profiles file {path} is not valid TOML: {exc}") from exc
    profiles = data.get("profiles")
    if not isinstance(profiles, dict) or not profiles:
        raise ConfigError(f"profiles file {path} has no [profiles.<name>] table")
    good: dict[str, Profile] = {}
    errors: dict[str, ConfigError] = {}
    for name, body in profiles.items():
        try:
            good[name] = _profile(name, body, path)
        except ConfigError as exc:
            errors[name] = exc
    return good, errors


#: Name of the built-in profile (and its cell type): the simulated demo genome.
DEMO = "demo"
#: The bundled model the demo profile uses (a folder under ``models/``; see docs/simulation.md).
DEMO_MODEL = "demo-soft"


def demo_profile() -> Profile:
    """Return the built-in ``demo`` profile: the simulated demo genome and its bundled model.

    The data are regenerated deterministically on first use (``regfind simulate``, seed 0,
    about a minute) into the user cache and verified against their
    recorded checksums; the model is :data:`DEMO_MODEL`.
    """
    from dataclasses import replace

    from regfind.simulate.demo import ensure_demo_data

    folder = ensure_demo_data()
    profile = load_profiles(folder / "profiles.toml")[DEMO]
    cells = {name: replace(cell, model=cell.model or DEMO_MODEL)
             for name, cell in profile.cells.items()}
    return replace(profile, cells=cells)


def default_profile(profile: str | None, cell: str | None,
                    config: str | Path | None = None) -> str | None:
    """Return the profile to use when none is named: the built-in demo for cell 'demo'.

    Cell type 'demo' means the built-in demo unless the profiles file has a cell of that name.
    """
    if profile is not None or cell != DEMO:
        return profile
    path = config_path(config)
    if path.is_file() and any(DEMO in p.cells for p in load_each_profile(config)[0].values()):
        return None
    return DEMO


def get_profile(name: str | None = None, config: str | Path | None = None) -> Profile:
    """Return one profile; ``name`` may be omitted when the file has exactly one.

    ``name='demo'`` gives the built-in :func:`demo_profile` unless the profiles file defines
    a profile of that name.
    """
    if name == DEMO and not _defines(config, DEMO):
        return demo_profile()
    profiles, errors = load_each_profile(config)
    names = [*profiles, *errors]
    if name is None:
        if len(names) != 1:
            raise ConfigError(f"several profiles ({', '.join(names)}); choose one with profile=")
        name = names[0]
    if name in errors:
        raise errors[name]
    if name not in profiles:
        raise ConfigError(
            f"no profile {name!r} in {config_path(config)} (has {', '.join(names)})"
        )
    return profiles[name]


def _defines(config: str | Path | None, name: str) -> bool:
    """Whether the profiles file exists and defines profile ``name``."""
    path = config_path(config)
    if not path.is_file():
        return False
    profiles, errors = load_each_profile(config)
    return name in profiles or name in errors


def _path(value: Any, base: Path, where: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty path string, got {value!r}")
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _profile(name: str, body: Any, source: Path) -> Profile:
    where = f"{source}: [profiles.{name}]"
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(body) - {*_GENOME_FILES, "cells"}
    if unknown:
        raise ConfigError(f"{where} has unknown keys {sorted(unknown)}; allowed: "
                          f"{', '.join(_GENOME_FILES)}, cells")
    base = source.parent
    if "geneexp_root" in body:
        body = _with_geneexp_defaults(body, _path(body["geneexp_root"], base,
                                                  f"{where} geneexp_root"))
    if "fasta" not in body:
        raise ConfigError(f"{where} lacks 'fasta' (the genome FASTA path) or 'geneexp_root'")
    if not isinstance(body.get("cells", {}), dict):
        raise ConfigError(f"{where}.cells must be a table")
    files = {k: _path(body[k], base, f"{where} {k}") for k in _GENOME_FILES if k in body}
    cells = {c: _cell(c, v, base, f"{where}.cells.{c}") for c, v in body.get("cells", {}).items()}
    return Profile(name, source, cells=cells, **files)


def _with_geneexp_defaults(body: dict, root: Path) -> dict:
    """Fill a profile body from a GeneExp folder; keys given in the body win."""
    from regfind.io.geneexp import profile_defaults

    merged = {**profile_defaults(root), **body, "geneexp_root": str(root)}
    cells = dict(profile_defaults(root)["cells"])  # type: ignore[arg-type]
    user = body.get("cells", {})
    if isinstance(user, dict):
        for name, cell in user.items():
            default = next((v for k, v in cells.items() if k.lower() == name.lower()), {})
            cells = {k: v for k, v in cells.items() if k.lower() != name.lower()}
            cells[name] = {**default, **cell} if isinstance(cell, dict) else cell
    merged["cells"] = cells
    return merged


def _cell(name: str, body: Any, base: Path, where: str) -> CellType:
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(body) - set(_CELL_KEYS)
    if unknown:
        raise ConfigError(f"{where} has unknown keys {sorted(unknown)}; allowed: "
                          f"{', '.join(_CELL_KEYS)}")
    for key in ("h3k27ac", "dnase"):
        if key not in body:
            raise ConfigError(f"{where} lacks {key!r} (a bigWig path)")
    hic = body.get("hic", "powerlaw")
    return CellType(
        name,
        h3k27ac=_path(body["h3k27ac"], base, f"{where} h3k27ac"),
        dnase=_path(body["dnase"], base, f"{where} dnase"),
        hic=hic if hic == "powerlaw" else _path(hic, base, f"{where} hic"),
        gene_features=(_path(body["gene_features"], base, f"{where} gene_features")
                       if "gene_features" in body else None),
        gene_list=(_path(body["gene_list"], base, f"{where} gene_list")
                   if "gene_list" in body else None),
        hic_resolution=_value(body, "hic_resolution", 5000, int, where, "5000 (bp, an integer)"),
        hic_normalization=_value(body, "hic_normalization", "VC", str, where,
                                 '"VC", "KR", "weight" or "NONE"'),
        model=_value(body, "model", None, str, where, '"demo-soft" or "models/my-model"'),
    )


def _value(body: dict, key: str, default: Any, kind: type, where: str, example: str) -> Any:
    """Check one setting's type (and, for numbers, that it is positive)."""
    if key not in body:
        return default
    value = body[key]
    ok = isinstance(value, kind) and not isinstance(value, bool)
    ok = ok and (value > 0 if kind is int else bool(value))
    if not ok:
        raise ConfigError(f"{where} {key} = {value!r} is not valid; write for example "
                          f"{key} = {example}")
    return value


def _available(config: str | os.PathLike[str] | None) -> str:
    names = []
    if config_path(config).is_file():
        for prof in load_each_profile(config)[0].values():
            names += [f"{c} (profile {prof.name})" for c in prof.cells]
    if default_profile(None, DEMO, config) == DEMO:
        names.append(f"{DEMO} (built-in)")
    return ", ".join(names)


def profile_for_cell(cell: str, profile: str | None = None,
                     config: str | os.PathLike[str] | None = None) -> Profile:
    """Return the profile a run on ``cell`` uses: the one named, else the one defining the cell.

    Raises
    ------
    ConfigError
        The cell type is in no profile (the message lists the cell types available and how to
        add one), in several (choose one with ``profile``), or the named profile lacks it.
    """
    if profile is None:
        profile = default_profile(None, cell, config)  # 'demo': the built-in demo (one rule)
    if profile is not None:
        prof = get_profile(profile, config)
        prof.cell(cell)  # raises with the cell types it has
        return prof
    path = config_path(config)
    found, errors = [], {}
    if path.is_file():
        profiles, errors = load_each_profile(config)
        found = [p for p in profiles.values() if any(c.lower() == cell.lower() for c in p.cells)]
    mention = re.compile(rf"\.cells\.{re.escape(cell)}\b", re.IGNORECASE)
    bad = [e for e in errors.values() if mention.search(str(e))]
    if not found and bad:
        raise bad[0]  # the cell's own profile could not be read: say why
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ConfigError(f"cell type {cell!r} is in several profiles of {path} "
                          f"({', '.join(p.name for p in found)}); choose one with --profile")
    how = (f"add a [profiles.NAME.cells.{cell}] table to {path}" if path.is_file() else
           f"there is no profiles file at {path}; create one with a "
           f"[profiles.NAME.cells.{cell}] table")
    import difflib

    known = [n.split(" (")[0] for n in _available(config).split(", ") if n]
    close = difflib.get_close_matches(cell, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigError(f"unknown cell type {cell!r}; {hint}available: {_available(config)}. To use "
                      f"{cell}: {how} (docs/inputs.md; `regfind fetch --dry-run {cell}` lists "
                      "reference data), or pass --config FILE")

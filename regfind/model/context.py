"""One way to open a run: (profile, cell type, model reference) -> opened inputs and a model.

Every command that takes ``--cell`` and every Python entry point (``call``, ``report``,
``attribute``, ``faithfulness``, the Dask workers, ...) goes through :func:`open_run`, so the
same arguments mean the same thing everywhere:

- **profile**: the named profile of the profiles file; when none is named, the profile that
  defines the cell type (exactly one must). Cell type ``demo`` means the built-in demo profile
  (:func:`regfind.inputs.profiles.demo_profile`) unless the profiles file defines a cell of
  that name, so ``--cell demo`` works on a machine with no profiles file at all
  (:func:`regfind.inputs.profiles.profile_for_cell`).
- **model**: a path (file or folder), a zoo name (``regfind models list``) or the name of a
  folder under ``models/``; :func:`resolve_model` is the one resolver. When none is given, the
  cell type's ``model`` key of the profile, which resolves the same way, relative to the
  profiles file when it names a relative path that exists there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regfind.errors import ConfigError

if TYPE_CHECKING:
    from regfind.inputs.sources import Sources

__all__ = ["RunContext", "load_model", "open_run", "resolve_model"]


@dataclass(frozen=True)
class RunContext:
    """What a command runs on.

    Attributes
    ----------
    sources : regfind.inputs.build.Sources
        The opened genome, tracks and annotation of the cell type.
    model : Seq2Exp
        The loaded network (CPU, eval mode).
    cell : str
        The cell type as the caller named it.
    profile : str or None
        The profile's name ('demo' for the built-in demo); None when ``sources`` was given.
    config : str or None
        The absolute path of the profiles file used, if any (for worker processes).
    model_path : Path or None
        Where the model was loaded from (None when a model object was given).
    """

    sources: Sources
    model: Any
    cell: str
    profile: str | None = None
    config: str | None = None
    model_path: Path | None = None

    def worker_spec(self) -> dict[str, str | None]:
        """Plain values from which another process re-opens the same run (:func:`open_run`)."""
        return {"cell": self.cell, "profile": self.profile, "config": self.config,
                "model": str(self.model_path) if self.model_path else None}


def load_model(ref: str | os.PathLike[str], *, device: Any = None) -> Any:
    """Load a model from any reference :func:`resolve_model` takes (``regfind.load_model``).

    Parameters
    ----------
    ref : str or path
        A checkpoint file, a model folder, a zoo name (``"demo-soft"``) or a ``models/``
        folder name.
    device : str or torch.device, optional
        Where to put the model; CUDA when available if not given.

    Returns
    -------
    Seq2Exp
        Loaded strictly (:func:`regfind.model.checkpoint.load_model`), in eval mode.

    Raises
    ------
    ConfigError
        Nothing of that name exists.
    CheckpointError, UnsafeCheckpointError
        As :func:`regfind.model.checkpoint.load_model`.
    """
    from regfind.model.checkpoint import load_model as load_checkpoint

    return load_checkpoint(resolve_model(ref), device=device)


def resolve_model(ref: str | os.PathLike[str], base: str | os.PathLike[str] | None = None
                  ) -> Path:
    """Return the local path of a model reference: a path, a zoo name or a ``models/`` folder.

    Parameters
    ----------
    ref : str or path
        A checkpoint file or model folder; a zoo name (``regfind models list``: the verified
        local copy, or an error that gives the download command); or a folder name under
        ``models/`` (the source tree's, then the working directory's).
    base : path, optional
        Folder that a relative path is tried against first (the profiles file's folder).

    Raises
    ------
    ConfigError
        Nothing of that name exists (the message lists the zoo names).
    """
    from regfind import zoo

    path = Path(ref).expanduser()
    if base is not None and not path.is_absolute() and (Path(base) / path).exists():
        return Path(base) / path
    if path.exists():
        return path
    if zoo.find_model(str(ref)) is not None:
        return zoo.model_path(str(ref))
    for root in zoo.model_roots():
        if (root / str(ref)).exists():
            return root / str(ref)
    names = ", ".join(card.name for card in zoo.list_models())
    raise ConfigError(f"model {str(ref)!r} not found: give a checkpoint path, a model folder or "
                      f"a zoo name ({names})")


def open_run(cell: str | None = None, *, profile: str | None = None,
             config: str | os.PathLike[str] | None = None, model: Any = None,
             sources: Sources | None = None) -> RunContext:
    """Open the inputs of a cell type and load its model.

    Parameters
    ----------
    cell : str, optional
        Cell type ('demo': the built-in demo). Needed unless ``sources`` is given.
    profile, config : optional
        Profile name and profiles file (see the module docstring).
    model : Seq2Exp, str or path, optional
        A loaded model, or a reference for :func:`resolve_model`; default: the profile's.
    sources : regfind.inputs.build.Sources, optional
        Already opened inputs (then ``profile`` and ``config`` are not read).

    Returns
    -------
    RunContext

    Raises
    ------
    ConfigError
        No cell type, an unknown cell type or model, or no model for the cell type.
    """
    from regfind.inputs.profiles import config_path, profile_for_cell
    from regfind.model.checkpoint import load_model
    from regfind.model.seq2exp import Seq2Exp

    prof_name = cfg = None
    cell_model, base = None, None
    if sources is None:
        if cell is None:
            raise ConfigError("a run needs a cell type (cell='K562', --cell) or sources=")
        prof = profile_for_cell(cell, profile, config)
        sources = prof.sources(cell)
        cell_model, base = prof.cell(cell).model, prof.source.parent
        prof_name = prof.name
        path = config_path(config)
        cfg = str(path.resolve()) if path.is_file() and prof.source == path else None
    label = cell or sources.cell
    if isinstance(model, Seq2Exp):
        return RunContext(sources, model, label, prof_name, cfg, None)
    ref = model if model is not None else cell_model
    if ref is None:
        raise ConfigError(f"no model for cell type {label!r}: pass model= (or --model) or set "
                          "'model' for the cell type in the profile")
    path = resolve_model(ref, base if model is None else None)
    return RunContext(sources, load_model(path, device="cpu"), label, prof_name, cfg,
                      path.resolve())

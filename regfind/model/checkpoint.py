"""Load Seq2Exp checkpoints strictly and safely; write regfind's own format.

Two formats are read by :func:`load_model`:

- **Official Lightning checkpoints** (``.ckpt``; docs/model.md, "Loading checkpoints"):
  unpickled with ``torch.load(weights_only=True)`` and an explicit allow-list of the OmegaConf
  classes that hold the hyper-parameters. Anything else in the pickle (a callable, a module, an
  unknown class) is refused with :class:`~regfind.errors.UnsafeCheckpointError` before it is
  built.
  Only the ``model.config`` subtree of the hyper-parameters is resolved, inside a fresh tree
  that holds nothing but it and ``dataset``; interpolations that call resolvers (such as the
  stored ``train.gpu_mem``, which runs a shell command) are rejected, never evaluated.
- **regfind's own format**: a directory with ``model.safetensors`` (unique tensors; no
  pickle) and ``model.json`` (the model card: format, configuration, provenance). Written by
  :func:`save_model` and ``regfind model convert``.

Loading is strict for both: a missing, unexpected or mis-shaped tensor is an error naming the
key and both shapes, and tensors that the model ties together (the reverse Mamba's projections,
the hard variant's shared generator/encoder) must be identical in the file.
"""

from __future__ import annotations

import collections
import json
import os
import pickle
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from regfind._env import resolve_device
from regfind._files import atomic_write, sha256_file
from regfind.errors import CheckpointError, ConfigError, UnsafeCheckpointError
from regfind.model.config import Seq2ExpConfig
from regfind.model.seq2exp import Seq2Exp

FORMAT_NAME = "regfind-seq2exp"
FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "model.json"
_PREFIX = "model."
_NODE_INTERPOLATION = re.compile(r"\$\{[A-Za-z0-9_.\[\]]*\}")


def load_model(path: str | os.PathLike[str], *, device: str | torch.device | None = None
               ) -> Seq2Exp:
    """Load a Seq2Exp checkpoint (official ``.ckpt`` or regfind's format) strictly.

    Parameters
    ----------
    path : path-like
        An official Lightning checkpoint file, or a regfind model directory (or its
        ``model.json`` / ``model.safetensors``).
    device : str or torch.device, optional
        Where to put the model; CUDA when available if not given.

    Returns
    -------
    Seq2Exp
        In eval mode. ``model.source`` holds the path, format and sha256 of the file read.

    Raises
    ------
    CheckpointError
        Unreadable file, missing/unexpected/mis-shaped tensors, inconsistent tied tensors.
    UnsafeCheckpointError
        The pickle references objects outside the allow-list.
    ConfigError
        The stored configuration uses options regfind does not implement.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path}")
    own_dir = _own_format_dir(path)
    if own_dir is not None:
        config, state, source = _read_own(own_dir)
    else:
        config, state, source = _read_official(path)
    model = Seq2Exp(config)
    load_state_strict(model, state, source=str(source["path"]))
    model.source = source  # type: ignore[assignment]
    return model.to(resolve_device(device)).eval()


def save_model(model: Seq2Exp, directory: str | os.PathLike[str], *,
               provenance: Mapping[str, Any] | None = None) -> Path:
    """Write ``model`` in regfind's format: ``model.safetensors`` + ``model.json``.

    Tied tensors are stored once, under the first name ``named_parameters`` gives them. Files
    are written to temporary names and renamed, so a failure leaves no partial model behind.

    Returns
    -------
    Path
        The directory written.
    """
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.named_parameters()}
    card = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
            "config": model.config.to_dict(), "provenance": dict(provenance or {})}
    with atomic_write(directory / WEIGHTS_FILE) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT_NAME})
    card["sha256"] = sha256_file(directory / WEIGHTS_FILE)
    with atomic_write(directory / CARD_FILE) as tmp:
        tmp.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return directory


def load_state_strict(model: torch.nn.Module, state: Mapping[str, torch.Tensor], *,
                      source: str = "checkpoint") -> None:
    """Copy ``state`` into ``model``; every key must match in name and shape.

    ``state`` may list a tied tensor under one of its names or under all of them; in the
    latter case the copies must be identical.
    """
    params = dict(model.named_parameters(remove_duplicate=False))
    aliases = _tie_groups(model)
    missing = [k for k in params if k not in state and not any(a in state for a in aliases[k])]
    unexpected = sorted(set(state) - set(params))
    bad_shape = [(k, tuple(state[k].shape), tuple(params[k].shape))
                 for k in state if k in params and state[k].shape != params[k].shape]
    problems = _describe(missing, unexpected, bad_shape)
    if problems:
        raise CheckpointError(f"{source} does not match the model: " + "; ".join(problems))
    _check_ties(state, aliases, source)
    with torch.no_grad():
        for key, value in state.items():
            params[key].copy_(value.to(params[key].dtype))


# ---------------------------------------------------------------------- official checkpoints
def _official_allow_list() -> list[Any]:
    """Classes an official checkpoint's pickle may build besides tensors (OmegaConf config)."""
    from omegaconf import DictConfig, ListConfig
    from omegaconf.base import ContainerMetadata, Metadata
    from omegaconf.nodes import (
        AnyNode,
        BooleanNode,
        BytesNode,
        FloatNode,
        IntegerNode,
        PathNode,
        StringNode,
    )

    return [DictConfig, ListConfig, ContainerMetadata, Metadata, AnyNode, StringNode,
            IntegerNode, FloatNode, BooleanNode, BytesNode, PathNode, typing.Any,
            collections.defaultdict, collections.OrderedDict, dict, list, tuple, set, int,
            float, str, bool]


def read_official(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Unpickle an official checkpoint with the weights-only loader and the allow-list.

    Returns the raw checkpoint dict (``state_dict``, ``hyper_parameters``, ...).
    """
    try:
        with torch.serialization.safe_globals(_official_allow_list()):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        refused = _refused_global(str(exc))
        if refused is None:
            raise CheckpointError(f"cannot read checkpoint {path}: not a valid torch "
                                  "checkpoint (corrupt, truncated or another format)") from None
        raise UnsafeCheckpointError(
            f"refused to load {path}: its pickle asks for {refused}, which is outside regfind's "
            "allow-list (tensors and the OmegaConf configuration only). regfind never loads "
            "checkpoints with weights_only=False; if the file is genuine, report its origin."
        ) from None
    except (RuntimeError, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {_first_line(exc)}") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no 'state_dict' entry)")
    return ckpt


def official_config(hparams: Any, *, source: str = "checkpoint") -> tuple[dict[str, Any], str]:
    """Resolve ``model.config`` of the stored hyper-parameters, safely.

    Returns the resolved configuration as plain Python values and ``dataset.cell_type``.
    """
    from omegaconf import DictConfig, OmegaConf

    if not isinstance(hparams, DictConfig) or "model" not in hparams:
        raise CheckpointError(f"{source}: hyper_parameters has no 'model' section")
    if hparams.model.get("_name_") not in (None, "BiMambaMIRNP"):
        raise ConfigError(f"{source}: model._name_ is {hparams.model.get('_name_')!r}; regfind "
                          "loads Seq2Exp ('BiMambaMIRNP') checkpoints only")
    tree = {"model": {"config": OmegaConf.to_container(hparams.model.config, resolve=False)},
            "dataset": OmegaConf.to_container(hparams.get("dataset", {}), resolve=False)}
    _reject_resolvers(tree, source)
    try:
        resolved = OmegaConf.to_container(OmegaConf.create(tree).model.config, resolve=True)
    except Exception as exc:  # omegaconf raises many types; none is safe to let through
        raise ConfigError(f"{source}: cannot resolve model.config: {_first_line(exc)}") from None
    cell = str(tree["dataset"].get("cell_type", "")) or None
    return resolved, cell


def _reject_resolvers(node: Any, source: str, where: str = "") -> None:
    """Refuse interpolations other than plain node references (``${a.b}``, ``${.x}``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _reject_resolvers(value, source, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _reject_resolvers(value, source, f"{where}[{i}]")
    elif isinstance(node, str) and "${" in _NODE_INTERPOLATION.sub("", node):
        raise ConfigError(f"{source}: {where} = {node!r} uses a resolver; regfind resolves only "
                          "plain references in model.config and dataset, never resolvers")


def _read_official(path: Path) -> tuple[Seq2ExpConfig, dict[str, torch.Tensor], dict[str, Any]]:
    ckpt = read_official(path)
    if "hyper_parameters" not in ckpt:
        raise CheckpointError(f"{path} has no 'hyper_parameters': cannot tell the model "
                              "configuration (soft or hard variant, sizes)")
    resolved, cell = official_config(ckpt["hyper_parameters"], source=str(path))
    config = Seq2ExpConfig.from_official(resolved, cell_type=cell)
    state = _strip_prefix(ckpt["state_dict"], path)
    source = {"path": str(path), "format": "lightning", "sha256": sha256_file(path),
              "lightning_version": ckpt.get("pytorch-lightning_version"),
              "global_step": ckpt.get("global_step"), "epoch": ckpt.get("epoch")}
    return config, state, source


def _strip_prefix(state: Mapping[str, Any], path: Path) -> dict[str, torch.Tensor]:
    foreign = [k for k in state if not k.startswith(_PREFIX)]
    if foreign:
        raise CheckpointError(f"{path}: state_dict keys outside 'model.': {foreign[:5]}")
    return {k[len(_PREFIX):]: v for k, v in state.items()}


# ---------------------------------------------------------------------- regfind's format
def _own_format_dir(path: Path) -> Path | None:
    if path.is_dir():
        return path
    if path.name in (CARD_FILE, WEIGHTS_FILE):
        return path.parent
    return None


def _read_own(directory: Path) -> tuple[Seq2ExpConfig, dict[str, torch.Tensor], dict[str, Any]]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    card_path, weights = directory / CARD_FILE, directory / WEIGHTS_FILE
    for p in (card_path, weights):
        if not p.is_file():
            raise CheckpointError(f"{directory} is not a regfind model: {p.name} is missing")
    try:
        card = json.loads(card_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{card_path}: not valid JSON ({exc})") from None
    if card.get("format") != FORMAT_NAME or card.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{card_path}: format {card.get('format')!r} version "
                              f"{card.get('format_version')!r} is not {FORMAT_NAME!r} "
                              f"version {FORMAT_VERSION}")
    digest = sha256_file(weights)
    if card.get("sha256") not in (None, digest):
        raise CheckpointError(f"{weights}: sha256 {digest} does not match the card's "
                              f"{card['sha256']}; the file is corrupt or was replaced")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"cannot read {weights}: {_first_line(exc)}") from None
    config = Seq2ExpConfig.from_dict(card["config"])
    source = {"path": str(directory), "format": FORMAT_NAME, "sha256": digest,
              "provenance": card.get("provenance", {})}
    return config, state, source


# ---------------------------------------------------------------------- helpers
def _tie_groups(model: torch.nn.Module) -> dict[str, list[str]]:
    """For every parameter name, the other names of the same tensor."""
    by_tensor: dict[int, list[str]] = collections.defaultdict(list)
    for name, p in model.named_parameters(remove_duplicate=False):
        by_tensor[id(p)].append(name)
    return {n: [m for m in names if m != n] for names in by_tensor.values() for n in names}


def _check_ties(state: Mapping[str, torch.Tensor], aliases: Mapping[str, list[str]],
                source: str) -> None:
    for key, others in aliases.items():
        for other in others:
            if key < other and key in state and other in state \
                    and not torch.equal(state[key], state[other]):
                raise CheckpointError(f"{source}: {key} and {other} are one tensor in the model "
                                      "(tied) but differ in the checkpoint")


def _describe(missing: list[str], unexpected: list[str],
              bad_shape: list[tuple[str, tuple[int, ...], tuple[int, ...]]]) -> list[str]:
    out = []
    if missing:
        out.append(f"{len(missing)} missing tensor(s): {', '.join(missing[:8])}")
    if unexpected:
        out.append(f"{len(unexpected)} unexpected tensor(s): {', '.join(unexpected[:8])}")
    for key, got, want in bad_shape[:8]:
        out.append(f"{key} has shape {list(got)} in the file but {list(want)} in the model")
    return out


def _refused_global(message: str) -> str | None:
    """Return the global that weights-only unpickling refused (None for other errors)."""
    match = re.search(r"GLOBAL ([\w.]+)", message)
    return match.group(1) if match else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

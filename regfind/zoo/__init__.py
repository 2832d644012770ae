"""The model zoo: known Seq2Exp models, their download, verification and local paths.

A model is named by its card (:mod:`regfind.zoo.cards`). Official checkpoints are downloaded
into the cache (:func:`cache_dir`) under ``models/<name>/``; bundled models live in ``models/``
at the top of the source tree. Every use of a downloaded model checks its sha256 against the
card, or, when the card does not know it, against the value recorded when the file was first
accepted with ``allow_unknown=True``. Reference data (``regfind fetch``) is in
:mod:`regfind.zoo.data`.

Examples
--------
>>> from regfind import zoo
>>> [c.name for c in zoo.list_models()]                      # doctest: +SKIP
>>> zoo.download_model("seq2exp-soft-k562", from_file="~/Downloads/soft_k562.ckpt",
...                    allow_unknown=True)                   # doctest: +SKIP
>>> net = zoo.load("seq2exp-soft-k562")                      # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from regfind.errors import ChecksumError, ConfigError, DataError
from regfind.zoo._download import (
    Remote,
    fetch_file,
    install_file,
    offline_mode,
    read_record,
    sha256_file,
    verify_file,
)
from regfind.zoo.cards import ModelCard, load_cards

__all__ = ["ModelCard", "cache_dir", "download_model", "find_model", "get_card", "list_models",
           "load", "model_path", "model_status", "offline_mode", "verify_model"]

_SOURCE_MODELS = Path(__file__).resolve().parents[2] / "models"


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return the download cache folder.

    In order: ``override`` (``--cache-dir``), ``REGFIND_CACHE``,
    ``platformdirs.user_cache_dir('regfind')`` (parsed files go to its ``parsed/`` folder).
    """
    if override is not None:
        return Path(override).expanduser()
    if os.environ.get("REGFIND_CACHE"):
        return Path(os.environ["REGFIND_CACHE"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("regfind"))


def list_models() -> list[ModelCard]:
    """Return every card, then local model folders under ``models/`` that have no card."""
    cards = load_cards()
    local = [c for c in _local_cards() if c.name not in cards]
    return [*cards.values(), *local]


def get_card(name: str) -> ModelCard:
    """Return the card of a model by name (case-insensitive).

    Raises
    ------
    ConfigError
        No card has that name.
    """
    for card in list_models():
        if card.name.lower() == str(name).lower():
            return card
    known = ", ".join(c.name for c in list_models())
    raise ConfigError(f"no model called {name!r} in the zoo (known: {known}); see "
                      "`regfind models list`")


def find_model(name: str) -> ModelCard | None:
    """Return the card called ``name``, or None (for callers that also accept paths)."""
    try:
        return get_card(name)
    except ConfigError:
        return None


def model_status(card: ModelCard, cache: str | os.PathLike[str] | None = None) -> str:
    """Return 'bundled', 'local', 'downloaded', 'not downloaded' or 'bundled files absent'."""
    if card.bundled or card.kind == "local":
        if _bundled_dir(card) is None:
            return "bundled files absent"
        return "bundled" if card.bundled else "local"
    return "downloaded" if _cached(card, cache).exists() else "not downloaded"


def download_model(name: str, *, cache: str | os.PathLike[str] | None = None,
                   url: str | None = None, from_file: str | os.PathLike[str] | None = None,
                   allow_unknown: bool = False, offline: bool | None = None,
                   progress: bool = True) -> Path:
    """Download (or copy from ``from_file``) a model's checkpoint into the cache, verified.

    Parameters
    ----------
    name : str
        Model name.
    cache : path-like, optional
        Cache folder (default: :func:`cache_dir`).
    url : str, optional
        Download from here instead of the card's URL (the card's checksum still applies).
    from_file : path-like, optional
        A copy obtained by hand (no network used).
    allow_unknown : bool, default False
        Accept a checkpoint whose sha256 the card does not know; its sha256 is recorded.
    offline : bool, optional
        Forbid network use (default: ``REGFIND_OFFLINE``).
    progress : bool, default True

    Returns
    -------
    Path
        The verified checkpoint in the cache (a bundled model's folder for bundled models).
    """
    card = get_card(name)
    if card.bundled or card.kind == "local":
        return model_path(card.name)
    remote = card.remote if url is None else Remote(url, card.remote.filename, card.sha256,
                                                    card.size or None)
    folder = cache_dir(cache) / "models" / card.name
    if from_file is not None:
        return install_file(from_file, remote, folder, allow_unknown=allow_unknown)
    return fetch_file(remote, folder, hint=_hint(card), allow_unknown=allow_unknown,
                      offline=offline, progress=progress)


def verify_model(name: str, *, cache: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Check a present model's files; return ``{file: sha256}``.

    Raises
    ------
    ChecksumError
        A file differs from the card (or from the recorded sha256).
    OfflineError
        The model is not downloaded.
    """
    card = get_card(name)
    if card.bundled or card.kind == "local":
        return _verify_bundled(card)
    path = _cached(card, cache)
    if not path.exists():
        raise DataError(f"model {card.name} is not downloaded (expected {path}); run "
                           f"`{_hint(card)}`")
    return {path.name: verify_file(path, card.remote)}


def model_path(name: str, *, cache: str | os.PathLike[str] | None = None) -> Path:
    """Return the verified local checkpoint (file or folder) of a model.

    Raises
    ------
    OfflineError
        The model is not downloaded (the message gives the command that downloads it).
    ChecksumError
        The local file differs from its known sha256.
    """
    card = get_card(name)
    verify_model(card.name, cache=cache)
    if card.bundled or card.kind == "local":
        folder = _bundled_dir(card)
        if folder is None:  # verify_model raised already; keeps type checkers content
            raise ConfigError(f"bundled model {card.name} is absent")
        return folder
    return _cached(card, cache)


def load(name: str, *, device: str | None = None, cache: str | os.PathLike[str] | None = None
         ) -> Any:
    """Load a zoo model by name (verified) with :func:`regfind.model.checkpoint.load_model`."""
    from regfind.model.checkpoint import load_model

    return load_model(model_path(name, cache=cache), device=device)


def recorded_sha256(name: str, cache: str | os.PathLike[str] | None = None) -> str:
    """Return the sha256 recorded when a model was downloaded, or ''."""
    card = get_card(name)
    return str((read_record(_cached(card, cache)) or {}).get("sha256", ""))


def _hint(card: ModelCard) -> str:
    if card.url:
        return f"regfind models download {card.name}"
    return (f"regfind models download {card.name} --url URL --allow-unknown-checksum (or "
            f"--from-file PATH for a copy made by hand; see {card.homepage or 'the card'})")


def _cached(card: ModelCard, cache: str | os.PathLike[str] | None) -> Path:
    return cache_dir(cache) / "models" / card.name / card.remote.filename


def model_roots() -> list[Path]:
    """Folders searched for bundled and local models: the source tree's, then ``./models``."""
    return list(dict.fromkeys([_SOURCE_MODELS, Path.cwd() / "models"]))


def _bundled_dir(card: ModelCard) -> Path | None:
    folder_name = card.bundled or card.name
    for root in model_roots():
        if (root / folder_name).is_dir():
            return root / folder_name
    return None


def _verify_bundled(card: ModelCard) -> dict[str, str]:
    folder = _bundled_dir(card)
    if folder is None:
        raise ConfigError(f"bundled model {card.name}: folder models/{card.bundled or card.name} "
                          "is absent (bundled weights ship with the source tree, not the wheel)")
    out = {}
    for fname in card.checksums or {"model.safetensors": ""}:
        path = folder / fname
        if not path.is_file():
            raise ChecksumError(f"bundled model {card.name}: {path} is missing")
        out[fname] = sha256_file(path)
        expected = card.checksums.get(fname, "")
        if expected and out[fname] != expected:
            raise ChecksumError(f"bundled model {card.name}: sha256 of {path} is {out[fname]}, "
                                f"the card {card.source} says {expected}")
    return out


def _local_cards() -> list[ModelCard]:
    """Cards made up for folders under ``models/`` holding a regfind model without a card."""
    out = []
    for root in model_roots():
        for meta in sorted(root.glob("*/model.json")) if root.is_dir() else []:
            try:
                config = json.loads(meta.read_text()).get("config", {})
            except (OSError, ValueError):
                continue
            out.append(ModelCard(
                name=meta.parent.name, kind="local", format="regfind", source=meta,
                description=f"model folder {meta.parent} (no card)",
                variant=str(config.get("variant", "?")),
                cell_type=str(config.get("cell_type", "?")), genome="hg38",
                window=int(config.get("seq_range", 0))))
    return list({c.name: c for c in out}.values())

"""Model cards: one TOML file per known model.

Cards ship inside the package (``regfind/zoo/cards/*.toml``) so an installed regfind knows the
zoo without its source tree. More cards are read from the folders in ``REGFIND_MODEL_CARDS``
(``os.pathsep``-separated) and from ``models/`` in the user config directory
(``platformdirs.user_config_dir('regfind')``); a card there with the name of a packaged card
replaces it. See ``docs/models.md`` for the fields.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regfind.errors import ConfigError
from regfind.zoo._download import Remote

__all__ = ["KINDS", "ModelCard", "card_dirs", "load_cards"]

PACKAGED = Path(__file__).resolve().parent / "cards"
KINDS = ("official", "bundled", "local")
_REQUIRED = ("name", "description", "kind", "variant", "cell_type", "genome", "window", "format")
_OPTIONAL = ("filename", "homepage", "url", "size", "sha256", "citation", "licence", "bundled",
             "checksums")


@dataclass(frozen=True)
class ModelCard:
    """What regfind knows about one model (read from a card file).

    ``sha256`` is ``""`` and ``size`` 0 when unknown. ``bundled`` names a folder under the
    source tree's ``models/``; ``checksums`` maps its files to their sha256.
    """

    name: str
    description: str
    kind: str
    variant: str
    cell_type: str
    genome: str
    window: int
    format: str
    source: Path
    filename: str = ""
    homepage: str = ""
    url: str = ""
    size: int = 0
    sha256: str = ""
    citation: str = ""
    licence: str = ""
    bundled: str = ""
    checksums: dict[str, str] = field(default_factory=dict)

    @property
    def remote(self) -> Remote:
        """The download description of the checkpoint file."""
        return Remote(self.url, self.filename or f"{self.name}.ckpt", self.sha256,
                      self.size or None)

    def to_dict(self) -> dict[str, Any]:
        """Return the card's fields (``source`` as a string)."""
        out = {k: getattr(self, k) for k in (*_REQUIRED, *_OPTIONAL)}
        return {**out, "source": str(self.source)}


def card_dirs() -> list[Path]:
    """Folders cards are read from, later ones overriding earlier ones."""
    import platformdirs

    dirs = [PACKAGED, Path(platformdirs.user_config_dir("regfind")) / "models"]
    env = os.environ.get("REGFIND_MODEL_CARDS", "")
    dirs += [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return dirs


def load_cards() -> dict[str, ModelCard]:
    """Read every card, keyed by model name (sorted).

    Raises
    ------
    ConfigError
        A card is not valid TOML, lacks a field or has an unknown one.
    """
    cards: dict[str, ModelCard] = {}
    for folder in card_dirs():
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                card = read_card(path)
                cards[card.name] = card
    return dict(sorted(cards.items()))


def read_card(path: Path) -> ModelCard:
    """Read and check one card file."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"model card {path} cannot be read: {exc}") from exc
    missing = [k for k in _REQUIRED if k not in data]
    unknown = set(data) - {*_REQUIRED, *_OPTIONAL}
    if missing or unknown:
        raise ConfigError(f"model card {path}: missing {missing}, unknown {sorted(unknown)}")
    if data["kind"] not in KINDS:
        raise ConfigError(f"model card {path}: kind must be one of {KINDS}, got {data['kind']!r}")
    sha = str(data.get("sha256", ""))
    if sha and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
        raise ConfigError(f"model card {path}: sha256 must be 64 lowercase hex digits or ''")
    try:
        return ModelCard(source=path, **{**data, "window": int(data["window"]),
                                         "size": int(data.get("size", 0))})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model card {path}: {exc}") from exc

"""Write the data profile of fetched files into the profiles file (a managed block).

regfind owns one block per genome in the profiles file
(:func:`regfind.inputs.profiles.config_path`), between marker comments; the rest of the file,
comments included, is left as it is. The block is rebuilt from what is in the cache: the genome
files and every registry cell type whose required files (H3K27ac and DNase bigWigs) are present, so
fetching K562 then GM12878 gives one profile with both. A ``[profiles.<genome>]`` table the user
wrote outside the block is never overwritten: that is a :class:`ConfigError` that prints the block
to paste by hand.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from regfind.errors import ConfigError
from regfind.zoo._download import _temporary
from regfind.zoo.data import DataFile, _data_file

__all__ = ["profile_block", "write_profile"]

_BEGIN = "# >>> regfind fetch: profile {name} (managed; rewritten by `regfind fetch`) >>>"
_END = "# <<< regfind fetch: profile {name} <<<"


def profile_block(genome: str, registry: dict[str, Any], cache: Path) -> str | None:
    """Return the TOML block of ``genome`` from the files in the cache, or None (no FASTA)."""
    base = _present(registry["genomes"].get(genome, {}), "", cache)
    if "fasta" not in base:
        return None
    lines = [f"[profiles.{genome}]", *(_kv(k, v) for k, v in base.items())]
    for cell, body in registry["cells"].items():
        if body.get("genome") != genome:
            continue
        keys = _present(body, cell, cache)
        if "h3k27ac" not in keys or "dnase" not in keys:
            continue
        keys.setdefault("hic", "powerlaw")
        if body.get("model"):
            keys["model"] = str(body["model"])
        lines += ["", f"[profiles.{genome}.cells.{cell}]", *(_kv(k, v) for k, v in keys.items())]
    return "\n".join(lines) + "\n"


def write_profile(genome: str, registry: dict[str, Any], cache: Path,
                  config: str | os.PathLike[str] | None = None) -> Path | None:
    """Write or update the managed block of ``genome``; return the profiles file (or None).

    The file is written atomically and must still parse as TOML.
    """
    from regfind.inputs.profiles import config_path

    block = profile_block(genome, registry, cache)
    if block is None:
        return None
    path = config_path(config)
    text = path.read_text() if path.exists() else ""
    begin, end = _BEGIN.format(name=genome), _END.format(name=genome)
    managed = f"{begin}\n{block}{end}\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    outside = pattern.sub("", text)
    if re.search(rf"^\s*\[profiles\.{re.escape(genome)}[\].]", outside, re.M):
        raise ConfigError(f"{path} already defines [profiles.{genome}] (not written by regfind "
                          f"fetch); leaving it alone. Add these lines by hand:\n{block}")
    new = pattern.sub(lambda _: managed, text) if pattern.search(text) else (
        text + ("\n" if text and not text.endswith("\n") else "") + managed)
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"updating {path} would give invalid TOML ({exc}); fix the file") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    with _temporary(path) as tmp:
        tmp.write_text(new)
        os.replace(tmp, path)
    return path


def _present(body: dict[str, Any], cell: str, cache: Path) -> dict[str, str]:
    out = {}
    for label, spec in body.get("files", {}).items():
        item: DataFile = _data_file(label, spec, cell)
        if item.key and item.local_path(cache).exists():
            out[item.key] = str(item.local_path(cache))
    return out


def _kv(key: str, value: str) -> str:
    return f"{key} = {json.dumps(value)}"

"""The demo data set: regenerated on first use with the demo seed, verified by checksum.

The bundled demo model (``models/demo-soft``) was trained on ``simulate(DEMO)``. Those files
(about 24 MB) are not shipped; :func:`ensure_demo_data` writes them once into a cache folder
and checks them against :data:`DEMO_MANIFEST_SHA256`, the sha256 of their
``MANIFEST.sha256`` (also recorded in the demo model's card).
"""

from __future__ import annotations

import os
from pathlib import Path

from regfind.errors import DataError
from regfind.simulate.config import DEMO
from regfind.simulate.tables import MANIFEST, verify_manifest

__all__ = ["DEMO_MANIFEST_SHA256", "demo_dir", "ensure_demo_data"]

#: sha256 of ``MANIFEST.sha256`` of ``regfind simulate --out DIR`` (the demo seed, 0).
DEMO_MANIFEST_SHA256 = "26e93350eb05edde205fb9a06549095c51b9e409fd2f3626f28cb0819884a396"


def demo_dir() -> Path:
    """Folder of the demo data: ``$REGFIND_DEMO_DIR`` or ``<user cache>/regfind/demo``."""
    env = os.environ.get("REGFIND_DEMO_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("regfind")) / "demo"


def ensure_demo_data(folder: str | Path | None = None, *, verify: bool = True) -> Path:
    """Return the demo data folder, simulating it first if it is missing.

    Parameters
    ----------
    folder : path, optional
        Where the data live (default :func:`demo_dir`).
    verify : bool, default True
        Check every file against the manifest and the manifest against
        :data:`DEMO_MANIFEST_SHA256`.

    Returns
    -------
    Path
        The folder; its ``profiles.toml`` defines profile ``demo`` with cell ``demo``.

    Raises
    ------
    DataError
        The files differ from the ones the demo model was trained on (for example a numpy
        release that changed a random distribution); the message says how to proceed.
    """
    folder = Path(folder) if folder is not None else demo_dir()
    if not (folder / MANIFEST).is_file():
        import sys

        from regfind.simulate import simulate

        print(f"regfind: building the demo genome in {folder} (first use only; about a "
              "minute)", file=sys.stderr, flush=True)
        simulate(DEMO, folder, progress=True)
    if verify:
        try:
            verify_manifest(folder, expected=DEMO_MANIFEST_SHA256)
        except DataError as exc:
            raise DataError(
                f"the demo data in {folder} are not those the demo model was trained on "
                f"({exc}); delete the folder to regenerate it, or use verify=False to accept "
                "the data this installation generates") from exc
    return folder

"""Run-environment helpers shared by every stage: devices, model placement, package versions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["on_device", "package_versions", "resolve_device"]


def resolve_device(device: Any = None) -> Any:
    """Return a ``torch.device``: ``None`` or ``'auto'`` → CUDA when available, else CPU."""
    import torch

    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextmanager
def on_device(model: Any, device: Any) -> Iterator[Any]:
    """Move ``model`` to ``device`` in eval mode; restore its device and mode afterwards."""
    params = list(model.parameters())
    old_device = params[0].device if params else device
    was_training = model.training
    try:
        yield model.to(device).eval()
    finally:
        model.to(old_device).train(was_training)


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """Return the installed version of each named distribution (missing ones left out)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out

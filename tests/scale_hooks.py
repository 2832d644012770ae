"""Hooks the Dask tests run on workers (importable there: workers inherit ``sys.path``)."""

from __future__ import annotations

import os
import signal
from pathlib import Path


class KillOnce:
    """Kill the worker process the first time it computes ``gene`` (marker file: once)."""

    def __init__(self, gene: str, marker: Path) -> None:
        self.gene, self.marker = gene, Path(marker)

    def __call__(self, gene: str) -> None:
        if gene == self.gene and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)


class FailOn:
    """Raise every time ``gene`` is computed (a chunk that fails for good: the run crashes)."""

    def __init__(self, gene: str) -> None:
        self.gene = gene

    def __call__(self, gene: str) -> None:
        if gene == self.gene:
            raise RuntimeError(f"injected failure on {gene}")


class Record:
    """Append every computed gene to a log file (one line each)."""

    def __init__(self, log: Path) -> None:
        self.log = Path(log)

    def __call__(self, gene: str) -> None:
        with open(self.log, "a") as fh:
            fh.write(gene + "\n")

"""Shared fixtures: the official-format checkpoint fixtures, the demo genome, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
OFFICIAL = SHARED / "fixtures" / "seq2exp_official"


@pytest.fixture(scope="session")
def official_dir() -> Path:
    """Folder of the official-format checkpoints and their expected outputs."""
    if not (OFFICIAL / "tiny_soft.ckpt").exists():
        pytest.skip(f"official checkpoint fixtures not found at {OFFICIAL} (../shared is absent)")
    return OFFICIAL


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):
    """Run ``regfind ARGS`` in-process; return ``(exit_code, stdout, stderr)``."""
    from regfind.cli import main

    def run(args: list) -> tuple[int, str, str]:
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def demo_genome() -> Path:
    """The demo data folder, simulated once (about a minute) if the cache does not hold it.

    Made here, in the test process, before any Dask worker or shard needs it.
    """
    from regfind.simulate.demo import ensure_demo_data

    return ensure_demo_data()

"""The demo genome for end-to-end tests: genes on three chromosomes and the bundled model."""

from __future__ import annotations

from pathlib import Path

#: Demo genes on chr1, chr2 and chr5 (the held-out test chromosome).
GENES = ["SIM0001", "SIM0002", "SIM0201", "SIM0202", "SIM0801", "SIM0802"]
#: Command-line arguments that select the built-in demo data profile.
PROFILE_ARGS = ["--cell", "demo", "--profile", "demo"]
MODEL = Path(__file__).resolve().parents[1] / "models" / "demo-soft"

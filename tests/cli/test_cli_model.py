"""The ``regfind`` entry point and ``regfind model`` commands."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def test_version_and_help_do_not_import_torch():
    code = ("import sys; from regfind.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules, 'torch imported at CLI start-up'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "model" in result.stdout


def test_model_info(official_dir, run_cli):
    code, out, _ = run_cli(["model", "info", str(official_dir / "tiny_hard.ckpt"), "--json"])
    assert code == 0
    info = json.loads(out)
    assert info["variant"] == "Seq2Exp-hard" and info["cell_type"] == "K562"
    assert info["window_bp"] == 2000 and info["training"]["trainer.precision"] == "bf16"


def test_model_convert_then_load(official_dir, tmp_path, run_cli):
    out_dir = tmp_path / "soft"
    code, out, _ = run_cli(["model", "convert", str(official_dir / "tiny_soft.ckpt"),
                         "-o", str(out_dir)])
    assert code == 0 and "wrote" in out
    code, out, _ = run_cli(["model", "info", str(out_dir), "--json"])
    info = json.loads(out)
    assert info["format"] == "regfind-seq2exp"
    assert info["provenance"]["converted_from"].endswith("tiny_soft.ckpt")


def test_library_error_is_one_line(tmp_path, run_cli):
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"garbage")
    code, out, err = run_cli(["model", "info", str(bad)])
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("regfind: error: cannot read checkpoint")


@pytest.mark.parametrize("args", [["model", "info"], ["nonsense"]])
def test_usage_errors_exit_2(args, run_cli):
    code, _, err = run_cli(args)
    assert code == 2 and ("Usage" in err or "Error" in err)


def test_model_info_of_the_demo_model_is_readable(run_cli):
    """The bundled model: its cell type from its training data, the history as one line."""
    code, out, err = run_cli(["model", "info", "demo-soft"])
    assert code == 0, err
    lines = out.splitlines()
    assert "cell_type: demo (the cell type of its training data)" in lines
    history = next(ln for ln in lines if ln.strip().startswith("history:"))
    assert history.strip().startswith("history: 13 epochs; lowest validation MSE at epoch 13")
    metrics = next(ln for ln in lines if ln.strip().startswith("metrics:"))
    assert "test Pearson 0.651" in metrics
    assert max(len(ln) for ln in lines if not ln.strip().startswith(
        ("description:", "run_notes:"))) <= 110
    code, out, _ = run_cli(["model", "info", "demo-soft", "--json"])
    assert len(__import__("json").loads(out)["provenance"]["history"]) == 13

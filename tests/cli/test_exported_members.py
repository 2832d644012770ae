"""The public API re-exported by ``regfind`` resolves, lazily."""

from __future__ import annotations

import subprocess
import sys

import regfind


def test_every_export_resolves():
    for name in regfind.__all__:
        assert getattr(regfind, name) is not None, name


def test_call_is_the_function_after_importing_the_module():
    import regfind.calling.api

    assert regfind.call is regfind.calling.api.call


def test_import_is_light():
    code = "import sys, regfind; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0

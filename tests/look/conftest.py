"""Fixtures the figure, report and browser tests share: a tiny profile and a call on it."""

from __future__ import annotations

import pytest
from call_data import tiny_profile

from regfind.calling.api import call
from regfind.inputs.profiles import get_profile


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    return tiny_profile(tmp_path_factory, "look")


@pytest.fixture(scope="module")
def sources(profile):
    return get_profile(None, profile).sources("demo")


@pytest.fixture(scope="module")
def result(profile):
    return call(["GENE1", "GENE4"], "demo", config=profile, top_fraction=0.2)

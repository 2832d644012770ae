"""The one-GPU inference path, checked on CPU: prefetching, order, precision option."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch
from call_data import GENES, save_tiny_model, write_profile

from regfind.errors import ConfigError
from regfind.inputs.build import InputStream
from regfind.inputs.profiles import get_profile
from regfind.model.checkpoint import load_model
from regfind.model.inference import prefetched, run_masks


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    model_dir = save_tiny_model(root / "model")
    sources = get_profile(None, write_profile(root, model_dir)).sources("demo")
    return load_model(model_dir, device="cpu"), sources


def _masks(setup, **kwargs):
    net, sources = setup
    stream = InputStream([g[1] for g in GENES], sources, batch_size=2,
                         window=net.config.seq_range)
    return list(run_masks(net, stream, device="cpu", **kwargs))


def test_prefetch_identical_and_ordered(setup):
    plain = _masks(setup, prefetch=0)
    ahead = _masks(setup, prefetch=2)
    assert [m.locus.gene for m in ahead] == [g[1] for g in GENES]
    for a, b in zip(plain, ahead, strict=True):
        assert a.locus == b.locus and np.array_equal(a.mask, b.mask)
        assert np.array_equal(a.alpha, b.alpha) and np.array_equal(a.beta, b.beta)


def test_prefetched_keeps_order_and_is_bounded():
    built = []

    def build(i):
        built.append(i)
        return i * i

    out = []
    for value in prefetched(range(50), 3, build):
        time.sleep(0.002)
        out.append(value)
        assert len(built) - len(out) <= 3 + 1  # queue depth + one being built
    assert out == [i * i for i in range(50)]


def test_prefetched_runs_in_a_thread_and_reraises():
    main = threading.get_ident()
    threads = set()

    def build(i):
        threads.add(threading.get_ident())
        if i == 3:
            raise ValueError("bad item 3")
        return i

    got = []
    with pytest.raises(ValueError, match="bad item 3"):
        for v in prefetched(range(10), 2, build):
            got.append(v)
    assert got == [0, 1, 2] and main not in threads


def test_prefetched_stops_when_consumer_stops():
    gen = prefetched(iter(range(10**9)), 2, lambda i: i)
    assert next(gen) == 0
    gen.close()
    time.sleep(0.3)
    assert not any(t.name == "regfind-prefetch" for t in threading.enumerate())


def test_precision_is_checked(setup):
    with pytest.raises(ConfigError, match="precision must be"):
        _masks(setup, precision="fp16")


def test_bf16_official_runs_on_cpu_close_to_fp32(setup):
    fp32 = _masks(setup)
    bf16 = _masks(setup, precision="bf16-official")
    for a, b in zip(fp32, bf16, strict=True):
        assert a.locus == b.locus and b.alpha.dtype == np.float32
        np.testing.assert_allclose(b.alpha, a.alpha, rtol=2e-2)
        np.testing.assert_allclose(b.beta, a.beta, rtol=2e-2)
        assert not np.array_equal(b.alpha, a.alpha)  # the bf16 rounding did happen


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_path_matches_cpu(setup):
    net, sources = setup
    cpu = _masks(setup)
    stream = InputStream([g[1] for g in GENES], sources, batch_size=2,
                         window=net.config.seq_range)
    gpu = list(run_masks(net, stream, device="cuda"))
    for a, b in zip(cpu, gpu, strict=True):
        assert a.locus == b.locus
        np.testing.assert_allclose(a.mask, b.mask, atol=1e-4)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_bf16_official_matches_cpu_bf16(setup):
    net, sources = setup
    cpu = _masks(setup, precision="bf16-official")
    stream = InputStream([g[1] for g in GENES], sources, batch_size=2,
                         window=net.config.seq_range)
    gpu = list(run_masks(net, stream, device="cuda", precision="bf16-official"))
    for a, b in zip(cpu, gpu, strict=True):
        assert a.locus == b.locus
        np.testing.assert_allclose(b.alpha, a.alpha, rtol=2e-2)

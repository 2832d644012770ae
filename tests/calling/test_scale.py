"""The Dask engine on a local 2-worker cluster (127.0.0.1) on the demo genome.

Identical output to a single process, a killed worker, a crash then resume.
"""

from __future__ import annotations

import json

import pytest
from demo_data import GENES, MODEL, PROFILE_ARGS
from scale_hooks import FailOn, KillOnce, Record

from regfind.cli import main
from regfind.errors import RegfindError

distributed = pytest.importorskip("distributed")

from regfind.calling.scale import WorkerSpec, local_cluster, run_chunks  # noqa: E402

GENE_NAMES = [*GENES, "NOPE"]
TIMEOUT = 60


@pytest.fixture(scope="module")
def profile(demo_genome):
    return PROFILE_ARGS


@pytest.fixture(scope="module")
def client():
    cluster = local_cluster(2)
    cl = distributed.Client(cluster, set_as_default=False, timeout=TIMEOUT)
    try:
        cl.wait_for_workers(2, timeout=TIMEOUT)
        yield cl
    finally:
        cl.close(timeout=10)
        cluster.close(timeout=10)


@pytest.fixture(scope="module")
def genes_file(profile, tmp_path_factory):
    path = tmp_path_factory.mktemp("genes") / "genes.txt"
    path.write_text("\n".join(GENE_NAMES) + "\n")
    return path


@pytest.fixture(scope="module")
def single(profile, genes_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "regions.bed"
    main(["call", "--genes", str(genes_file), *profile, "-o", str(out),
          "--track", str(out.with_suffix(".bedgraph"))])
    return out


def _same_outputs(out, single):
    assert out.read_bytes() == single.read_bytes()
    for ext in (".tsv",):
        assert (out.parent / (out.name + ext)).read_bytes() == (
            single.parent / (single.name + ext)).read_bytes()


def _spec(profile, workdir):
    return WorkerSpec(cell="demo", profile="demo", config=None, model=str(MODEL),
                      workdir=str(workdir))


def test_cli_engine_identical(profile, genes_file, single, client, tmp_path, run_cli):
    out = tmp_path / "regions.bed"
    track = tmp_path / "regions.bedgraph"
    # --cell demo alone: the workers must get the built-in profile the driver resolved
    code, _, err = run_cli(["call", "--genes", genes_file, "--cell", "demo",
                      "-o", out, "--track", track, "--engine", "dask",
                      "--scheduler", client.scheduler.address])
    assert code == 0, err
    _same_outputs(out, single)
    assert track.read_bytes() == single.with_suffix(".bedgraph").read_bytes()
    side = json.loads((tmp_path / "regions.bed.json").read_text())
    assert [s["gene"] for s in side["skipped"]] == ["NOPE"]
    assert not (tmp_path / "regions.bed.parts").exists()


def test_killed_worker_retried_elsewhere(profile, single, client, tmp_path):
    marker = tmp_path / "killed"
    workdir = tmp_path / "parts"
    skipped = run_chunks(GENE_NAMES, _spec(profile, workdir), client=client, chunk_size=2,
                         timeout=TIMEOUT, on_gene=KillOnce(GENES[1], marker))
    assert marker.exists()  # a worker really died on its second gene
    assert [g for g, _ in skipped] == ["NOPE"]
    client.wait_for_workers(2, timeout=TIMEOUT)  # the nanny restarts the killed worker
    assert sorted(p.stem for p in workdir.glob("*.npz")) == sorted(GENE_NAMES[:-1])


def test_killed_worker_cli_output_identical(profile, genes_file, single, client, tmp_path,
                                           run_cli, monkeypatch):
    import functools

    import regfind.calling.scale as scale

    marker = tmp_path / "killed"
    monkeypatch.setattr(scale, "run_chunks", functools.partial(
        scale.run_chunks, chunk_size=2, timeout=TIMEOUT, on_gene=KillOnce(GENES[2], marker)))
    out = tmp_path / "regions.bed"
    code, _, err = run_cli(["call", "--genes", genes_file, *profile, "-o", out, "--engine",
                            "dask", "--scheduler", client.scheduler.address])
    assert code == 0, err
    assert marker.exists()  # a worker died midway through the run
    _same_outputs(out, single)
    client.wait_for_workers(2, timeout=TIMEOUT)


def test_crash_then_resume(profile, genes_file, single, client, tmp_path, run_cli):
    out = tmp_path / "regions.bed"
    workdir = tmp_path / "regions.bed.parts"
    spec = _spec(profile, workdir)
    with pytest.raises(Exception, match=f"injected failure on {GENES[4]}"):
        run_chunks(GENE_NAMES, spec, client=client, chunk_size=2, timeout=TIMEOUT,
                   on_gene=FailOn(GENES[4]))
    done = {p.stem for p in workdir.glob("*.npz")}
    assert done and GENES[4] not in done
    log = tmp_path / "computed.log"
    run_chunks(GENE_NAMES, spec, client=client, chunk_size=2, timeout=TIMEOUT,
               on_gene=Record(log))
    computed = set(log.read_text().split())
    assert GENES[4] in computed and not computed & done
    code, _, err = run_cli(["call", "--genes", genes_file, *profile,
                      "-o", out, "--engine", "dask", "--scheduler", client.scheduler.address,
                      "--resume"])
    assert code == 0, err
    _same_outputs(out, single)


def test_timeout_is_an_error(profile, client, tmp_path):
    with pytest.raises(RegfindError, match="did not finish within"):
        run_chunks(GENE_NAMES, _spec(profile, tmp_path / "p"), client=client, chunk_size=1,
                   timeout=0.01)


@pytest.mark.slow
def test_cli_local_cluster(profile, genes_file, single, tmp_path, run_cli):
    out = tmp_path / "regions.bed"
    code, _, err = run_cli(["call", "--genes", genes_file, *profile,
                      "-o", out, "--engine", "dask", "--workers", "2"])
    assert code == 0, err
    _same_outputs(out, single)

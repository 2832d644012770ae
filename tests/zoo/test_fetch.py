"""``regfind fetch``: registry, dry run, offline mode, verified fetch and the written profile."""

from __future__ import annotations

import gzip
import hashlib
import tomllib

import pytest
from call_data import write_profile
from click.testing import CliRunner
from http_server import FileServer

from regfind.cli import cli
from regfind.errors import ChecksumError, ConfigError, OfflineError
from regfind.inputs.profiles import get_profile
from regfind.zoo.data import load_registry, plan


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.delenv("REGFIND_OFFLINE", raising=False)
    monkeypatch.delenv("REGFIND_DATA_REGISTRY", raising=False)
    monkeypatch.setenv("REGFIND_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("REGFIND_CONFIG", str(tmp_path / "config" / "profiles.toml"))


@pytest.fixture(scope="module")
def sim_files(tmp_path_factory):
    """The synthetic data set of the call tests, as served bytes."""
    root = tmp_path_factory.mktemp("sim")
    write_profile(root, root / "unused-model")
    files = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    files["genome.fa.gz"] = gzip.compress(files.pop("genome.fa"))
    return files


@pytest.fixture()
def served(sim_files, tmp_path, monkeypatch):
    """A registry whose URLs point at a local server holding the synthetic files."""
    server = FileServer(sim_files).start()
    registry = tmp_path / "registry.toml"
    registry.write_text(_registry(server.url, sim_files))
    monkeypatch.setenv("REGFIND_DATA_REGISTRY", str(registry))
    yield server
    server.stop()


def _entry(table: str, key: str, url: str, name: str, data: bytes | None, folder: str,
           extra: str = "") -> str:
    sha = hashlib.sha256(data).hexdigest() if data is not None else ""
    size = len(data) if data is not None else 0
    return (f'[{table}]\nkey = "{key}"\nurl = "{url}/files/{name}"\nfilename = "{name}"\n'
            f'dir = "{folder}"\nsize = {size}\nsha256 = "{sha}"\n{extra}\n')


def _registry(url: str, files: dict[str, bytes]) -> str:
    out = ['[genomes.hg38]\ndescription = "test"\n']
    out.append(_entry("genomes.hg38.files.fasta", "fasta", url, "genome.fa.gz",
                      files["genome.fa.gz"], "hg38",
                      'decompress = "gzip"\nunpacked = "genome.fa"'))
    out.append(_entry("genomes.hg38.files.annotation", "annotation", url, "genes.gtf",
                      files["genes.gtf"], "hg38"))
    out.append(_entry("genomes.hg38.files.blacklist", "blacklist", url, "blacklist.bed",
                      files["blacklist.bed"], "hg38"))
    for cell in ("K562", "GM12878"):
        out.append(f'[cells.{cell}]\ngenome = "hg38"\nmodel = "tiny-random-soft"\n')
        for key, name in (("h3k27ac", "h3k27ac.bw"), ("dnase", "dnase.bw"),
                          ("gene_features", "features.csv")):
            # GM12878's DNase has no known checksum (exercises --allow-unknown-checksum)
            data = None if (cell, key) == ("GM12878", "dnase") else files[name]
            out.append(_entry(f"cells.{cell}.files.{key}", key, url, name, data,
                              f"hg38/{cell}"))
        out.append(_entry(f"cells.{cell}.files.hic", "hic", url, "absent.hic", b"x",
                          f"hg38/{cell}", "optional = true"))
    return "\n".join(out)


def test_registry_has_the_official_inputs():
    reg = load_registry()
    k562 = {f.label: f for f in plan("K562", registry=reg).files}
    assert "ENCFF465GBD" in k562["K562.h3k27ac"].remote.url
    assert "ENCFF414OGC" in k562["K562.dnase"].remote.url
    gm = {f.label: f for f in plan("gm12878", registry=reg).files}
    assert "ENCFF798KYP" in gm["GM12878.h3k27ac"].remote.url
    assert "ENCFF960FMM" in gm["GM12878.dnase"].remote.url
    bench = {f.label: f.remote for f in plan("crispri", registry=reg).files}
    assert bench["training_k562"].size == 996_546 and bench["ensemble"].size == 436_609
    assert plan("K562", hic=True, registry=reg).files[-1].label == "K562.hic"


def test_benchmark_checksum_matches_the_shared_copy():
    from pathlib import Path

    copy = (Path(__file__).resolve().parents[3] / "shared" / "data" / "external"
            / "EPCrisprBenchmark_combined_data.training_K562.GRCh38.tsv.gz")
    if not copy.exists():
        pytest.skip("shared copy of the CRISPRi benchmark absent")
    remote = {f.label: f.remote for f in plan("crispri").files}["training_k562"]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == remote.sha256
    assert copy.stat().st_size == remote.size


def test_dry_run_k562_lists_files_and_sizes(tmp_path):
    result = CliRunner().invoke(cli, ["fetch", "--dry-run", "K562"])
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("ENCFF465GBD", "ENCFF414OGC", "hg38.fa.gz", "1,346,273 B", "310 B",
                 "size unknown", "sha256 UNKNOWN", "skip K562.hic", "seq2exp-soft-k562",
                 str(tmp_path / "cache" / "data" / "hg38" / "K562")):
        assert text in out, text
    assert not (tmp_path / "cache").exists()  # a dry run writes nothing
    bench = CliRunner().invoke(cli, ["fetch", "--dry-run", "crispri"])
    assert "996,546 B" in bench.output and "436,609 B" in bench.output


def test_fetch_writes_a_profile_that_call_uses(served, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["fetch", "K562"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cache" / "data" / "hg38" / "genome.fa").read_bytes().startswith(b">chr1")
    prof = get_profile("hg38")
    assert prof.cell("K562").hic == "powerlaw" and prof.cell("K562").model == "tiny-random-soft"
    assert "absent.hic" not in str(served.log)  # optional Hi-C not fetched without --hic
    out = tmp_path / "out.bed"
    called = runner.invoke(cli, ["call", "--gene", "GENE1", "--cell", "K562", "-o", str(out)])
    assert called.exit_code == 0, called.output
    assert out.read_text().startswith("chr1")


def test_second_cell_joins_the_managed_block(served, tmp_path):
    config = tmp_path / "config" / "profiles.toml"
    config.parent.mkdir()
    config.write_text("# my settings\n[profiles.other]\nfasta = \"/x.fa\"\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["fetch", "K562"]).exit_code == 0
    refused = runner.invoke(cli, ["fetch", "GM12878"])
    assert isinstance(refused.exception, ChecksumError)  # its DNase sha256 is unknown
    ok = runner.invoke(cli, ["fetch", "GM12878", "--allow-unknown-checksum"])
    assert ok.exit_code == 0, ok.output
    text = config.read_text()
    assert text.startswith("# my settings\n[profiles.other]")
    assert text.count(">>> regfind fetch: profile hg38") == 1
    assert set(tomllib.loads(text)["profiles"]["hg38"]["cells"]) == {"K562", "GM12878"}


def test_offline_checks_present_files_and_names_missing_ones(served, tmp_path, monkeypatch):
    runner = CliRunner()
    missing = runner.invoke(cli, ["fetch", "K562", "--offline"])
    assert isinstance(missing.exception, OfflineError)
    message = str(missing.exception)
    assert "regfind fetch K562" in message
    assert str(tmp_path / "cache" / "data" / "hg38" / "K562" / "h3k27ac.bw") in message
    assert served.log == []
    assert runner.invoke(cli, ["fetch", "K562"]).exit_code == 0
    count = len(served.log)
    monkeypatch.setenv("REGFIND_OFFLINE", "1")
    again = runner.invoke(cli, ["fetch", "K562"])
    assert again.exit_code == 0, again.output
    assert len(served.log) == count


def test_user_profile_is_never_overwritten(served, tmp_path):
    config = tmp_path / "config" / "profiles.toml"
    config.parent.mkdir()
    config.write_text("[profiles.hg38]\nfasta = \"/mine.fa\"\n")
    result = CliRunner().invoke(cli, ["fetch", "K562"])
    assert isinstance(result.exception, ConfigError)
    assert "[profiles.hg38.cells.K562]" in str(result.exception)
    assert config.read_text() == "[profiles.hg38]\nfasta = \"/mine.fa\"\n"


def test_unknown_target_is_an_error():
    result = CliRunner().invoke(cli, ["fetch", "--dry-run", "mm10"])
    assert isinstance(result.exception, ConfigError) and "K562" in str(result.exception)

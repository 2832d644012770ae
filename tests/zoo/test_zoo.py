"""Model zoo and the verified download core, against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import multiprocessing
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from http_server import FileServer
from zoo_worker import fetch_worker

from regfind import zoo
from regfind.cli import cli
from regfind.errors import ChecksumError, DataError, DownloadError, OfflineError
from regfind.model.context import resolve_model
from regfind.zoo._download import Remote, fetch_file, install_file, read_record, verify_file

DATA = random.Random(8).randbytes(200_000)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture()
def server():
    srv = FileServer({"blob.bin": DATA, "model.ckpt": DATA}).start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.delenv("REGFIND_OFFLINE", raising=False)
    monkeypatch.delenv("REGFIND_MODEL_CARDS", raising=False)
    monkeypatch.setenv("REGFIND_CACHE", str(tmp_path / "cache"))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.suffix in (".part", ".tmp") or p.name.startswith("tmp"))


def _fetch(server, tmp_path, mode="files", sha=SHA, **kw):
    remote = Remote(f"{server.url}/{mode}/blob.bin", "blob.bin", sha, len(DATA))
    kw.setdefault("backoff", 0.0)
    return fetch_file(remote, tmp_path / "dl", hint="regfind test", progress=False, **kw)


def test_download_is_verified_recorded_and_reused(server, tmp_path):
    path = _fetch(server, tmp_path)
    assert path.read_bytes() == DATA
    record = read_record(path)
    assert record["sha256"] == SHA and record["checksum_source"] == "card"
    assert _fetch(server, tmp_path) == path
    assert len(server.requests("blob.bin")) == 1  # the second call used the cache
    assert _leftovers(path.parent) == []


def test_checksum_mismatch_is_rejected_and_removed(server, tmp_path):
    with pytest.raises(ChecksumError, match="removed"):
        _fetch(server, tmp_path, sha="0" * 64)
    folder = tmp_path / "dl"
    assert not (folder / "blob.bin").exists()
    assert _leftovers(folder) == []


def test_dropped_connection_resumes_with_range(server, tmp_path):
    path = _fetch(server, tmp_path, mode="drop")
    assert path.read_bytes() == DATA
    ranges = [r for _, r in server.requests("blob.bin")]
    assert ranges[0] == "" and ranges[1].startswith("bytes=")  # resumed, not restarted
    assert 0 < int(ranges[1][6:-1]) <= len(DATA) // 2
    assert _leftovers(path.parent) == []


def test_dropped_connection_without_retries_leaves_no_file_then_resumes(server, tmp_path):
    with pytest.raises(DownloadError, match="rerun to resume"):
        _fetch(server, tmp_path, mode="drop", retries=0)
    folder = tmp_path / "dl"
    assert not (folder / "blob.bin").exists()  # never a truncated file under the real name
    assert 0 < (folder / "blob.bin.part").stat().st_size <= len(DATA) // 2
    assert _fetch(server, tmp_path, mode="drop", retries=0).read_bytes() == DATA


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "blob.bin.part").write_bytes(b"garbage" * 10)
    assert _fetch(server, tmp_path, mode="norange").read_bytes() == DATA


def test_404_is_a_download_error(server, tmp_path):
    remote = Remote(f"{server.url}/files/absent.bin", "absent.bin", SHA)
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_file(remote, tmp_path, hint="x", progress=False, backoff=0.0)
    assert not (tmp_path / "absent.bin").exists()
    assert len(server.log) == 1  # a 404 is not retried


def test_offline_forbids_network_but_uses_present_files(server, tmp_path, monkeypatch):
    monkeypatch.setenv("REGFIND_OFFLINE", "1")
    with pytest.raises(OfflineError, match="regfind test") as err:
        _fetch(server, tmp_path)
    assert str(tmp_path / "dl" / "blob.bin") in str(err.value)
    assert server.log == []
    monkeypatch.delenv("REGFIND_OFFLINE")
    _fetch(server, tmp_path)
    assert _fetch(server, tmp_path, offline=True).read_bytes() == DATA


def test_unknown_checksum_needs_the_flag_then_is_recorded(server, tmp_path):
    with pytest.raises(ChecksumError, match="--allow-unknown-checksum"):
        _fetch(server, tmp_path, sha="")
    assert server.log == []  # refused before any byte was fetched
    path = _fetch(server, tmp_path, sha="", allow_unknown=True)
    assert read_record(path)["sha256"] == SHA
    assert "first use" in read_record(path)["checksum_source"]
    assert _fetch(server, tmp_path, sha="") == path  # the record is trusted from now on
    path.write_bytes(DATA[:-1] + b"x")  # tampering after the fact is caught
    with pytest.raises(ChecksumError, match="truncated or altered"):
        _fetch(server, tmp_path, sha="")


def test_truncated_cached_file_is_rejected(server, tmp_path):
    path = _fetch(server, tmp_path)
    path.write_bytes(DATA[:1000])
    with pytest.raises(ChecksumError, match="bytes, expected"):
        _fetch(server, tmp_path)


def test_two_processes_fetching_the_same_file(server, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    folder = tmp_path / "dl"
    url = f"{server.url}/slow/blob.bin"
    procs = [ctx.Process(target=fetch_worker, args=(url, str(folder), SHA, queue))
             for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert (folder / "blob.bin").read_bytes() == DATA
    assert len(server.requests("blob.bin")) == 1  # the second process waited, then reused
    assert results == [SHA, SHA]
    assert _leftovers(folder) == []


def test_install_file_copies_verified(tmp_path):
    src = tmp_path / "by-hand.bin"
    src.write_bytes(DATA)
    path = install_file(src, Remote("", "blob.bin", SHA), tmp_path / "c")
    assert path.read_bytes() == DATA and read_record(path)["copied_from"] == str(src)
    with pytest.raises(ChecksumError):
        install_file(src, Remote("", "other.bin", "1" * 64), tmp_path / "c")
    assert not (tmp_path / "c" / "other.bin").exists()
    assert verify_file(path, Remote("", "blob.bin", SHA)) == SHA


def test_from_file_with_unknown_checksum_leaves_only_file_and_record(tmp_path):
    src = tmp_path / "by-hand.ckpt"
    src.write_bytes(DATA)
    args = ["models", "download", "seq2exp-hard-gm12878", "--from-file", str(src)]
    assert CliRunner().invoke(cli, args).exit_code != 0
    result = CliRunner().invoke(cli, [*args, "--allow-unknown-checksum"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "cache" / "models" / "seq2exp-hard-gm12878"
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock")) == [
        "seq2exp-hard-gm12878.ckpt", "seq2exp-hard-gm12878.ckpt.regfind.json"]
    assert zoo.recorded_sha256("seq2exp-hard-gm12878") == SHA


# --- the zoo and its CLI ---------------------------------------------------------------------

def test_models_list_shows_official_and_bundled():
    result = CliRunner().invoke(cli, ["models", "list"])
    assert result.exit_code == 0, result.output
    for name in ("seq2exp-soft-k562", "seq2exp-hard-k562", "seq2exp-soft-gm12878",
                 "seq2exp-hard-gm12878", "tiny-random-soft", "demo-soft"):
        assert name in result.output
    assert "official" in result.output and "bundled" in result.output


def test_official_cards_do_not_claim_a_checksum():
    for card in zoo.list_models():
        if card.kind == "official":
            assert card.sha256 == "" and card.url == "" and card.window == 200000


def test_bundled_model_verifies_and_resolves():
    for name in ("tiny-random-soft", "demo-soft"):  # the cards' checksums match the files
        result = CliRunner().invoke(cli, ["models", "verify", name])
        assert result.exit_code == 0, result.output
    assert resolve_model("tiny-random-soft") == zoo.model_path("tiny-random-soft")
    assert (resolve_model("tiny-random-soft") / "model.safetensors").is_file()


def test_official_model_download_needs_flag_and_records_sha(server, tmp_path):
    runner = CliRunner()
    url = f"{server.url}/files/model.ckpt"
    args = ["models", "download", "seq2exp-soft-k562", "--url", url]
    refused = runner.invoke(cli, args)
    assert refused.exit_code != 0 and "--allow-unknown-checksum" in str(refused.exception)
    with pytest.raises(DataError, match="not downloaded"):
        resolve_model("seq2exp-soft-k562")
    ok = runner.invoke(cli, [*args, "--allow-unknown-checksum"])
    assert ok.exit_code == 0, ok.output
    assert SHA in ok.output and "NOT known to the card" in ok.output
    path = resolve_model("seq2exp-soft-k562")
    assert path.read_bytes() == DATA and path.is_relative_to(tmp_path / "cache")
    assert runner.invoke(cli, ["models", "verify", "seq2exp-soft-k562"]).exit_code == 0
    info = runner.invoke(cli, ["models", "info", "seq2exp-soft-k562"])
    assert f"recorded_sha256: {SHA}" in info.output
    path.write_bytes(b"tampered")
    bad = runner.invoke(cli, ["models", "verify", "seq2exp-soft-k562"])
    assert bad.exit_code != 0 and "FAILED" in bad.output


def test_user_card_with_checksum_downloads_without_flag(server, tmp_path, monkeypatch):
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "mine.toml").write_text(f"""name = "my-model"
description = "a test card"
kind = "official"
variant = "soft"
cell_type = "K562"
genome = "hg38"
window = 200000
format = "lightning-ckpt"
url = "{server.url}/files/model.ckpt"
filename = "mine.ckpt"
size = {len(DATA)}
sha256 = "{SHA}"
""")
    monkeypatch.setenv("REGFIND_MODEL_CARDS", str(cards))
    result = CliRunner().invoke(cli, ["models", "download", "my-model"])
    assert result.exit_code == 0, result.output
    assert Path(result.output.strip().splitlines()[-1]).read_bytes() == DATA
    assert "matches the card" in result.output
    out = CliRunner().invoke(cli, ["models", "path", "my-model"])
    assert out.output.strip().endswith("mine.ckpt")


def test_cache_dir_option_and_offline_env(server, tmp_path, monkeypatch):
    monkeypatch.setenv("REGFIND_OFFLINE", "1")
    result = CliRunner().invoke(cli, ["models", "download", "seq2exp-hard-k562", "--url",
                                      f"{server.url}/files/model.ckpt", "--cache-dir",
                                      str(tmp_path / "other"), "--allow-unknown-checksum"])
    assert isinstance(result.exception, OfflineError)
    assert str(tmp_path / "other" / "models" / "seq2exp-hard-k562") in str(result.exception)
    assert server.log == []

"""Verified, resumable, atomic, locked downloads into regfind's cache.

:func:`fetch_file` is the one entry point. The flow for a file ``dest``:

1. a present ``dest`` is verified (:func:`verify_file`) and returned; nothing is downloaded;
2. with network use forbidden (:func:`offline_mode`) a missing file is an :class:`OfflineError`
   naming the file and the command that fetches it;
3. an unknown checksum is refused before any byte is fetched, unless ``allow_unknown``;
4. under a file lock (``dest.lock``; a second process waits, then finds the file done),
   :func:`pooch.retrieve` runs with :class:`ResumingDownloader`: bytes go to ``dest.part``
   (continued with an HTTP ``Range`` request after a dropped connection), the finished part is
   handed to pooch's temporary file, pooch checks the sha256 and renames it to ``dest``. A
   mismatch removes the data and raises :class:`ChecksumError`;
5. a record ``dest.regfind.json`` (URL, sha256, size, where the checksum came from) is written
   next to the file; for a file whose checksum was unknown it is the trusted value from then on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from regfind._files import sha256_file
from regfind.errors import ChecksumError, DownloadError, OfflineError

__all__ = ["Remote", "ResumingDownloader", "fetch_file", "install_file", "offline_mode",
           "read_record", "sha256_file", "verify_file"]

RECORD_SUFFIX = ".regfind.json"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Remote:
    """A file to download: where from, its name in the cache, and what it must hash to.

    ``sha256`` is ``""`` and ``size`` is ``None`` when not known.
    """

    url: str
    filename: str
    sha256: str = ""
    size: int | None = None


def offline_mode(offline: bool | None = None) -> bool:
    """Return whether network use is forbidden (the argument, else ``REGFIND_OFFLINE``)."""
    if offline is not None:
        return offline
    return os.environ.get("REGFIND_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def read_record(dest: Path) -> dict[str, Any] | None:
    """Return the download record kept next to ``dest``, or None when there is none."""
    record = dest.with_name(dest.name + RECORD_SUFFIX)
    try:
        return json.loads(record.read_text())
    except (OSError, ValueError):
        return None


def verify_file(dest: Path, remote: Remote, *, allow_unknown: bool = False,
                record: bool = True) -> str:
    """Check ``dest`` against the known sha256 and size, else against its download record.

    With ``allow_unknown`` and nothing to check against, the sha256 is recorded next to the
    file (unless ``record`` is false) and trusted from then on.

    Returns
    -------
    str
        The sha256 of the file.

    Raises
    ------
    ChecksumError
        Size or sha256 differ, or nothing is known to check against and ``allow_unknown`` is
        false.
    """
    if remote.size is not None and dest.stat().st_size != remote.size:
        raise ChecksumError(f"{dest} has {dest.stat().st_size:,} bytes, expected "
                            f"{remote.size:,}: delete it and download it again")
    actual = sha256_file(dest)
    expected = remote.sha256 or (read_record(dest) or {}).get("sha256", "")
    if expected and actual != expected:
        raise ChecksumError(f"sha256 of {dest} is {actual}, expected {expected}: the file is "
                            "truncated or altered; delete it and download it again")
    if not expected and not allow_unknown:
        raise ChecksumError(f"no sha256 is known for {dest} (sha256 {actual}); accept it with "
                            "--allow-unknown-checksum to record that value")
    if not expected and record:
        _write_record(dest, remote, actual, "recorded on first use (--allow-unknown-checksum)")
    return actual


def fetch_file(remote: Remote, directory: str | os.PathLike[str], *, hint: str,
               allow_unknown: bool = False, offline: bool | None = None,
               progress: bool = True, retries: int = 3, timeout: float = 60.0,
               backoff: float = 1.0) -> Path:
    """Return the verified local copy of ``remote`` in ``directory``, downloading it if needed.

    Parameters
    ----------
    remote : Remote
    directory : path-like
        Cache folder the file is kept in (created when missing).
    hint : str
        The command that fetches this file, quoted in errors (e.g. ``regfind fetch K562``).
    allow_unknown : bool, default False
        Accept a file whose sha256 is not known, printing and recording its sha256.
    offline : bool, optional
        Forbid network use (default: ``REGFIND_OFFLINE``).
    progress : bool, default True
        Show a tqdm bar (bytes, rate) on a terminal.
    retries : int, default 3
        Further attempts after a lost connection or a server error; each resumes the partial
        file.
    timeout, backoff : float
        Seconds per socket read; seconds to wait before retry ``i`` (times ``i``).

    Raises
    ------
    OfflineError, DownloadError, ChecksumError
    """
    dest = Path(directory) / remote.filename
    if dest.exists():
        return _verified(dest, remote, allow_unknown)
    if offline_mode(offline):
        raise OfflineError(f"{dest} is missing and network use is off (--offline or "
                           f"REGFIND_OFFLINE); run `{hint}` where there is network, or copy "
                           f"the file there by hand")
    if not remote.url:
        raise DownloadError(f"no download URL is known for {remote.filename}; download it by "
                            f"hand and place it at {dest}")
    if not remote.sha256 and not allow_unknown:
        raise ChecksumError(f"no sha256 is known for {remote.filename} ({remote.url}); rerun "
                            "with --allow-unknown-checksum to accept it and record its sha256")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _locked(dest):
        if dest.exists():  # another process finished it while we waited
            return _verified(dest, remote, allow_unknown)
        _download(remote, dest, progress, retries, timeout, backoff)
        return _verified(dest, remote, allow_unknown, fresh=True)


def install_file(source: str | os.PathLike[str], remote: Remote,
                 directory: str | os.PathLike[str], *, allow_unknown: bool = False) -> Path:
    """Copy a file obtained by hand into the cache, verified, under ``remote.filename``.

    The copy goes to a temporary name in the cache folder and is renamed only once verified.
    """
    source = Path(source).expanduser()
    if not source.is_file():
        raise DownloadError(f"{source} does not exist or is not a file")
    dest = Path(directory) / remote.filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _locked(dest), _temporary(dest) as tmp:
        shutil.copyfile(source, tmp)
        sha = verify_file(tmp, remote, allow_unknown=allow_unknown, record=False)
        os.replace(tmp, dest)
        origin = "card" if remote.sha256 else "recorded on first use (--allow-unknown-checksum)"
        _write_record(dest, remote, sha, origin, copied_from=str(source))
    return dest


def _verified(dest: Path, remote: Remote, allow_unknown: bool, fresh: bool = False) -> Path:
    if fresh:
        sha = sha256_file(dest)
        if remote.size is not None and dest.stat().st_size != remote.size:
            dest.unlink()
            raise ChecksumError(f"{remote.url} gave {remote.filename} of the wrong size "
                                f"(expected {remote.size:,} bytes); it was removed")
        origin = "card" if remote.sha256 else "recorded on first use (--allow-unknown-checksum)"
        _write_record(dest, remote, sha, origin)
        return dest
    verify_file(dest, remote, allow_unknown=allow_unknown)
    return dest


def _download(remote: Remote, dest: Path, progress: bool, retries: int, timeout: float,
              backoff: float) -> None:
    import pooch
    import requests

    known = f"sha256:{remote.sha256}" if remote.sha256 else None
    downloader = ResumingDownloader(dest.with_name(dest.name + ".part"), remote.size,
                                    progress=progress, timeout=timeout)
    for attempt in range(retries + 1):
        try:
            with _quiet_pooch():
                pooch.retrieve(remote.url, known, fname=dest.name, path=dest.parent,
                               downloader=downloader)
            return
        except requests.RequestException as exc:
            if attempt == retries:
                raise DownloadError(f"downloading {remote.url} failed after {retries + 1} "
                                    f"attempts: {exc}; rerun to resume") from exc
            time.sleep(backoff * (attempt + 1))
        except ValueError as exc:  # pooch: the sha256 does not match (the data is removed)
            downloader.discard()
            raise ChecksumError(f"{remote.url}: {exc}; the file was removed") from exc


class ResumingDownloader:
    """A pooch downloader that resumes ``part`` with HTTP ``Range`` and shows a tqdm bar.

    pooch calls it with its own temporary file as ``output_file``; the bytes accumulate in
    ``part`` (which survives a dropped connection) and the complete part is renamed onto
    ``output_file``, where pooch checks the hash.
    """

    def __init__(self, part: Path, size: int | None, *, progress: bool = True,
                 timeout: float = 60.0) -> None:
        self.part = part
        self.size = size
        self.progress = progress
        self.timeout = timeout

    def discard(self) -> None:
        """Remove the partial file."""
        self.part.unlink(missing_ok=True)

    def __call__(self, url: str, output_file: Any, pooch: Any, check_only: bool = False
                 ) -> bool | None:
        """Download ``url`` (continuing ``part``) and move the result to ``output_file``."""
        import requests

        have = self.part.stat().st_size if self.part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as resp:
            if check_only:
                return resp.status_code < 400
            if resp.status_code == 416 and have and have == self.size:
                os.replace(self.part, output_file)
                return None
            _raise_for_status(resp, url, self)
            if have and resp.status_code != 206:  # the server ignored Range: start over
                have = 0
            total = _total_size(resp, have)
            self._stream(resp, have, total)
        if total is not None and self.part.stat().st_size != total:
            raise requests.ConnectionError(f"incomplete: {self.part.stat().st_size} of {total}")
        os.replace(self.part, output_file)
        return None

    def _stream(self, resp: Any, have: int, total: int | None) -> None:
        from tqdm import tqdm

        mode = "ab" if have else "wb"
        bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=self.part.name.removesuffix(".part"), leave=False,
                   disable=None if self.progress else True)
        with open(self.part, mode) as out, bar:
            for chunk in resp.iter_content(_CHUNK):
                out.write(chunk)
                bar.update(len(chunk))


def _raise_for_status(resp: Any, url: str, downloader: ResumingDownloader) -> None:
    import requests

    if resp.status_code == 416:  # the part is not a prefix we can continue: start over
        downloader.discard()
        raise requests.HTTPError(f"416 Range Not Satisfiable for {url}; restarting")
    if resp.status_code >= 500:
        raise requests.HTTPError(f"{resp.status_code} server error for {url}")
    if resp.status_code >= 400:
        raise DownloadError(f"{url} answered HTTP {resp.status_code} {resp.reason}; the file "
                            "is not there (check the URL in the card or registry)")


def _total_size(resp: Any, have: int) -> int | None:
    content_range = resp.headers.get("Content-Range", "")
    if resp.status_code == 206 and "/" in content_range:
        tail = content_range.rsplit("/", 1)[1]
        return int(tail) if tail.isdigit() else None
    length = resp.headers.get("Content-Length")
    return int(length) + (have if resp.status_code == 206 else 0) if length else None


def _write_record(dest: Path, remote: Remote, sha: str, origin: str, **extra: str) -> None:
    record = {"url": remote.url, "filename": remote.filename, "sha256": sha,
              "size": dest.stat().st_size, "checksum_source": origin,
              "written": datetime.now(UTC).isoformat(timespec="seconds"), **extra}
    target = dest.with_name(dest.name + RECORD_SUFFIX)
    with _temporary(target) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, target)


@contextlib.contextmanager
def _temporary(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; remove it unless it was renamed."""
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(dest: Path) -> Iterator[None]:
    """Hold ``dest.lock`` (an OS file lock); say so when another process holds it."""
    import sys

    from filelock import FileLock, Timeout

    lock = FileLock(str(dest) + ".lock")
    try:
        lock.acquire(timeout=0.2)
    except Timeout:
        print(f"waiting for another process fetching {dest.name}...", file=sys.stderr)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silence pooch's INFO lines (regfind prints its own messages)."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)

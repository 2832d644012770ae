"""The worker of the two-process download test (light imports: spawned children load it)."""

from __future__ import annotations

import hashlib


def fetch_worker(url: str, folder: str, sha: str, queue) -> None:
    """Fetch ``url`` into ``folder`` and put the sha256 of the result (or the error) on queue."""
    from regfind.zoo._download import Remote, fetch_file

    try:
        path = fetch_file(Remote(url, "blob.bin", sha, None), folder, hint="x", progress=False,
                          backoff=0.0)
        queue.put(hashlib.sha256(path.read_bytes()).hexdigest())
    except Exception as exc:  # reported to the parent
        queue.put(repr(exc))

"""A small HTTP file server on 127.0.0.1 for the download tests (not a test module).

Paths: ``/files/NAME`` (Range supported), ``/drop/NAME`` (the first full request sends half the
bytes and closes the connection; later requests behave like /files), ``/norange/NAME`` (ignores
Range), ``/slow/NAME`` (sends 20 chunks 50 ms apart). Anything else is a 404. Every
request is logged as ``(path, Range header)``. The server stops by itself after ``lifetime``
seconds at the latest.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FileServer:
    """Serve ``files`` (name → bytes) on a free port of 127.0.0.1 in a thread."""

    def __init__(self, files: dict[str, bytes], lifetime: float = 60.0) -> None:
        self.files = files
        self.log: list[tuple[str, str]] = []
        self.dropped: set[str] = set()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    def start(self) -> FileServer:
        """Start serving."""
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests(self, name: str) -> list[tuple[str, str]]:
        """Return the logged requests for files called ``name``."""
        return [r for r in self.log if r[0].rsplit("/", 1)[-1] == name]


def _handler(server: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            rng = self.headers.get("Range", "")
            with server._lock:
                server.log.append((self.path, rng))
            mode, _, name = self.path.lstrip("/").partition("/")
            data = server.files.get(name)
            if data is None or mode not in ("files", "drop", "norange", "slow"):
                self._send(404, b"not found")
                return
            if mode == "drop" and not rng and name not in server.dropped:
                server.dropped.add(name)
                self._headers(200, len(data))
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            start = int(rng.split("=")[1].split("-")[0]) if rng and mode != "norange" else 0
            if start >= len(data) and start:
                self._send(416, b"")
                return
            body = data[start:]
            self._headers(206 if start else 200, len(body), start, len(data))
            self._body(body, slow=mode == "slow")

        def _headers(self, code: int, length: int, start: int = 0, total: int = 0) -> None:
            self.send_response(code)
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            if code == 206:
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            self.end_headers()

        def _body(self, body: bytes, slow: bool) -> None:
            step = max(1, len(body) // 20) if slow else len(body) or 1
            for i in range(0, len(body), step):
                self.wfile.write(body[i:i + step])
                if slow:
                    self.wfile.flush()
                    time.sleep(0.05)

        def _send(self, code: int, body: bytes) -> None:
            self._headers(code, len(body))
            self.wfile.write(body)

    return Handler

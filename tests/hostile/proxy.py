"""A recording reverse proxy on loopback: every request is logged (method, path, query, body) and
forwarded to the upstream (the embedded reference server), its answer passed back unchanged.

It proves what the suite sends to a real server: only GETs under ``--read-only``, and the run's
prefix on every record it writes. Bounded: handler sockets time out, the upstream call has a
timeout, and ``stop()`` shuts the server down.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


@dataclass(frozen=True)
class Logged:
    method: str
    target: str  # path and query, as sent
    body: bytes
    status: int = 0  # the upstream's answer (0: none)
    answer: bytes = b""  # its body (the first 64 KiB)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


@dataclass
class RecordingProxy:
    upstream: str  # http://127.0.0.1:PORT
    log: list[Logged] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        parts = urlsplit(self.upstream)
        assert parts.hostname is not None and parts.hostname.startswith("127.")
        host, port, log, lock = parts.hostname, parts.port or 80, self.log, self._lock

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30
            disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms stalls

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}}
                upstream = http.client.HTTPConnection(host, port, timeout=30)
                try:
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    with lock:
                        log.append(Logged(self.command, self.path, body, answer.status, data[:65536]))
                    self.send_response(answer.status, answer.reason)
                    for name, value in answer.getheaders():
                        if name.lower() not in _HOP_BY_HOP | {"content-length"}:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    with lock:
                        log.append(Logged(self.command, self.path, body))
                    raise
                finally:
                    upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _forward

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.origin

    @property
    def token_url(self) -> str:
        return self.origin + "/oauth2/token"

    def entries(self) -> list[Logged]:
        with self._lock:
            return list(self.log)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> RecordingProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

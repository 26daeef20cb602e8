"""A plain HTTP server on a free loopback port, in a thread, for the tests that need a target or a
page server the reference server is not."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextlib.contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on 127.0.0.1; yields the origin (``http://127.0.0.1:PORT``), and stops the
    server (bounded) on the way out."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class Quiet(BaseHTTPRequestHandler):
    """A handler that logs nothing (a test's output is its assertions)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

"""The transport under the client: a total deadline for each request, and the text of its failures.

httpx's timeouts apply to each socket operation: a server dripping one byte a second never trips a
read timeout. A total deadline needs the socket operations to know when the request must be over.
The client's connection pool is built on a network backend whose streams shorten every timeout to
what is left of the current request's deadline (a per-thread value, since a connection serves one
request at a time, on the thread that sent it). httpx has no public hook for the backend, so
``DeadlineTransport`` replaces the pool that ``httpx.HTTPTransport`` builds with one of its own.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from conformance import redaction
from conformance.target import Target

_local = threading.local()


@dataclass
class Clock:
    ends: float  # time.monotonic()
    seconds: float
    expired: bool = False


@contextmanager
def deadline(seconds: float) -> Iterator[Clock]:
    """Every socket operation of this thread, inside the block, ends within ``seconds`` from now."""
    clock = Clock(time.monotonic() + seconds, seconds)
    previous = getattr(_local, "clock", None)
    _local.clock = clock
    try:
        yield clock
    finally:
        _local.clock = previous


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    clock: Clock | None = getattr(_local, "clock", None)
    if clock is None:
        return timeout
    left = clock.ends - time.monotonic()
    if left <= 0:
        clock.expired = True
        raise error(f"no complete answer within {clock.seconds:g} s")
    if timeout is None or left < timeout:
        clock.expired = True  # if this operation times out, it is the deadline that did
        return left
    clock.expired = False
    return timeout


def timeout_text(exc: httpx.TimeoutException, clock: Clock, target: Target) -> str:
    """Which limit a timeout hit: the request's deadline, or the connect or read timeout."""
    if clock.expired or time.monotonic() >= clock.ends:
        return f"no complete answer within the request deadline of {clock.seconds:g} s"
    limit = target.connect_timeout if isinstance(exc, httpx.ConnectTimeout) else target.read_timeout
    return f"timed out ({type(exc).__name__}, {limit:g} s)"


def describe(exc: Exception) -> str:
    """A transport error in one redacted line."""
    text = str(exc) or type(exc).__name__
    return redaction.redact(text.splitlines()[0][:200])


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(super().connect_tcp(host, port, bounded, local_address, socket_options))


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, its connection pool built on the deadline-aware backend."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )

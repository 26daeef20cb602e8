"""The transport under the client: a total deadline for each request, and the text of its failures.

httpx's timeouts apply to each socket operation: a server dripping one byte a second never trips a
read timeout. A total deadline needs the socket operations to know when the request must be over.
The client's connection pool is built on a network backend whose streams shorten every timeout to
what is left of the current request's deadline (a per-thread value, since a connection serves one
request at a time, on the thread that sent it). httpx has no public hook for the backend, so
``DeadlineTransport`` replaces the pool that ``httpx.HTTPTransport`` builds with one of its own.
"""

from __future__ import annotations

import socket
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
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out (ConnectTimeout, {target.connect_timeout:g} s): no connection within the connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out (ReadTimeout, {target.read_timeout:g} s): connected, then nothing within the read timeout"
    return f"timed out ({type(exc).__name__}, {target.read_timeout:g} s)"


def describe(exc: Exception) -> str:
    """A transport error in one redacted line that names what happened: a host name that does not
    resolve, a refused connection, a failed TLS handshake; otherwise the error's own words."""
    text = (str(exc) or type(exc).__name__).splitlines()[0][:200]
    where = _where(exc)
    cause = _root(exc)
    if isinstance(cause, socket.gaierror):
        text = f"cannot resolve the host name {where or '?'} (DNS: {cause.strerror or cause})"
    elif isinstance(cause, ConnectionRefusedError):
        text = f"connection refused by {where or 'the target'}: nothing listens there"
    elif isinstance(cause, ssl.SSLCertVerificationError):
        text = (
            f"TLS handshake with {where or 'the target'} failed: its certificate is not trusted "
            f"({cause.verify_message or cause.reason}); a private CA's bundle goes in SSL_CERT_FILE"
        )
    elif isinstance(cause, ssl.SSLError):
        hint = " (an https URL for a server that speaks plain http?)" if cause.reason == "WRONG_VERSION_NUMBER" else ""
        text = f"TLS handshake with {where or 'the target'} failed: {cause.reason or cause}{hint}"
    return redaction.redact(text)


def _root(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(exc) not in seen and (exc.__cause__ or exc.__context__) is not None:
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc


def _where(exc: Exception) -> str:
    """The host (and port, when the URL names one) of the request that failed."""
    try:
        url = exc.request.url  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):  # httpx raises RuntimeError when no request is attached
        return ""
    return str(url.host) + (f":{url.port}" if url.port else "")


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

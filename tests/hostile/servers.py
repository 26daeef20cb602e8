"""Hostile targets: tiny loopback HTTP servers that misbehave on purpose.

Each is a raw-socket server on 127.0.0.0/8 with a bounded lifetime: its accept loop ends after
``lifetime`` seconds (or at ``stop()``), and every wait inside a handler ends then too. Raw sockets,
not ``http.server``, because the misbehaviour is the point: never answering, resetting, dripping a
byte a second, streaming without end.

Unless the scenario breaks it, each serves a working OAuth2 token endpoint (``POST /oauth2/token``)
so the run gets past authentication; with ``preflight_ok`` it also answers the run's preflight
(``GET …/categories/?limit=1``) properly, so that the misbehaviour meets the tests themselves.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

TOKEN_PATH = "/oauth2/token"
HUGE = 64 * 1024 * 1024
CHUNK = 64 * 1024
API_BEHAVIOURS = (
    "ok-empty",
    "hang",
    "reset",
    "garbage",
    "huge",
    "huge-declared",
    "drip",
    "redirect",
    "error",
    "throttle",
    "record",
)
TOKEN_BEHAVIOURS = ("ok", "garbage", "error", "hang", "redirect")


@dataclass
class Seen:
    """One request as it arrived."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


@dataclass
class HostileServer:
    api: str = "ok-empty"
    token: str = "ok"
    preflight_ok: bool = False
    host: str = "127.0.0.1"
    lifetime: float = 180.0
    redirect_to: str | None = None  # origin for "redirect": every request is sent there with 302/307
    seen: list[Seen] = field(default_factory=list)
    largest_sent: int = 0  # "huge": the most body bytes one answer got into the socket before the client left
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        assert self.api in API_BEHAVIOURS and self.token in TOKEN_BEHAVIOURS
        assert self.host.startswith("127."), "hostile servers listen on loopback only"
        self._sock = socket.create_server((self.host, 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._ends = time.monotonic() + self.lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"hostile-{self.api}")
        self._thread.start()

    # Where it is ---------------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin

    @property
    def token_url(self) -> str:
        return self.origin + TOKEN_PATH

    # Life --------------------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _over(self) -> bool:
        return self._stop.is_set() or time.monotonic() >= self._ends

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (never past the lifetime); False once the server is over."""
        return not self._stop.wait(max(0.0, min(seconds, self._ends - time.monotonic()))) and not self._over()

    def _serve(self) -> None:
        while not self._over():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    # One connection, one request ----------------------------------------------------------------
    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                seen = _read_request(conn)
            except (OSError, ValueError):
                return
            if seen is None:
                return
            with self._lock:
                self.seen.append(seen)
            with contextlib.suppress(OSError):  # the client gave up: what a hostile server hopes for
                self._respond(conn, seen)

    def _respond(self, conn: socket.socket, seen: Seen) -> None:
        if seen.path == TOKEN_PATH:
            behaviour = self.token
            if behaviour == "ok":
                token = {"access_token": "hostile-" + secrets.token_hex(8), "token_type": "Bearer", "expires_in": 3600}
                return _send(conn, 200, json.dumps(token).encode(), "application/json")
        elif (
            self.preflight_ok
            and seen.method == "GET"
            and seen.path.endswith("/categories/")
            and "limit=1" in seen.target
        ):
            return _send(conn, 200, b'{"categories": []}', "application/json")
        else:
            behaviour = self.api
        getattr(self, "_" + behaviour.replace("-", "_"))(conn, seen)
        return None

    # Behaviours ----------------------------------------------------------------------------------------
    def _ok_empty(self, conn: socket.socket, seen: Seen) -> None:
        _send(conn, 200, b'{"categories": []}', "application/json")

    def _record(self, conn: socket.socket, seen: Seen) -> None:
        _send(conn, 200, b"{}", "application/json")

    def _hang(self, conn: socket.socket, seen: Seen) -> None:
        while self._wait(1.0):  # accept, read, never answer
            pass

    def _reset(self, conn: socket.socket, seen: Seen) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close → RST

    def _garbage(self, conn: socket.socket, seen: Seen) -> None:
        _send(conn, 200, b"<html><body>\x00\xff not JSON {{{", "text/html")

    def _error(self, conn: socket.socket, seen: Seen) -> None:
        _send(conn, 500, b"Internal Server Error", "text/plain")

    def _throttle(self, conn: socket.socket, seen: Seen) -> None:
        _send(conn, 429, b'{"error": "slow down"}', "application/json", extra={"Retry-After": "1"})

    def _redirect(self, conn: socket.socket, seen: Seen) -> None:
        assert self.redirect_to is not None
        status = 307 if seen.method == "POST" else 302  # 307 would re-send the body (the secret) if followed
        _send(conn, status, b"", "text/plain", extra={"Location": self.redirect_to + seen.target})

    def _huge(self, conn: socket.socket, seen: Seen) -> None:
        # No Content-Length: only counting what arrives can tell the client the body is too large.
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[")
        chunk, sent = b"0," * (CHUNK // 2), 0
        try:
            while sent < HUGE and not self._over():
                conn.sendall(chunk)
                sent += len(chunk)
        finally:
            with self._lock:
                self.largest_sent = max(self.largest_sent, sent)

    def _huge_declared(self, conn: socket.socket, seen: Seen) -> None:
        # Announces 64 MB, sends a little, then waits: the client must give up on the header alone.
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n["
        conn.sendall(head.encode("latin-1") + b"0," * 1024)
        with self._lock:
            self.largest_sent = max(self.largest_sent, 2049)
        while self._wait(1.0):
            pass

    def _drip(self, conn: socket.socket, seen: Seen) -> None:
        body = b'{"categories": []}'
        whole = _response(200, body, "application/json")
        for i in range(len(whole)):  # the status line and headers drip too
            conn.sendall(whole[i : i + 1])
            if not self._wait(1.0):
                return


def _response(status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> bytes:
    reason = {200: "OK", 302: "Found", 307: "Temporary Redirect", 429: "Too Many Requests", 500: "Error"}
    head = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}", f"Content-Type: {content_type}"]
    head += [f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _send(
    conn: socket.socket, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
) -> None:
    conn.sendall(_response(status, body, content_type, extra))


def _read_request(conn: socket.socket) -> Seen | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1024 * 1024:
            raise ValueError("request head too large")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(body) < min(length, 1024 * 1024):
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Seen(method, target, headers, body)

"""``oneroster-conformance serve``: the reference server on its own, until SIGINT or SIGTERM.

Start-up prints, one per line on stdout: ``base URL: …``, ``token URL: …``, ``client id: …`` and,
only when it generated the secret, ``client secret: …``. A configuration problem — an unknown
profile, or a fault that does not apply to the profile, among others — is one line on stderr and
exit code 2. ``--profile`` is activated for the whole process before the app is built.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import uvicorn

from conformance import profiles
from conformance.exits import Exit
from conformance.fixtures import FixturesError
from conformance.reference import faults as fault_registry
from conformance.reference.app import create_app
from conformance.reference.auth import TOKEN_PATH
from conformance.reference.distance import LATENCY_MS_MAX
from conformance.reference.store import StoreError


class ConfigError(Exception):
    """A setting the server cannot start with; the message is one line."""


def _whole(raw: str, what: str, low: int, high: int) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{what} must be a whole number from {low} to {high}, not {raw!r}")
    return int(text)


def _bind(host: str, port: int) -> socket.socket:
    """Bind and listen before printing the URL, so the port is real (``0`` picks a free one) and
    connections made right after the announcement wait in the backlog instead of failing."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # proto must say TCP: asyncio sets TCP_NODELAY on accepted sockets only then, and without it
        # every response stalls ~40 ms on delayed ACKs.
        sock = socket.socket(family, kind, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _base_url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else host  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@contextlib.contextmanager
def _temporary_db(path: str | None) -> Iterator[str]:
    """The given database file, or a temporary one removed (with its WAL files) at exit."""
    if path is not None:
        yield path
        return
    handle, name = tempfile.mkstemp(prefix="oneroster-reference-", suffix=".db")
    os.close(handle)
    try:
        yield name
    finally:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(name + suffix).unlink()


@contextlib.contextmanager
def _stop_on_signals(server: uvicorn.Server) -> Iterator[None]:
    # Installed before the URL is announced, so a stop requested right after the announcement (and
    # before uvicorn installs its own handlers) is a clean shutdown too. uvicorn re-raises the
    # signal against these handlers after its graceful shutdown: they then do nothing, and the
    # process exits 0 instead of dying by the signal.
    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(args: argparse.Namespace) -> int:
    try:
        profile = profiles.get(getattr(args, "profile", None) or profiles.DEFAULT).name
    except profiles.UnknownProfile as exc:
        print(f"oneroster-conformance: error: {exc.args[0]}", file=sys.stderr)
        return Exit.USAGE
    if args.list_faults:
        print(fault_registry.listing(profile))
        return Exit.OK
    try:
        port = _whole(args.port, "--port", 0, 65535)
        lifetime = _whole(args.token_lifetime, "--token-lifetime", 1, 10 * 365 * 24 * 3600)
        latency = _whole(getattr(args, "latency_ms", None) or "0", "--latency-ms", 0, LATENCY_MS_MAX)
        active = fault_registry.parse(args.fault or "", profile)
        client_id = args.client_id or f"conformance-{secrets.token_hex(4)}"
        generated = not args.client_secret
        client_secret = args.client_secret or secrets.token_hex(24)  # hex: a copied secret never reads as a flag
        with _temporary_db(args.db) as db:
            app = create_app(
                client_id=client_id,
                client_secret=client_secret,
                db=db,
                faults=active,
                token_lifetime=lifetime,
                fixtures=args.fixtures,
                profile=profile,
                latency_ms=latency,
            )
            sock = _bind(args.host, port)
            config = uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5
            )
            server = uvicorn.Server(config)
            with _stop_on_signals(server):
                base = _base_url(args.host, sock)
                print(f"base URL: {base}", flush=True)
                print(f"token URL: {base}{TOKEN_PATH}", flush=True)
                print(f"client id: {client_id}", flush=True)
                if generated:
                    print(f"client secret: {client_secret}", flush=True)
                server.run(sockets=[sock])
    except (ConfigError, fault_registry.UnknownFault, FixturesError, StoreError) as exc:
        print(f"oneroster-conformance: error: {exc}", file=sys.stderr)
        return Exit.USAGE
    return Exit.OK

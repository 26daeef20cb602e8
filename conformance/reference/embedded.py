"""Starting the reference server from Python: as a subprocess on loopback (``start``), or in-process
as an ASGI app (``create_app``, for httpx's ASGITransport).

The subprocess is ``python -m conformance serve``: the same code path a user runs, and a real
process the tests can kill. Its client secret travels in the environment, never on the command
line (where ``ps`` would show it).
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from conformance import fixtures as fixtures_module
from conformance import profiles
from conformance.reference import faults as fault_registry
from conformance.reference.app import create_app
from conformance.target import Target, make_target

__all__ = ["RunningServer", "ServerStartError", "create_app", "start"]

STARTUP_TIMEOUT = 15.0


class ServerStartError(RuntimeError):
    """The server process exited or stayed silent instead of announcing its URL."""


@dataclass
class RunningServer:
    base_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    faults: tuple[str, ...]
    process: subprocess.Popen[str] = field(repr=False)
    _stderr: IO[bytes] | None = field(default=None, repr=False)
    profile: str = profiles.TIMEBACK
    fixtures: str | None = None  # the fixtures file it was seeded from (None: the packaged fixtures)

    def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate (SIGTERM: a clean shutdown), then kill after ``timeout`` seconds. Returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return self.process.returncode

    def target_args(self) -> list[str]:
        """The ``run`` flags that point the suite at this server (the secret goes by ``environment``)."""
        return [
            "--base-url",
            self.base_url,
            "--token-url",
            self.token_url,
            "--client-id",
            self.client_id,
            "--profile",
            self.profile,
            # The file it was seeded from: a run against this server then checks exactly those records
            # (without it, a run would discover them through the rostering API, as against any server).
            "--fixtures",
            self.fixtures or str(fixtures_module.default_path()),
        ]

    def target(self, **options: Any) -> Target:
        """This server as the suite's target, its credentials included (``options``: the other
        arguments of ``make_target``, e.g. ``fixtures_path``)."""
        return make_target(
            base_url=self.base_url,
            token_url=self.token_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            profile=self.profile,
            **options,
        )

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) without ONEROSTER_* settings, plus the secret."""
        clean = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("ONEROSTER_")}
        return clean | {"ONEROSTER_CLIENT_SECRET": self.client_secret}

    def token(self, timeout: float = 10.0) -> str:
        """A bearer token from this server's token endpoint (client credentials)."""
        answer = httpx.post(
            self.token_url,
            data={"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret},
            timeout=timeout,
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def stderr_text(self) -> str:
        """What the server wrote to stderr so far (diagnostics; it never contains secrets)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    # Keep reading stdout for the process's whole life so it can never block on a full pipe.
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def start(
    *,
    port: int = 0,
    db: str | Path | None = None,
    faults: Iterable[str] = (),
    client_id: str | None = None,
    client_secret: str | None = None,
    token_lifetime: int = 3600,
    fixtures: str | Path | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    profile: str = profiles.TIMEBACK,
    latency_ms: int = 0,
) -> RunningServer:
    """Run ``python -m conformance serve --profile PROFILE`` on 127.0.0.1 and wait (bounded) until it
    announces its URL. ``latency_ms`` puts it as far away as a remote server (``serve --latency-ms``).

    Raises UnknownProfile, UnknownFault (also for a fault of another profile) or FixturesError for
    bad arguments, ServerStartError when the process fails (the message is its last stderr line,
    e.g. an unusable ``db``) or stays silent."""
    # Configuration errors surface here, typed (UnknownFault, FixturesError), before any process starts.
    profile = profiles.get(profile).name
    active = fault_registry.parse(",".join(faults), profile)
    if fixtures is not None:
        fixtures_module.load(fixtures)
    client_id = client_id or f"conformance-{secrets.token_hex(4)}"
    client_secret = client_secret or secrets.token_hex(24)  # hex: never read as a flag when passed on a command line
    argv = [
        sys.executable,
        "-m",
        "conformance",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--client-id",
        client_id,
        "--token-lifetime",
        str(token_lifetime),
        "--profile",
        profile,
    ]
    if db is not None:
        argv += ["--db", str(db)]
    if active:
        argv += ["--fault", ",".join(active)]
    if fixtures is not None:
        argv += ["--fixtures", str(fixtures)]
    if latency_ms:
        argv += ["--latency-ms", str(latency_ms)]
    # Other ONEROSTER_* variables would become serve's defaults: pass only what is meant.
    env = {key: value for key, value in os.environ.items() if not key.startswith("ONEROSTER_")}
    env["ONEROSTER_CLIENT_SECRET"] = client_secret
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the RunningServer, closed in stop()
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
    )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True, name="reference-stdout").start()
    seeded = str(fixtures) if fixtures is not None else None
    server = RunningServer("", "", client_id, client_secret, active, process, stderr, profile, seeded)
    announced: dict[str, str] = {}
    deadline = time.monotonic() + startup_timeout
    while "client id" not in announced:
        remaining = deadline - time.monotonic()
        line = None
        if remaining > 0:
            with contextlib.suppress(queue.Empty):
                line = lines.get(timeout=remaining)
        if line is None:
            detail = server.stderr_text().strip().splitlines()
            server.stop()
            reason = detail[-1] if detail else f"no start-up announcement within {startup_timeout:g} s"
            raise ServerStartError(f"reference server did not start: {reason}")
        label, _, value = line.partition(": ")
        announced[label] = value
    server.base_url, server.token_url = announced["base URL"], announced["token URL"]
    return server

"""Fixtures of the hostile-target harness: servers that are always stopped, and a listener on a
second loopback address that must never hear from the suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .servers import HostileServer


@pytest.fixture
def recorder() -> Iterator[HostileServer]:
    """Another origin (127.0.0.2): where hostile targets redirect to. Nothing may ever arrive here."""
    with HostileServer("record", host="127.0.0.2", lifetime=300) as server:
        yield server


@pytest.fixture
def hostile(recorder: HostileServer) -> Iterator[Callable[..., HostileServer]]:
    """``hostile(api, token=…, preflight_ok=…)``: a misbehaving server, stopped after the test."""
    started: list[HostileServer] = []

    def make(api: str = "ok-empty", **kwargs: Any) -> HostileServer:
        server = HostileServer(api, redirect_to=recorder.origin, lifetime=300, **kwargs)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()

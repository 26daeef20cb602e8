"""Servers for the reference tests: one shared per xdist worker, fresh ones where a test needs its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pytest

from ._support import Api, ThreadServer


@pytest.fixture(scope="session")
def live() -> Iterator[ThreadServer]:
    with ThreadServer() as server:
        yield server


@pytest.fixture(scope="session")
def api(live: ThreadServer) -> Iterator[Api]:
    client = Api(live.base_url)
    yield client
    client.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[ThreadServer, Api]]]:
    """Start a fresh in-thread server (optionally with faults); stopped after the test."""
    started: list[tuple[ThreadServer, Api]] = []

    def start(faults: Iterable[str] = (), **kwargs: object) -> tuple[ThreadServer, Api]:
        server = ThreadServer(faults, **kwargs)  # type: ignore[arg-type]
        client = Api(server.base_url)
        started.append((server, client))
        return server, client

    yield start
    for server, client in started:
        client.close()
        server.stop()  # all at once: each shutdown takes ~0.2 s of uvicorn's own pauses
    for server, _ in started:
        server.close()


@pytest.fixture
def fresh(serve: Callable[..., tuple[ThreadServer, Api]]) -> Api:
    """A client of a server of its own, holding only the fixtures."""
    return serve()[1]

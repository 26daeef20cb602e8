"""A server as far away as a remote one: each request waits before it is handled.

Every figure taken on loopback hides what users live with: a suite that sends one request at a
time against a server 50 ms away spends most of its run waiting. ``serve --latency-ms`` makes the
reference server that far away. The wait is an asynchronous sleep ahead of the application, so
requests in flight together wait together, as they would on a network, and the server's own work
is unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

LATENCY_MS_MAX = 10_000  # more is no same-planet server


class Distance:
    """ASGI middleware: every HTTP request waits ``seconds`` before the wrapped application sees it."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)

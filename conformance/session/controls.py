"""The control interfaces a target may announce at ``GET /.well-known/oneroster-conformance`` (no auth).

docs/tool-control.md is the protocol: the reference server announces the tool doubles' control
prefix (``toolControl``, driven by ``conformance.machines.tool_control``) and the token control prefix
(``tokenControl``: expiring a token on demand). A real deployment announces neither; the suite then
checks only what it can observe and lists the rest as not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.client import SuiteClient

DISCOVERY_PATH = "/.well-known/oneroster-conformance"


@dataclass(frozen=True)
class Controls:
    tools: str | None = None  # the tool doubles' control prefix
    tokens: str | None = None  # the token control prefix


def discover(client: SuiteClient) -> Controls:
    """The control prefixes the target announces (none when it answers 404, not JSON…).

    Prefixes are taken relative to --base-url, so a reference server behind a path-prefixing proxy
    is still driven through the proxy."""
    exchange = client.send("GET", DISCOVERY_PATH, auth="none")
    body = exchange.try_json() if exchange.status == 200 else None
    body = body if isinstance(body, dict) else {}
    return Controls(_prefix(body.get("toolControl")), _prefix(body.get("tokenControl")))


def _prefix(value: object) -> str | None:
    return value.rstrip("/") if isinstance(value, str) and value.strip("/") else None

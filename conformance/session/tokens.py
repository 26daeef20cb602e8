"""Token requests the suite makes itself, besides the run's own token: with a chosen scope, with the
client authenticated by HTTP Basic or in the form body. Each goes through the session (counted,
logged, part of a failure's reproduction); every token it gets is registered as a secret, so no
report, log or message shows it.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

from conformance import redaction
from conformance.client import Exchange
from conformance.session.suite_session import SuiteSession


@dataclass(frozen=True)
class Granted:
    exchange: Exchange  # the token request and its answer
    token: str | None  # the access token, when one was granted
    scope: str | None  # the answer's scope member, when it has one

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset((self.scope or "").split())


def request_token(session: SuiteSession, *, scope: str | None = None, basic: bool = False) -> Granted:
    """Ask the target's token URL for a client-credentials token (the run must use OAuth2)."""
    target = session.target
    client_id, secret = target.client_id or "", target.client_secret or ""
    form = {"grant_type": "client_credentials"}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic:  # RFC 6749 section 2.3.1: each part form-urlencoded, then joined and base64-encoded
        pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    else:
        form |= {"client_id": client_id, "client_secret": secret}
    if scope is not None:
        form["scope"] = scope
    exchange = session.send(
        "POST",
        target.token_url or "",
        auth="none",
        content=urlencode(form).encode(),
        headers=headers,
        grant="basic" if basic else "form",
    )
    body = exchange.try_json() if exchange.status == 200 else None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        return Granted(exchange, None, None)
    redaction.register(token)
    granted_scope = body.get("scope") if isinstance(body, dict) else None
    return Granted(exchange, token, granted_scope if isinstance(granted_scope, str) else None)


def token_for(session: SuiteSession, scope: str) -> Granted:
    """A token granted ``scope`` (space-separated names), asked for once and reused for the first half
    of its announced lifetime (a minute when it announces none), so that a request carrying it is
    never refused for a token that went stale."""
    cached = session.granted.get(scope)
    now = time.monotonic()
    if cached is not None and now < cached[1] and isinstance(cached[0], Granted):
        return cached[0]
    granted = request_token(session, scope=scope)
    if granted.token is not None:
        body = granted.exchange.try_json()
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        usable = float(lifetime) if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) else 60.0
        session.granted[scope] = (granted, now + usable / 2)
    return granted


def send_with(
    session: SuiteSession, granted: Granted, method: str, path: str, *, needs: tuple[Exchange, ...] = (), **kwargs: Any
) -> Exchange:
    """Send a request carrying ``granted``'s token instead of the run's (a replay asks for its own)."""
    assert granted.token is not None
    headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {granted.token}"}
    return session.send(method, path, auth="none", headers=headers, token_of=granted.exchange, needs=needs, **kwargs)

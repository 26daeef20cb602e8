"""Token requests the suite makes itself, besides the run's own token: with a chosen scope, with the
client authenticated by HTTP Basic or in the form body. Each goes through the session (counted,
logged, part of a failure's reproduction); every token it gets is registered as a secret, so no
report, log or message shows it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from conformance.client import Exchange, client_credentials, token_answer
from conformance.session.suite_session import SuiteSession


@dataclass(frozen=True)
class Granted:
    exchange: Exchange  # the token request and its answer
    token: str | None  # the access token, when one was granted
    scope: str | None  # the answer's scope member, when it has one
    lifetime: float | None  # seconds, the answer's expires_in, when it has one

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset((self.scope or "").split())


def request_token(
    session: SuiteSession, *, scope: str | None = None, basic: bool = False, needs: tuple[Exchange, ...] = ()
) -> Granted:
    """Ask the target's token URL for a client-credentials token (the run must use OAuth2); ``needs``:
    earlier requests a replay must send first (the expiry of another token, say)."""
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope is not None else {})
    content, headers = client_credentials(session.target, form, basic=basic)
    exchange = session.send(
        "POST",
        session.target.token_url or "",
        auth="none",
        content=content,
        headers=headers,
        grant="basic" if basic else "form",
        needs=needs,
    )
    answer = token_answer(exchange)
    return Granted(exchange, answer.token, answer.scope if answer.token else None, answer.lifetime)


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
        session.granted[scope] = (granted, now + (granted.lifetime or 60.0) / 2)
    return granted


def send_with(
    session: SuiteSession, granted: Granted, method: str, path: str, *, needs: tuple[Exchange, ...] = (), **kwargs: Any
) -> Exchange:
    """Send a request carrying ``granted``'s token instead of the run's (a replay asks for its own)."""
    assert granted.token is not None
    headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {granted.token}"}
    return session.send(method, path, auth="none", headers=headers, token_of=granted.exchange, needs=needs, **kwargs)

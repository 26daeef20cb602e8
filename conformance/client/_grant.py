"""A client-credentials token request as the suite sends it (RFC 6749 section 4.4), and what it reads
from the answer: the same for the run's own checks and for a replay, which sends its own credentials."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

from conformance import redaction
from conformance.client._exchange import Exchange
from conformance.target import Target

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def client_credentials(target: Target, form: dict[str, str], *, basic: bool) -> tuple[bytes, dict[str, str]]:
    """The request body and headers of a token request: ``form``'s members (grant type, scope) and the
    target's client credentials, by HTTP Basic or in the body."""
    client_id, secret = target.client_id or "", target.client_secret or ""
    headers = dict(FORM)
    form = {k: v for k, v in form.items() if k not in ("client_id", "client_secret")}
    if basic:  # RFC 6749 section 2.3.1: each part form-urlencoded, then joined and base64-encoded
        pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    else:
        form |= {"client_id": client_id, "client_secret": secret}
    return urlencode(form).encode(), headers


@dataclass(frozen=True)
class TokenAnswer:
    """What a token endpoint's answer grants: the access token (registered as a secret, so that no
    report shows it), its scope member and its announced lifetime, each None when absent."""

    token: str | None
    scope: str | None
    lifetime: float | None


def token_answer(exchange: Exchange) -> TokenAnswer:
    body: Any = exchange.try_json() if exchange.status == 200 else None
    if not isinstance(body, dict):
        return TokenAnswer(None, None, None)
    token, scope, lifetime = body.get("access_token"), body.get("scope"), body.get("expires_in")
    if not isinstance(token, str) or not token:
        return TokenAnswer(None, None, None)
    redaction.register(token)
    return TokenAnswer(
        token,
        scope if isinstance(scope, str) else None,
        float(lifetime) if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) else None,
    )

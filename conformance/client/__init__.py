"""The one HTTP client that carries all of the suite's traffic.

authlib's OAuth2 client-credentials support over httpx (token reuse, re-fetch on expiry, and once
more on a 401), or a static bearer token; connect/read timeouts; bounded retries that honour
``Retry-After`` on 429/503; a response-size cap; redirects never followed. Every exchange is
returned as an ``Exchange`` — what was sent, what came back — from which failure messages and
curl reproductions are built, with secrets redacted.

Hostile or broken targets must not hang the run or exhaust its memory: every request, token
requests included, has a total deadline besides the per-read timeout (a server dripping one byte a
second never trips a read timeout); a body larger than the cap is abandoned as soon as it is seen
to be (Content-Length, or the running total), never read to its end; retry waiting is capped per
throttled streak; and a target that stops answering (too many transport failures in a row, or none
answered for a minute) stops the run through the process's guard (``conformance.guard``) instead of
making it take forever.

Inside: ``_exchange`` (the ``Exchange`` record and its curl rendering), ``_auth`` (the token and
the authentication errors; ``_authlib`` imports authlib quietly), ``_transport`` (the per-request
deadline under httpx's connection pool), ``_client`` (``SuiteClient``: sending, retries, the body
cap, a target that stopped answering), ``_reproduction`` (a failure's steps as data a replay sends
again, and the normalized answer it must get), ``_grant`` (a client-credentials token request and
what its answer grants).
"""

from conformance.client._auth import AuthenticationFailed, TargetUnreachable
from conformance.client._client import (
    MAX_BODY,
    MAX_IN_FLIGHT,
    MAX_THROTTLED_WAIT,
    STOP_AFTER_FAILURES,
    STOP_AFTER_SILENCE,
    STOPPED_ANSWERING,
    SuiteClient,
)
from conformance.client._exchange import Exchange
from conformance.client._grant import TokenAnswer, client_credentials, token_answer
from conformance.client._reproduction import (
    NOT_REPLAYED,
    Origin,
    Trace,
    difference,
    instant,
    replay_data,
    request_text,
)

__all__ = [
    "MAX_BODY",
    "MAX_IN_FLIGHT",
    "MAX_THROTTLED_WAIT",
    "NOT_REPLAYED",
    "STOPPED_ANSWERING",
    "STOP_AFTER_FAILURES",
    "STOP_AFTER_SILENCE",
    "AuthenticationFailed",
    "Exchange",
    "Origin",
    "SuiteClient",
    "TargetUnreachable",
    "TokenAnswer",
    "Trace",
    "client_credentials",
    "difference",
    "instant",
    "replay_data",
    "request_text",
    "token_answer",
]

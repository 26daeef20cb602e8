"""OAuth2 client credentials (RFC 6749 section 4.4) and bearer-token checks (RFC 6750).

Tokens are random and live in memory only, keyed by their SHA-256 so that a dictionary lookup
leaks nothing about a token's bytes; client secrets are compared in constant time. Neither
tokens nor secrets are ever logged.

Scopes (RFC 6749 section 3.3) exist only where the dialect documents them (the official binding,
``conformance.contract.scopes``, and the rostering read scopes its server's rostering routes ask
for, ``conformance.contract.roster``): a token request without ``scope`` is granted every one, so a client
that asks for none can call everything; one with ``scope`` gets those this server knows — an unknown
one is dropped, as real clients that ask for more than a server offers expect, and the answer's
``scope`` says what was granted — and the API then checks them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.contract import scopes
from conformance.contract.operations import Operation
from conformance.contract.roster import READ_SCOPES
from conformance.reference.body import read_bytes
from conformance.reference.faults import Faults
from conformance.reference.imsx_errors import ApiError

TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
_MAX_FORM = 16 * 1024
_REALM = 'realm="oneroster-conformance"'


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


class Auth:
    def __init__(
        self, client_id: str, client_secret: str, lifetime: int, faults: Faults, scopes: tuple[str, ...] = ()
    ) -> None:
        self._client_id = client_id.encode()
        self._client_secret = client_secret.encode()
        self.lifetime = lifetime
        self.faults = faults
        self.scopes = scopes  # what a token may be granted; () when the dialect has no scopes
        # sha256(token) -> (monotonic expiry, granted scopes or None when scopes do not apply)
        self._tokens: dict[bytes, tuple[float, frozenset[str] | None]] = {}
        self._lock = threading.Lock()
        self.expired_one = False  # a token of this server's client was refused as expired, or expired on request

    def client_ok(self, client_id: str, client_secret: str) -> bool:
        # Both comparisons always run, so timing does not tell which one failed.
        id_ok = hmac.compare_digest(client_id.encode("utf-8", "surrogateescape"), self._client_id)
        secret_ok = hmac.compare_digest(client_secret.encode("utf-8", "surrogateescape"), self._client_secret)
        return id_ok and secret_ok

    def issue(self, granted: frozenset[str] | None = None) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            if len(self._tokens) > 1000:  # bound memory: forget expired tokens now and then
                self._tokens = {k: v for k, v in self._tokens.items() if v[0] > now}
            self._tokens[_digest(token)] = (now + self.lifetime, granted)
        return token

    def verify(self, authorization: str | None, faults: Faults | None = None) -> frozenset[str] | None:
        """Raise the 401 (or 403) a request with this Authorization header deserves, if any; else
        return the token's granted scopes (None: not restricted by scope).
        ``faults`` overrides the server's (the tool-control interface is never faulted)."""
        faults = self.faults if faults is None else faults
        if faults.on("ignore-auth"):
            return None
        if not authorization:
            if faults.on("auth-403"):
                raise ApiError(403, "Forbidden: no access token.")
            raise ApiError(
                401,
                "Unauthorized: a bearer access token is required.",
                headers={"WWW-Authenticate": f"Bearer {_REALM}"},
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise ApiError(
                401,
                "Unauthorized: the Authorization header is not 'Bearer <token>'.",
                headers={"WWW-Authenticate": f'Bearer {_REALM}, error="invalid_request"'},
            )
        if faults.on("accept-any-token"):
            return None
        with self._lock:
            entry = self._tokens.get(_digest(token))
        expired = entry is not None and entry[0] <= time.monotonic() and not faults.on("expired-token-accepted")
        if expired:
            self.expired_one = True
        if entry is None or expired:
            raise ApiError(
                401,
                "Unauthorized: the access token is unknown or expired.",
                headers={"WWW-Authenticate": f'Bearer {_REALM}, error="invalid_token"'},
            )
        return entry[1]

    def expire(self, authorization: str | None) -> None:
        """End the life of the token this Authorization header carries (the token control interface)."""
        _, _, token = (authorization or "").partition(" ")
        key = _digest(token.strip())
        with self._lock:
            entry = self._tokens.get(key)
            if entry is not None:
                self._tokens[key] = (time.monotonic(), entry[1])
                self.expired_one = True

    def grant(self, requested: str | None) -> frozenset[str] | None:
        """The scopes a token request gets: None when the dialect has none, every one when the
        request names none, else those named that this server knows (RFC 6749 section 3.3 lets it
        narrow a request); raises ValueError when none is left, or, in the variant that refuses
        rather than narrows, when one is unknown."""
        if not self.scopes:
            return None
        if requested is None or not requested.strip():
            return frozenset(self.scopes)
        names = frozenset(requested.split())
        refusing = self.faults.on("benign-unknown-scope-refused")
        # The variant is the token endpoint of a gradebook-only deployment, the server a client asking
        # for roster.readonly beside its gradebook scopes meets: the rostering read scopes, granted here
        # for the rostering routes, are unknown to it.
        known = set(self.scopes) - (set(READ_SCOPES) if refusing else set())
        unknown = sorted(names - known)
        if unknown and (refusing or names <= set(unknown)):
            raise ValueError(f"unknown scope {unknown[0]}")
        return names - set(unknown)

    def allows(self, granted: frozenset[str] | None, op: Operation) -> bool:
        """Whether a token granted ``granted`` may call ``op`` (None: scopes do not apply)."""
        if granted is not None and self.faults.on("core-read-scope-ignored"):  # a scope the server never learnt
            granted = granted - {scopes.GRADEBOOK_CORE_READ}
        if granted is None or granted & scopes.accepted(op):
            return True
        if self.faults.on("scope-ignored-delete") and op.method == "DELETE":
            return True
        if self.faults.on("scope-ignored-put") and op.method == "PUT":
            return True
        # The core read-only scope covers whole collections and single records, not a class's lists.
        return (
            self.faults.on("scope-ignored-scoped-read")
            and op.id == "getResultsForStudentForClass"
            and (scopes.GRADEBOOK_CORE_READ in granted)
        )


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = f"Basic {_REALM}"
    return JSONResponse({"error": error, "error_description": description}, status, headers)


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, client_secret = decoded.partition(":")
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(client_secret)


async def token_endpoint(request: Request, auth: Auth) -> Response:
    """``POST /oauth2/token``: OAuth2 errors here are RFC 6749 JSON, not imsx."""
    try:
        raw = await read_bytes(request, _MAX_FORM)
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (ApiError, UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "the body must be an application/x-www-form-urlencoded form")
    header = request.headers.get("authorization")
    basic = _basic(header) if header else None
    if basic is not None and auth.faults.on("basic-auth-refused"):
        return _oauth_error(401, "invalid_client", "client authentication by HTTP Basic is not supported")
    client_id, client_secret = (
        basic if basic is not None else (form.get("client_id", ""), form.get("client_secret", ""))
    )
    if not auth.client_ok(client_id, client_secret):
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    if auth.expired_one and auth.faults.on("renewal-refused-after-expiry"):
        return _oauth_error(400, "invalid_grant", "the client's token expired: its credentials must be re-registered")
    grant = form.get("grant_type")
    if grant is None:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    try:
        granted = auth.grant(form.get("scope"))
    except ValueError as exc:
        return _oauth_error(400, "invalid_scope", str(exc))
    lifetime = str(auth.lifetime) if auth.faults.on("expires-in-as-string") else auth.lifetime
    body: dict[str, object] = {"access_token": auth.issue(granted), "expires_in": lifetime, "token_type": "Bearer"}
    if granted is not None and not auth.faults.on("granted-scope-unsaid"):
        body["scope"] = " ".join(scope for scope in auth.scopes if scope in granted)
    return JSONResponse(body, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})

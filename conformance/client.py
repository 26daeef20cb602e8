"""The one HTTP client that carries all of the suite's traffic.

authlib's OAuth2 client-credentials support over httpx (token reuse, re-fetch on expiry, and once
more on a 401), or a static bearer token; connect/read timeouts; bounded retries that honour
``Retry-After`` on 429/503; a response-size cap; redirects never followed. Every exchange is
returned as an ``Exchange`` — what was sent, what came back — from which failure messages and
curl reproductions are built, with secrets redacted.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import shlex
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from conformance import __version__, redaction
from conformance._authlib import OAuth2Client, OAuthError
from conformance.target import Target

AuthMode = Literal["token", "none", "bogus"]
BOGUS_TOKEN = "not-a-valid-token-0000"  # noqa: S105 - deliberately invalid, sent to prove it is refused
MAX_BODY = 8 * 1024 * 1024
MAX_RETRIES = 2
MAX_RETRY_WAIT = 5.0
TOKEN_ENV = "ONEROSTER_TOKEN"  # noqa: S105 - the name of a variable, not a token


class TargetUnreachable(ConnectionError):
    """The target could not be reached at all (exit 3 when it happens before any test)."""


class AuthenticationFailed(PermissionError):
    """The token endpoint refused the credentials or answered nonsense (exit 3 before any test)."""


@dataclass
class Exchange:
    """One request and its answer (or the transport problem that replaced it)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes = b""
    elapsed: float = 0.0
    error: str | None = None
    response: httpx.Response | None = None
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", ""))

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        if not self._parsed:
            self._json = json.loads(self.body) if self.body else None
            self._parsed = True
        return self._json

    def try_json(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None

    def body_excerpt(self, limit: int = 600) -> str:
        text = self.body.decode("utf-8", errors="replace")
        if len(text) > limit:
            text = text[:limit] + f"… ({len(self.body)} bytes)"
        return redaction.redact(text)

    def request_excerpt(self, limit: int = 600) -> str:
        if not self.request_body:
            return ""
        text = self.request_body.decode("utf-8", errors="replace")
        return redaction.redact(text[:limit] + ("…" if len(text) > limit else ""))

    def line(self) -> str:
        outcome = self.error or f"{self.status}"
        return f"{self.method} {redaction.redact(self.url)} → {outcome}"

    def curl(self) -> str:
        """A replayable curl command; the token is read from $ONEROSTER_TOKEN, never printed."""
        parts = ["curl", "-sS", "-X", self.method, redaction.redact(self.url)]
        for name, value in self.request_headers.items():
            lower = name.lower()
            if lower in ("host", "content-length", "accept-encoding", "connection", "user-agent"):
                continue
            if lower == "authorization":
                if value.lower().startswith("bearer ") and value[7:] == BOGUS_TOKEN:
                    parts += ["-H", f"Authorization: Bearer {BOGUS_TOKEN}"]
                else:
                    parts += ["-H", f"Authorization: Bearer ${TOKEN_ENV}"]
                continue
            parts += ["-H", f"{name}: {redaction.redact(value)}"]
        if self.request_body:
            parts += ["--data-binary", redaction.redact(self.request_body.decode("utf-8", errors="replace"))]
        rendered = " ".join(shlex.quote(p) for p in parts)
        return rendered.replace(
            shlex.quote(f"Authorization: Bearer ${TOKEN_ENV}"), f'"Authorization: Bearer ${TOKEN_ENV}"'
        )


class SuiteClient:
    """Thread-safe; one per process. ``send`` never raises for HTTP-level problems."""

    def __init__(self, target: Target, *, max_body: int = MAX_BODY) -> None:
        self.target = target
        self.max_body = max_body
        self._count = 0
        self._count_lock = threading.Lock()
        self._token_lock = threading.Lock()
        timeout = httpx.Timeout(target.read_timeout, connect=target.connect_timeout)
        common: dict[str, Any] = {
            "timeout": timeout,
            "follow_redirects": False,
            "headers": {"User-Agent": f"oneroster-conformance/{__version__}", "Accept": "application/json"},
            "limits": httpx.Limits(max_connections=16, max_keepalive_connections=16),
        }
        self._oauth: OAuth2Client | None = None
        if target.uses_oauth:
            self._oauth = OAuth2Client(
                client_id=target.client_id,
                client_secret=target.client_secret,
                token_endpoint=target.token_url,
                grant_type="client_credentials",
                token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name, not a secret
                leeway=30,
                **common,
            )
            self._http: httpx.Client = self._oauth
        else:
            self._http = httpx.Client(**common)

    @property
    def requests(self) -> int:
        return self._count

    def _counted(self) -> None:
        with self._count_lock:
            self._count += 1

    def authenticate(self) -> None:
        """Fetch a token now (OAuth) so that a bad secret or a dead token URL fails before any test."""
        if self._oauth is None:
            return
        with self._token_lock:
            self._fetch_token()

    def _fetch_token(self) -> None:
        assert self._oauth is not None
        self._counted()
        try:
            token = self._oauth.fetch_token(self.target.token_url, grant_type="client_credentials")
        except httpx.TransportError as exc:
            raise TargetUnreachable(f"token URL {self.target.token_url} unreachable: {_describe(exc)}") from None
        except OAuthError as exc:
            raise AuthenticationFailed(
                f"token URL {self.target.token_url} refused the client credentials ({exc.error})"
            ) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthenticationFailed(
                f"token URL {self.target.token_url} answered something that is not a token ({type(exc).__name__})"
            ) from None
        access = token.get("access_token") if isinstance(token, Mapping) else None
        if not isinstance(access, str) or not access:
            raise AuthenticationFailed(f"token URL {self.target.token_url} answered without an access_token")
        redaction.register(access)

    def token_header(self) -> str:
        """The current ``Authorization`` value (fetching or refreshing the token when needed)."""
        if self._oauth is None:
            return f"Bearer {self.target.token}"
        with self._token_lock:
            token = self._oauth.token
            if not token or token.is_expired(leeway=30):
                self._fetch_token()
            return f"Bearer {self._oauth.token['access_token']}"

    def _refresh_after_401(self) -> None:
        if self._oauth is not None:
            with self._token_lock:
                self._fetch_token()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.target.base_url + path

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthMode = "token",
    ) -> Exchange:
        url = self.url(path)
        if json_body is not None and content is None:
            content = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers = {"Content-Type": "application/json", **(headers or {})}
        refreshed = False
        attempt = 0
        while True:
            final_headers = dict(headers or {})
            if auth == "token" and not any(k.lower() == "authorization" for k in final_headers):
                final_headers["Authorization"] = self.token_header()
            elif auth == "bogus":
                final_headers["Authorization"] = f"Bearer {BOGUS_TOKEN}"
            exchange = self._send_once(method, url, params, content, final_headers)
            if exchange.status == 401 and auth == "token" and self._oauth is not None and not refreshed:
                refreshed = True
                self._refresh_after_401()
                continue
            if exchange.status in (429, 503) and attempt < MAX_RETRIES:
                attempt += 1
                time.sleep(_retry_after(exchange.headers.get("retry-after")))
                continue
            return exchange

    def _send_once(
        self, method: str, url: str, params: Mapping[str, Any] | None, content: bytes | None, headers: dict[str, str]
    ) -> Exchange:
        self._counted()
        started = time.perf_counter()
        try:
            request = self._http.build_request(method, url, params=params, content=content, headers=headers)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            return Exchange(method, url, redaction.redact_headers(headers), content, error=f"invalid request: {exc}")
        sent_headers = dict(request.headers)
        exchange = Exchange(method, str(request.url), sent_headers, content)
        try:
            response = self._http.send(request, stream=True, auth=None)
            try:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_body:
                        exchange.error = f"response body larger than {self.max_body} bytes"
                        break
                    chunks.append(chunk)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            exchange.error = f"timed out ({type(exc).__name__})"
        except httpx.TransportError as exc:
            exchange.error = f"transport error: {_describe(exc)}"
        exchange.elapsed = time.perf_counter() - started
        if exchange.error is None:
            exchange.status = response.status_code
            exchange.body = b"".join(chunks)
            # Already decoded: drop Content-Encoding so the copy is not decoded twice.
            kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
            exchange.headers = httpx.Headers(response.headers)
            copy = httpx.Response(response.status_code, headers=kept, content=exchange.body, request=request)
            copy.elapsed = datetime.timedelta(seconds=exchange.elapsed)
            exchange.response = copy
        return exchange

    def close(self) -> None:
        self._http.close()


def _retry_after(value: str | None) -> float:
    if not value:
        return 1.0
    try:
        return max(0.0, min(float(value), MAX_RETRY_WAIT))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, min(moment - time.time(), MAX_RETRY_WAIT))


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return redaction.redact(text.splitlines()[0][:200])

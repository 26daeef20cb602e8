"""The one HTTP client that carries all of the suite's traffic.

authlib's OAuth2 client-credentials support over httpx (token reuse, re-fetch on expiry, and once
more on a 401), or a static bearer token; connect/read timeouts; bounded retries that honour
``Retry-After`` on 429/503; a response-size cap; redirects never followed. Every exchange is
returned as an ``Exchange`` — what was sent, what came back — from which failure messages and
curl reproductions are built, with secrets redacted.

Hostile or broken targets (issue 8): every request, token requests included, has a total deadline
besides the per-read timeout (a server dripping one byte a second never trips a read timeout); a
body larger than the cap is abandoned as soon as it is seen to be (Content-Length, or the running
total), never read to its end; retry waiting is capped per throttled streak; and a target that
stops answering (too many transport failures in a row, or none answered for a minute) stops the
run through the process's guard (``conformance.guard``) instead of making it take forever.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import shlex
import ssl
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpcore
import httpx

from conformance import __version__, redaction
from conformance._authlib import OAuth2Client, OAuthError
from conformance.guard import GUARD, Guard, RunStopped
from conformance.target import Target

AuthMode = Literal["token", "none", "bogus"]
BOGUS_TOKEN = "not-a-valid-token-0000"  # noqa: S105 - deliberately invalid, sent to prove it is refused
MAX_BODY = 8 * 1024 * 1024
MAX_RETRIES = 2
MAX_RETRY_WAIT = 5.0
# Retry waiting allowed since the last answer that was neither 429 nor 503: a target answering 429
# forever costs this much, then its 429s are returned as they are.
MAX_THROTTLED_WAIT = 15.0
# The target stopped answering: this many transport failures in a row, or failures (two at least)
# with no HTTP answer for this long. The run then stops sending (``conformance.guard``).
STOP_AFTER_FAILURES = 20
STOP_AFTER_SILENCE = 60.0
STOPPED_ANSWERING = "target stopped answering"
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
    unsent: bool = False  # the error happened before anything reached the target (an invalid URL)
    limits: str = ""  # what a usable answer had to be, when ``error`` says it was not one
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def transport_failure(self) -> bool:
        """No usable HTTP answer: timeout, reset, oversized body, no token — the target's doing."""
        return self.error is not None and not self.unsent

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
    """Thread-safe; one per process. ``send`` never raises for HTTP-level problems; it raises
    ``RunStopped`` once the run stopped sending (time budget, interrupt, a target that stopped answering)."""

    def __init__(self, target: Target, *, max_body: int = MAX_BODY, guard: Guard = GUARD) -> None:
        self.target = target
        self.max_body = max_body
        self.deadline = target.deadline
        self.guard = guard
        self._count = 0
        self._count_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._health_lock = threading.Lock()
        self._failures = 0  # transport failures in a row
        self._failing_since = 0.0  # when the first of them was sent (monotonic)
        self._throttled = 0.0  # retry waiting since the last answer that was not 429/503
        self._cleanup_allowance: int | None = None  # transport failures cleanup may still meet
        timeout = httpx.Timeout(target.read_timeout, connect=target.connect_timeout)
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        common: dict[str, Any] = {
            "timeout": timeout,
            "follow_redirects": False,
            "headers": {"User-Agent": f"oneroster-conformance/{__version__}", "Accept": "application/json"},
            "transport": _DeadlineTransport(limits),
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
        url = self.target.token_url
        try:
            with self.guard.waiting(), _deadline(self.deadline) as clock:
                token = self._oauth.fetch_token(url, grant_type="client_credentials")
        except httpx.TimeoutException as exc:
            raise TargetUnreachable(f"token URL {url} unreachable: {_timeout_text(exc, clock, self)}") from None
        except httpx.TransportError as exc:
            raise TargetUnreachable(f"token URL {url} unreachable: {_describe(exc)}") from None
        except OAuthError as exc:
            raise AuthenticationFailed(f"token URL {url} refused the client credentials ({exc.error})") from None
        except httpx.HTTPStatusError as exc:  # authlib's raise_for_status: a 3xx (never followed) or a 5xx
            raise AuthenticationFailed(
                f"token URL {url} answered {exc.response.status_code} instead of a token"
                + (" (a redirect: not followed)" if exc.response.is_redirect else "")
            ) from None
        except RunStopped:
            raise
        except Exception as exc:  # ValueError, KeyError, TypeError… whatever a hostile answer makes authlib raise
            raise AuthenticationFailed(
                f"token URL {url} answered something that is not a token ({type(exc).__name__})"
            ) from None
        access = token.get("access_token") if isinstance(token, Mapping) else None
        if not isinstance(access, str) or not access:
            raise AuthenticationFailed(f"token URL {url} answered without an access_token")
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

    @contextmanager
    def cleaning(self, allowance: int) -> Iterator[None]:
        """Cleanup's requests: sent whatever stopped the run, until ``allowance`` of them in a row
        got no answer — then ``RunStopped`` again, so that cleanup of a dead target stays short."""
        with self._health_lock:
            self._cleanup_allowance, self._failures = allowance, 0
        try:
            with self.guard.cleanup():
                yield
        finally:
            self._cleanup_allowance = None

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
            self._may_send()
            final_headers = dict(headers or {})
            try:
                if auth == "token" and not any(k.lower() == "authorization" for k in final_headers):
                    final_headers["Authorization"] = self.token_header()
                elif auth == "bogus":
                    final_headers["Authorization"] = f"Bearer {BOGUS_TOKEN}"
            except (TargetUnreachable, AuthenticationFailed) as exc:
                # The token endpoint broke mid-run: this request got no usable answer either.
                exchange = Exchange(method, url, redaction.redact_headers(final_headers), content)
                exchange.error, exchange.limits = f"no access token: {exc}", "an access token from the token URL"
                self._health(exchange)
                return exchange
            exchange = self._send_once(method, url, params, content, final_headers)
            self._health(exchange)
            if exchange.status == 401 and auth == "token" and self._oauth is not None and not refreshed:
                refreshed = True
                try:
                    self._refresh_after_401()
                except (TargetUnreachable, AuthenticationFailed):
                    return exchange  # the 401 stands; the token endpoint's failure shows on the next request
                continue
            if exchange.status in (429, 503) and attempt < MAX_RETRIES:
                wait = _retry_after(exchange.headers.get("retry-after"))
                with self._health_lock:
                    allowed = self._throttled + wait <= MAX_THROTTLED_WAIT
                    if allowed:
                        self._throttled += wait
                if allowed:
                    attempt += 1
                    with self.guard.waiting():
                        time.sleep(wait)
                    continue
            return exchange

    def _may_send(self) -> None:
        """Raise ``RunStopped`` when nothing more may be sent."""
        if self._cleanup_allowance is None:
            self.guard.check()
        elif self._failures >= self._cleanup_allowance:
            raise RunStopped("cleanup abandoned: the target gave no answer to its last requests")

    def _health(self, exchange: Exchange) -> None:
        """Count transport failures in a row; stop the run when the target stopped answering."""
        if exchange.unsent:
            return
        with self._health_lock:
            if not exchange.transport_failure:
                self._failures = 0
                if exchange.status not in (429, 503):
                    self._throttled = 0.0
                return
            now = time.monotonic()
            if self._failures == 0:
                self._failing_since = now - exchange.elapsed
            self._failures += 1
            failures, silence = self._failures, now - self._failing_since
        if self._cleanup_allowance is None and (
            failures >= STOP_AFTER_FAILURES or (failures >= 2 and silence >= STOP_AFTER_SILENCE)
        ):
            self.guard.stop(
                f"{STOPPED_ANSWERING}: {failures} requests in a row over {silence:.1f} s got no HTTP answer "
                f"(last: {exchange.error})"
            )

    def _send_once(
        self, method: str, url: str, params: Mapping[str, Any] | None, content: bytes | None, headers: dict[str, str]
    ) -> Exchange:
        self._counted()
        started = time.perf_counter()
        try:
            request = self._http.build_request(method, url, params=params, content=content, headers=headers)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            exchange = Exchange(
                method, url, redaction.redact_headers(headers), content, error=f"invalid request: {exc}"
            )
            exchange.unsent = True
            return exchange
        sent_headers = dict(request.headers)
        exchange = Exchange(method, str(request.url), sent_headers, content)
        chunks: list[bytes] = []
        with self.guard.waiting(), _deadline(self.deadline) as clock:
            try:
                response = self._http.send(request, stream=True, auth=None)
                try:
                    exchange.error = self._read_capped(response, chunks)
                finally:
                    response.close()  # an abandoned body closes the connection: nothing more is read
            except httpx.TimeoutException as exc:
                exchange.error = _timeout_text(exc, clock, self)
            except httpx.TransportError as exc:
                exchange.error = f"transport error: {_describe(exc)}"
        exchange.elapsed = time.perf_counter() - started
        if exchange.error is not None:
            read = self.target.read_timeout
            exchange.limits = (
                f"an HTTP answer of at most {self.max_body} bytes"
                if exchange.error.startswith("response body larger")
                else f"a complete HTTP answer within {self.deadline:g} s (each read within {read:g} s)"
            )
        else:
            exchange.status = response.status_code
            exchange.body = b"".join(chunks)
            # Already decoded: drop Content-Encoding so the copy is not decoded twice.
            kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
            exchange.headers = httpx.Headers(response.headers)
            copy = httpx.Response(response.status_code, headers=kept, content=exchange.body, request=request)
            copy.elapsed = datetime.timedelta(seconds=exchange.elapsed)
            exchange.response = copy
        return exchange

    def _read_capped(self, response: httpx.Response, chunks: list[bytes]) -> str | None:
        """Read the body into ``chunks``; the error when it is larger than the cap (read no further)."""
        too_large = f"response body larger than {self.max_body} bytes"
        declared = response.headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > self.max_body:
            return f"{too_large} (Content-Length {int(declared)})"
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_body:
                return too_large
            chunks.append(chunk)
        return None

    def close(self) -> None:
        self._http.close()


# The request deadline ---------------------------------------------------------------------------------
# httpx's timeouts apply to each socket operation; a total deadline needs the socket operations to know
# when the request must be over. The client's connection pool uses a network backend whose streams
# shorten every timeout to what is left of the current request's deadline (a per-thread value, since
# a connection serves one request at a time, on the thread that sent it).
_local = threading.local()


@dataclass
class _Clock:
    ends: float  # time.monotonic()
    seconds: float
    expired: bool = False


@contextmanager
def _deadline(seconds: float) -> Iterator[_Clock]:
    clock = _Clock(time.monotonic() + seconds, seconds)
    previous = getattr(_local, "clock", None)
    _local.clock = clock
    try:
        yield clock
    finally:
        _local.clock = previous


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    clock: _Clock | None = getattr(_local, "clock", None)
    if clock is None:
        return timeout
    left = clock.ends - time.monotonic()
    if left <= 0:
        clock.expired = True
        raise error(f"no complete answer within {clock.seconds:g} s")
    if timeout is None or left < timeout:
        clock.expired = True  # if this operation times out, it is the deadline that did
        return left
    clock.expired = False
    return timeout


def _timeout_text(exc: httpx.TimeoutException, clock: _Clock, client: SuiteClient) -> str:
    if clock.expired or time.monotonic() >= clock.ends:
        return f"no complete answer within the request deadline of {clock.seconds:g} s"
    limit = client.target.connect_timeout if isinstance(exc, httpx.ConnectTimeout) else client.target.read_timeout
    return f"timed out ({type(exc).__name__}, {limit:g} s)"


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(super().connect_tcp(host, port, bounded, local_address, socket_options))


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, its connection pool built on the deadline-aware backend."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


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

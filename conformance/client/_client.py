"""``SuiteClient``: sending, bounded retries, the body cap, and noticing a target that stopped answering."""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx

from conformance import __version__, redaction
from conformance.client._auth import AuthenticationFailed, Credentials, TargetUnreachable
from conformance.client._exchange import BOGUS_TOKEN, Exchange
from conformance.client._transport import DeadlineTransport, deadline, describe, timeout_text
from conformance.guard import Guard, RunStopped
from conformance.target import Target

AuthMode = Literal["token", "none", "bogus"]
MAX_BODY = 8 * 1024 * 1024
MAX_RETRIES = 2
MAX_RETRY_WAIT = 5.0
# Retry waiting allowed since the last answer that was neither 429 nor 503: a target answering 429
# forever costs this much, then its 429s are returned as they are.
MAX_THROTTLED_WAIT = 15.0
# How stale a pause another process of the run announced may be when a request is sent.
SHARED_PAUSE_READ = 0.1
# The target stopped answering: this many transport failures in a row, or failures (two at least)
# with no HTTP answer for this long. The run then stops sending (``conformance.guard``).
STOP_AFTER_FAILURES = 20
STOP_AFTER_SILENCE = 60.0
STOPPED_ANSWERING = "target stopped answering"
# Requests one client may have in flight: the most tests one process may run together.
MAX_IN_FLIGHT = 64
# Each thread sends through connections of its own (one request at a time; a few in case one is
# abandoned). A pool the threads share hands connections over between them, and there it has been seen
# to close a connection another thread had just taken (httpcore: an idle connection's keep-alive
# expiring as it was handed out): that request failed with "Bad file descriptor", for nothing the
# target did.
THREAD_CONNECTIONS = 4


class SuiteClient:
    """Thread-safe; one per process. ``send`` never raises for HTTP-level problems; it raises
    ``RunStopped`` once the run stopped sending (time budget, interrupt, a target that stopped answering)."""

    def __init__(
        self, target: Target, *, max_body: int = MAX_BODY, guard: Guard | None = None, shared_pause: Path | None = None
    ) -> None:
        self.target = target
        # Where the processes of one run (pytest-xdist workers) tell each other of a pause: a 429 one
        # of them got pauses them all. The time it ends, on the wall clock they share.
        self._shared_pause = shared_pause
        self._elsewhere, self._elsewhere_read = 0.0, -SHARED_PAUSE_READ  # the file's value, when read
        self.max_body = max_body
        self.deadline = target.deadline
        self.guard = guard if guard is not None else Guard()
        self._count = 0
        self._count_lock = threading.Lock()
        self._health_lock = threading.Lock()
        self._failures = 0  # transport failures in a row
        self._failing_since = 0.0  # when the first of them was sent (monotonic)
        self._throttled = 0.0  # retry waiting since the last answer that was not 429/503
        # One limiter for every sender of this client: a 429/503 pauses them all until it said to retry.
        self._paused_until = 0.0  # time.monotonic()
        self._in_flight = 0
        self.peak_in_flight = 0  # the most requests this client had in flight at once
        self._cleanup_allowance: int | None = None  # transport failures cleanup may still meet
        self._options: dict[str, Any] = {
            "timeout": httpx.Timeout(target.read_timeout, connect=target.connect_timeout),
            "follow_redirects": False,
            "headers": {"User-Agent": f"oneroster-conformance/{__version__}", "Accept": "application/json"},
        }
        self._credentials = Credentials(target, self.guard, self._counted, transport=self._transport(), **self._options)
        self._thread = threading.local()
        self._clients: list[httpx.Client] = [self._credentials.http]  # every thread's, to close them all

    @staticmethod
    def _transport() -> DeadlineTransport:
        return DeadlineTransport(
            httpx.Limits(max_connections=THREAD_CONNECTIONS, max_keepalive_connections=THREAD_CONNECTIONS)
        )

    @property
    def _http(self) -> httpx.Client:
        """The calling thread's own ``httpx.Client``, with connections no other thread touches."""
        client: httpx.Client | None = getattr(self._thread, "http", None)
        if client is None:
            client = self._thread.http = httpx.Client(transport=self._transport(), **self._options)
            with self._count_lock:
                self._clients.append(client)
        return client

    @property
    def requests(self) -> int:
        return self._count

    def _counted(self) -> None:
        with self._count_lock:
            self._count += 1

    def authenticate(self) -> None:
        """Fetch a token now (OAuth) so that a bad secret or a dead token URL fails before any test."""
        self._credentials.authenticate()

    def token_header(self) -> str:
        """The current ``Authorization`` value (fetching or refreshing the token when needed)."""
        return self._credentials.header()

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
            self._wait_while_paused()
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
            if exchange.status == 401 and auth == "token" and self._credentials.refreshable and not refreshed:
                refreshed = True
                try:
                    self._credentials.refresh()
                except (TargetUnreachable, AuthenticationFailed):
                    return exchange  # the 401 stands; the token endpoint's failure shows on the next request
                continue
            if (
                exchange.status in (429, 503)
                and attempt < MAX_RETRIES
                and self._pause(_retry_after(exchange.headers.get("retry-after")))
            ):
                attempt += 1
                continue
            return exchange

    def _pause(self, wait: float) -> bool:
        """A 429/503 said to wait: every sender of this client waits until then, so a throttling target
        slows the whole run rather than each test apart. Only the time a pause adds counts against the
        waiting allowed since the last ordinary answer; False once that is spent (the answer then stands)."""
        with self._health_lock:
            now = time.monotonic()
            added = max(0.0, now + wait - max(self._paused_until, now))
            if self._throttled + added > MAX_THROTTLED_WAIT:
                return False
            self._throttled += added
            self._paused_until = max(self._paused_until, now + wait)
            ends = time.time() + (self._paused_until - now)
        if self._shared_pause is not None and ends > self._paused_elsewhere():
            with contextlib.suppress(OSError):  # the others then pause at their own first 429
                self._shared_pause.parent.mkdir(parents=True, exist_ok=True)
                written = self._shared_pause.with_name(
                    f"{self._shared_pause.name}.{os.getpid()}.{threading.get_ident()}"
                )
                written.write_text(repr(ends), encoding="utf-8")
                os.replace(written, self._shared_pause)  # whole, never half-written
        return True

    def _paused_elsewhere(self, *, fresh: bool = True) -> float:
        """When the pause another process of the run announced ends (wall clock; 0: none). Not
        ``fresh``: as read at most ``SHARED_PAUSE_READ`` ago, which keeps the file off every request's
        path; a process that learns of a pause that much late sends a few requests that get a 429 of
        their own, and pause then anyway."""
        if self._shared_pause is None:
            return 0.0
        now = time.monotonic()
        if not fresh and now - self._elsewhere_read < SHARED_PAUSE_READ:
            return self._elsewhere
        try:
            ends = float(self._shared_pause.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            ends = 0.0
        self._elsewhere, self._elsewhere_read = ends, now
        return ends

    def _wait_while_paused(self) -> None:
        pause = self._paused_until - time.monotonic()
        if self._shared_pause is not None:
            pause = max(pause, min(self._paused_elsewhere(fresh=False) - time.time(), MAX_RETRY_WAIT))
        if pause > 0 and self._cleanup_allowance is None:
            with self.guard.waiting():
                time.sleep(pause)

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
        with self._count_lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            return self._exchange(method, url, params, content, headers)
        finally:
            with self._count_lock:
                self._in_flight -= 1

    def _exchange(
        self, method: str, url: str, params: Mapping[str, Any] | None, content: bytes | None, headers: dict[str, str]
    ) -> Exchange:
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
        with self.guard.waiting(), deadline(self.deadline) as clock:
            try:
                response = self._http.send(request, stream=True, auth=None)
                try:
                    exchange.error = self._read_capped(response, chunks)
                finally:
                    response.close()  # an abandoned body closes the connection: nothing more is read
            except httpx.TimeoutException as exc:
                exchange.error = timeout_text(exc, clock, self.target)
            except httpx.TransportError as exc:
                exchange.error = f"transport error: {describe(exc)}"
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
        with self._count_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()


def _retry_after(value: str | None) -> float:
    """Seconds to wait before a retry, from a ``Retry-After`` in seconds or as a date (at most ``MAX_RETRY_WAIT``)."""
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

"""Where the ``Authorization`` header comes from: a static bearer token, or OAuth2 client credentials.

authlib's OAuth2 client over httpx fetches the token (client_secret_post), reuses it, fetches it
again when it expires and once more when the target answers 401. Token requests go through the
same transport as every other request — request deadline included — and every way a token
endpoint can fail ends as ``TargetUnreachable`` or ``AuthenticationFailed``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from conformance import redaction
from conformance.client._authlib import OAuth2Client, OAuthError
from conformance.client._transport import deadline, describe, timeout_text
from conformance.guard import Guard, RunStopped
from conformance.target import Target

LEEWAY = 30  # seconds before its expiry that a token counts as expired


class TargetUnreachable(ConnectionError):
    """The target could not be reached at all (exit 3 when it happens before any test)."""


class AuthenticationFailed(PermissionError):
    """The token endpoint refused the credentials or answered nonsense (exit 3 before any test)."""


class Credentials:
    """The target's credentials, and the ``httpx.Client`` that carries them: authlib's with OAuth2
    (it sends the token requests), a plain one with a static token. Thread-safe."""

    def __init__(self, target: Target, guard: Guard, counted: Callable[[], None], **client_options: Any) -> None:
        self.target = target
        self.guard = guard
        self._counted = counted  # called once per token request: it counts as a request of the run
        self._lock = threading.Lock()
        self._oauth: OAuth2Client | None = None
        if target.uses_oauth:
            self._oauth = OAuth2Client(
                client_id=target.client_id,
                client_secret=target.client_secret,
                token_endpoint=target.token_url,
                grant_type="client_credentials",
                token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name, not a secret
                leeway=LEEWAY,
                **client_options,
            )
            self.http: httpx.Client = self._oauth
        else:
            self.http = httpx.Client(**client_options)

    @property
    def refreshable(self) -> bool:
        """A 401 may mean the token went stale: fetching another one is worth one more try."""
        return self._oauth is not None

    def authenticate(self) -> None:
        """Fetch a token now (OAuth) so that a bad secret or a dead token URL fails before any test."""
        if self._oauth is None:
            return
        with self._lock:
            self._fetch_token()

    def header(self) -> str:
        """The current ``Authorization`` value (fetching or refreshing the token when needed)."""
        if self._oauth is None:
            return f"Bearer {self.target.token}"
        with self._lock:
            token = self._oauth.token
            if not token or token.is_expired(leeway=LEEWAY):
                self._fetch_token()
            return f"Bearer {self._oauth.token['access_token']}"

    def refresh(self) -> None:
        """Fetch a new token after a 401 (nothing to do with a static token)."""
        if self._oauth is not None:
            with self._lock:
                self._fetch_token()

    def _fetch_token(self) -> None:
        assert self._oauth is not None
        self._counted()
        url = self.target.token_url
        try:
            with self.guard.waiting(), deadline(self.target.deadline) as clock:
                token = self._oauth.fetch_token(url, grant_type="client_credentials")
        except httpx.TimeoutException as exc:
            raise TargetUnreachable(f"token URL {url} unreachable: {timeout_text(exc, clock, self.target)}") from None
        except httpx.TransportError as exc:
            raise TargetUnreachable(f"token URL {url} unreachable: {describe(exc)}") from None
        except OAuthError as exc:
            raise AuthenticationFailed(f"token URL {url} refused the client credentials ({exc.error})") from None
        except httpx.HTTPStatusError as exc:  # authlib's raise_for_status: a 3xx (never followed) or a 5xx
            answer = exc.response
            if answer.is_redirect:
                where = redaction.redact(answer.headers.get("location", "nowhere"))
                raise AuthenticationFailed(
                    f"token URL {url} redirected ({answer.status_code}) to {where} instead of answering a token; the "
                    "suite does not follow redirects with credentials: give the final URL as --token-url"
                ) from None
            raise AuthenticationFailed(f"token URL {url} answered {answer.status_code} instead of a token") from None
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

"""``Exchange``: one request and its answer, from which failure messages and curl reproductions are
built — with secrets redacted, and the token never printed."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance import redaction

BOGUS_TOKEN = "not-a-valid-token-0000"  # noqa: S105 - deliberately invalid, sent to prove it is refused
TOKEN_ENV = "ONEROSTER_TOKEN"  # noqa: S105 - the name of a variable, not a token


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
    # Its place in the session's traffic (``SuiteSession.send`` numbers what it sends): which
    # records a failure's steps rely on is told by what was written before them.
    ordinal: int | None = None
    # Where it stands among tokens other than the run's: a token request made with the run's client
    # credentials (``grant``: how the client authenticated, "form" or "basic"), or a request carrying
    # the token such a request got (``token_of``). A replay asks for its own token in their place.
    grant: str | None = None
    token_of: Exchange | None = field(default=None, repr=False)
    # Earlier exchanges a replay must send before this one, besides the writes whose records it names:
    # the expiry of the token it carries, the refused write whose effect it reads.
    needs: tuple[Exchange, ...] = field(default=(), repr=False)
    # Seconds the sender waited, on purpose, before sending it (so that time visibly passes between two
    # writes): a replay waits as long.
    pause: float = 0.0
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

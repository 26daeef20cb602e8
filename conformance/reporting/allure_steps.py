"""One HTTP exchange as an Allure step: ``METHOD path → status``, with the request and the
response attached as text.

Everything goes through ``conformance.redaction`` (the Authorization header, every registered
secret, token-looking fields) before it is written, and bodies are cut at ``MAX_BODY``: a run sends
thousands of requests, and the report must stay small enough to open.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from conformance import redaction
from conformance.client import Exchange

MAX_BODY = 16 * 1024  # characters of a body kept in an attachment
MAX_TARGET = 160  # characters of path and query kept in a step title


def step_title(exchange: Exchange) -> str:
    parts = urlsplit(exchange.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if len(target) > MAX_TARGET:
        target = target[:MAX_TARGET] + "…"
    outcome = str(exchange.status) if exchange.status is not None else (exchange.error or "no answer")
    return redaction.redact(f"{exchange.method} {target} → {outcome}")


def _body(raw: bytes | None) -> str:
    """The body as text, redacted before it is cut so that a secret cannot straddle the cut."""
    if not raw:
        return ""
    text = redaction.redact(raw.decode("utf-8", errors="replace"))
    if len(text) > MAX_BODY:
        return text[:MAX_BODY] + f"\n… (cut at {MAX_BODY} characters; {len(raw)} bytes in all)"
    return text


def _headers(items: Iterable[tuple[str, str]]) -> list[str]:
    # One header at a time: a response may repeat one (Set-Cookie), and each line is kept.
    return [f"{name}: {redaction.redact_headers({name: value})[name]}" for name, value in items]


def request_text(exchange: Exchange) -> str:
    lines = [redaction.redact(f"{exchange.method} {exchange.url}"), *_headers(exchange.request_headers.items())]
    body = _body(exchange.request_body)
    return "\n".join(lines) + (f"\n\n{body}" if body else "")


def response_text(exchange: Exchange) -> str:
    if exchange.status is None:
        return redaction.redact(f"no response: {exchange.error or 'unknown reason'}")
    lines = [f"HTTP {exchange.status}", *_headers(exchange.headers.multi_items())]
    if exchange.error:  # an answer the client gave up reading (too large)
        lines.append(redaction.redact(f"(incomplete: {exchange.error})"))
    body = _body(exchange.body)
    return "\n".join(lines) + (f"\n\n{body}" if body else "")


def emit(exchange: Exchange, allure: Any) -> None:
    """Write the step into the running test. ``allure`` is the ``allure`` module, passed in as ``Any``:
    its functions carry no annotations, which strict mypy would refuse to call."""
    with allure.step(step_title(exchange)):
        allure.attach(request_text(exchange), name="request", attachment_type=allure.attachment_type.TEXT)
        allure.attach(response_text(exchange), name="response", attachment_type=allure.attachment_type.TEXT)

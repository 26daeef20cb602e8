"""Keeping secrets out of everything the suite prints or writes.

Every secret the process learns (client secret, static token, each access token issued) is
registered here; ``redact`` replaces them wherever they appear. Reports, logs, failure messages and
curl reproductions all pass through it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
# _secrets longest first, rebuilt by register (redact runs on every exchange: one slot, read whole)
_longest_first: list[tuple[str, ...]] = [()]
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*")
_SECRET_FIELDS = re.compile(r'(?i)("?(?:client_secret|access_token|password|refresh_token)"?\s*[=:]\s*"?)([^"&\s,}]+)')


def register(secret: str | None) -> None:
    """Remember a secret; very short values are ignored (they would mask ordinary text)."""
    if secret and len(secret) >= 6:
        with _lock:
            if secret not in _secrets:
                _secrets.add(secret)
                _longest_first[0] = tuple(sorted(_secrets, key=len, reverse=True))


def redact(text: str) -> str:
    if not text:
        return text
    for secret in _longest_first[0]:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return _SECRET_FIELDS.sub(lambda m: m.group(1) + MASK, text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (_mask_header(k, v) if k.lower() in SENSITIVE_HEADERS else redact(v)) for k, v in headers.items()}


def _mask_header(name: str, value: str) -> str:
    if name.lower() == "authorization" and " " in value:
        return value.split(" ", 1)[0] + " " + MASK
    return MASK

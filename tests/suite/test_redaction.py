"""Secrets never leave the process: redaction of text, headers and curl reproductions."""

from __future__ import annotations

from conformance import redaction
from conformance.client import Exchange


def test_registered_secret_is_masked_everywhere() -> None:
    redaction.register("s3cret-value-123")
    text = "client_secret=s3cret-value-123&x=1 and again s3cret-value-123"
    assert "s3cret-value-123" not in redaction.redact(text)


def test_bearer_tokens_and_secret_fields_are_masked_even_unregistered() -> None:
    out = redaction.redact('Authorization: Bearer abc.def-ghi {"access_token": "zzzzzzzzzz", "password": "hunter22"}')
    assert "abc.def-ghi" not in out and "zzzzzzzzzz" not in out and "hunter22" not in out


def test_headers_are_masked() -> None:
    headers = redaction.redact_headers({"Authorization": "Bearer tok-tok-tok", "X-Other": "fine"})
    assert headers == {"Authorization": "Bearer ***", "X-Other": "fine"}


def test_curl_reads_the_token_from_the_environment() -> None:
    redaction.register("live-token-abcdef")
    exchange = Exchange(
        "PUT",
        "http://127.0.0.1:1/x",
        {"Authorization": "Bearer live-token-abcdef", "Content-Type": "application/json"},
        b'{"a": 1}',
    )
    curl = exchange.curl()
    assert "live-token-abcdef" not in curl
    assert "$ONEROSTER_TOKEN" in curl and "--data-binary" in curl

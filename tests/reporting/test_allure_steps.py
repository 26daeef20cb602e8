"""An exchange as an Allure step: its title, and request/response texts with every secret redacted
and bodies cut at 16 KiB."""

from __future__ import annotations

from typing import Any

import httpx

from conformance import redaction
from conformance.client import Exchange
from conformance.reporting import allure_steps

SECRET = "step-secret-6d1f0a"
TOKEN = "step-token-b7c2e94"


def _exchange(**kw: Any) -> Exchange:
    redaction.register(SECRET)
    redaction.register(TOKEN)
    values: dict[str, Any] = {
        "method": "PUT",
        "url": f"http://127.0.0.1:8000/ims/oneroster/gradebook/v1p2/results/r1?secret={SECRET}",
        "request_headers": {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        "request_body": f'{{"result": {{"comment": "{SECRET}"}}}}'.encode(),
        "status": 201,
        "headers": httpx.Headers([("content-type", "application/json"), ("set-cookie", "a=1"), ("set-cookie", "b=2")]),
        "body": f'{{"access_token": "unregistered-{TOKEN[::-1]}", "echo": "{SECRET}"}}'.encode(),
    }
    values.update(kw)
    return Exchange(**values)


def test_title() -> None:
    assert allure_steps.step_title(_exchange()) == "PUT /ims/oneroster/gradebook/v1p2/results/r1?secret=*** → 201"
    failed = _exchange(status=None, error="timed out (ReadTimeout)", url="http://127.0.0.1:8000/x")
    assert allure_steps.step_title(failed) == "PUT /x → timed out (ReadTimeout)"
    long = _exchange(url="http://127.0.0.1:8000/" + "a" * 500)
    assert len(allure_steps.step_title(long)) < allure_steps.MAX_TARGET + 20


def test_request_and_response_are_redacted() -> None:
    exchange = _exchange()
    request, response = allure_steps.request_text(exchange), allure_steps.response_text(exchange)
    for text in (request, response):
        assert SECRET not in text and TOKEN not in text and TOKEN[::-1] not in text
    assert request.splitlines()[0].startswith("PUT http://127.0.0.1:8000/ims/oneroster/gradebook/v1p2/results/r1")
    assert "Authorization: Bearer ***" in request
    assert request.endswith('{"result": {"comment": "***"}}')
    assert response.splitlines()[:4] == [
        "HTTP 201",
        "content-type: application/json",
        "set-cookie: ***",
        "set-cookie: ***",
    ]


def test_bodies_are_cut_after_redaction() -> None:
    # The secret straddles the cut: redacting after cutting would leave its first half in the report.
    body = ("x" * (allure_steps.MAX_BODY - 3) + SECRET + "y" * 40_000).encode()
    text = allure_steps.response_text(_exchange(body=body))
    assert SECRET[:3] not in text.split("\n\n", 1)[1]
    assert f"cut at {allure_steps.MAX_BODY} characters; {len(body)} bytes in all" in text
    assert len(text) < allure_steps.MAX_BODY + 500


def test_no_answer() -> None:
    text = allure_steps.response_text(_exchange(status=None, error=f"transport error: reset by {SECRET}"))
    assert text == "no response: transport error: reset by ***"


class _FakeAllure:
    """Records what ``emit`` asks of the allure module."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.attachment_type = type("T", (), {"TEXT": "text"})

    def step(self, title: str) -> Any:
        calls = self.calls

        class _Step:
            def __enter__(self) -> None:
                calls.append(("enter", title))

            def __exit__(self, *exc: object) -> None:
                calls.append(("exit", title))

        return _Step()

    def attach(self, body: str, name: str, attachment_type: Any) -> None:
        self.calls.append(("attach", (name, attachment_type, body.splitlines()[0])))


def test_emit_nests_both_attachments_in_the_step() -> None:
    fake = _FakeAllure()
    allure_steps.emit(_exchange(), fake)
    title = "PUT /ims/oneroster/gradebook/v1p2/results/r1?secret=*** → 201"
    assert fake.calls == [
        ("enter", title),
        ("attach", ("request", "text", "PUT http://127.0.0.1:8000/ims/oneroster/gradebook/v1p2/results/r1?secret=***")),
        ("attach", ("response", "text", "HTTP 201")),
        ("exit", title),
    ]

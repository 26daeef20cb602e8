"""Helpers for the tests of the reference server's 1edtech profile: the shared record builders bound to
the official binding (a record's sourcedId first, as the binding requires it), and assertions against
the 1edtech schemas."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx

from conformance import profiles

from . import _records, _support

OFFICIAL = profiles.ONEEDTECH

line_item = partial(_records.line_item, profile=OFFICIAL)
result = partial(_records.result, profile=OFFICIAL)
category = partial(_records.category, profile=OFFICIAL)
record = partial(_records.record, profile=OFFICIAL)
assert_valid = partial(_support.assert_valid, profile=OFFICIAL)


def assert_error(response: httpx.Response, status: int, code_minor: str | None = None) -> dict[str, Any]:
    """An official imsx error: the status, JSON, valid imsx_StatusInfo, and none of TimeBack's extensions."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == "application/json", response.headers
    body: dict[str, Any] = response.json()
    assert_valid("imsxStatusInfo", body)
    assert (body["imsx_codeMajor"], body["imsx_severity"]) == ("failure", "error")
    assert "imsx_error_details" not in body, body
    if code_minor is not None:
        assert body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == code_minor, body
    return body

"""Turning payloads and errors into HTTP responses — the one place transport-level faults apply."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from conformance import profiles
from conformance.reference.faults import NONE, Faults
from conformance.reference.imsx_errors import ApiError
from conformance.reference.server_dialects import Dialect, for_profile

JSON = "application/json"


def dumps(payload: Any) -> bytes:
    # allow_nan=False: NaN/Infinity are not JSON; bodies never let them in (see body.py).
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: _shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


class Renderer:
    """Builds responses for one server; the faults it is given shape every body and header, and its
    dialect shapes error bodies."""

    def __init__(self, faults: Faults = NONE, dialect: Dialect | None = None) -> None:
        self.faults = faults
        self.dialect = dialect or for_profile(profiles.TIMEBACK)
        self._rng = random.Random(0)  # benign-key-order: reproducible shuffles
        if faults.on("json-as-text-html"):
            self._media = "text/html; charset=utf-8"
        elif faults.on("benign-charset"):
            self._media = "application/json; charset=utf-8"
        else:
            self._media = JSON

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.faults.on("benign-extra-headers"):
            headers["X-Request-Id"] = str(uuid.uuid4())
            headers["X-Powered-By"] = "oneroster-conformance reference server"
        return headers

    def json(self, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        if self.faults.on("benign-key-order"):
            content = json.dumps(_shuffled(payload, self._rng), ensure_ascii=False, indent=2, allow_nan=False).encode()
        else:
            content = dumps(payload)
        return Response(content, status, self._headers(headers), media_type=self._media)

    def empty(self, status: int) -> Response:
        return Response(b"", status, self._headers(None))

    def error(self, error: ApiError) -> Response:
        description, code_minor = error.description, None
        if error.status == 404:
            if self.faults.on("wrong-404-message"):
                description = "Not found"
            if self.faults.on("wrong-code-minor"):
                code_minor = "invaliddata"
        if self.faults.on("plain-text-errors"):
            return Response(description, error.status, self._headers(error.headers), media_type="text/plain")
        body = self.dialect.error_body(self.faults, error.status, description, error.details, code_minor)
        return self.json(body, error.status, error.headers)

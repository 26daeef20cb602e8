"""Failures as the API reports them: the flat imsx status object of docs/api.md#errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.contract.schemas import Problem

# docs/api.md#errors gives code-minor values for 400/422/401/403/404/429/500; 405, 413 and 415 are input
# problems as well, so they share 400's value.
CODE_MINOR: dict[int, str] = {
    400: "invaliddata",
    405: "invaliddata",
    413: "invaliddata",
    415: "invaliddata",
    422: "invaliddata",
    401: "unauthorisedrequest",
    403: "forbidden",
    404: "unknownobject",
    429: "server_busy",
    500: "internal_server_error",
}


class ApiError(Exception):
    """An error answer. Handlers raise it; the app renders it (faults may alter the rendering)."""

    def __init__(
        self,
        status: int,
        description: str,
        details: Sequence[Problem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.details = tuple(details)
        self.headers = dict(headers or {})


def imsx(
    status: int, description: str, details: Sequence[Problem] = (), code_minor: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor or CODE_MINOR.get(status, "invaliddata"),
                }
            ]
        },
    }
    if details:
        body["imsx_error_details"] = [{"pointer": p.pointer, "message": p.message} for p in details]
    return body


def invalid_body(found: Sequence[Problem]) -> ApiError:
    """422 for a schema-invalid body; the description names the first problem, details list all."""
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return ApiError(422, f"Invalid request body: {first.pointer or '/'} {first.message}{more}", found)


def bad_request(description: str, pointer: str | None = None) -> ApiError:
    details = (Problem(pointer, description),) if pointer is not None else ()
    return ApiError(400, description, details)

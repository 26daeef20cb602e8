"""Failures as the API reports them: the flat imsx status object of docs/api.md#errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.contract.schemas import Problem

# The server answers an operation only with a status its documents list for it: 400, 401, 403, 404,
# 422, 429 and 500 besides the success codes (docs/api.md#errors gives their code minors). A body
# that is too large or not JSON is therefore a 400, not 413 or 415, which neither TimeBack nor the
# official binding lists. The one other status is 405 (with ``Allow``), for a method the path has
# no operation for: such a request is outside every documented operation, so no operation's list
# applies to it, and RFC 9110 gives 405 as the answer; a method the path does document never gets it.
# 405 is an input problem as well, so it shares 400's code minor.
CODE_MINOR: dict[int, str] = {
    400: "invaliddata",
    405: "invaliddata",
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

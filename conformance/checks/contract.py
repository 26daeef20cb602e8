"""schemathesis's standard checks, run on exchanges the suite sent itself, mapped to requirements.

schemathesis generates the cases; the suite sends them with its own client and hands the response
back to ``case.validate_response`` one check at a time, so each failure lands on its requirement.
The response is converted to schemathesis's own type once per exchange, not once per check: the
conversion rebuilds the request and copies headers and body, which made it a measurable share of a
run's time; the copy also keeps the parsed body for the checks that follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from schemathesis import Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from conformance.checks import Context, Finding, validation
from conformance.checks.mapping import schema_requirement
from conformance.checks.registry import check
from conformance.client import Exchange

_FIXED: tuple[tuple[Callable[..., Any], str], ...] = (
    (not_a_server_error, "GEN-NO-SERVER-ERROR"),
    (status_code_conformance, "GEN-STATUS-DOCUMENTED"),
    (content_type_conformance, "GEN-CONTENT-TYPE-JSON"),
)


def _run(case: Any, response: Response, check: Callable[..., Any]) -> str | None:
    """The failure text of one schemathesis check, or None when it passed."""
    try:
        case.validate_response(response, checks=[check])
    except BaseException as exc:  # Failure is an AssertionError; several come as an ExceptionGroup
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        failures = getattr(exc, "exceptions", None) or [exc]
        return "; ".join(_title(f) for f in failures)
    return None


def _title(failure: BaseException) -> str:
    title = getattr(failure, "title", "") or type(failure).__name__
    message = getattr(failure, "message", "") or str(failure)
    first = message.strip().splitlines()
    detail = " ".join(line.strip() for line in first[:6])
    return f"{title}: {detail}" if detail else title


def true_negative(op_request: str | None, body: Any, profile: str) -> bool:
    """Whether a body violates the lenient reading, which every question the documents leave open
    widens to admit each legitimate answer (docs/readings.md): a body that still violates it breaks
    something every reading agrees on, and every conformant server rejects it.

    schemathesis's negative generation may yield a body that is valid after all (its validator and
    the suite's differ on formats; the run's prefix may make a generated id valid), or invalid only
    where a server may choose: those prove nothing about rejection.
    """
    if op_request is None or body is None:
        return False
    return not validation.is_valid(op_request, body, "lenient", profile)


# The fixed checks' requirements, the invalid-body one, and every operation's "schema" requirement (or
# its "success" one, for a body that is no record).
@check(
    "GEN-NO-SERVER-ERROR", "GEN-STATUS-DOCUMENTED", "GEN-CONTENT-TYPE-JSON", "GEN-REJECT-INVALID-BODY",
    "GB-LINEITEM-RESPONSE-SCHEMA", "GB-RESULT-RESPONSE-SCHEMA", "GB-ASSESSMENTLINEITEM-RESPONSE-SCHEMA",
    "GB-ASSESSMENTRESULT-RESPONSE-SCHEMA", "GB-CATEGORY-RESPONSE-SCHEMA", "GB-SCORESCALE-RESPONSE-SCHEMA",
    "GB-LINEITEM-CREATE", "GB-RESULT-CREATE", "GB-ASSESSMENTLINEITEM-CREATE", "GB-ASSESSMENTRESULT-CREATE",
    "GB-CATEGORY-CREATE", "GB-SCORESCALE-CREATE",
    "GB-RESULT-POST-FOR-LINEITEM", "GB-SCOPED-POST",
    "PP-ASSIGN", "PP-IMPORT", "PP-PROGRESS",
)  # fmt: skip
def schemathesis_checks(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    case, op = ctx.case, ctx.operation
    if case is None or op is None or exchange.response is None:
        return
    response = Response.from_any(exchange.response)
    for fixed, requirement in _FIXED:
        failed = _run(case, response, fixed)
        yield (
            Finding.fail(requirement, "schemathesis: " + fixed.__name__, "see requirement", failed)
            if failed
            else Finding.ok(requirement)
        )
    if exchange.status in op.success and op.response is not None and exchange.status != 204:
        failed = _run(case, response, response_schema_conformance)
        schema = schema_requirement(op, ctx.profile)
        yield (
            Finding.fail(schema, "Response violates the schema", f"a valid {op.response}", failed)
            if failed
            else Finding.ok(schema)
        )
    if ctx.mode == "negative" and true_negative(op.request, case.body, ctx.profile):
        failed = _run(case, response, negative_data_rejection)
        yield (
            Finding.fail(
                "GEN-REJECT-INVALID-BODY",
                "An invalid body was accepted",
                "status 400 or 422 (404 where the path names a missing record)",
                failed,
            )
            if failed
            else Finding.ok("GEN-REJECT-INVALID-BODY")
        )

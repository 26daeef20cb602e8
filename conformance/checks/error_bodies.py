"""Checks on error answers: the imsx body, its code-minor, the documented 404 messages."""

from __future__ import annotations

from conformance import catalogue, profiles
from conformance.checks import Context, Finding, validation
from conformance.checks.mapping import not_found_requirement
from conformance.checks.registry import check
from conformance.client import Exchange

# docs/api.md#errors: code-minor value by status.
CODE_MINOR = {
    400: "invaliddata",
    422: "invaliddata",
    401: "unauthorisedrequest",
    403: "forbidden",
    404: "unknownobject",
    429: "server_busy",
}


def _is_client_error(exchange: Exchange) -> bool:
    return exchange.status is not None and 400 <= exchange.status < 500


@check("GEN-ERROR-IMSX-BODY")
def imsx_error_body(ctx: Context, exchange: Exchange) -> Finding | None:
    """GEN-ERROR-IMSX-BODY: every 4xx body is an imsx status object."""
    if not _is_client_error(exchange):
        return None
    requirement = "GEN-ERROR-IMSX-BODY"
    try:
        body = exchange.json()
    except ValueError:
        return Finding.fail(
            requirement,
            "Error body is not JSON",
            "an imsx JSON object",
            f"{exchange.content_type or 'no content type'}: {exchange.body_excerpt(120)!r}",
        )
    problems = validation.problems("imsxStatusInfo", body, "lenient", ctx.profile)
    if problems:
        return Finding.fail(
            requirement,
            "Error body is not an imsx status object",
            "an imsx_StatusInfo object: " + catalogue.get(requirement, ctx.profile).statement.split(": ", 1)[-1],
            "; ".join(str(p) for p in problems[:4]),
        )
    return Finding.ok(requirement)


@check("GEN-ERROR-CODE-MINOR")
def imsx_code_minor(ctx: Context, exchange: Exchange) -> Finding | None:
    """GEN-ERROR-CODE-MINOR: the code-minor value matches the status."""
    expected = CODE_MINOR.get(exchange.status or 0)
    # A dialect may have finer values for a status (the official binding's for a query it cannot apply).
    accepted = {expected} | profiles.get(ctx.profile).dialect.extra_code_minors.get(exchange.status or 0, frozenset())
    body = exchange.try_json() if expected else None
    if (
        not expected
        or not isinstance(body, dict)
        or validation.problems("imsxStatusInfo", body, "lenient", ctx.profile)
    ):
        return None  # not applicable, or already failed as GEN-ERROR-IMSX-BODY
    minor = body.get("imsx_CodeMinor")
    if minor is None:
        return None  # optional in the official binding (its schema says so); required in TimeBack's
    values = [f.get("imsx_codeMinorFieldValue") for f in minor["imsx_codeMinorField"]]
    if accepted & set(values):
        return Finding.ok("GEN-ERROR-CODE-MINOR")
    return Finding.fail(
        "GEN-ERROR-CODE-MINOR",
        f"Wrong imsx code-minor for {exchange.status}",
        f"imsx_codeMinorFieldValue {expected!r}",
        f"{values}",
    )


# Every operation's "not-found" requirement (the catalogue's aspect), in every profile.
@check(
    "GB-LINEITEM-NOT-FOUND", "GB-RESULT-NOT-FOUND", "GB-ASSESSMENTLINEITEM-NOT-FOUND", "GB-ASSESSMENTRESULT-NOT-FOUND",
    "GB-CATEGORY-NOT-FOUND", "GB-SCORESCALE-NOT-FOUND", "GB-RESULT-POST-UNKNOWN-LINEITEM", "GB-SCOPED-NOT-FOUND",
)  # fmt: skip
def not_found(ctx: Context, exchange: Exchange) -> Finding | None:
    """GB-*-NOT-FOUND and kin: a request naming a missing record answers 404 with the documented message."""
    op = ctx.operation
    if op is None or not ctx.expect_not_found or exchange.status is None:
        return None
    requirement = not_found_requirement(op, ctx.profile)
    if requirement is None:
        return None
    if exchange.status != 404:
        return Finding.fail(requirement, "A missing record is not a 404", "status 404", f"status {exchange.status}")
    if op.not_found is None:
        return Finding.ok(requirement)
    body = exchange.try_json()
    description = body.get("imsx_description") if isinstance(body, dict) else None
    if description != op.not_found:
        return Finding.fail(
            requirement,
            "404 without the documented message",
            f"imsx_description {op.not_found!r}",
            f"imsx_description {description!r}",
        )
    return Finding.ok(requirement)


ERROR_CHECKS = (imsx_error_body, imsx_code_minor, not_found)

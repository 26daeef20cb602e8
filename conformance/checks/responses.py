"""Checks on success answers: the documented status, the envelope, the record schema."""

from __future__ import annotations

from collections.abc import Iterator

from conformance import catalogue
from conformance.checks import Context, Finding, validation
from conformance.checks.mapping import schema_requirement, success_requirement
from conformance.checks.registry import check
from conformance.client import Exchange
from conformance.contract import schemas


# Every operation's "success" requirement (the catalogue's aspect), in every profile.
@check(
    "GB-LINEITEM-PUT-UPSERT", "GB-LINEITEM-GET", "GB-LINEITEM-LIST", "GB-LINEITEM-CREATE", "GB-LINEITEM-DELETE",
    "GB-RESULT-PUT-UPSERT", "GB-RESULT-GET", "GB-RESULT-LIST", "GB-RESULT-CREATE", "GB-RESULT-DELETE",
    "GB-ASSESSMENTLINEITEM-PUT-UPSERT", "GB-ASSESSMENTLINEITEM-GET", "GB-ASSESSMENTLINEITEM-LIST",
    "GB-ASSESSMENTLINEITEM-CREATE", "GB-ASSESSMENTLINEITEM-DELETE", "GB-ASSESSMENTLINEITEM-PATCH",
    "GB-ASSESSMENTRESULT-PUT-UPSERT", "GB-ASSESSMENTRESULT-GET", "GB-ASSESSMENTRESULT-LIST",
    "GB-ASSESSMENTRESULT-CREATE", "GB-ASSESSMENTRESULT-DELETE", "GB-ASSESSMENTRESULT-PATCH",
    "GB-CATEGORY-PUT-UPSERT", "GB-CATEGORY-GET", "GB-CATEGORY-LIST", "GB-CATEGORY-CREATE", "GB-CATEGORY-DELETE",
    "GB-SCORESCALE-PUT-UPSERT", "GB-SCORESCALE-GET", "GB-SCORESCALE-LIST", "GB-SCORESCALE-CREATE",
    "GB-SCORESCALE-DELETE",
    "GB-RESULT-POST-FOR-LINEITEM", "GB-SCOPED-POST", "GB-SCOPED-LIST",
    "PP-ASSIGN", "PP-IMPORT", "PP-PROGRESS",
)  # fmt: skip
def success_status(ctx: Context, exchange: Exchange) -> Finding | None:
    """A request built to succeed (strict body, existing references) gets a documented success status."""
    op = ctx.operation
    if op is None or not ctx.expect_success or exchange.status is None:
        return None
    requirement = success_requirement(op, ctx.profile)
    if exchange.status in op.success:
        return Finding.ok(requirement)
    expected = " or ".join(str(s) for s in op.success)
    return Finding.fail(
        requirement,
        "A valid request was not answered with its documented success status",
        f"status {expected}",
        f"status {exchange.status}",
    )


# Every operation's "schema" requirement (or its "success" one, for a body that is no record).
@check(
    "GB-LINEITEM-RESPONSE-SCHEMA", "GB-RESULT-RESPONSE-SCHEMA", "GB-ASSESSMENTLINEITEM-RESPONSE-SCHEMA",
    "GB-ASSESSMENTRESULT-RESPONSE-SCHEMA", "GB-CATEGORY-RESPONSE-SCHEMA", "GB-SCORESCALE-RESPONSE-SCHEMA",
    "GB-LINEITEM-CREATE", "GB-RESULT-CREATE", "GB-ASSESSMENTLINEITEM-CREATE", "GB-ASSESSMENTRESULT-CREATE",
    "GB-CATEGORY-CREATE", "GB-SCORESCALE-CREATE",
    "GB-RESULT-POST-FOR-LINEITEM", "GB-SCOPED-POST",
    "PP-ASSIGN", "PP-IMPORT", "PP-PROGRESS",
    "GEN-RESPONSE-STRICT-FIELDS",
)  # fmt: skip
def response_schema(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    """The success body satisfies the lenient reading (a MUST); the strict one is observed (INFO)."""
    op = ctx.operation
    if op is None or op.response is None or exchange.status not in op.success or exchange.status == 204:
        return
    schema = schema_requirement(op, ctx.profile)
    try:
        body = exchange.json()
    except ValueError:
        yield Finding.fail(
            schema,
            "Success body is not JSON",
            f"a JSON {op.response}",
            f"{exchange.content_type}: {exchange.body_excerpt(120)!r}",
        )
        return
    if ctx.case is None:  # schemathesis judges the cases it generated; this judges everything else
        problems = validation.problems(op.response, body, "lenient", ctx.profile)
        if problems:
            yield Finding.fail(
                schema,
                f"Response is not a valid {op.response}",
                f"a body valid under {op.response} (lenient reading)",
                "; ".join(str(p) for p in problems[:6]),
            )
            return
        yield Finding.ok(schema)
    if (
        catalogue.applies("GEN-RESPONSE-STRICT-FIELDS", ctx.profile)
        and schemas.has_readings(op.response, ctx.profile)
        and validation.is_valid(op.response, body, "lenient", ctx.profile)
    ):
        strict = validation.problems(op.response, body, "strict", ctx.profile)
        if strict:
            gaps = ", ".join(sorted({p.pointer.rsplit("/", 1)[-1] for p in strict}))
            yield Finding.note("GEN-RESPONSE-STRICT-FIELDS", f"{op.id}: responses omit {gaps}")
        else:
            yield Finding.ok("GEN-RESPONSE-STRICT-FIELDS")


@check("GEN-NO-SERVER-ERROR")
def no_server_error(ctx: Context, exchange: Exchange) -> Finding | None:
    """GEN-NO-SERVER-ERROR for the suite's own requests (schemathesis's check covers generated ones)."""
    if exchange.status is None or ctx.case is not None:
        return None
    if exchange.status >= 500:
        return Finding.fail(
            "GEN-NO-SERVER-ERROR",
            "The server failed to answer the request",
            "a status below 500",
            f"status {exchange.status}",
        )
    return Finding.ok("GEN-NO-SERVER-ERROR")


RESPONSE_CHECKS = (no_server_error, success_status, response_schema)

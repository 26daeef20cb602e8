"""Checks on success answers: the documented status, the envelope, the record schema."""

from __future__ import annotations

from collections.abc import Iterator

from conformance import catalogue
from conformance.checks import Context, Finding, validation
from conformance.checks.mapping import schema_requirement, success_requirement
from conformance.client import Exchange
from conformance.contract import schemas


def success_status(ctx: Context, exchange: Exchange) -> Finding | None:
    """A request built to succeed (strict body, existing references) gets a documented success status."""
    op = ctx.operation
    if op is None or not ctx.expect_success or exchange.status is None:
        return None
    requirement = success_requirement(op)
    if exchange.status in op.success:
        return Finding.ok(requirement)
    expected = " or ".join(str(s) for s in op.success)
    return Finding.fail(
        requirement,
        "A valid request was not answered with its documented success status",
        f"status {expected}",
        f"status {exchange.status}",
    )


def response_schema(ctx: Context, exchange: Exchange) -> Iterator[Finding]:
    """The success body satisfies the lenient reading (a MUST); the strict one is observed (INFO)."""
    op = ctx.operation
    if op is None or op.response is None or exchange.status not in op.success or exchange.status == 204:
        return
    try:
        body = exchange.json()
    except ValueError:
        yield Finding.fail(
            schema_requirement(op),
            "Success body is not JSON",
            f"a JSON {op.response}",
            f"{exchange.content_type}: {exchange.body_excerpt(120)!r}",
        )
        return
    if ctx.case is None:  # schemathesis judges the cases it generated; this judges everything else
        problems = validation.problems(op.response, body, "lenient")
        if problems:
            yield Finding.fail(
                schema_requirement(op),
                f"Response is not a valid {op.response}",
                f"a body valid under {op.response} (lenient reading)",
                "; ".join(str(p) for p in problems[:6]),
            )
            return
        yield Finding.ok(schema_requirement(op))
    if (
        catalogue.applies("GEN-RESPONSE-STRICT-FIELDS")
        and schemas.has_readings(op.response)
        and validation.is_valid(op.response, body, "lenient")
    ):
        strict = validation.problems(op.response, body, "strict")
        if strict:
            gaps = ", ".join(sorted({p.pointer.rsplit("/", 1)[-1] for p in strict}))
            yield Finding.note("GEN-RESPONSE-STRICT-FIELDS", f"{op.id}: responses omit {gaps}")
        else:
            yield Finding.ok("GEN-RESPONSE-STRICT-FIELDS")


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

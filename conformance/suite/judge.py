"""The shared verifier of the hand-written suite tests: every exchange goes through the same
checks, each finding lands in the ledger, and a MUST failure fails the test with its evidence."""

from __future__ import annotations

from typing import Any

from conformance.checks import Context, Finding, raise_for, record, verify
from conformance.checks.errors import ERROR_CHECKS
from conformance.checks.responses import RESPONSE_CHECKS
from conformance.client import Exchange
from conformance.contract.operations import by_id
from conformance.ledger import LEDGER

COMMON = (*ERROR_CHECKS, *RESPONSE_CHECKS)


def judge(
    exchange: Exchange,
    operation: str | None,
    *,
    expect_success: bool = False,
    expect_not_found: bool = False,
    mode: Any = "probe",
) -> None:
    """Run the common checks on one exchange and fail the test on a MUST failure."""
    ctx = Context(
        by_id()[operation] if operation else None,
        mode,
        expect_success=expect_success,
        expect_not_found=expect_not_found,
    )
    raise_for(verify(ctx, exchange, COMMON))


def expect(
    requirement: str,
    ok: bool,
    exchange: Exchange | None,
    *,
    title: str,
    expected: str,
    actual: str,
    steps: tuple[Exchange, ...] = (),
) -> None:
    """Record one verdict on a requirement; fail the test when a MUST is broken."""
    finding = Finding.ok(requirement) if ok else Finding.fail(requirement, title, expected, actual)
    failure = record(finding, exchange, steps=steps)
    raise_for([failure] if failure else [])


def observe(requirement: str, note: str) -> None:
    record(Finding.note(requirement, note), None)


def skip_requirement(requirement: str, reason: str) -> None:
    LEDGER.skipped(requirement, reason)

"""Checks: small functions that judge one exchange against one requirement.

A check has one signature, ``check(ctx, exchange) -> Finding | None``: it returns ``None`` when it
does not apply, and otherwise a ``Finding`` saying passed, failed (with expected vs actual) or
observed. ``verify`` runs a list of checks, records every finding in the ledger and returns the
failures, each of which renders itself for a vendor: requirement, what was sent, what came back,
what was expected, the source, and a curl reproduction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance import catalogue
from conformance.checks.mapping import not_found_requirement, success_requirement
from conformance.client import Exchange
from conformance.contract.operations import Operation
from conformance.ledger import LEDGER, Ledger

Outcome = Literal["passed", "failed", "observed"]


@dataclass(frozen=True)
class Context:
    """What a check may know beyond the exchange."""

    operation: Operation | None
    mode: Literal["positive", "negative", "probe"] = "positive"
    expect_success: bool = False  # the request was built to succeed (valid body, existing references)
    expect_not_found: bool = False  # the request names a record that does not exist
    case: Any = None  # the schemathesis Case, when the request came from one
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    requirement: str
    outcome: Outcome
    title: str = ""
    expected: str = ""
    actual: str = ""

    @classmethod
    def ok(cls, requirement: str) -> Finding:
        return cls(requirement, "passed")

    @classmethod
    def fail(cls, requirement: str, title: str, expected: str, actual: str) -> Finding:
        return cls(requirement, "failed", title, expected, actual)

    @classmethod
    def note(cls, requirement: str, text: str) -> Finding:
        return cls(requirement, "observed", actual=text)


@dataclass(frozen=True)
class Failure:
    """A failed finding bound to the exchange that showed it."""

    finding: Finding
    exchange: Exchange | None
    steps: tuple[Exchange, ...] = ()

    @property
    def requirement(self) -> catalogue.Requirement:
        return catalogue.get(self.finding.requirement)

    def render(self) -> str:
        req = self.requirement
        lines = [
            f"[{req.id}] {req.level} — {self.finding.title or req.title}",
            f"  Requirement: {req.statement}",
            f"  Source:      {req.source}",
        ]
        if self.exchange is not None:
            lines.append(f"  Sent:        {self.exchange.method} {self.exchange.url}")
            sent = self.exchange.request_excerpt(400)
            if sent:
                lines.append(f"               body {sent}")
            got = self.exchange.error or f"{self.exchange.status} {self.exchange.content_type}".strip()
            lines.append(f"  Got:         {got}")
            excerpt = self.exchange.body_excerpt(400)
            if excerpt:
                lines.append(f"               body {excerpt}")
        lines.append(f"  Expected:    {self.finding.expected}")
        if self.finding.actual:
            lines.append(f"  Actual:      {self.finding.actual}")
        if self.steps:
            lines.append("  Steps:")
            lines.extend(f"    {i}. {step.curl()}" for i, step in enumerate(self.steps, 1))
        elif self.exchange is not None:
            lines.append(f"  Reproduce:   {self.exchange.curl()}")
        return "\n".join(lines)

    def reproduction(self) -> str:
        if self.steps:
            return "\n".join(step.curl() for step in self.steps)
        return self.exchange.curl() if self.exchange is not None else ""


Check = Callable[[Context, Exchange], "Finding | Iterable[Finding] | None"]


# Transport failures (issue 8) ------------------------------------------------------------------------
# An exchange that got no usable HTTP answer (timeout, reset, oversized body, no token) fails the
# requirement it was sent to check, with a fixed title; it never passes, and is never skipped silently.
TRANSPORT_FAILURE = "Transport failure"


def transport_finding(requirement: str, exchange: Exchange) -> Finding:
    return Finding.fail(requirement, TRANSPORT_FAILURE, exchange.limits or "an HTTP answer", exchange.error or "")


def transport_requirement(ctx: Context) -> str:
    """The requirement an exchange was sent to check, for a transport failure of it."""
    op = ctx.operation
    if op is not None and ctx.expect_not_found:
        return not_found_requirement(op) or success_requirement(op)
    if op is not None and ctx.expect_success:
        return success_requirement(op)
    if op is not None and ctx.mode == "negative" and ctx.case is not None:
        from conformance.checks.contract import true_negative  # schemathesis: imported when needed

        if true_negative(op.request, ctx.case.body):
            return "GEN-REJECT-INVALID-BODY"
    return "GEN-NO-SERVER-ERROR"  # a probe with no more specific expectation: the server failed to answer


def _unanswered(finding: Finding, exchange: Exchange | None, steps: Sequence[Exchange]) -> Exchange | None:
    """The exchange whose transport failure decides this finding: its own, or (for a failure) a step's."""
    if exchange is not None and exchange.transport_failure:
        return exchange
    if finding.outcome == "failed":
        return next((step for step in steps if step.transport_failure), None)
    return None


def record(
    finding: Finding, exchange: Exchange | None, ledger: Ledger = LEDGER, steps: Sequence[Exchange] = ()
) -> Failure | None:
    """Put one finding in the ledger; return a Failure for a failed MUST or SHOULD."""
    unanswered = _unanswered(finding, exchange, steps) if finding.outcome != "observed" else None
    if unanswered is not None:  # issue 8: no answer is a failure of the requirement, whatever the check said
        finding, exchange = transport_finding(finding.requirement, unanswered), unanswered
    requirement = catalogue.get(finding.requirement)
    if finding.outcome == "passed":
        ledger.passed(requirement.id)
        _notify(finding, None)
        return None
    if finding.outcome == "observed" or requirement.level == "INFO":
        text = finding.actual or finding.expected
        ledger.observed(requirement.id, text)
        _notify(finding, None)
        return None
    failure = Failure(finding, exchange, tuple(steps))
    ledger.failed(requirement.id, failure.render(), failure.reproduction())
    _notify(finding, failure)
    return failure


# Issue 7: observers of every recorded finding (``reporting.allure_live`` adds one while a run writes
# Allure results, to label the test with the requirements it checked); empty otherwise.
RECORDED: list[Callable[[Finding, Failure | None], None]] = []


def _notify(finding: Finding, failure: Failure | None) -> None:
    for observer in RECORDED:
        observer(finding, failure)


def verify(ctx: Context, exchange: Exchange, checks: Iterable[Check], ledger: Ledger = LEDGER) -> list[Failure]:
    if exchange.transport_failure:  # issue 8: the checks would see no status and say nothing
        failure = record(transport_finding(transport_requirement(ctx), exchange), exchange, ledger)
        return [failure] if failure is not None else []
    failures = []
    for check in checks:
        produced = check(ctx, exchange)
        if produced is None:
            continue
        for finding in [produced] if isinstance(produced, Finding) else produced:
            failure = record(finding, exchange, ledger)
            if failure is not None:
                failures.append(failure)
    return failures


class ConformanceFailure(AssertionError):
    """Raised by a suite test whose MUST checks failed; the message is the rendered failures."""

    def __init__(self, failures: Sequence[Failure]) -> None:
        self.failures = list(failures)
        super().__init__("\n\n".join(f.render() for f in failures))


def raise_for(failures: Sequence[Failure]) -> None:
    """Fail the current test for MUST failures only: SHOULD failures warn, they do not fail tests."""
    must = [f for f in failures if f.requirement.level == "MUST"]
    if must:
        raise ConformanceFailure(must)

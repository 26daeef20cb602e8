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


def record(
    finding: Finding, exchange: Exchange | None, ledger: Ledger = LEDGER, steps: Sequence[Exchange] = ()
) -> Failure | None:
    """Put one finding in the ledger; return a Failure for a failed MUST or SHOULD."""
    requirement = catalogue.get(finding.requirement)
    if finding.outcome == "passed":
        ledger.passed(requirement.id)
        return None
    if finding.outcome == "observed" or requirement.level == "INFO":
        text = finding.actual or finding.expected
        ledger.observed(requirement.id, text)
        return None
    failure = Failure(finding, exchange, tuple(steps))
    ledger.failed(requirement.id, failure.render(), failure.reproduction())
    return failure


def verify(ctx: Context, exchange: Exchange, checks: Iterable[Check], ledger: Ledger = LEDGER) -> list[Failure]:
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

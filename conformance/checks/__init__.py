"""Checks: small functions that judge one exchange against one requirement.

A check has one signature, ``check(ctx, exchange) -> Finding | None``: it returns ``None`` when it
does not apply, and otherwise a ``Finding`` saying passed, failed (with expected vs actual) or
observed. Each check declares the requirement IDs its findings may name (``registry.check``).

A ``Recorder`` is the one way to record an outcome, for exchange checks (``verify``), hand-written
tests and state machines alike: it puts the finding in the ledger and returns the failures, each of
which renders itself for a vendor: requirement, what was sent, what came back, what was expected,
the source, and a curl reproduction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from conformance import catalogue, profiles
from conformance.checks import registry
from conformance.checks.mapping import not_found_requirement, schema_requirement, success_requirement
from conformance.client import Exchange, Origin, replay_data
from conformance.contract.operations import Operation, by_id
from conformance.ledger import Ledger

Outcome = Literal["passed", "failed", "observed"]
Mode = Literal["positive", "negative", "probe"]


@dataclass(frozen=True)
class Context:
    """What a check may know beyond the exchange."""

    operation: Operation | None
    mode: Mode = "positive"
    expect_success: bool = False  # the request was built to succeed (valid body, existing references)
    expect_not_found: bool = False  # the request names a record that does not exist
    case: Any = None  # the schemathesis Case, when the request came from one
    extra: dict[str, Any] = field(default_factory=dict)
    profile: str = ""  # whose catalogue and schemas apply: set by ``Recorder.verify`` before any check runs


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


# Steps printed with a failure: a shrunk run is short, but a long one must not flood the report (the
# reproduction and summary.json's replay keep every step).
MAX_STEPS_SHOWN = 40


@dataclass(frozen=True)
class Failure:
    """A failed finding bound to the exchange that showed it, the steps that led to it (a machine's
    trail, a test's own sequence) and the earlier exchanges those rely on (``prelude``: the writes
    that made the records they reference), so that its reproduction replays against a fresh server."""

    finding: Finding
    exchange: Exchange | None
    steps: tuple[Exchange, ...] = ()
    profile: str = profiles.DEFAULT  # whose wording of the requirement it shows
    prelude: tuple[Exchange, ...] = ()
    origin: Origin | None = None  # where the steps were sent: without it, no replay data

    @property
    def requirement(self) -> catalogue.Requirement:
        return catalogue.get(self.finding.requirement, self.profile)

    @property
    def sequence(self) -> tuple[Exchange, ...]:
        """Everything a replay sends, in order: the prelude, then the steps up to the exchange that
        showed the failure (or that exchange alone)."""
        return (*self.prelude, *_own_steps(self.exchange, self.steps))

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
        sequence = self.sequence
        if self.steps or len(sequence) > 1:
            lines.append("  Steps:")
            hidden = max(0, len(sequence) - MAX_STEPS_SHOWN)
            if hidden:
                lines.append(f"    (the first {hidden} steps: see the reproduction)")
            lines.extend(f"    {i}. {step.curl()}" for i, step in enumerate(sequence[hidden:], hidden + 1))
        elif self.exchange is not None:
            lines.append(f"  Reproduce:   {self.exchange.curl()}")
        return "\n".join(lines)

    def reproduction(self) -> str:
        return "\n".join(step.curl() for step in self.sequence)

    def replay(self) -> dict[str, Any] | None:
        """The steps as data, for ``oneroster-conformance replay``; None without an origin."""
        sequence = self.sequence
        if self.origin is None or not sequence:
            return None
        return replay_data(self.finding.requirement, sequence, self.origin)


def _own_steps(exchange: Exchange | None, steps: Sequence[Exchange]) -> tuple[Exchange, ...]:
    """The steps up to the decisive exchange: what came after it cannot have caused what it showed."""
    if not steps:
        return (exchange,) if exchange is not None else ()
    if exchange is None:
        return tuple(steps)
    for index in range(len(steps) - 1, -1, -1):
        if steps[index] is exchange:
            return tuple(steps[: index + 1])
    return (*steps, exchange)


Check = Callable[[Context, Exchange], "Finding | Iterable[Finding] | None"]


# Transport failures ---------------------------------------------------------------------------------
# An exchange that got no usable HTTP answer (timeout, reset, oversized body, no token) fails the
# requirement it was sent to check, with a fixed title; it never passes, and is never skipped silently.
TRANSPORT_FAILURE = "Transport failure"


def transport_finding(requirement: str, exchange: Exchange) -> Finding:
    return Finding.fail(requirement, TRANSPORT_FAILURE, exchange.limits or "an HTTP answer", exchange.error or "")


def transport_requirement(ctx: Context) -> str:
    """The requirement an exchange was sent to check, for a transport failure of it."""
    op = ctx.operation
    if op is not None and ctx.expect_not_found:
        return not_found_requirement(op, ctx.profile) or success_requirement(op, ctx.profile)
    if op is not None and ctx.expect_success:
        return success_requirement(op, ctx.profile)
    if op is not None and ctx.mode == "negative" and ctx.case is not None:
        from conformance.checks.contract import true_negative  # schemathesis: imported when needed

        if true_negative(op.request, ctx.case.body, ctx.profile):
            return "GEN-REJECT-INVALID-BODY"
    return "GEN-NO-SERVER-ERROR"  # a probe with no more specific expectation: the server failed to answer


def _unanswered(finding: Finding, exchange: Exchange | None, steps: Sequence[Exchange]) -> Exchange | None:
    """The exchange whose transport failure decides this finding: its own, or (for a failure) a step's."""
    if exchange is not None and exchange.transport_failure:
        return exchange
    if finding.outcome == "failed":
        return next((step for step in steps if step.transport_failure), None)
    return None


# Recording ------------------------------------------------------------------------------------------
Observer = Callable[[Finding, Failure | None], None]
# Given a failure's own steps (the decisive exchange last): the earlier exchanges they rely on, and
# where they were sent. The session provides it: it knows what the run wrote, and where.
Reproducer = Callable[[Sequence[Exchange]], tuple[Sequence[Exchange], Origin]]


@dataclass(frozen=True, eq=False)
class Recorder:
    """The one way to record an outcome: into a ledger, against a profile's catalogue, told to observers.

    Exchange checks record through ``verify`` (each bound to what it declares), hand-written tests
    and state machines through ``judge``, ``expect``, ``observe`` and ``skip`` on a recorder bound to
    their own declaration (``bound``). An ID outside the profile's catalogue raises
    ``catalogue.UnknownRequirement``; one the bound subject did not declare raises
    ``registry.Undeclared``.
    """

    ledger: Ledger
    profile: str
    observers: Sequence[Observer] = ()  # called with every finding (the Allure labels); read live
    declared: frozenset[str] | None = None  # the IDs the bound subject declared; None: any of the catalogue
    subject: str = ""
    trail: Callable[[], Sequence[Exchange]] | None = None  # a machine's steps, shown with its failures
    reproducer: Reproducer | None = None  # makes every failure's steps self-contained (``SuiteSession``)

    # Views ---------------------------------------------------------------------------------------
    def bound(self, subject: object) -> Recorder:
        """This recorder for ``subject`` (a check, a test function, a machine class): it records only
        the IDs the subject declares (``registry.Undeclared`` when it declares none)."""
        found = registry.declaration(subject)
        if found is None:
            raise registry.Undeclared(f"{registry.name_of(subject)} declares no requirement")
        return replace(self, declared=found.ids, subject=found.subject)

    def following(self, trail: Callable[[], Sequence[Exchange]]) -> Recorder:
        """This recorder, showing ``trail()`` as the steps of every failure it records."""
        return replace(self, trail=trail)

    # The catalogue ---------------------------------------------------------------------------------
    @property
    def requirements(self) -> dict[str, catalogue.Requirement]:
        return catalogue.catalogue(self.profile)

    def applies(self, requirement: str) -> bool:
        """Whether the profile has this requirement (open points of one dialect are recorded only there)."""
        return requirement in self.requirements

    def requirement_for(self, operation: str, aspect: catalogue.Aspect = "success") -> str:
        """The requirement an outcome of ``operation`` speaks to, as the profile's catalogue says
        (``requirement_for("putResult")`` → ``GB-RESULT-PUT-UPSERT``)."""
        op = by_id(self.profile)[operation]
        if aspect == "not-found":
            found = not_found_requirement(op, self.profile)
            if found is None:
                raise catalogue.UnknownRequirement(f"{operation} has no not-found requirement")
            return found
        return success_requirement(op, self.profile) if aspect == "success" else schema_requirement(op, self.profile)

    def requirement(self, requirement: str) -> catalogue.Requirement:
        """The requirement this recorder may record: in the profile, and declared by its subject."""
        found = self.requirements.get(requirement)
        if found is None:
            raise catalogue.UnknownRequirement(f"unknown requirement ID {requirement!r} (profile {self.profile})")
        if self.declared is not None and requirement not in self.declared:
            raise registry.Undeclared(f"{self.subject} records {requirement}, which it does not declare")
        return found

    # Recording -------------------------------------------------------------------------------------
    def record(
        self, finding: Finding, exchange: Exchange | None = None, steps: Sequence[Exchange] = ()
    ) -> Failure | None:
        """Put one finding in the ledger; return a Failure for a failed MUST or SHOULD."""
        if not steps and self.trail is not None:
            steps = self.trail()
        unanswered = _unanswered(finding, exchange, steps) if finding.outcome != "observed" else None
        if unanswered is not None:  # no answer is a failure of the requirement, whatever the check said
            finding, exchange = transport_finding(finding.requirement, unanswered), unanswered
        requirement = self.requirement(finding.requirement)
        if finding.outcome == "passed":
            self.ledger.passed(requirement.id)
            self._notify(finding, None)
            return None
        if finding.outcome == "observed" or requirement.level == "INFO":
            self.ledger.observed(requirement.id, finding.actual or finding.expected)
            self._notify(finding, None)
            return None
        failure = Failure(finding, exchange, tuple(steps), self.profile)
        replay = None
        if self.reproducer is not None:
            try:
                prelude, origin = self.reproducer(_own_steps(exchange, steps))
                failure = replace(failure, prelude=tuple(prelude), origin=origin)
                replay = failure.replay()
            except Exception:  # whatever a hostile answer does to building the steps, the failure stays recorded
                failure = replace(failure, prelude=(), origin=None)
        self.ledger.failed(requirement.id, failure.render(), failure.reproduction(), replay)
        self._notify(finding, failure)
        return failure

    def _notify(self, finding: Finding, failure: Failure | None) -> None:
        for observer in self.observers:
            observer(finding, failure)

    def verify(self, ctx: Context, exchange: Exchange, checks: Iterable[Check]) -> list[Failure]:
        """Run exchange checks on one exchange, each recording only what it declares; the failures."""
        ctx = replace(ctx, profile=self.profile)
        checks = tuple(checks)
        if exchange.transport_failure:  # the checks would see no status and say nothing
            # The requirement it was sent to check: one of those the checks declare.
            declared = frozenset().union(*(registry.declared(check) for check in checks))
            sent_for = replace(self, declared=declared, subject="the checks of an unanswered exchange")
            failure = sent_for.record(transport_finding(transport_requirement(ctx), exchange), exchange)
            return [failure] if failure is not None else []
        failures = []
        for check in checks:
            produced = check(ctx, exchange)
            if produced is None:
                continue
            own = self.bound(check)
            for finding in [produced] if isinstance(produced, Finding) else produced:
                failure = own.record(finding, exchange)
                if failure is not None:
                    failures.append(failure)
        return failures

    def judge(
        self,
        exchange: Exchange,
        operation: str | None,
        *,
        expect_success: bool = False,
        expect_not_found: bool = False,
        mode: Mode = "probe",
    ) -> None:
        """The common checks (errors, responses) on one exchange; a MUST failure fails the test."""
        from conformance.checks.error_bodies import ERROR_CHECKS
        from conformance.checks.responses import RESPONSE_CHECKS

        op = by_id(self.profile)[operation] if operation else None
        ctx = Context(op, mode, expect_success=expect_success, expect_not_found=expect_not_found)
        raise_for(self.verify(ctx, exchange, (*ERROR_CHECKS, *RESPONSE_CHECKS)))

    def expect(
        self,
        requirement: str,
        ok: bool,
        exchange: Exchange | None,
        *,
        title: str,
        expected: str,
        actual: str,
        steps: Sequence[Exchange] = (),
    ) -> None:
        """Record one verdict on a requirement; a broken MUST fails the test (or the machine's run)."""
        finding = Finding.ok(requirement) if ok else Finding.fail(requirement, title, expected, actual)
        failure = self.record(finding, exchange, steps)
        raise_for([failure] if failure else [])

    def observe(self, requirement: str, note: str) -> None:
        """Record an observation (INFO requirements, open points): it never fails."""
        self.record(Finding.note(requirement, note))

    def skip(self, requirement: str, reason: str) -> None:
        """Say why a requirement was not checked. Any requirement of the profile: a test may skip what
        others would have checked (a read-only run skips every PowerPath requirement)."""
        if requirement not in self.requirements:
            raise catalogue.UnknownRequirement(f"unknown requirement ID {requirement!r} (profile {self.profile})")
        self.ledger.skipped(requirement, reason)


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

"""One suite test in Allure's words: its labels, title and description, from the requirements it
recorded while it ran.

A test may record one requirement or, fuzzing an operation, a dozen: every distinct requirement
becomes a story (its ID), its service an epic and the resource a feature, and the severity is the
highest level among them (MUST critical, SHOULD normal, INFO trivial). Nothing here talks to
Allure, so it can be checked without a pytest run; ``allure_live`` applies the result.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from conformance import redaction
from conformance.catalogue import LEVELS, Requirement
from conformance.checks import Failure, Finding
from conformance.contract.operations import GRADEBOOK, Entity, Operation

SEVERITY = {"MUST": "critical", "SHOULD": "normal", "INFO": "trivial"}
SERVICES = {"gradebook": "Gradebook", "powerpath": "PowerPath"}
MAX_NOTES = 5  # observations kept per requirement and test, as in the ledger

# Test functions whose name alone says too little; the others read well once humanised.
_LEADS = {"test_operation": "Contract fuzzing", "test_machine": "State machine"}


@dataclass
class Tally:
    """What one test recorded about one requirement."""

    requirement: Requirement
    passed: int = 0
    failed: int = 0
    observed: int = 0
    notes: list[str] = field(default_factory=list)
    last_failure: Failure | None = None  # Hypothesis replays the shrunk example last

    @property
    def status(self) -> str:
        if self.failed:
            return "failed"
        if self.observed and not self.passed:
            return "observed"
        return "passed"


@dataclass
class RecordedTest:
    """Everything one running test recorded; ``function`` and ``params`` come from its pytest item."""

    function: str
    params: dict[str, Any] = field(default_factory=dict)
    doc: str = ""
    tallies: dict[str, Tally] = field(default_factory=dict)

    def note(self, finding: Finding, requirement: Requirement, failure: Failure | None) -> None:
        tally = self.tallies.get(requirement.id)
        if tally is None:
            tally = self.tallies[requirement.id] = Tally(requirement)
        if finding.outcome == "passed":
            tally.passed += 1
        elif failure is None:  # an observation, or a "failure" of an INFO requirement: observed
            tally.observed += 1
            text = redaction.redact(finding.actual or finding.expected)
            if text and text not in tally.notes and len(tally.notes) < MAX_NOTES:
                tally.notes.append(text)
        else:
            tally.failed += 1
            tally.last_failure = failure


@dataclass(frozen=True)
class Presentation:
    """The Allure labels, title, description and attachments of one test."""

    title: str
    epics: tuple[str, ...]
    features: tuple[str, ...]
    stories: tuple[str, ...]
    severity: str | None
    description: str
    sources: tuple[str, ...]  # catalogue sources that are not URLs: shown as labels
    links: tuple[tuple[str, str], ...]  # (url, name) for the sources that are URLs
    attachments: tuple[tuple[str, str], ...]  # (name, text): failures and observations


def feature_of_area(area: str) -> str:
    """``gradebook/results`` → ``results``; ``powerpath/external tests`` → ``externalTests``."""
    words = area.rsplit("/", 1)[-1].split()
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:]) if words else area


def _humanise(function: str) -> str:
    words = function.removeprefix("test_").replace("_", " ").strip()
    return _LEADS.get(function) or (words[:1].upper() + words[1:]) or function


def _param_words(value: Any) -> str:
    if isinstance(value, Operation):
        return f"{value.method} {value.path.removeprefix(GRADEBOOK)}"
    if isinstance(value, Entity):
        return value.plural
    return str(value)


def _operation(record: RecordedTest) -> Operation | None:
    found = [v for v in record.params.values() if isinstance(v, Operation)]
    return found[0] if found else None


def _distinct(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def title(record: RecordedTest) -> str:
    """Plain words: what the test does, on what, and which requirement (or how many) it checked."""
    lead = _humanise(record.function)
    context = ", ".join(_param_words(v) for v in record.params.values())
    text = f"{lead}: {context}" if context else lead
    if len(record.tallies) == 1:
        only = next(iter(record.tallies.values())).requirement
        return f"{text} — {only.title}"
    if record.tallies:
        failed = [t.requirement.id for t in record.tallies.values() if t.status == "failed"]
        tail = f"; failed: {', '.join(failed)}" if failed else ""
        return f"{text} ({len(record.tallies)} requirements{tail})"
    return text


def _description(record: RecordedTest) -> str:
    """Markdown built from the catalogue only (escaped all the same): server text goes in attachments."""
    paragraphs = []
    doc = " ".join(record.doc.strip().split("\n\n", 1)[0].split()) if record.doc else ""
    if doc:
        paragraphs.append(html.escape(doc))
    if record.tallies:
        rows = []
        for tally in record.tallies.values():
            req = tally.requirement
            counts = ", ".join(
                f"{n} {word}"
                for n, word in ((tally.failed, "failed"), (tally.passed, "passed"), (tally.observed, "observed"))
                if n
            )
            rows.append(
                f"- **{html.escape(req.id)}** ({req.level}, {tally.status}: {counts}) — "
                f"{html.escape(req.statement)} *Source: {html.escape(req.source)}*"
            )
        paragraphs.append("Requirements this test recorded:\n\n" + "\n".join(rows))
    return "\n\n".join(paragraphs)


def _attachments(record: RecordedTest) -> tuple[tuple[str, str], ...]:
    found = []
    for tally in record.tallies.values():
        if tally.last_failure is not None:
            header = (
                f"{tally.failed} failing checks of {tally.requirement.id} in this test; the last one "
                "(after shrinking, for a generated test) is shown.\n\n"
                if tally.failed > 1
                else ""
            )
            found.append((f"{tally.requirement.id} failure", redaction.redact(header + tally.last_failure.render())))
        if tally.notes:
            found.append((f"{tally.requirement.id} observations", "\n".join(tally.notes)))
    return tuple(found)


def describe(record: RecordedTest) -> Presentation:
    requirements = [t.requirement for t in record.tallies.values()]
    op = _operation(record)
    epics = _distinct([r.service for r in requirements])
    if not epics and op is not None:
        epics = (SERVICES[op.service],)
    entities = [v.plural for v in record.params.values() if isinstance(v, Entity)]
    if op is not None:
        features: tuple[str, ...] = (op.resource,)
    elif entities:
        features = _distinct(entities)
    else:
        features = _distinct([feature_of_area(r.area) for r in requirements])
    levels = [r.level for r in requirements]
    highest = next((level for level in LEVELS if level in levels), None)
    sources = _distinct([r.source for r in requirements])
    return Presentation(
        title=title(record),
        epics=epics,
        features=features,
        stories=tuple(r.id for r in requirements),
        severity=SEVERITY[highest] if highest else None,
        description=_description(record),
        sources=tuple(s for s in sources if not s.startswith(("http://", "https://"))),
        links=tuple((s, s) for s in sources if s.startswith(("http://", "https://"))),
        attachments=_attachments(record),
    )

"""Fixtures written to a sandbox: a run-prefixed set of records, created through the target's
rostering (and resources) API before the first test, deleted after the last.

The set has the shape of the packaged fixtures (two schools and classes, students in a class and in
none, a teacher, a term with a grading period, a course and, with PowerPath, a lesson of every kind
from every tool and one that is no external test), so a provisioned run checks what a run on the
packaged fixtures checks. The records are built by ``contract.roster.documents``, the same function
the reference server serves its fixtures from.

A record is created by PUT on its path; a target whose PUT only updates (404 or 405 for a new id)
gets a POST to the collection instead. Whatever was written is deleted again, in reverse order, when
a later write fails or the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformance.client import Exchange, SuiteClient
from conformance.contract import roster
from conformance.fixtures import EXTERNAL_LESSON_TYPES, TOOL_PROVIDERS, Fixtures, parse
from conformance.target import ConfigError


class ProvisionError(ConfigError):
    """The target refused a write provisioning needs; the message is one line."""


def planned(prefix: str, powerpath: bool) -> Fixtures:
    """The fixtures provisioning writes, every id starting with ``prefix``."""

    def ids(kind: str, *names: str) -> list[dict[str, str]]:
        return [{"sourcedId": f"{prefix}{kind}-{name}"} for name in names]

    school, other = (f"{prefix}school-{n}" for n in (1, 2))
    member, shared, third = (f"{prefix}student-{n}" for n in (1, 2, 3))
    raw: dict[str, Any] = {
        "schools": ids("school", "1", "2"),
        # In no class, in this order: never assigned, assigned skipping enrollment, assigned enrolling.
        "students": ids("student", "1", "2", "3", "unassigned", "never-enrolled", "enrollable"),
        "teachers": ids("teacher", "1"),
        "classes": [
            {
                "sourcedId": f"{prefix}class-1",
                "school": school,
                "students": [member, shared],
                "teachers": [f"{prefix}teacher-1"],
                "terms": [f"{prefix}term-1"],
            },
            {"sourcedId": f"{prefix}class-2", "school": other, "students": [shared, third]},
        ],
        "academicSessions": ids("term", "1"),
        "gradingPeriods": [{"sourcedId": f"{prefix}grading-period-1", "term": f"{prefix}term-1"}],
        "courses": ids("course", "1"),
    }
    if powerpath:
        raw["lessons"] = [
            {"sourcedId": f"{prefix}lesson-{kind}-{tool}", "lessonType": kind, "toolProvider": tool}
            | ({"course": f"{prefix}course-1"} if kind != "unit-test" else {})
            for kind in EXTERNAL_LESSON_TYPES
            for tool in TOOL_PROVIDERS
        ] + [{"sourcedId": f"{prefix}lesson-quiz", "lessonType": "quiz"}]
    return parse(raw)


@dataclass
class Provisioned:
    """What provisioning wrote, so that it can be removed."""

    client: SuiteClient
    slash: bool
    written: list[tuple[roster.Kind, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def remove(self) -> list[str]:
        """Delete every record written, newest first, and close the client; what could not be deleted,
        one line each."""
        failures: list[str] = []
        with self.client.cleaning(allowance=3):
            while self.written:
                kind, sourced_id = self.written.pop()
                try:
                    exchange = self.client.send("DELETE", kind.path(sourced_id))
                except Exception as exc:  # a stopped run, a dead target: every delete is still tried
                    failures.append(f"{kind.name} {sourced_id}: not deleted ({exc})")
                    continue
                if exchange.status not in (200, 204, 404):
                    failures.append(f"{kind.name} {sourced_id}: not deleted ({exchange.error or exchange.status})")
        self.client.close()  # nothing is sent through it after this
        return failures


def provision(client: SuiteClient, slash: bool, prefix: str, powerpath: bool) -> tuple[Fixtures, Provisioned]:
    """Write the planned records; raises ``ProvisionError`` (after removing what was written)."""
    fixtures = planned(prefix, powerpath)
    done = Provisioned(client, slash)
    for kind, record in roster.documents(fixtures, lessons=powerpath):
        exchange = _create(client, kind, record, slash)
        if exchange.status not in (200, 201):
            left = done.remove()
            answer = f"status {exchange.status}" if exchange.status is not None else f"no answer ({exchange.error})"
            cleanup = f"; could not remove: {'; '.join(left)}" if left else ""
            raise ProvisionError(
                f"provisioning fixtures: {exchange.method} {_path(exchange)} got {answer}, so this target does not "
                f"take the rostering writes provisioning needs; use --fixtures discover or --fixtures FILE{cleanup}"
            )
        done.written.append((kind, record["sourcedId"]))
    counts: dict[str, int] = {}
    for kind, _ in done.written:
        counts[kind.name] = counts.get(kind.name, 0) + 1
    made = ", ".join(f"{n} {name}" for name, n in counts.items())
    done.lines.append(f"provisioned: {made}, each named {prefix}…; deleted when the run ends")
    return fixtures, done


def _create(client: SuiteClient, kind: roster.Kind, record: dict[str, Any], slash: bool) -> Exchange:
    body = {kind.singular: record}
    exchange = client.send("PUT", kind.path(record["sourcedId"]), json_body=body)
    if exchange.status in (404, 405):
        exchange = client.send("POST", kind.collection + ("/" if slash else ""), json_body=body)
    return exchange


def _path(exchange: Exchange) -> str:
    return urlsplit(exchange.url).path

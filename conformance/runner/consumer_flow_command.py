"""``oneroster-conformance consumer-flow``: would Google Classroom's grade sync work against this server?

Sends the grade sync (``consumers.grade_sync``) once, as Google's SIS conformance notebook sends it,
against the target (the embedded reference server without ``--base-url``), and prints each step
with its latency: what came back, and, for a step that failed, what the notebook expected. Like the
notebook, it starts from a teacher (the fixtures' first class's) and reads the class, its school, a
student and the term's grading periods from the rostering API; fixtures without a teacher name the
class, school and student themselves. Against a remote target without ``--fixtures`` the fixtures are
discovered (``--fixtures discover``), or written and removed again with ``--fixtures provision``. The
line item and result are new, with ids of their own, and deleted by the flow itself.

Exit codes: 0 every step passed; 1 a step failed; 2 a configuration error; 3 the target could not
be reached or refused the credentials.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from conformance import profiles, redaction, settings
from conformance.client import AuthenticationFailed, SuiteClient, TargetUnreachable
from conformance.consumers import grade_sync
from conformance.consumers.channel import Channel
from conformance.consumers.steps import summary_lines
from conformance.discovery.settle import mode_of, settle
from conformance.exits import Exit
from conformance.guard import Guard
from conformance.reference.embedded import ServerStartError
from conformance.run import Resolved, preflight, resolve
from conformance.target import ConfigError, Target

# Where the target is, how to reach it, and the profile it speaks.
TARGET_FLAGS = (*settings.TARGET_FLAGS, "--profile")


def _error(message: str, code: int = Exit.USAGE) -> int:
    print(f"oneroster-conformance: error: {redaction.redact(message)}", file=sys.stderr)
    return code


def consumer_flow(args: argparse.Namespace) -> int:
    values: dict[str, Any] = {settings.dest(flag): getattr(args, settings.dest(flag), None) for flag in TARGET_FLAGS}
    values["profile"] = values.get("profile") or profiles.DEFAULT
    faults = [f.strip() for f in (args.fault or "").split(",") if f.strip()]
    if faults and values.get("base_url"):
        return _error("--fault switches a fault of the embedded reference server: it cannot go with --base-url")
    try:
        resolved = resolve(values, faults=faults)
    except (ConfigError, ServerStartError, ValueError) as exc:
        return _error(str(exc))
    except (TargetUnreachable, AuthenticationFailed) as exc:
        return _error(str(exc), Exit.UNREACHABLE)
    try:
        return _flow(resolved, mode_of(values))
    except (TargetUnreachable, AuthenticationFailed) as exc:
        return _error(str(exc), Exit.UNREACHABLE)
    except ConfigError as exc:
        return _error(str(exc))
    finally:
        resolved.stop()


def _flow(resolved: Resolved, mode: str | None) -> int:
    preflight(resolved.target)
    if mode is None:
        return _grade_sync(resolved.target)
    with tempfile.TemporaryDirectory(prefix="oneroster-fixtures-") as place:
        prefix = f"cf{uuid.uuid4().hex[:6]}-fx-"
        settled = settle(resolved.target, mode, prefix=prefix, reports=Path(place), write_to=None, guard=Guard())
        for line in settled.lines:
            print(f"oneroster-conformance: fixtures: {redaction.redact(line)}", file=sys.stderr)
        try:
            return _grade_sync(settled.target)
        finally:
            left = settled.provisioned.remove() if settled.provisioned is not None else []
            for line in left:
                print(f"oneroster-conformance: provisioned {redaction.redact(line)}", file=sys.stderr)


def _grade_sync(target: Target) -> int:
    fixtures = target.fixtures()
    if not fixtures.classes:
        raise ConfigError("the fixtures name no class: the grade sync needs a class with a school and a student")
    klass = fixtures.classes[0]
    students = klass.students or fixtures.students
    if not students:
        raise ConfigError(f"the fixtures name no student of class {klass.sourcedId}")
    inputs = grade_sync.Inputs(
        class_id=klass.sourcedId,
        school_id=klass.school,
        student_id=students[0],
        category_id=fixtures.categories[0][0] if fixtures.categories else None,
        line_item_id=str(uuid.uuid4()),  # as the notebook makes them
        result_id=str(uuid.uuid4()),
        teacher_id=klass.teachers[0] if klass.teachers else None,  # the notebook starts from a teacher
    )
    where = "the embedded reference server at " if target.embedded else ""
    print(
        f"Google Classroom grade sync against {where}{redaction.redact(target.base_url)} ({target.profile} profile)",
        flush=True,
    )
    client = SuiteClient(target, guard=Guard())
    try:
        steps = grade_sync.run(Channel.over_client(target, client.send), inputs, profiles.get(target.profile).dialect)
    finally:
        client.close()
    for line in summary_lines(steps):
        print(redaction.redact(line), flush=True)
    failed = [step for step in steps if step.verdict == "fail"]
    sent = [step for step in steps if step.latency_ms is not None]
    mean = sum(step.latency_ms or 0.0 for step in sent) / len(sent) if sent else 0.0
    verdict = f"{len(failed)} of {len(steps)} step(s) failed" if failed else f"all {len(steps)} steps passed"
    print(
        f"oneroster-conformance: grade sync: {verdict}; {len(sent)} requests, mean latency {mean:.1f} ms",
        file=sys.stderr,
    )
    return Exit.FAILED if failed else Exit.OK

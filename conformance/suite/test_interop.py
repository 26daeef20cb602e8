"""What the most widely used gradebook consumer relies on: Google Classroom's grade sync.

The flow (``consumers.grade_sync``) is sent as the notebook sends it, with the fixtures' class,
school and student and ids of the run's own. Each step is recorded against the ``INTEROP-*``
requirement it speaks to: SHOULD-level (``--strict`` makes them count), or an observation where the
profile's own documents allow only something else. No MUST is judged here: what the flow sends
leaves out members a strict reading of the binding requires, and a server may refuse it and still
conform.
"""

from __future__ import annotations

import pytest

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.client import Exchange
from conformance.consumers import grade_sync
from conformance.consumers.channel import Channel
from conformance.session.suite_session import SuiteSession
from conformance.suite.judge import recorder_fixture  # noqa: F401 (a fixture)


@validates(
    "INTEROP-TOKEN-EXTRA-SCOPES", "INTEROP-GET-IGNORES-BODY", "INTEROP-PUT-CREATE-201",
    "INTEROP-PUT-UPDATE-STATUS", "INTEROP-TITLE-WHOLE", "INTEROP-RESULT-MINIMAL", "INTEROP-EXTRA-CREDIT",
    "INTEROP-EXEMPT", "INTEROP-DELETE-GONE", "INTEROP-LIMIT-10000",
)  # fmt: skip
def test_google_classroom_grade_sync(suite: SuiteSession, recorder: Recorder) -> None:
    if suite.options.read_only:
        pytest.skip("read-only run: the grade sync writes line items and results")
    suite.ensure_anchors()
    world = suite.world
    klass = world.klass
    inputs = grade_sync.Inputs(
        class_id=klass.sourcedId,
        school_id=klass.school,
        student_id=world.student_in(klass, None),
        category_id=world.category(None) or world.anchors.get("category"),
        line_item_id=world.fresh_id("lineItem"),
        result_id=world.fresh_id("result"),
    )
    steps = grade_sync.run(Channel(suite.target, suite.send), inputs, suite.profile.dialect)
    sent: list[Exchange] = []
    for step in steps:
        if step.exchange is not None:
            sent.append(step.exchange)
        if step.requirement is None:
            continue
        if step.verdict == "skip":
            recorder.skip(step.requirement, f"{step.name}: not sent, {step.expected}")
        elif step.verdict == "note":
            recorder.observe(step.requirement, f"{step.name}: {step.actual}")
        else:
            recorder.expect(
                step.requirement,
                step.verdict == "pass",
                step.exchange,
                title=f"Google Classroom's grade sync would stop here: {step.name}",
                expected=step.expected,
                actual=step.actual,
                steps=tuple(sent),
            )
        if step.note:
            recorder.observe(step.requirement, f"{step.name}: {step.actual} ({step.note})")

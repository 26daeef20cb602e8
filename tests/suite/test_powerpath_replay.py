"""A PowerPath failure's steps replay on a fresh server: each example of the machine works on an attempt it
started itself, so the steps printed with a failure, sent again to a fresh reference server with the same
fault, get the same wrong answer. The only substitution is the one docs/tool-control.md names: the
assignmentId that the replayed makeExternalTestAssignment answered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from conformance.client import Exchange
from conformance.machines import external_tests_model as model
from conformance.reference import embedded

from .test_external_tests_machine import run_machine, session_for

pytestmark = pytest.mark.network
ASSIGN = "/powerpath/makeExternalTestAssignment"


def replay(steps: Sequence[Exchange], server: embedded.RunningServer) -> list[httpx.Response]:
    """Send ``steps`` again to ``server``, the assignment ids taken from the replayed assignments."""
    ids: dict[str, str] = {}  # assignmentId answered before → answered now
    answers = []
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.token()}"}) as client:
        for step in steps:
            parts = urlsplit(step.url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            for old, new in ids.items():
                target = target.replace(old, new)
            headers = {"content-type": "application/json"} if step.request_body else {}
            answer = client.request(step.method, target, content=step.request_body, headers=headers)
            if parts.path.endswith(ASSIGN) and answer.status_code == 200:
                was = step.try_json()
                ids[str(was["assignmentId"])] = str(answer.json()["assignmentId"])
            answers.append(answer)
    return answers


def what_it_shows(body: Any) -> tuple[object, ...]:
    """What the wrong answer is made of: finalization, question results, score, write-back status."""
    if not isinstance(body, dict):
        return (body,)
    if "assessmentResults" in body:  # the evidence of a MasteryTrack finalization: the newest result
        newest = body["assessmentResults"][0] if body["assessmentResults"] else {}
        return newest.get("scoreStatus"), (newest.get("metadata") or {}).get("masteryTrackProcessed")
    return body.get("finalized"), model.question_results(body), body.get("score")


@pytest.mark.parametrize(
    ("faults", "lesson"),
    [
        (("premature-finalization",), "fx-lesson-unit-test-edulastic"),  # with the tool control interface
        (("mastery-track-finalize-without-processed",), "fx-lesson-test-out-mastery-track"),
        (("premature-finalization", "benign-autonomous-tool"), "fx-lesson-unit-test-edulastic"),  # without
        (("mastery-track-finalize-without-processed", "benign-autonomous-tool"), "fx-lesson-test-out-mastery-track"),
    ],
)
def test_a_failure_replays_on_a_fresh_server(faults: tuple[str, ...], lesson: str) -> None:
    with session_for(*faults) as session:
        failure = run_machine(session, lesson)
    assert failure is not None
    found = failure.failures[0]
    steps = found.steps
    assert steps[0].method == "POST" and steps[0].url.endswith(ASSIGN), "the steps start at the assignment"
    wrong = next(i for i, step in enumerate(steps) if step is found.exchange)
    with embedded.start(faults=list(faults)) as fresh:
        answers = replay(steps, fresh)
    assert answers[0].json()["attempt"] == 1, "a fresh server: the first assignment is the first attempt"
    assert not any("attempt=" in step.url for step in steps), "the steps name no attempt number"
    assert [a.status_code for a in answers] == [s.status for s in steps], [
        a.text[:300] for a in answers if a.status_code >= 400
    ][:2]
    assert what_it_shows(answers[wrong].json()) == what_it_shows(steps[wrong].try_json())

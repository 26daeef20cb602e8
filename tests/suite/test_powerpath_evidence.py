"""The PowerPath evidence rules on their own: what the server's own answers must show for a finalization
the suite did not cause (no tool control), and how the tool's view and the progress say an attempt is
untouched. Pure functions: no server."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.machines import external_tests_model as model
from conformance.machines import tool_control


def progress(*scores: float | None, total: int = 4, score: object = 0.5, finalized: bool = True) -> dict[str, Any]:
    questions = [
        {"index": i, **({"result": {"score": s, "feedback": ""}} if s is not None else {})}
        for i, s in enumerate(scores)
    ]
    body: dict[str, Any] = {"finalized": finalized, "questions": questions, "totalQuestions": total}
    if score is not None:
        body["score"] = score
    return body


def test_an_answered_graded_edulastic_test_supports_the_finalization() -> None:
    verdict = model.edulastic_evidence(progress(1, 0.5, 0, 0.5, score=0.5))
    assert verdict.ok and verdict.expected == model.EDULASTIC_DONE


@pytest.mark.parametrize(
    ("shown", "words"),
    [
        (progress(1, None, 0, 0.5), "no result for question 2"),
        (progress(1, 0.5, score=0.375), "2 of 4 questions with a result"),  # questions missing from the list
        (progress(1, 0.5, 0, 0.5, score=None), "score None"),  # no grade
        (progress(total=0, score=0), "0 of 0"),  # nothing to have answered
    ],
)
def test_an_unanswered_question_or_no_score_contradicts_it(shown: dict[str, Any], words: str) -> None:
    verdict = model.edulastic_evidence(shown)
    assert not verdict.ok and words in verdict.actual


@pytest.mark.parametrize(
    ("status", "processed", "ok"),
    [
        ("fully graded", "true", True),
        ("fully graded", True, True),  # a boolean says the same as the documented string
        ("fully graded", "false", False),
        ("partially graded", "true", False),
        ("submitted", None, False),
    ],
)
def test_mastery_track_needs_a_fully_graded_processed_result(status: str, processed: object, ok: bool) -> None:
    result = {"sourcedId": "r1", "scoreStatus": status, "metadata": {"masteryTrackProcessed": processed}}
    verdict = model.mastery_track_evidence(result)
    assert verdict.ok is ok and "'r1'" in verdict.actual
    assert not model.mastery_track_evidence({"sourcedId": "r2", "scoreStatus": "fully graded"}).ok


def test_the_shown_edulastic_score_is_the_mean_over_every_question() -> None:
    assert model.shown_score(progress(1, 0.5, None, 0.5, score=0.5)).ok
    wrong = model.shown_score(progress(1, 0.5, None, 0.5, score=2 / 3))  # the mean over the answered only
    assert not wrong.ok and "over 4 questions" in wrong.expected


def test_untouched_means_nothing_imported_and_no_work_in_the_tool() -> None:
    assert model.untouched(progress(None, None, finalized=False))
    assert not model.untouched(progress(1, None, finalized=False))
    assert not model.untouched(progress(None, None, finalized=True))
    assert tool_control.untouched({"questions": [{"answered": False}], "grade": "NOT_GRADED"})
    assert not tool_control.untouched({"questions": [{"answered": True}], "grade": "NOT_GRADED"})
    assert not tool_control.untouched({"questions": [{"answered": False}], "grade": "GRADED"})
    assert tool_control.untouched({"questionCount": 4, "writtenBack": False})
    assert not tool_control.untouched({"questionCount": 4, "writtenBack": True})


def test_waiting_stops_at_the_finalization_or_when_nothing_moves() -> None:
    answers = iter([(False, 1), (False, 2), (True, None)])
    assert tool_control.wait_for_finalization(lambda: next(answers), 10)
    still = iter([(False, 1), (False, 1), (False, 1), (True, None)])
    assert not tool_control.wait_for_finalization(lambda: next(still), 10)  # two imports in a row, no change
    once = iter([(False, 1), (False, 1), (False, 2), (True, None)])
    assert tool_control.wait_for_finalization(lambda: next(once), 10)  # one quiet step is not a stall
    assert not tool_control.wait_for_finalization(lambda: (None, None), 10)  # neither true nor false

"""Driving the external test tools (Edulastic, MasteryTrack) through a target's tool control interface.

docs/tool-control.md, the protocol this module speaks: PowerPath finalizes an attempt only when its
tool says the test is done, so the suite must be able to answer questions, grade a test or make
MasteryTrack write results back. The reference server offers that as HTTP under a prefix it
announces at ``GET /.well-known/oneroster-conformance`` (no auth), behind the run's bearer token.
A target without it cannot have its tools driven: the suite then runs only what it can observe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.client import Exchange, SuiteClient

DISCOVERY_PATH = "/.well-known/oneroster-conformance"
EDULASTIC, MASTERY_TRACK = "edulastic", "mastery-track"

Send = Callable[..., Exchange]


def discover(client: SuiteClient) -> str | None:
    """The control prefix the target announces, or None when it announces none (404, not JSON…).

    The prefix is taken relative to --base-url, so a reference server behind a path-prefixing proxy
    is still driven through the proxy."""
    exchange = client.send("GET", DISCOVERY_PATH, auth="none")
    body = exchange.try_json() if exchange.status == 200 else None
    prefix = body.get("toolControl") if isinstance(body, dict) else None
    return prefix.rstrip("/") if isinstance(prefix, str) and prefix.strip("/") else None


class ToolControlError(RuntimeError):
    """The control interface refused a request: a problem of the test set-up, not of the API under test."""


@dataclass(frozen=True)
class ToolDriver:
    prefix: str
    send: Send  # the machine's send: tool steps then appear in a failure's curl reproduction

    def _call(
        self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        exchange = self.send(method, self.prefix + path, json_body=body, params=params)
        payload = exchange.try_json()
        if exchange.status != 200 or not isinstance(payload, dict):
            answer = exchange.error or exchange.status
            raise ToolControlError(f"tool control {method} {path} answered {answer}: {exchange.body_excerpt(200)}")
        return payload

    def state(self, tool: str, assignment_id: str) -> dict[str, Any]:
        return self._call("GET", f"/{tool}/assignments/{assignment_id}")

    def answer(self, assignment_id: str, answers: Mapping[int, tuple[float, str]]) -> None:
        items = [{"index": i, "score": s, "feedback": f} for i, (s, f) in sorted(answers.items())]
        self._call("POST", f"/{EDULASTIC}/assignments/{assignment_id}/answers", {"answers": items})

    def grade(self, assignment_id: str) -> None:
        self._call("POST", f"/{EDULASTIC}/assignments/{assignment_id}/grade")

    def write_back(
        self,
        assignment_id: str,
        *,
        score_status: str,
        processed: bool,
        score: float | None,
        questions: Mapping[int, tuple[float, str]],
    ) -> None:
        body = {
            "scoreStatus": score_status,
            "masteryTrackProcessed": "true" if processed else "false",  # a string, as PowerPath stores it
            "score": score,
            "questions": [{"index": i, "score": s, "feedback": f} for i, (s, f) in sorted(questions.items())],
        }
        self._call("POST", f"/{MASTERY_TRACK}/assignments/{assignment_id}/writeback", body)

    def outage(self, tool: str, failing: bool) -> None:
        self._call("POST", f"/{tool}/outage", {"failing": failing})

    def enrolled_courses(self, student: str) -> set[str]:
        rows = self._call("GET", "/enrollments", params={"student": student}).get("enrollments")
        return {r["course"] for r in rows or [] if isinstance(r, dict) and isinstance(r.get("course"), str)}


def question_count(state: Mapping[str, Any]) -> int | None:
    """How many questions the tool's test has, from its control view of an assignment."""
    if isinstance(state.get("questions"), list):
        return len(state["questions"])
    count = state.get("questionCount")
    return count if isinstance(count, int) and not isinstance(count, bool) else None

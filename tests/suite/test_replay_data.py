"""Reproductions as data: the steps a failure carries, the answer it saw normalized by rule, and their
way through the ledger (xdist workers included) into a summary.json that keeps its schema."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance import profiles, redaction
from conformance.checks import Failure, Finding, Recorder
from conformance.client import Exchange, Origin, Trace, difference, replay_data
from conformance.client._exchange import BOGUS_TOKEN
from conformance.ledger import Ledger
from conformance.suite import verdict
from tests._cli import valid_summary

BASE = "http://127.0.0.1:8123"
RESULTS = f"{BASE}/ims/oneroster/gradebook/v1p2/results"
ALLOCATED = "0f8e1a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def _exchange(
    method: str,
    url: str,
    sent: Any = None,
    status: int | None = 200,
    answer: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> Exchange:
    body = raw if raw is not None else (json.dumps(answer).encode() if answer is not None else b"")
    request = json.dumps(sent).encode() if sent is not None else None
    return Exchange(
        method,
        url,
        {"Accept": "application/json", "Authorization": "Bearer the-runs-token-1234", **(headers or {})},
        request,
        status=status,
        headers=httpx.Headers({"content-type": content_type} if body else {}),
        body=body,
    )


def _result(sourced_id: str, stamp: str, **members: Any) -> dict[str, Any]:
    return {"result": {"sourcedId": sourced_id, "dateLastModified": stamp, **members}}


# The decisive answer, normalized -------------------------------------------------------------------
def test_server_date_times_read_as_their_shape_and_echoes_stay() -> None:
    sent = {"result": {"sourcedId": "r-1", "scoreDate": "2024-09-02T08:00:00Z"}}
    put = _exchange(
        "PUT",
        f"{RESULTS}/r-1",
        sent,
        201,
        _result("r-1", "2026-01-05T10:11:12.345Z", scoreDate=sent["result"]["scoreDate"]),
    )
    answer = Trace.of([put]).answer(BASE)
    assert answer["json"]["result"]["dateLastModified"] == "<date-time ####-##-##T##:##:##Z>"
    assert answer["json"]["result"]["scoreDate"] == "2024-09-02T08:00:00Z"  # what the request sent: not volatile
    # Another second, another fraction length: the same answer; a date-time without a zone is another.
    again = _exchange(
        "PUT",
        f"{RESULTS}/r-1",
        sent,
        201,
        _result("r-1", "2027-03-01T00:00:59.5Z", scoreDate=sent["result"]["scoreDate"]),
    )
    assert Trace.of([again]).answer(BASE) == answer
    zoneless = _exchange(
        "PUT", f"{RESULTS}/r-1", sent, 201, _result("r-1", "2027-03-01 00:00:59", scoreDate=sent["result"]["scoreDate"])
    )
    assert Trace.of([zoneless]).answer(BASE)["json"]["result"]["dateLastModified"] == "<date-time ####-##-## ##:##:##>"


@pytest.mark.parametrize(
    ("later", "went_back"),
    [("2026-01-05T10:00:00.000Z", False), ("2026-01-05T10:00:00.001Z", False), ("2026-01-05T09:00:00.000Z", True)],
)
def test_a_record_whose_timestamp_went_back_says_so(later: str, went_back: bool) -> None:
    """The values vary between servers; their order for one record is the contract (ties are no step back)."""
    first = _exchange("PUT", f"{RESULTS}/r-1", {"result": {}}, 201, _result("r-1", "2026-01-05T10:00:00.000Z"))
    other = _exchange("PUT", f"{RESULTS}/r-2", {"result": {}}, 201, _result("r-2", "2026-01-05T11:00:00.000Z"))
    got = _exchange("GET", f"{RESULTS}/r-1", answer=_result("r-1", later))
    stamp = Trace.of([first, other, got]).answer(BASE)["json"]["result"]["dateLastModified"]
    assert stamp == "<date-time ####-##-##T##:##:##Z" + (", earlier than before>" if went_back else ">")


@pytest.mark.parametrize(
    ("later", "paused", "note"),
    [
        ("2026-01-05T10:00:00.000Z", True, ", the same as before the wait"),
        ("2026-01-05T10:00:01.000Z", True, ""),
        ("2026-01-05T10:00:00.000Z", False, ""),  # no wait between: the same value says nothing
    ],
)
def test_a_timestamp_that_stood_still_across_a_wait_says_so(later: str, paused: bool, note: str) -> None:
    """A change sent after a deliberate wait must move the record's timestamp: one still equal to its
    value before the wait reads differently from one that moved, whatever the values."""
    first = _exchange("GET", f"{RESULTS}/r-1", answer=_result("r-1", "2026-01-05T10:00:00.000Z"))
    change = _exchange("PUT", f"{RESULTS}/r-1", {"result": {"score": 2}}, 201, _result("r-1", later))
    change.pause = 1.05 if paused else 0.0
    read = _exchange("GET", f"{RESULTS}/r-1", answer=_result("r-1", later))
    stamp = Trace.of([first, change, read]).answer(BASE)["json"]["result"]["dateLastModified"]
    assert stamp == f"<date-time ####-##-##T##:##:##Z{note}>"
    assert replay_data("GB-X", [first, change, read], Origin(BASE, "oc123456-m-"))["steps"][1].get("pause") == (
        1.05 if paused else None
    )


def test_ids_the_server_made_are_numbered_and_the_supplied_ones_kept() -> None:
    lines = f"{BASE}/ims/oneroster/gradebook/v1p2/lineItems/li-1/results"
    pairs = {
        "sourcedIdPairs": [
            {"suppliedSourcedId": "r-9", "allocatedSourcedId": "r-9"},
            {"suppliedSourcedId": "", "allocatedSourcedId": ALLOCATED},
        ]
    }
    post = _exchange("POST", lines, {"results": [{"sourcedId": "r-9"}, {}]}, 201, pairs)
    trace = Trace.of([post])
    assert trace.made == [[ALLOCATED]]  # r-9 was sent: the server made only the other
    assert trace.allocated == [["r-9", ALLOCATED]]  # what a replay pairs with its own server's, place by place
    assert trace.answer(BASE)["json"]["sourcedIdPairs"][1]["allocatedSourcedId"] == "<server-id-1>"
    assert trace.answer(BASE)["json"]["sourcedIdPairs"][0]["allocatedSourcedId"] == "r-9"
    # A UUID no request sent is the server's too, wherever it sits; the same one twice is one id.
    got = _exchange("GET", f"{RESULTS}/{ALLOCATED}", answer={"a": OTHER, "b": f"see {OTHER}", "c": ALLOCATED})
    trace = Trace.of([post, got])
    assert trace.made == [[ALLOCATED], [OTHER]]
    assert trace.answer(BASE)["json"] == {"a": "<server-id-2>", "b": "see <server-id-2>", "c": "<server-id-1>"}


def _attempts(*numbers: int, enrolled: tuple[str, ...] = ()) -> dict[str, Any]:
    progress = f"{BASE}/powerpath/getAssessmentProgress?student=s-1&lesson=l-1"
    assign = _exchange("POST", f"{BASE}/powerpath/makeExternalTestAssignment", {"student": "s-1", "lesson": "l-1"})
    steps = [assign, *(_exchange("GET", progress, answer={"attempt": n, "finalized": False}) for n in numbers)]
    log = [{"student": "s-1", "lesson": lesson, "course": "c"} for lesson in enrolled]
    log.append({"student": "another-student", "lesson": "l-1", "course": "c"})  # an earlier example's
    steps.append(_exchange("GET", f"{BASE}/control/enrollments?student=s-1", answer={"enrollments": log}))
    trace = Trace.of(steps)
    return {"attempts": [Trace.of(steps[: i + 2]).answer(BASE)["json"]["attempt"] for i in range(len(numbers))],
            "enrollments": trace.answer(BASE)["json"]["enrollments"]}  # fmt: skip


def test_attempt_numbers_read_as_their_order_and_the_enrollment_log_as_what_the_steps_named() -> None:
    # A fresh server counts a student's attempts from 1; the failing run's server had counted on.
    assert _attempts(4, 5) == _attempts(1, 2)
    assert _attempts(4, 5)["attempts"] == ["<attempt-1>", "<attempt-2>"]
    assert _attempts(4, 4) != _attempts(1, 2)  # an attempt that did not advance stays visible
    # The log keeps one entry per student and course: which lesson made it is whatever came first, and
    # entries about other students are earlier examples'.
    assert _attempts(1, enrolled=("other-lesson",))["enrollments"] == _attempts(1, enrolled=("l-1",))["enrollments"]
    assert _attempts(1, enrolled=("l-1",))["enrollments"] != _attempts(1)["enrollments"]
    assert _attempts(1)["enrollments"] == []


def test_the_base_url_key_order_and_text_bodies() -> None:
    href = {"lineItem": {"href": f"{BASE}/ims/oneroster/gradebook/v1p2/lineItems/li-1", "sourcedId": "li-1"}}
    one = _exchange("GET", f"{RESULTS}/r-1", answer=href, headers={})
    raw = b'{ "lineItem" : {"sourcedId":"li-1", "href":"http://other:9/ims/oneroster/gradebook/v1p2/lineItems/li-1"}}'
    shuffled = _exchange("GET", "http://other:9/ims/oneroster/gradebook/v1p2/results/r-1", raw=raw)
    assert Trace.of([one]).answer(BASE) == Trace.of([shuffled]).answer("http://other:9")
    assert (
        Trace.of([one]).answer(BASE)["json"]["lineItem"]["href"]
        == "<base-url>/ims/oneroster/gradebook/v1p2/lineItems/li-1"
    )
    text = _exchange(
        "GET",
        f"{RESULTS}/r-1",
        status=404,
        raw=b"no result r-1 at 2026-01-05T10:00:00Z",
        content_type="text/plain; charset=utf-8",
    )
    assert Trace.of([text]).answer(BASE) == {
        "status": 404,
        "content_type": "text/plain;charset=utf-8",
        "text": "no result r-1 at <date-time ####-##-##T##:##:##Z>",
    }
    unanswered = _exchange("GET", f"{RESULTS}/r-1", status=None)
    assert Trace.of([unanswered]).answer(BASE) == {"status": None}


def test_renames_map_a_replays_own_names_back() -> None:
    live = _exchange(
        "GET", f"{RESULTS}/ocffff00-r-result-1", answer=_result("ocffff00-r-result-1", "2026-01-05T10:00:00Z")
    )
    recorded = _exchange(
        "GET", f"{RESULTS}/oc123456-m-result-1", answer=_result("oc123456-m-result-1", "2025-01-05T10:00:00Z")
    )
    assert Trace.of([live]).answer(BASE, {"ocffff00-r-": "oc123456-m-"}) == Trace.of([recorded]).answer(BASE)


def test_differences_are_said_where_they_are() -> None:
    assert difference({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "x"}]}) is None
    assert difference({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "y"}]}) == '/a/1/b is "y" where the failing run saw "x"'
    assert difference({"a": 1}, {"a": 1.0}) == "/a is 1.0 where the failing run saw 1"
    assert difference({"a": 1}, {}) == "/a is missing"
    assert difference({}, {"a": 1}) == "/a is there, the failing run had none"
    assert difference([1], [1, 2]) == "/ holds 2 items where the failing run saw 1"


# The steps -------------------------------------------------------------------------------------------
def test_steps_are_relative_carry_no_secret_and_say_how_they_authenticated() -> None:
    redaction.register("the-runs-token-1234")
    put = _exchange(
        "PUT", f"{RESULTS}/r-1?x=1", {"result": {"sourcedId": "r-1"}}, 201, _result("r-1", "2026-01-05T10:00:00Z")
    )
    bogus = _exchange("GET", f"{RESULTS}/r-1", headers={"Authorization": f"Bearer {BOGUS_TOKEN}"}, status=401)
    anonymous = Exchange("GET", f"{RESULTS}/r-1", {"Accept": "application/json"}, None, status=401)
    binary = Exchange("PUT", f"{RESULTS}/r-2", {"Authorization": "Bearer t"}, b"\xff\xfe", status=400)
    token = Exchange("POST", "http://auth.example/token", {}, b"client_secret=s3cret-value", status=200)
    redaction.register("s3cret-value")
    data = replay_data("GB-RESULT-GET", [put, bogus, anonymous, binary, token], Origin(BASE, "oc123456-m-"))
    assert data["requirement"] == "GB-RESULT-GET" and data["prefix"] == "oc123456-m-" and data["base_url"] == BASE
    steps = data["steps"]
    assert [(s["method"], s["path"], s["auth"], s["status"]) for s in steps] == [
        ("PUT", "/ims/oneroster/gradebook/v1p2/results/r-1?x=1", "token", 201),
        ("GET", "/ims/oneroster/gradebook/v1p2/results/r-1", "bogus", 401),
        ("GET", "/ims/oneroster/gradebook/v1p2/results/r-1", "none", 401),
        ("PUT", "/ims/oneroster/gradebook/v1p2/results/r-2", "token", 400),
        ("POST", "http://auth.example/token", "none", 200),  # outside the target: a replay refuses it
    ]
    assert (
        steps[0]["headers"] == {"Accept": "application/json"} and steps[0]["body"] == '{"result": {"sourcedId": "r-1"}}'
    )
    assert steps[3]["body_base64"] == "//4="
    assert "answer" in steps[-1] and all("answer" not in s for s in steps[:-1])
    text = json.dumps(data)
    assert "the-runs-token-1234" not in text and "s3cret-value" not in text and "Authorization" not in text


# Through the recorder, the ledger and the summary --------------------------------------------------
def _recorded(prelude: list[Exchange]) -> tuple[Ledger, Failure]:
    ledger = Ledger()
    recorder = Recorder(ledger, profiles.TIMEBACK, reproducer=lambda steps: (prelude, Origin(BASE, "oc123456-m-")))
    failure = recorder.record(
        Finding.fail("GB-RESULT-GET", "t", "200", "404"), _exchange("GET", f"{RESULTS}/r-1", status=404)
    )
    assert failure is not None
    return ledger, failure


def test_a_failure_comes_with_the_writes_it_relies_on() -> None:
    put = _exchange(
        "PUT", f"{RESULTS}/r-1", {"result": {"sourcedId": "r-1"}}, 201, _result("r-1", "2026-01-05T10:00:00Z")
    )
    ledger, failure = _recorded([put])
    assert failure.sequence == (put, failure.exchange)
    assert failure.reproduction().count("curl ") == 2 and "Steps:" in failure.render()
    replay = ledger.entries["GB-RESULT-GET"].failures[0]["replay"]
    assert [s["method"] for s in replay["steps"]] == ["PUT", "GET"] and replay["steps"][-1]["answer"]["status"] == 404


def test_the_trail_ends_at_the_exchange_that_failed() -> None:
    steps = [_exchange("GET", f"{RESULTS}/r-{i}") for i in range(3)]
    failure = Failure(Finding.fail("GB-RESULT-GET", "t", "e", "a"), steps[1], tuple(steps))
    assert failure.sequence == (steps[0], steps[1])


def test_replay_data_survives_the_workers_channel_and_keeps_the_summary_schema() -> None:
    put = _exchange(
        "PUT", f"{RESULTS}/r-1", {"result": {"sourcedId": "r-1"}}, 201, _result("r-1", "2026-01-05T10:00:00Z")
    )
    worker, _ = _recorded([put])
    sent = json.loads(json.dumps(worker.to_dict()))  # what pytest-xdist carries: plain JSON types
    controller = Ledger()
    controller.absorb(Ledger.from_dict(sent))
    assert controller.entries["GB-RESULT-GET"].failures == worker.entries["GB-RESULT-GET"].failures
    info = verdict.RunInfo(profiles.TIMEBACK, BASE, 0, "2026-01-05T10:00:00+00:00", 1.0)
    controller.requests = 2
    summary = valid_summary(json.loads(json.dumps(verdict.build(controller, info))))
    row = next(r for r in summary["requirements"] if r["id"] == "GB-RESULT-GET")
    assert row["failures"][0]["replay"]["steps"][0]["path"] == "/ims/oneroster/gradebook/v1p2/results/r-1"


def test_summary_md_says_how_to_replay_a_failure() -> None:
    from conformance.reporting import summary as summary_files

    put = _exchange(
        "PUT", f"{RESULTS}/r-1", {"result": {"sourcedId": "r-1"}}, 201, _result("r-1", "2026-01-05T10:00:00Z")
    )
    ledger, _ = _recorded([put])
    ledger.requests = 2
    built = verdict.build(ledger, verdict.RunInfo(profiles.TIMEBACK, BASE, 0, "2026-01-05T10:00:00+00:00", 1.0))
    text = summary_files.markdown(built)
    assert "oneroster-conformance replay summary.json --requirement GB-RESULT-GET" in text


def test_a_large_answer_is_kept_as_its_digest() -> None:
    big = {"results": [{"sourcedId": f"r-{i}", "comment": "x" * 100} for i in range(1000)]}
    kept = Trace.of([_exchange("GET", RESULTS, answer=big)]).answer(BASE)
    assert "json" not in kept and len(kept["sha256"]) == 64
    assert Trace.of([_exchange("GET", RESULTS, answer=json.loads(json.dumps(big)))]).answer(BASE) == kept
    big["results"][500]["comment"] = "y"
    assert Trace.of([_exchange("GET", RESULTS, answer=big)]).answer(BASE)["sha256"] != kept["sha256"]


def test_a_reproduction_that_cannot_be_built_keeps_the_failure() -> None:
    def broken(steps: object) -> Any:
        raise RecursionError("a hostile answer nested too deep")

    ledger = Ledger()
    failure = Recorder(ledger, profiles.TIMEBACK, reproducer=broken).record(
        Finding.fail("GB-RESULT-GET", "t", "200", "404"), _exchange("GET", f"{RESULTS}/r-1", status=404)
    )
    assert failure is not None and failure.prelude == ()
    assert ledger.entries["GB-RESULT-GET"].failures == [
        {"message": failure.render(), "reproduction": failure.reproduction()}
    ]

"""Bad input of every kind gets a 4xx imsx error — never a 5xx — and schema problems are listed by
JSON pointer."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance.contract.operations import OPERATIONS

from ._records import line_item, result
from ._support import Api, G, assert_imsx, uid

pytestmark = pytest.mark.network
JSON = {"Content-Type": "application/json"}


def _nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def _raw(api: Api, method: str, path: str, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return api.request(method, path, content=content, headers=JSON if headers is None else headers)


def _with_line_item(api: Api, body: Any) -> httpx.Response:
    line_item_id = uid("li")
    assert api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item()}).status_code == 201
    return api.post(f"{G}/lineItems/{line_item_id}/results", body)


PUT_RESULT = f"{G}/results/sweep-result"
SWEEP: list[tuple[str, int, Any]] = [
    ("malformed JSON", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b'{"result": {')),
    (
        "trailing garbage",
        400,
        lambda api: _raw(api, "PUT", PUT_RESULT, json.dumps({"result": result()}).encode() + b"x"),
    ),
    ("empty body", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b"")),
    ("whitespace body", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b"   \n")),
    ("NaN", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b'{"result": {"score": NaN}}')),
    ("number overflow", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b'{"result": {"score": 1e400}}')),
    ("huge integer", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b'{"result": {"score": ' + b"9" * 5000 + b"}}")),
    ("non-UTF-8 bytes", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b'{"result": {"comment": "\xff\xfe"}}')),
    ("escaped lone surrogate", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b'{"result": {"comment": "\\ud800"}}')),
    ("lone surrogate key", 400, lambda api: _raw(api, "PUT", PUT_RESULT, b'{"result": {"\\udc00": 1}}')),
    ("UTF-16 body", 400, lambda api: _raw(api, "PUT", PUT_RESULT, json.dumps({"result": result()}).encode("utf-16"))),
    (
        "text/plain",
        400,
        lambda api: _raw(
            api, "PUT", PUT_RESULT, json.dumps({"result": result()}).encode(), {"Content-Type": "text/plain"}
        ),
    ),
    ("no content type", 400, lambda api: _raw(api, "PUT", PUT_RESULT, json.dumps({"result": result()}).encode(), {})),
    ("form body", 400, lambda api: api.request("PUT", PUT_RESULT, data={"result": "x"})),
    ("wrong envelope key", 422, lambda api: api.put(PUT_RESULT, {"results": result()})),
    ("assessment envelope on result", 422, lambda api: api.put(PUT_RESULT, {"assessmentResult": result()})),
    ("array body", 422, lambda api: api.put(PUT_RESULT, [result()])),
    ("string body", 422, lambda api: api.put(PUT_RESULT, "result")),
    ("null record", 422, lambda api: api.put(PUT_RESULT, {"result": None})),
    ("bad enum", 422, lambda api: api.put(PUT_RESULT, {"result": result(scoreStatus="graded")})),
    ("date without zone", 422, lambda api: api.put(PUT_RESULT, {"result": result(scoreDate="2024-01-01 10:00:00")})),
    ("score as string", 422, lambda api: api.put(PUT_RESULT, {"result": result(score="85")})),
    ("1 MB string", 400, lambda api: api.put(PUT_RESULT, {"result": result(comment="x" * 1_000_000)})),
    (
        "1 MB chunked",
        400,
        lambda api: api.request(
            "PUT", PUT_RESULT, headers=JSON, content=iter([b'{"result": {"comment": "', b"x" * 1_000_000, b'"}}'])
        ),
    ),
    ("nesting 65", 422, lambda api: api.put(PUT_RESULT, {"result": result(metadata=_nested(63))})),
    ("nesting 5000", 422, lambda api: _raw(api, "PUT", PUT_RESULT, b'{"a":' * 5000 + b"1" + b"}" * 5000)),
    ("nesting 100000 arrays", 422, lambda api: _raw(api, "PUT", PUT_RESULT, b"[" * 100_000)),
    ("unknown query parameter on PUT", 400, lambda api: api.put(PUT_RESULT + "?debug=1", {"result": result()})),
    ("unknown query parameter on GET", 400, lambda api: api.get(f"{G}/results", params={"page": "2"})),
    ("unknown query parameter on GET one", 400, lambda api: api.get(f"{G}/results/x", params={"limit": "2"})),
    ("limit 0", 400, lambda api: api.get(f"{G}/results", params={"limit": "0"})),
    ("limit -1", 400, lambda api: api.get(f"{G}/results", params={"limit": "-1"})),
    ("limit 99999", 400, lambda api: api.get(f"{G}/results", params={"limit": "99999"})),
    ("limit abc", 400, lambda api: api.get(f"{G}/results", params={"limit": "abc"})),
    ("broken filter", 400, lambda api: api.get(f"{G}/results", params={"filter": "score>>'1'"})),
    ("unterminated filter", 400, lambda api: api.get(f"{G}/results", params={"filter": "status='active"})),
    ("bulk not a list", 422, lambda api: _with_line_item(api, {"results": result()})),
    ("bulk item not an object", 422, lambda api: _with_line_item(api, {"results": [1]})),
    ("bulk POST with bad item", 404, lambda api: api.post(f"{G}/lineItems/none/results", {"results": [1]})),
    ("powerpath bad body", 422, lambda api: api.post("/powerpath/makeExternalTestAssignment", {"student": 1})),
    ("powerpath missing query", 400, lambda api: api.get("/powerpath/importExternalTestAssignmentResults")),
    (
        "powerpath bad attempt",
        400,
        lambda api: api.get(
            "/powerpath/getAssessmentProgress", params={"student": "fx-student-1", "lesson": "x", "attempt": "0"}
        ),
    ),
]


@pytest.mark.parametrize(("name", "status", "send"), SWEEP, ids=[case[0] for case in SWEEP])
def test_bad_input_gets_a_4xx_imsx_error(api: Api, name: str, status: int, send: Any) -> None:
    response = send(api)
    assert response.status_code < 500, response.text[:300]
    assert_imsx(response, status, "invaliddata" if status != 404 else "unknownobject")


def test_every_failing_pointer_is_listed(api: Api) -> None:
    body = {
        "result": {
            "lineItem": "li",
            "scoreStatus": "Graded",
            "score": "x",
            "scoreDate": "yesterday",
            "learningObjectiveSet": [{"source": 1}],
        }
    }
    details = assert_imsx(api.put(f"{G}/results/{uid()}", body), 422, "invaliddata")["imsx_error_details"]
    assert [d["pointer"] for d in details] == [
        "/result/learningObjectiveSet/0/learningObjectiveResults",
        "/result/learningObjectiveSet/0/source",
        "/result/lineItem",
        "/result/score",
        "/result/scoreDate",
        "/result/scoreStatus",
        "/result/student",
    ]
    assert all(isinstance(d["message"], str) and d["message"] for d in details)


def test_lenient_reading_is_what_a_put_must_satisfy(api: Api) -> None:
    # Seed 002: neither status nor scoreStatus is required on PUT /results.
    minimal = {
        "lineItem": {"sourcedId": "li"},
        "student": {"sourcedId": "fx-student-1"},
        "scoreDate": "2024-01-01T00:00:00Z",
    }
    assert api.put(f"{G}/results/{uid()}", {"result": minimal}).status_code == 201
    missing = line_item()
    del missing["category"]
    details = assert_imsx(api.put(f"{G}/lineItems/{uid()}", {"lineItem": missing}), 422)["imsx_error_details"]
    assert details == [{"pointer": "/lineItem/category", "message": "is required but missing"}]


def test_nothing_is_stored_by_a_rejected_request(api: Api) -> None:
    sourced_id = uid()
    api.put(f"{G}/results/{sourced_id}", {"result": result(scoreStatus="nope")})
    assert api.get(f"{G}/results/{sourced_id}").status_code == 404


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.method not in ("GET", "DELETE")], ids=str)
def test_write_operations_reject_a_non_json_content_type(api: Api, op: Any) -> None:
    """A 400, not 415: the documents list no 415 for any operation."""
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", "x")
    response = api.request(op.method, path, content=b"<xml/>", headers={"Content-Type": "application/xml"})
    body = assert_imsx(response, 400, "invaliddata")
    assert "Content-Type must be application/json, not application/xml" in body["imsx_description"]


def test_an_oversized_body_is_a_400_that_says_so(api: Api) -> None:
    """A 400, not 413: the documents list no 413 for any operation."""
    body = assert_imsx(api.put(PUT_RESULT, {"result": result(comment="x" * 300_000)}), 400, "invaliddata")
    assert "larger than 262144 bytes" in body["imsx_description"]


def test_an_unexpected_crash_is_still_an_imsx_500_on_a_live_connection(serve: Any) -> None:
    server, api = serve()

    def boom(entity: str) -> Any:
        raise RuntimeError("simulated bug")

    server.app.state.ctx.store.all = boom  # the next list request hits a bug
    assert_imsx(api.get(f"{G}/results"), 500, "internal_server_error", "Internal server error.")
    assert api.get(f"{G}/results/{uid()}").status_code == 404  # same keep-alive connection, still served

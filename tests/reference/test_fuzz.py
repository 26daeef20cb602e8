"""No input produces a 5xx: random JSON, mutated valid records, odd query strings and path ids, sent
to every operation — also with accept-invalid-body on, so that invalid records get stored and then
listed, sorted, filtered and searched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.contract.operations import ENTITY, OPERATIONS, Operation

from ._records import record
from ._support import Api, ThreadServer

pytestmark = pytest.mark.network

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
IDS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).map(lambda s: quote(s, safe=""))
QUERY = st.dictionaries(
    st.sampled_from(
        ["limit", "offset", "sort", "orderBy", "filter", "fields", "search", "student", "lesson", "attempt", "x"]
    ),
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            [
                "1",
                "0",
                "3001",
                "score",
                "desc",
                "status='tobedeleted'",
                "score>'1' OR comment~'a'",
                "sourcedId,score",
                "fx-student-1",
                "fx-lesson-test-out-edulastic",
            ]
        ),
    ),
    max_size=3,
)


@st.composite
def bodies(draw: st.DrawFn, op: Operation) -> Any:
    """Random JSON, or a valid record with one field replaced by random JSON, in the op's envelope."""
    if op.entity is None or draw(st.booleans()):
        return draw(JSON_VALUES)
    entity = ENTITY[op.entity]
    item = record(entity.singular)
    item[draw(st.sampled_from([*item, "sourcedId", "metadata", "score"]))] = draw(JSON_VALUES)
    if op.request and op.request.endswith(".bulkRequest"):
        return {entity.plural: [item]}
    return {entity.singular: item}


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], Any]:
    op = draw(st.sampled_from(OPERATIONS))
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", draw(st.sampled_from(["fx-class-1", "fx-school-1", "fx-term-1"]) | IDS))
    return op.method, path, draw(QUERY), draw(bodies(op)) if op.method != "GET" else None


@pytest.fixture(scope="module", params=[(), ("accept-invalid-body",)], ids=["correct", "accept-invalid-body"])
def target(request: pytest.FixtureRequest) -> Iterator[Api]:
    with ThreadServer(request.param) as server:
        api = Api(server.base_url)
        yield api
        api.close()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)
@given(call=requests())
def test_no_input_gets_a_server_error(target: Api, call: tuple[str, str, dict[str, str], Any]) -> None:
    method, path, params, body = call
    response = target.request(method, path, params=params, json=body)
    assert response.status_code < 500, (method, path, params, body, response.text[:300])
    if response.status_code >= 400:
        assert response.json()["imsx_codeMajor"] == "failure"


FRAGMENTS = st.sampled_from(
    [
        b"{",
        b"}",
        b"[",
        b"]",
        b'"',
        b":",
        b",",
        b"1",
        b"-0.5e3",
        b"1e999",
        b"null",
        b"true",
        b'"result"',
        b'"lineItems"',
        b'"\\ud800"',
        b'"\\u0000"',
        b"\xff",
        b"\xc3",
        b" ",
        b"NaN",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)
@given(op=st.sampled_from([op for op in OPERATIONS if op.method != "GET"]), raw=st.lists(FRAGMENTS, max_size=30))
def test_no_byte_sequence_gets_a_server_error(target: Api, op: Operation, raw: list[bytes]) -> None:
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", "fx-class-1")
    response = target.request(op.method, path, content=b"".join(raw), headers={"Content-Type": "application/json"})
    assert response.status_code < 500, (op.method, path, b"".join(raw), response.text[:300])

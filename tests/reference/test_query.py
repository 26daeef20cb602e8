"""Collection queries over HTTP: paging fields, sort and orderBy, the filter grammar, fields, search."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.reference import query
from conformance.reference.imsx_errors import ApiError

from ._records import result
from ._support import Api, G, assert_imsx

pytestmark = pytest.mark.network
KNOWN = frozenset({"sourcedId", "status", "score", "comment", "scoreStatus", "lineItem", "student", "metadata"})

# Seven results with known scores, comments and students; sourcedIds sort r0 < r1 < … < r6.
ROWS = [
    ("r0", 50, "Good work", "fx-student-1"),
    ("r1", 90.5, "excellent", "fx-student-2"),
    ("r2", 70, "needs WORK", "fx-student-1"),
    ("r3", 90.5, "fine", "fx-student-3"),
    ("r4", 10, "late", "fx-student-2"),
    ("r5", 100, "perfect", "fx-student-1"),
    ("r6", 70, "ok", "fx-student-3"),
]


@pytest.fixture(scope="module")
def seeded() -> Any:
    from ._support import ThreadServer

    with ThreadServer() as server:
        api = Api(server.base_url)
        for sourced_id, score, comment, student in [*ROWS[3:], *reversed(ROWS[:3])]:  # not stored in id order
            api.put(
                f"{G}/results/{sourced_id}",
                {"result": result(line_item_id="li-q", student=student, score=score, comment=comment)},
            )
        api.put(f"{G}/results/gone", {"result": result(line_item_id="li-q", score=1)})
        api.delete(f"{G}/results/gone")
        yield api
        api.close()


def _list(api: Api, **params: Any) -> dict[str, Any]:
    response = api.get(f"{G}/results", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(api: Api, **params: Any) -> list[str]:
    return [r["sourcedId"] for r in _list(api, **params)["results"]]


def test_default_order_and_page_fields(seeded: Api) -> None:
    body = _list(seeded)
    assert [r["sourcedId"] for r in body["results"]] == [r[0] for r in ROWS]
    assert {k: body[k] for k in ("totalCount", "pageCount", "pageNumber", "offset", "limit")} == {
        "totalCount": 7,
        "pageCount": 1,
        "pageNumber": 1,
        "offset": 0,
        "limit": 100,
    }


@pytest.mark.parametrize(
    ("limit", "offset", "ids", "page_count", "page_number"),
    [
        (3, 0, ["r0", "r1", "r2"], 3, 1),
        (3, 3, ["r3", "r4", "r5"], 3, 2),
        (3, 6, ["r6"], 3, 3),
        (3, 4, ["r4", "r5", "r6"], 3, 2),
        (2, 10, [], 4, 6),
        (2, 28864062805573448, [], 4, 14432031402786725),  # no document bounds offset
        (3000, 0, [r[0] for r in ROWS], 1, 1),
        (1, 0, ["r0"], 7, 1),
    ],
)
def test_paging(seeded: Api, limit: int, offset: int, ids: list[str], page_count: int, page_number: int) -> None:
    body = _list(seeded, limit=limit, offset=offset)
    assert [r["sourcedId"] for r in body["results"]] == ids
    assert (body["totalCount"], body["pageCount"], body["pageNumber"], body["offset"], body["limit"]) == (
        7,
        page_count,
        page_number,
        offset,
        limit,
    )


def test_sort_with_ties_broken_by_sourced_id(seeded: Api) -> None:
    assert _ids(seeded, sort="score") == ["r4", "r0", "r2", "r6", "r1", "r3", "r5"]
    assert _ids(seeded, sort="score", orderBy="desc") == ["r5", "r1", "r3", "r2", "r6", "r0", "r4"]
    assert _ids(seeded, sort="comment", orderBy="asc")[0] == "r0"  # "Good work" sorts before lower case
    assert _ids(seeded, orderBy="desc") == [r[0] for r in reversed(ROWS)]
    assert _ids(seeded, sort="student", limit=3) == ["r0", "r2", "r5"]


@pytest.mark.parametrize(
    ("expression", "ids"),
    [
        ("score='70'", ["r2", "r6"]),
        ("score=70", None),
        ("score = '70'", ["r2", "r6"]),
        ("score!='70'", ["r0", "r1", "r3", "r4", "r5"]),
        ("score>'70'", ["r1", "r3", "r5"]),
        ("score>='70'", ["r1", "r2", "r3", "r5", "r6"]),
        ("score<'50'", ["r4"]),
        ("score<='50'", ["r0", "r4"]),
        ("comment~'WORK'", ["r0", "r2"]),
        ("comment='Good work'", ["r0"]),
        ("student='fx-student-3'", ["r3", "r6"]),
        ("student@'fx-student-3, fx-student-2'", ["r1", "r3", "r4", "r6"]),
        ("score@'10,100'", ["r4", "r5"]),
        ("status='active'", [r[0] for r in ROWS]),
        ("status='tobedeleted'", ["gone"]),
        ("student='fx-student-1' AND score>'60'", ["r2", "r5"]),
        ("score='10' OR score='100'", ["r4", "r5"]),
        ("student='fx-student-1' AND score>'60' OR comment~'fine'", ["r2", "r3", "r5"]),
        ("comment~' AND '", []),
        ("sourcedId>='r5'", ["r5", "r6"]),
    ],
)
def test_filter(seeded: Api, expression: str, ids: list[str] | None) -> None:
    if ids is None:
        assert_imsx(seeded.get(f"{G}/results", params={"filter": expression}), 400, "invaliddata")
    else:
        assert _ids(seeded, filter=expression) == ids


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "score",
        "score='70",
        "score=='70'",
        "score like '70'",
        "lineItem.sourcedId='li-q'",
        "nope='1'",
        "score='1' AND",
        "score='1' and score='2'",
        "score='1'AND score='2'",
        "AND score='1'",
        "score='1' XOR score='2'",
        "(score='1')",
    ],
)
def test_broken_filters_are_400(seeded: Api, expression: str) -> None:
    assert_imsx(seeded.get(f"{G}/results", params={"filter": expression}), 400, "invaliddata")


def test_fields_selects_top_level_fields(seeded: Api) -> None:
    body = _list(seeded, fields="sourcedId,score", limit=2)
    assert body["results"] == [{"sourcedId": "r0", "score": 50}, {"sourcedId": "r1", "score": 90.5}]
    one = seeded.get(f"{G}/results/r2", params={"fields": "comment"}).json()
    assert one == {"result": {"comment": "needs WORK"}}


def test_search_is_case_insensitive_over_strings(seeded: Api) -> None:
    assert _ids(seeded, search="work") == ["r0", "r2"]
    assert _ids(seeded, search="STUDENT") == []  # references are not strings at the top level
    assert _ids(seeded, search="r3") == ["r3"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "99999"},
        {"limit": "ten"},
        {"limit": "1.5"},
        {"limit": ""},
        {"offset": "-1"},
        {"offset": "x"},
        {"offset": "1" * 4001},
        {"orderBy": "up"},
        {"sort": "nope"},
        {"sort": "score,comment"},
        {"fields": "sourcedId,nope"},
        {"fields": ""},
        {"fields": "score,"},
        {"limit": "10", "filter": "x"},
    ],
)
def test_bad_collection_parameters_are_400(seeded: Api, params: dict[str, str]) -> None:
    assert_imsx(seeded.get(f"{G}/results", params=params), 400, "invaliddata")


def test_a_repeated_parameter_is_400(seeded: Api) -> None:
    assert_imsx(seeded.get(f"{G}/results?limit=1&limit=2"), 400, "invaliddata")


def test_parse_filter_structure() -> None:
    parsed = query.parse_filter("a='1' AND b~'x' OR c@'1,2'", frozenset({"a", "b", "c"}))
    assert parsed == ((query.Clause("a", "=", "1"), query.Clause("b", "~", "x")), (query.Clause("c", "@", "1,2"),))
    with pytest.raises(ApiError):
        query.parse_filter("a.b='1'", KNOWN)

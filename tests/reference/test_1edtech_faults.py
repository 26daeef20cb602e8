"""Every fault of the 1edtech profile does what its description says there: one scenario per fault,
which must observe the deviation on a 1edtech server with that fault on and must not on a correct
one. Benign variations keep the official contract; faults of the other profile are refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import profiles, reference
from conformance.reference.faults import ALL, REGISTRY, Faults, UnknownFault, listing, parse, registry

from ._official import OFFICIAL, assert_valid, line_item, result
from ._support import TLS, Api, G, ThreadServer, uid

pytestmark = pytest.mark.network
Scenario = Callable[[Api], bool]
FAULTS = registry(OFFICIAL)
LEARNING_OBJECTIVES = [{"source": "case", "learningObjectiveResults": [{"learningObjectiveId": "lo", "score": 1}]}]


def _put(api: Api, **extra: Any) -> tuple[str, httpx.Response]:
    sourced_id = uid("f")
    return sourced_id, api.put(f"{G}/results/{sourced_id}", {"result": result(sourced_id, **extra)})


def _stored(api: Api, **extra: Any) -> dict[str, Any]:
    sourced_id, _ = _put(api, **extra)
    body: dict[str, Any] = api.get(f"{G}/results/{sourced_id}").json()["result"]
    return body


def _twice(api: Api) -> tuple[str, httpx.Response, httpx.Response]:
    sourced_id = uid("f")
    first = api.put(f"{G}/results/{sourced_id}", {"result": result(sourced_id, comment="first")})
    second = api.put(f"{G}/results/{sourced_id}", {"result": result(sourced_id, comment="second")})
    return sourced_id, first, second


def _went_backwards(api: Api) -> bool:
    sourced_id = uid("f")
    url = f"{G}/results/{sourced_id}"
    api.put(url, {"result": result(sourced_id, comment="first")})
    first = api.get(url).json()["result"]["dateLastModified"]
    api.put(url, {"result": result(sourced_id, comment="second")})
    return bool(api.get(url).json()["result"]["dateLastModified"] < first)


def _listed(api: Api, count: int = 3, **params: Any) -> tuple[list[str], httpx.Response]:
    """``count`` new results, then a list of them (``params`` may replace the filter that selects them)."""
    prefix = uid("list")
    ids = [f"{prefix}-{i}" for i in range(count)]
    for sourced_id in ids:
        api.put(f"{G}/results/{sourced_id}", {"result": result(sourced_id)})
    return ids, api.get(f"{G}/results", params={"filter": f"sourcedId~'{prefix}'", **params})


def _page_ids(api: Api, count: int = 3, **params: Any) -> tuple[list[str], list[str]]:
    created, response = _listed(api, count, **params)
    return created, [r["sourcedId"] for r in response.json()["results"]]


def _first_page_of(api: Api, **params: Any) -> bool:
    created, got = _page_ids(api, **params)
    return got == created[:1]


def _unreversed(api: Api) -> bool:
    created, got = _page_ids(api, sort="sourcedId", orderBy="desc")
    return got == created


def _post(api: Api, *records: dict[str, Any], line_item_id: str | None = None) -> httpx.Response:
    if line_item_id is None:
        line_item_id = uid("li")
        api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item(line_item_id)})
    return api.post(f"{G}/lineItems/{line_item_id}/results", {"results": list(records or [result(uid())])})


def _pairs(api: Api, *records: dict[str, Any]) -> Any:
    return _post(api, *records).json()["sourcedIdPairs"]


def _allocated_elsewhere(api: Api) -> bool:
    pair = _pairs(api)[0]
    return bool(pair["allocatedSourcedId"] != pair["suppliedSourcedId"])


def _stored_despite_404(api: Api) -> bool:
    sourced_id = uid()
    answer = _post(api, result(sourced_id), line_item_id=uid())
    return answer.status_code == 404 and api.get(f"{G}/results/{sourced_id}").status_code == 200


def _deleted(api: Api) -> str:
    sourced_id, _ = _put(api)
    api.delete(f"{G}/results/{sourced_id}")
    return sourced_id


def _missing(api: Api) -> httpx.Response:
    return api.get(f"{G}/results/{uid('never')}")


def _anonymous(api: Api, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(f"{api.base_url}{G}/results", headers=headers or {}, timeout=5, verify=TLS)


def _code_minor(response: httpx.Response) -> str:
    return str(response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"])


def _lists(api: Api) -> httpx.Response:
    return api.get(f"{G}/categories")


SCENARIOS: dict[str, Scenario] = {
    # payload
    "drop-score-date": lambda api: "scoreDate" not in _stored(api),
    "score-as-string": lambda api: _stored(api, score=85)["score"] == "85",
    "score-status-title-case": lambda api: _stored(api)["scoreStatus"] == "Fully Graded",
    "date-without-timezone": lambda api: bool(
        re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", _stored(api)["dateLastModified"])
    ),
    "missing-envelope": lambda api: "result" not in api.get(f"{G}/results/{_put(api)[0]}").json(),
    "references-without-href": lambda api: _stored(api)["student"] == {"sourcedId": "fx-student-1"},
    "score-date-as-date-time": lambda api: _stored(api)["scoreDate"] == "2024-03-01T00:00:00Z",
    "flags-as-booleans": lambda api: _stored(api, late="true", missing="false")["late"] is True,
    # status
    "put-returns-204": lambda api: _put(api)[1].status_code == 204,
    "put-returns-200-with-body": lambda api: _put(api)[1].status_code == 200 and "result" in _put(api)[1].json(),
    "post-returns-200": lambda api: _post(api).status_code == 200,
    "delete-returns-200": lambda api: api.delete(f"{G}/results/{_put(api)[0]}").status_code == 200,
    "missing-returns-200": lambda api: _missing(api).status_code == 200 and _missing(api).json() == {},
    # validation
    "accept-invalid-body": lambda api: api.put(f"{G}/results/{uid()}", {"result": {"score": "x"}}).status_code == 201,
    "server-error-on-bad-enum": lambda api: _put(api, scoreStatus="graded")[1].status_code == 500,
    # errors
    "plain-text-errors": lambda api: _missing(api).headers["content-type"].startswith("text/plain"),
    "wrong-code-minor": lambda api: _code_minor(_missing(api)) == "invaliddata",
    # auth
    "ignore-auth": lambda api: _anonymous(api).status_code == 200,
    "accept-any-token": lambda api: _anonymous(api, {"Authorization": "Bearer made-up"}).status_code == 200,
    "auth-403": lambda api: _anonymous(api).status_code == 403,
    # persistence
    "put-update-not-persisted": lambda api: (
        api.get(f"{G}/results/{_twice(api)[0]}").json()["result"]["comment"] == "first"
    ),
    "drop-learning-objectives": lambda api: (
        "learningObjectiveSet" not in _stored(api, learningObjectiveSet=LEARNING_OBJECTIVES)
    ),
    "round-scores": lambda api: _stored(api, score=87.6)["score"] == 88,
    "date-last-modified-backwards": _went_backwards,
    "put-duplicates": lambda api: (
        len(api.get(f"{G}/results", params={"filter": f"sourcedId='{_twice(api)[0]}'"}).json()["results"]) == 2
    ),
    # sourcedIdPairs
    "allocated-id-unresolvable": lambda api: (
        api.get(f"{G}/results/{_pairs(api)[0]['allocatedSourcedId']}").status_code == 404
    ),
    "supplied-id-not-echoed": lambda api: _pairs(api)[0]["suppliedSourcedId"] == "",
    "pairs-as-object": lambda api: isinstance(_pairs(api), dict),
    "pairs-first-only": lambda api: len(_pairs(api, result(uid()), result(uid()))) == 1,
    # POST /lineItems/{id}/results
    "results-post-unknown-lineitem-201": lambda api: _post(api, line_item_id=uid()).status_code == 201,
    "results-post-unknown-lineitem-stores": _stored_despite_404,
    # DELETE
    "delete-unknown-204": lambda api: api.delete(f"{G}/results/{uid()}").status_code == 204,
    "delete-noop": lambda api: api.get(f"{G}/results/{_deleted(api)}").json()["result"]["status"] == "active",
    # collections
    "collection-missing-total": lambda api: "x-total-count" not in _lists(api).headers,
    "offset-ignored": lambda api: _first_page_of(api, limit=1, offset=1),
    "limit-off-by-one": lambda api: len(_page_ids(api, limit=1)[1]) == 2,
    "total-count-page": lambda api: _listed(api, limit=1)[1].headers["x-total-count"] == "1",
    "filter-ignored": lambda api: bool(_page_ids(api, 1, filter="sourcedId='no-such-id'")[1]),
    "orderby-ignored": _unreversed,
    "fields-ignored": lambda api: set(_listed(api, fields="sourcedId")[1].json()["results"][0]) != {"sourcedId"},
    # transport
    "json-as-text-html": lambda api: _lists(api).headers["content-type"].startswith("text/html"),
    # benign
    "benign-extra-metadata": lambda api: _stored(api, metadata={"k": 1})["metadata"] != {"k": 1},
    "benign-key-order": lambda api: "\n" in _lists(api).text,
    "benign-gzip": lambda api: (
        api.get(f"{G}/categories", headers={"Accept-Encoding": "gzip"}).headers.get("content-encoding") == "gzip"
    ),
    "benign-extra-headers": lambda api: "x-request-id" in _lists(api).headers,
    "benign-fractional-seconds": lambda api: bool(re.search(r"\.\d{6}Z$", _stored(api)["dateLastModified"])),
    "benign-charset": lambda api: _lists(api).headers["content-type"] == "application/json; charset=utf-8",
    "benign-hard-delete": lambda api: api.get(f"{G}/results/{_deleted(api)}").status_code == 404,
    "benign-deleted-in-lists": lambda api: bool(
        api.get(f"{G}/results", params={"filter": f"sourcedId='{_deleted(api)}'"}).json()["results"]
    ),
    "benign-link-header": lambda api: 'rel="next"' in _listed(api, limit=1)[1].headers.get("link", ""),
    "benign-server-allocated-ids": _allocated_elsewhere,
    "benign-error-details": lambda api: (
        "imsx_error_details" in api.put(f"{G}/results/{uid()}", {"result": {"score": "x"}}).json()
    ),
    "benign-minimal-errors": lambda api: set(_missing(api).json()) == {"imsx_codeMajor", "imsx_severity"},
}


def test_every_fault_of_the_profile_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == sorted(FAULTS)


@pytest.mark.parametrize("name", list(FAULTS))
def test_the_fault_shows_and_a_correct_server_does_not(
    serve: Callable[..., tuple[ThreadServer, Api]], name: str
) -> None:
    assert SCENARIOS[name](serve([name], profile=OFFICIAL)[1]) is True, f"{name}: the deviation was not observed"
    assert SCENARIOS[name](serve(profile=OFFICIAL)[1]) is False, f"{name}: a correct server shows the deviation"


@pytest.mark.parametrize("name", [name for name, fault in FAULTS.items() if not fault.harmful])
def test_benign_faults_keep_the_official_contract(serve: Callable[..., tuple[ThreadServer, Api]], name: str) -> None:
    """What a tolerant client of the binding checks still holds: statuses, schemas, pairs, counts."""
    api = serve([name], profile=OFFICIAL)[1]
    line_item_id = uid("li")
    put = api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item(line_item_id)})
    again = api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item(line_item_id, title="t2")})
    assert (put.status_code, put.content, again.status_code, again.content) == (201, b"", 201, b"")
    got = api.get(f"{G}/lineItems/{line_item_id}").json()
    assert_valid("lineItem.single", got)
    assert got["lineItem"]["title"] == "t2"
    posted = _post(api, result(uid("r")), result(uid("r")), line_item_id=line_item_id)
    assert posted.status_code == 201
    assert_valid("sourcedIdPairs", posted.json())
    pairs = posted.json()["sourcedIdPairs"]
    assert len(pairs) == 2 and all(api.get(f"{G}/results/{p['allocatedSourcedId']}").status_code == 200 for p in pairs)
    listed = api.get(f"{G}/classes/fx-class-1/lineItems/{line_item_id}/results")
    assert_valid("result.collection", listed.json())
    assert listed.headers["x-total-count"] == "2" == str(len(listed.json()["results"]))
    assert api.delete(f"{G}/lineItems/{line_item_id}").status_code == 204
    after = api.get(f"{G}/lineItems/{line_item_id}")
    assert after.status_code == 404 or (
        after.status_code == 200 and after.json()["lineItem"]["status"] == "tobedeleted"
    )
    missing = api.get(f"{G}/lineItems/{uid()}")
    assert missing.status_code == 404
    assert_valid("imsxStatusInfo", missing.json())


def test_faults_of_the_other_profile_are_refused() -> None:
    timeback_only = sorted(set(REGISTRY) - set(FAULTS))
    assert {"premature-finalization", "metadata-replaced-on-patch", "wrong-404-message"} <= set(timeback_only)
    for name in timeback_only:
        with pytest.raises(UnknownFault, match=f"fault '{name}' does not apply to the 1edtech profile"):
            parse(name, OFFICIAL)
    for name in sorted(set(FAULTS) - set(REGISTRY)):
        with pytest.raises(UnknownFault, match="does not apply to the timeback profile"):
            Faults([name], profiles.TIMEBACK)
    assert Faults().on("pairs-as-object") is False  # a fault of another profile is simply never on


def test_every_fault_names_its_profiles() -> None:
    assert all(fault.profiles and set(fault.profiles) <= set(profiles.NAMES) for fault in ALL.values())
    assert sum(not f.harmful for f in FAULTS.values()) >= 8
    lines = listing(OFFICIAL).splitlines()
    assert [line.split()[0] for line in lines] == list(FAULTS)
    assert all(line.split()[3] in ("timeback,1edtech", "1edtech") for line in lines)
    assert "X-Total-Count is the size of the page" in listing(OFFICIAL)


def test_the_readme_documents_the_official_only_faults() -> None:
    readme = (Path(reference.__file__).parent / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (?:harmful|benign) \| [^|]+ \| (.+) \|$", readme, re.MULTILINE))
    assert rows == {name: f.description for name, f in FAULTS.items() if f.profiles == (OFFICIAL,)}
    for name, fault in FAULTS.items():
        if fault.official is not None:
            assert f"`{name}`: {fault.official}" in readme, name
    for name in sorted(set(REGISTRY) - set(FAULTS)):
        assert f"`{name}`" in readme.split("## Faults in the 1edtech profile", 1)[1], name

"""Faults of the 1edtech profile do what their descriptions say there: a scenario per fault that has
one, which must observe the deviation on a 1edtech server with that fault on and must not on a
correct one (a fault without a scenario is left to the kill matrix). Benign variations keep the
official contract; faults of the other profile are refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conformance import profiles
from conformance.reference.faults import ALL, REGISTRY, Faults, UnknownFault, listing, parse, registry

from ._official import OFFICIAL, assert_valid, line_item, result
from ._scenarios import Probe, Scenario, Serve, assert_the_fault_shows, missing, shared_scenarios, undeclared
from ._support import Api, G, uid

pytestmark = pytest.mark.network
FAULTS = registry(OFFICIAL)
PROBE = Probe(OFFICIAL)


def _went_backwards(api: Api) -> bool:
    sourced_id = uid("f")
    url = f"{G}/results/{sourced_id}"
    api.put(url, {"result": result(sourced_id, comment="first")})
    first = api.get(url).json()["result"]["dateLastModified"]
    api.put(url, {"result": result(sourced_id, comment="second")})
    return bool(api.get(url).json()["result"]["dateLastModified"] < first)


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


def _lists(api: Api) -> httpx.Response:
    return api.get(f"{G}/categories")


def _bare_result_refused(api: Api) -> bool:
    """Whether a result PUT without status, dateLastModified or its references' href and type is refused."""
    sourced_id = uid("f")
    sent = {key: value for key, value in result(sourced_id).items() if key not in ("status", "dateLastModified")}
    sent.update(lineItem={"sourcedId": "li-any"}, student={"sourcedId": "fx-student-1"})
    return api.put(f"{G}/results/{sourced_id}", {"result": sent}).status_code == 422


SCENARIOS: dict[str, Scenario] = {
    **shared_scenarios(PROBE),
    # payload
    "drop-score-date": lambda api: "scoreDate" not in PROBE.stored(api),
    "references-without-href": lambda api: PROBE.stored(api)["student"] == {"sourcedId": "fx-student-1"},
    "score-date-as-date-time": lambda api: PROBE.stored(api)["scoreDate"] == "2024-03-01T00:00:00Z",
    "flags-as-booleans": lambda api: PROBE.stored(api, late="true", missing="false")["late"] is True,
    # status
    "put-returns-200-with-body": lambda api: (
        PROBE.put(api)[1].status_code == 200 and "result" in PROBE.put(api)[1].json()
    ),
    "post-returns-200": lambda api: _post(api).status_code == 200,
    # persistence
    "put-update-not-persisted": lambda api: (
        api.get(f"{G}/results/{PROBE.twice(api)[0]}").json()["result"]["comment"] == "first"
    ),
    "date-last-modified-backwards": _went_backwards,
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
    # collections
    "collection-missing-total": lambda api: "x-total-count" not in _lists(api).headers,
    "total-count-page": lambda api: PROBE.listed(api, limit=1)[1].headers["x-total-count"] == "1",
    # transport
    "json-as-text-html": lambda api: _lists(api).headers["content-type"].startswith("text/html"),
    # benign
    "benign-key-order": lambda api: "\n" in _lists(api).text,
    "benign-gzip": lambda api: (
        api.get(f"{G}/categories", headers={"Accept-Encoding": "gzip"}).headers.get("content-encoding") == "gzip"
    ),
    "benign-extra-headers": lambda api: "x-request-id" in _lists(api).headers,
    "benign-charset": lambda api: _lists(api).headers["content-type"] == "application/json; charset=utf-8",
    "benign-link-header": lambda api: 'rel="next"' in PROBE.listed(api, limit=1)[1].headers.get("link", ""),
    "benign-server-allocated-ids": _allocated_elsewhere,
    "benign-server-members-required": _bare_result_refused,
    "benign-score-date-time-refused": lambda api: (
        PROBE.put(api, scoreDate="2024-03-01T10:00:00.000Z")[1].status_code == 422
    ),
    "limit-capped-at-3000": lambda api: api.get(f"{G}/results", params={"limit": 10_000}).status_code == 400,
    "benign-error-details": lambda api: (
        "imsx_error_details" in api.put(f"{G}/results/{uid()}", {"result": {"score": "x"}}).json()
    ),
    "benign-minimal-errors": lambda api: set(missing(api).json()) == {"imsx_codeMajor", "imsx_severity"},
}


def test_scenarios_name_only_faults_of_the_profile() -> None:
    assert undeclared(SCENARIOS, OFFICIAL) == []


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_fault_shows_and_a_correct_server_does_not(serve: Serve, name: str) -> None:
    assert_the_fault_shows(serve, SCENARIOS[name], name, OFFICIAL)


@pytest.mark.parametrize("name", [name for name, fault in FAULTS.items() if not fault.harmful])
def test_benign_faults_keep_the_official_contract(serve: Serve, name: str) -> None:
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

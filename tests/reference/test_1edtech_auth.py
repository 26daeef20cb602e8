"""OAuth2 in the 1edtech profile: a token request without a scope gets every v1p2 gradebook and
assessment scope (so a client that asks for none can call everything); a narrower request gets
exactly what it asked for and is held to it, operation by operation, with an imsx 403."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conformance.contract.operations import operations
from conformance.reference import permissions
from conformance.reference.permissions import ASSESSMENT_READ, GRADEBOOK_CORE_READ, GRADEBOOK_READ, OFFICIAL

from ._official import OFFICIAL as PROFILE
from ._official import assert_error, record
from ._support import CLIENT_ID, CLIENT_SECRET, TIMEOUT, Api, G, ThreadServer, uid

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    with ThreadServer(profile=PROFILE) as started:
        yield started


def _token(server: ThreadServer, **form: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
    return httpx.post(f"{server.base_url}/oauth2/token", data=data, timeout=TIMEOUT)


def test_a_token_without_scope_gets_every_official_scope(server: ThreadServer) -> None:
    body = _token(server).json()
    assert body["scope"].split() == list(OFFICIAL)
    assert len(OFFICIAL) == 8 and all(s.startswith("https://purl.imsglobal.org/spec/or/v1p2/scope/") for s in OFFICIAL)


def test_a_token_gets_exactly_the_scopes_it_asks_for(server: ThreadServer) -> None:
    asked = f"{ASSESSMENT_READ} {GRADEBOOK_READ}"
    assert _token(server, scope=asked).json()["scope"] == f"{GRADEBOOK_READ} {ASSESSMENT_READ}"


def test_an_unknown_scope_is_refused(server: ThreadServer) -> None:
    response = _token(server, scope=f"{GRADEBOOK_READ} https://example.org/scope/everything")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_read_only_token_reads_and_cannot_write(server: ThreadServer) -> None:
    reader = Api(server.base_url, scope=GRADEBOOK_CORE_READ)
    try:
        assert reader.get(f"{G}/categories").status_code == 200
        assert reader.get(f"{G}/categories/fx-category-1").status_code == 200
        # gradebook-core.readonly covers whole collections and single records, not the scoped reads
        assert_error(reader.get(f"{G}/classes/fx-class-1/lineItems"), 403, "forbidden")
        assert_error(reader.get(f"{G}/assessmentResults"), 403, "forbidden")
        sourced_id = uid("c")
        denied = reader.put(f"{G}/categories/{sourced_id}", {"category": record("category", sourced_id)})
        assert_error(denied, 403, "forbidden")
        assert_error(reader.delete(f"{G}/categories/fx-category-1"), 403, "forbidden")
    finally:
        reader.close()


def test_authentication_comes_before_scope(server: ThreadServer) -> None:
    response = httpx.get(f"{server.base_url}{G}/categories", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert_error(response, 401, "unauthorisedrequest")


def test_every_operation_accepts_the_scope_the_binding_gives_it() -> None:
    """The binding's security table, spot-checked: reads, PUT, bulk POST and DELETE, both families."""
    by_id = {op.id: permissions.accepted(op) for op in operations(PROFILE)}
    v = permissions.V1P2
    assert by_id["getAllResults"] == {v + "gradebook.readonly", v + "gradebook-core.readonly"}
    assert by_id["getResultsForClass"] == {v + "gradebook.readonly"}
    assert by_id["getAssessmentResult"] == {v + "assessment.readonly"}
    assert by_id["putAssessmentLineItem"] == {v + "assessment.createput"}
    assert by_id["putResult"] == {v + "gradebook.createput"}
    assert by_id["createResultForLineItem"] == {v + "gradebook.createpost"}
    assert by_id["deleteScoreScale"] == {v + "gradebook.delete"}
    assert by_id["deleteAssessmentResult"] == {v + "assessment.delete"}
    assert all(scopes <= set(OFFICIAL) for scopes in by_id.values())


def test_timeback_tokens_carry_no_scope_and_ignore_one() -> None:
    with ThreadServer() as timeback:
        for form in ({}, {"scope": "https://example.org/scope/anything"}):
            response = _token(timeback, **form)
            assert response.status_code == 200 and "scope" not in response.json()

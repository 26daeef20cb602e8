"""OAuth2 in the 1edtech profile: a token request without a scope gets every v1p2 gradebook and
assessment scope (so a client that asks for none can call everything); a narrower request gets
what it asked for that the server knows (an unknown scope is dropped, and the answer says what was
granted) and is held to it, operation by operation, with an imsx 403. The token control interface
ends a token's life on demand; the faults on this path each break one of these."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from conformance.contract import scopes as permissions
from conformance.contract.operations import operations
from conformance.contract.roster import READ_SCOPES
from conformance.contract.scopes import ASSESSMENT_READ, GRADEBOOK_CORE_READ, GRADEBOOK_READ, OFFICIAL
from tests.contract._support import published_spec

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
    # The gradebook's eight, and the rostering read scopes the server's rostering routes ask for.
    assert body["scope"].split() == [*OFFICIAL, *READ_SCOPES]
    assert len(OFFICIAL) == 8 and all(s.startswith("https://purl.imsglobal.org/spec/or/v1p2/scope/") for s in OFFICIAL)


def test_a_token_gets_exactly_the_scopes_it_asks_for(server: ThreadServer) -> None:
    asked = f"{ASSESSMENT_READ} {GRADEBOOK_READ}"
    assert _token(server, scope=asked).json()["scope"] == f"{GRADEBOOK_READ} {ASSESSMENT_READ}"


UNKNOWN = "https://example.org/scope/everything"


def test_an_unknown_scope_is_dropped_and_the_answer_says_what_was_granted(server: ThreadServer) -> None:
    response = _token(server, scope=f"{GRADEBOOK_READ} {UNKNOWN}")
    assert response.status_code == 200
    assert response.json()["scope"] == GRADEBOOK_READ


def test_a_request_of_unknown_scopes_only_is_refused(server: ThreadServer) -> None:
    response = _token(server, scope=UNKNOWN)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_the_variant_that_refuses_an_unknown_scope() -> None:
    with ThreadServer(profile=PROFILE, faults=["benign-unknown-scope-refused"]) as variant:
        response = _token(variant, scope=f"{GRADEBOOK_READ} {UNKNOWN}")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"
        assert _token(variant, scope=GRADEBOOK_READ).json()["scope"] == GRADEBOOK_READ


def test_granted_scope_unsaid_leaves_the_scope_out() -> None:
    with ThreadServer(profile=PROFILE, faults=["granted-scope-unsaid"]) as faulty:
        response = _token(faulty, scope=f"{GRADEBOOK_READ} {UNKNOWN}")
        assert response.status_code == 200 and "scope" not in response.json()


def _basic(server: ThreadServer) -> httpx.Response:
    pair = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    return httpx.post(
        f"{server.base_url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {pair}"},
        timeout=TIMEOUT,
    )


def test_client_credentials_by_http_basic(server: ThreadServer) -> None:
    assert _basic(server).status_code == 200
    with ThreadServer(profile=PROFILE, faults=["basic-auth-refused"]) as faulty:
        refused = _basic(faulty)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        assert _token(faulty).status_code == 200  # the form body still works


def _get(server: ThreadServer, token: str, path: str = f"{G}/categories") -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def test_the_token_control_interface_expires_the_token_it_is_sent_with(server: ThreadServer) -> None:
    discovery = httpx.get(f"{server.base_url}/.well-known/oneroster-conformance", timeout=TIMEOUT).json()
    assert "toolControl" not in discovery  # no tool doubles in this profile
    first, second = _token(server).json()["access_token"], _token(server).json()["access_token"]
    expired = httpx.post(
        f"{server.base_url}{discovery['tokenControl']}/expire",
        headers={"Authorization": f"Bearer {first}"},
        timeout=TIMEOUT,
    )
    assert expired.status_code == 200
    assert_error(_get(server, first), 401, "unauthorisedrequest")
    assert _get(server, second).status_code == 200  # only that token


def test_expired_token_accepted_serves_an_expired_token() -> None:
    with ThreadServer(profile=PROFILE, faults=["expired-token-accepted"], token_lifetime=1) as faulty:
        token = _token(faulty).json()["access_token"]
        time.sleep(1.2)
        assert _get(faulty, token).status_code == 200
    with ThreadServer(profile=PROFILE, token_lifetime=1) as plain:
        token = _token(plain).json()["access_token"]
        time.sleep(1.2)
        assert_error(_get(plain, token), 401, "unauthorisedrequest")


@pytest.mark.parametrize(
    ("fault", "method", "path", "scope"),
    [
        ("scope-ignored-delete", "DELETE", f"{G}/categories/fx-category-1", GRADEBOOK_CORE_READ),
        ("scope-ignored-put", "PUT", f"{G}/categories/{{new}}", GRADEBOOK_CORE_READ),
        (
            "scope-ignored-scoped-read",
            "GET",
            f"{G}/classes/fx-class-1/students/fx-student-1/results",
            GRADEBOOK_CORE_READ,
        ),
    ],
)
def test_each_scope_fault_serves_one_operation_without_its_scope(
    fault: str, method: str, path: str, scope: str
) -> None:
    for faults, served in (([fault], True), ([], False)):
        with ThreadServer(profile=PROFILE, faults=faults) as started:
            token = _token(started, scope=scope).json()["access_token"]
            sourced_id = uid("c")
            body = {"category": record("category", sourced_id)} if method == "PUT" else None
            response = httpx.request(
                method,
                f"{started.base_url}{path.format(new=sourced_id)}",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=TIMEOUT,
            )
            assert (response.status_code == 403) is not served, (faults, response.status_code, response.text)


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


def test_the_scope_table_is_the_published_bindings() -> None:
    """Every operation's scopes, as the published official OpenAPI document lists them, matched by
    method and path (skipped when the document is not at hand: it may not be redistributed)."""
    import yaml

    text = published_spec("1edtech-oneroster-1p2-gradebook-openapi.yaml").read_text(encoding="utf-8")
    published: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in yaml.safe_load(text)["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                listed = {s for entry in operation.get("security", []) for names in entry.values() for s in names}
                published[(method.upper(), _shape(path))] = frozenset(listed)
    ours = {(op.method, _shape(op.path.removeprefix(G))): permissions.accepted(op) for op in operations(PROFILE)}
    assert ours == published


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)

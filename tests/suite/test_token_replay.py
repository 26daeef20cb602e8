"""A failure's steps that use a token other than the run's: the token request says how the client
authenticated and keeps no secret, a request carrying that token names the step that asked for it,
the token in an answer reads ``<access-token>``, and a replay asks for its own token with its own
credentials before sending the steps that carry it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance import redaction
from conformance.client import Exchange, Origin, SuiteClient, replay_data
from conformance.guard import Guard
from conformance.reference import embedded
from conformance.runner.replay import ReplayError, checked, replay
from conformance.target import make_target

BASE = "http://127.0.0.1:8123"
TOKEN_URL = f"{BASE}/oauth2/token"
CATEGORY = f"{BASE}/ims/oneroster/gradebook/v1p2/categories/oc12ab-category-1"
SECRET = "client-secret-never-written"
GRANTED = "granted-token-never-written-0001"


def _grant(scope: str = "gradebook.readonly", basic: bool = False) -> Exchange:
    form = f"grant_type=client_credentials&scope={scope}" + ("" if basic else f"&client_id=me&client_secret={SECRET}")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic:
        headers["Authorization"] = "Basic bWU6c2VjcmV0"
    answer = {"access_token": GRANTED, "expires_in": 3600, "token_type": "Bearer", "scope": scope}
    exchange = Exchange("POST", TOKEN_URL, headers, form.encode(), status=200, body=json.dumps(answer).encode())
    exchange.headers = httpx.Headers({"content-type": "application/json"})
    exchange.grant = "basic" if basic else "form"
    return exchange


def _read(grant: Exchange, status: int = 200) -> Exchange:
    exchange = Exchange("GET", CATEGORY, {"Authorization": "Bearer ***"}, None, status=status, body=b"{}")
    exchange.headers = httpx.Headers({"content-type": "application/json"})
    exchange.token_of = grant
    return exchange


@pytest.fixture(autouse=True)
def _secrets() -> None:
    redaction.register(SECRET)
    redaction.register(GRANTED)


@pytest.mark.parametrize("basic", [False, True], ids=["form", "basic"])
def test_the_steps_name_the_token_request_and_keep_no_secret(basic: bool) -> None:
    grant = _grant(basic=basic)
    data = replay_data("GEN-AUTH-SCOPE-ENFORCED", [grant, _read(grant)], Origin(BASE, "oc12ab-"))
    first, second = data["steps"]
    assert first["grant"] == ("basic" if basic else "form") and first["auth"] == "none"
    assert second["auth"] == {"token_of": 1}
    written = json.dumps(data)
    assert SECRET not in written and GRANTED not in written and "bWU6c2VjcmV0" not in written


def test_a_token_in_the_decisive_answer_reads_as_a_placeholder() -> None:
    data = replay_data("GEN-AUTH-SCOPE-UNKNOWN", [_grant()], Origin(BASE, "oc12ab-"))
    assert data["steps"][-1]["answer"]["json"]["access_token"] == "<access-token>"
    assert GRANTED not in json.dumps(data)


WRONG = [{"token_of": 2}, {"token_of": 0}, {"token_of": True}, {}]


@pytest.mark.parametrize(("auth", "accepted"), [({"token_of": 1}, True)] + [(auth, False) for auth in WRONG])
def test_a_step_may_only_carry_the_token_of_an_earlier_step(auth: Any, accepted: bool) -> None:
    grant = _grant()
    data = replay_data("GEN-AUTH-SCOPE-ENFORCED", [grant, _read(grant)], Origin(BASE, "oc12ab-"))
    data["steps"][1]["auth"] = auth
    if accepted:
        checked(data, "GEN-AUTH-SCOPE-ENFORCED", "summary.json")
    else:
        with pytest.raises(ReplayError):
            checked(data, "GEN-AUTH-SCOPE-ENFORCED", "summary.json")


def test_a_replay_asks_for_its_own_token_and_sends_it_where_the_steps_say() -> None:
    """Against a fresh 1edtech reference server: the replay's own token request succeeds (step 1), and
    the PUT carrying its token is refused with only the core read scope and served with the write
    scope (step 2) — had it carried the replay's full token, both would have been served."""
    core = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook-core.readonly"
    write = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput"
    record = {"sourcedId": "oc12ab-category-1", "status": "active", "title": "t"}
    body = {"category": record | {"dateLastModified": "2024-09-02T08:00:00Z"}}
    with embedded.start(profile="1edtech") as server:
        target = make_target(
            base_url=server.base_url,
            token_url=server.token_url,
            client_id=server.client_id,
            client_secret=server.client_secret,
            profile="1edtech",
        )
        client = SuiteClient(target, guard=Guard())
        try:
            for scope, status in ((core, 403), (write, 201)):
                grant = _grant(scope)
                headers = {"Authorization": "Bearer ***", "Content-Type": "application/json"}
                put = Exchange("PUT", CATEGORY, headers, json.dumps(body).encode(), status=status)
                put.token_of = grant
                outcome = replay(client, replay_data("GEN-AUTH-SCOPE-ENFORCED", [grant, put], Origin(BASE, "oc12ab-")))
                assert outcome.replayed, outcome.reason
                assert "step 1 answered" not in outcome.reason and "step 2 answered" not in outcome.reason, (
                    outcome.reason
                )
        finally:
            client.close()

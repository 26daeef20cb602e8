"""OAuth2 client credentials at /oauth2/token and the bearer token every API route requires."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.contract.operations import OPERATIONS, Operation
from conformance.reference import control

from ._support import CLIENT_ID, CLIENT_SECRET, TLS, Api, G, ThreadServer, assert_imsx, token

pytestmark = pytest.mark.network
FORM = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


@pytest.fixture(scope="module")
def anonymous(live: ThreadServer) -> Iterator[httpx.Client]:
    """A client without credentials (one connection for the whole matrix)."""
    with httpx.Client(base_url=live.base_url, timeout=5, verify=TLS) as client:
        yield client


def _token_url(live: ThreadServer) -> str:
    return f"{live.base_url}/oauth2/token"


def test_form_credentials_get_a_bearer_token(live: ThreadServer) -> None:
    response = httpx.post(_token_url(live), data=FORM, timeout=5, verify=TLS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and len(body["access_token"]) >= 32
    assert response.headers["cache-control"] == "no-store"
    ok = httpx.get(
        f"{live.base_url}{G}/results", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5
    )
    assert ok.status_code == 200


def test_basic_client_authentication(live: ThreadServer) -> None:
    response = httpx.post(
        _token_url(live), data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET), timeout=5
    )
    assert response.status_code == 200, response.text
    wrong = httpx.post(
        _token_url(live), data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "nope"), timeout=5, verify=TLS
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    garbage = httpx.post(
        _token_url(live), data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic !!!"}, timeout=5
    )
    assert garbage.status_code == 401 and garbage.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({**FORM, "client_secret": "wrong"}, 401, "invalid_client"),
        ({**FORM, "client_id": "someone-else"}, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, 401, "invalid_client"),
        ({**FORM, "grant_type": "password"}, 400, "unsupported_grant_type"),
        ({**FORM, "grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, 400, "invalid_request"),
    ],
)
def test_token_endpoint_errors(live: ThreadServer, form: dict[str, str], status: int, error: str) -> None:
    response = httpx.post(_token_url(live), data=form, timeout=5, verify=TLS)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert CLIENT_SECRET not in response.text


def test_token_endpoint_rejects_other_methods_and_bodies(live: ThreadServer) -> None:
    assert_imsx(httpx.get(_token_url(live), timeout=5, verify=TLS), 405, "invaliddata")
    not_utf8 = httpx.post(
        _token_url(live),
        content=b"grant_type=\xff",
        timeout=5,
        verify=TLS,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_utf8.status_code == 400 and not_utf8.json()["error"] == "invalid_request"
    too_big = httpx.post(
        _token_url(live),
        content=b"a=" + b"x" * 20000,
        timeout=5,
        verify=TLS,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert too_big.status_code == 400


def _path(op: Operation) -> str:
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", "x")
    return path


AUTH_CASES: dict[str, Callable[[str], dict[str, str]]] = {
    "missing": lambda _: {},
    "empty": lambda _: {"Authorization": ""},
    "basic scheme": lambda _: {"Authorization": "Basic dGVzdDp0ZXN0"},
    "no token": lambda _: {"Authorization": "Bearer"},
    "two tokens": lambda t: {"Authorization": f"Bearer {t} {t}"},
    "unknown token": lambda _: {"Authorization": "Bearer not-a-token-we-issued"},
    "token with a changed letter": lambda t: {"Authorization": f"Bearer {t[:-1]}{'A' if t[-1] != 'A' else 'B'}"},
}


@pytest.mark.parametrize("case", AUTH_CASES, ids=str)
@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_every_api_route_requires_a_valid_token(anonymous: httpx.Client, api: Api, op: Operation, case: str) -> None:
    headers = AUTH_CASES[case](api.token)
    response = anonymous.request(op.method, _path(op), headers=headers)
    body = assert_imsx(response, 401, "unauthorisedrequest")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.token not in response.text and api.token not in body["imsx_description"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/enrollments"), ("GET", "/edulastic/assignments/x"), ("POST", "/mastery-track/outage")],
)
def test_the_control_interface_requires_the_token_too(live: ThreadServer, method: str, path: str) -> None:
    response = httpx.request(
        method, live.base_url + control.PREFIX + path, json={"failing": True}, timeout=5, verify=TLS
    )
    assert_imsx(response, 401, "unauthorisedrequest")


def test_tokens_expire(serve: Callable[..., tuple[ThreadServer, Api]]) -> None:
    server, api = serve(token_lifetime=1)
    assert httpx.post(f"{server.base_url}/oauth2/token", data=FORM, timeout=5, verify=TLS).json()["expires_in"] == 1
    assert api.get(f"{G}/results").status_code == 200
    deadline = time.monotonic() + 5
    while api.get(f"{G}/results").status_code == 200:
        assert time.monotonic() < deadline, "token still accepted 5 s after a 1 s lifetime"
        time.sleep(0.1)
    expired = api.get(f"{G}/results")
    assert_imsx(expired, 401, "unauthorisedrequest")
    assert "invalid_token" in expired.headers["www-authenticate"]
    fresh = token(server.base_url)
    assert (
        httpx.get(
            f"{server.base_url}{G}/results", headers={"Authorization": f"Bearer {fresh}"}, timeout=5, verify=TLS
        ).status_code
        == 200
    )


def test_bearer_scheme_is_case_insensitive(live: ThreadServer, api: Api) -> None:
    response = httpx.get(
        f"{live.base_url}{G}/results", headers={"Authorization": f"bearer {api.token}"}, timeout=5, verify=TLS
    )
    assert response.status_code == 200

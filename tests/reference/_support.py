"""Helpers for the reference-server tests: a real-HTTP server in a thread, an authenticated client,
every operation of either profile's table driven with real ids, and assertions on imsx errors."""

from __future__ import annotations

import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
import uvicorn

from conformance import profiles
from conformance.contract import schemas
from conformance.contract.operations import ENTITY, GRADEBOOK, Entity, Operation
from conformance.fixtures import Fixtures
from conformance.reference.app import create_app

from ._records import record

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret-\u00e9-value"  # non-ASCII on purpose: secrets are compared as UTF-8 bytes
TIMEOUT = httpx.Timeout(10.0)
# Every test server is plain HTTP; building a fresh TLS context per client would cost ~50 ms each.
TLS = ssl.create_default_context()
G = GRADEBOOK


class ThreadServer:
    """uvicorn serving a fresh app on a free loopback port, in a daemon thread (real HTTP, fast start)."""

    def __init__(
        self,
        faults: Iterable[str] = (),
        db: str | None = None,
        token_lifetime: int = 3600,
        fixtures: Fixtures | None = None,
        profile: str = profiles.DEFAULT,
    ) -> None:
        self.app = create_app(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            faults=faults,
            db=db,
            token_lifetime=token_lifetime,
            fixtures=fixtures,
            profile=profile,
        )
        # proto IPPROTO_TCP, or asyncio will not set TCP_NODELAY on accepted sockets (40 ms delayed-ACK stalls).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(256)
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("in-thread server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Ask the server to stop without waiting (stop several, then ``close`` each)."""
        self.server.should_exit = True

    def close(self) -> None:
        self.stop()
        self.thread.join(10)

    def __enter__(self) -> ThreadServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def token(
    base_url: str,
    client_id: str = CLIENT_ID,
    client_secret: str = CLIENT_SECRET,
    token_url: str | None = None,
    scope: str | None = None,
) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    if scope is not None:
        form["scope"] = scope
    response = httpx.post(token_url or f"{base_url}/oauth2/token", timeout=TIMEOUT, data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


class Api:
    """An httpx client with a fresh bearer token. Requests return the raw httpx.Response."""

    def __init__(
        self,
        base_url: str,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        token_url: str | None = None,
        scope: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.token = token(base_url, client_id, client_secret, token_url, scope)
        self.http = httpx.Client(
            base_url=base_url, timeout=TIMEOUT, verify=TLS, headers={"Authorization": f"Bearer {self.token}"}
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.http.put(path, json=body, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, json=body, **kwargs) if body is not None else self.http.post(path, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.http.patch(path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.delete(path, **kwargs)

    def close(self) -> None:
        self.http.close()


def uid(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# Every operation of a profile's table, driven with real ids and valid bodies (the routes tests of both
# profiles). Roster kinds are not the reference server's to create: they name its fixtures.
FIXTURE_FOR = {
    "class": "fx-class-1",
    "school": "fx-school-1",
    "academicSession": "fx-term-1",
    "student": "fx-student-1",
}


def _put_record(api: Api, entity: Entity, sourced_id: str, profile: str) -> httpx.Response:
    body = {entity.singular: record(entity.singular, sourced_id, profile=profile)}
    return api.put(f"{G}/{entity.plural}/{sourced_id}", body)


def fill(api: Api, op: Operation, profile: str) -> str:
    """The op's path with real ids: fixtures for roster kinds, a fresh line item for line-item scopes,
    a fresh record for by-id operations."""
    path = op.path
    kinds = op.scope or (("self",) * len(op.path_params))
    for name, kind in zip(op.path_params, kinds, strict=True):
        if kind == "lineItem":
            value = uid("li")
            assert _put_record(api, ENTITY["lineItem"], value, profile).status_code == 201
        elif kind == "self":
            value = uid(op.entity or "x")
            if op.method != "PUT":
                assert _put_record(api, ENTITY[op.entity or ""], value, profile).status_code == 201
        else:
            value = FIXTURE_FOR[kind]
        path = path.replace("{" + name + "}", value)
    return path


def call(api: Api, op: Operation, path: str, profile: str) -> httpx.Response:
    """Send a gradebook ``op`` to ``path`` (from ``fill``) with a valid body in the profile's binding."""
    entity = ENTITY[op.entity or ""]
    if op.method in ("GET", "DELETE"):
        return api.request(op.method, path)
    if op.method == "PATCH":
        return api.patch(path, {entity.singular: {"metadata": {"patched": True}}})
    if op.method == "PUT":
        return api.put(path, {entity.singular: record(entity.singular, path.rsplit("/", 1)[1], profile=profile)})
    if op.request and op.request.endswith(".bulkRequest"):
        # Each with its own id: the official binding requires one; TimeBack keeps a supplied one.
        items = [record(entity.singular, uid("bulk"), profile=profile) for _ in range(2)]
        return api.post(path, {entity.plural: items})
    return api.post(path, {entity.singular: record(entity.singular, profile=profile)})  # the server allocates


def assert_imsx(
    response: httpx.Response, status: int, code_minor: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """The response is an imsx error with this status (and code minor / description when given)."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: dict[str, Any] = response.json()
    assert schemas.problems("imsxStatusInfo", body) == [], body
    minor = body["imsx_CodeMinor"]["imsx_codeMinorField"][0]
    assert minor["imsx_codeMinorFieldName"] == "TargetEndSystem"
    if code_minor is not None:
        assert minor["imsx_codeMinorFieldValue"] == code_minor, body
    if description is not None:
        assert body["imsx_description"] == description, body
    return body


def assert_valid(kind: str, body: Any, profile: str | None = None) -> None:
    """``body`` is a valid ``kind`` of the profile (the active one by default), in the lenient reading."""
    found = schemas.problems(kind, body, "lenient", profile)
    assert found == [], [str(p) for p in found]

"""Helpers for the reference-server tests: a real-HTTP server in a thread, an authenticated client,
valid payloads for every entity, and assertions on imsx errors."""

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

from conformance.contract import schemas
from conformance.contract.operations import GRADEBOOK
from conformance.fixtures import Fixtures
from conformance.reference.app import create_app

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret-\u00e9-value"  # non-ASCII on purpose: secrets are compared as UTF-8 bytes
TIMEOUT = httpx.Timeout(10.0)
# Every test server is plain HTTP; building a fresh TLS context per client would cost ~50 ms each.
TLS = ssl.create_default_context()
G = GRADEBOOK
DATE = "2024-03-01T10:00:00Z"


class ThreadServer:
    """uvicorn serving a fresh app on a free loopback port, in a daemon thread (real HTTP, fast start)."""

    def __init__(
        self,
        faults: Iterable[str] = (),
        db: str | None = None,
        token_lifetime: int = 3600,
        fixtures: Fixtures | None = None,
        profile: str | None = None,
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


# Valid records (strict reading) for every entity.
def line_item(**extra: Any) -> dict[str, Any]:
    return {
        "status": "active",
        "title": "Chapter 1 quiz",
        "assignDate": DATE,
        "dueDate": "2024-03-08T10:00:00Z",
        "class": {"sourcedId": "fx-class-1"},
        "school": {"sourcedId": "fx-school-1"},
        "category": {"sourcedId": "fx-category-1"},
        **extra,
    }


def result(line_item_id: str = "li-any", student: str = "fx-student-1", **extra: Any) -> dict[str, Any]:
    return {
        "status": "active",
        "lineItem": {"sourcedId": line_item_id},
        "student": {"sourcedId": student},
        "scoreStatus": "fully graded",
        "scoreDate": DATE,
        "score": 85,
        **extra,
    }


def assessment_line_item(**extra: Any) -> dict[str, Any]:
    return {"status": "active", "title": "Unit 3 test", **extra}


def assessment_result(ali: str = "ali-any", student: str = "fx-student-1", **extra: Any) -> dict[str, Any]:
    return {
        "status": "active",
        "assessmentLineItem": {"sourcedId": ali},
        "student": {"sourcedId": student},
        "scoreStatus": "fully graded",
        "scoreDate": DATE,
        "score": 90,
        **extra,
    }


def category(**extra: Any) -> dict[str, Any]:
    return {"status": "active", "title": "Quizzes", "weight": 0.25, **extra}


def score_scale(class_id: str = "fx-class-1", **extra: Any) -> dict[str, Any]:
    return {
        "status": "active",
        "title": "Letters",
        "type": "letter",
        "class": {"sourcedId": class_id},
        "scoreScaleValue": [{"itemValueLHS": "90", "itemValueRHS": "A"}],
        **extra,
    }


RECORDS = {
    "lineItem": line_item,
    "result": result,
    "assessmentLineItem": assessment_line_item,
    "assessmentResult": assessment_result,
    "category": category,
    "scoreScale": score_scale,
}


def record(entity: str, **extra: Any) -> dict[str, Any]:
    return RECORDS[entity](**extra)


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


def assert_valid(kind: str, body: Any) -> None:
    found = schemas.problems(kind, body, "lenient")
    assert found == [], [str(p) for p in found]

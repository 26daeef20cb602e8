"""Storage under load and across crashes: concurrent writers lose nothing, and every acknowledged
write survives SIGKILL (the server runs as `python -m conformance serve` on a SQLite file)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conformance.reference import embedded

from ._records import result
from ._support import TLS, G

pytestmark = pytest.mark.network


def _client(server: embedded.RunningServer) -> httpx.Client:
    response = httpx.post(
        server.token_url,
        timeout=5,
        verify=TLS,
        data={"grant_type": "client_credentials", "client_id": server.client_id, "client_secret": server.client_secret},
    )
    token = response.json()["access_token"]
    return httpx.Client(base_url=server.base_url, timeout=10, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "reference.db"


@pytest.fixture
def running(db: Path) -> Iterator[embedded.RunningServer]:
    with embedded.start(db=db) as server:
        yield server


def test_concurrent_puts_and_gets_keep_the_last_acknowledged_write(running: embedded.RunningServer) -> None:
    """200 requests from 8 threads on 20 ids. Writes to one id are serialised by a per-id lock in
    the test (so "last acknowledged" is well defined); everything else runs concurrently."""
    ids = [f"conc-{i}" for i in range(20)]
    locks = {sourced_id: threading.Lock() for sourced_id in ids}
    last: dict[str, str] = {}
    statuses: list[int] = []
    clients = [_client(running) for _ in range(8)]

    def work(n: int) -> None:
        client = clients[n % 8]
        sourced_id = ids[(n * 7) % 20]
        if n % 3 == 2:
            response = client.get(f"{G}/results/{sourced_id}")
            statuses.append(response.status_code)
            assert response.status_code in (200, 404), response.text
            return
        comment = f"write-{n}"
        with locks[sourced_id]:
            response = client.put(f"{G}/results/{sourced_id}", json={"result": result(comment=comment)})
            statuses.append(response.status_code)
            assert response.status_code == 201, response.text
            assert response.json()["result"]["comment"] == comment
            last[sourced_id] = comment

    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(work, n) for n in range(200)]:
            future.result(timeout=60)
    assert len(statuses) == 200 and max(statuses) < 500
    check = clients[0]
    for sourced_id in ids:
        assert check.get(f"{G}/results/{sourced_id}").json()["result"]["comment"] == last[sourced_id]
    listed = check.get(f"{G}/results", params={"filter": "sourcedId~'conc-'", "limit": 100}).json()
    assert listed["totalCount"] == 20
    for client in clients:
        client.close()


def test_acknowledged_writes_survive_sigkill(db: Path) -> None:
    acknowledged: dict[str, str] = {}
    in_flight: list[tuple[str, str]] = []  # the write the kill interrupted: committed or not, unknown
    stop = threading.Event()
    server = embedded.start(db=db)
    try:
        client = _client(server)

        def burst() -> None:
            n = 0
            while not stop.is_set() and n < 20_000:
                sourced_id, comment = f"crash-{n % 500}", f"write-{n}"
                try:
                    response = client.put(f"{G}/results/{sourced_id}", json={"result": result(comment=comment)})
                except httpx.TransportError:
                    in_flight.append((sourced_id, comment))  # never acknowledged
                    return
                if response.status_code == 201:
                    acknowledged[sourced_id] = comment
                n += 1

        writer = threading.Thread(target=burst, daemon=True)
        writer.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.process.send_signal(signal.SIGKILL)  # no shutdown, no checkpoint
        server.process.wait(10)
        writer.join(10)
        stop.set()
        client.close()
    finally:
        server.stop()
    assert server.process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 300
    with embedded.start(db=db) as again, _client(again) as check:
        for sourced_id, comment in acknowledged.items():
            response = check.get(f"{G}/results/{sourced_id}")
            assert response.status_code == 200, (sourced_id, response.text)
            allowed = {comment} | {c for i, c in in_flight if i == sourced_id}
            assert response.json()["result"]["comment"] in allowed, sourced_id


def test_data_persists_across_a_clean_restart_and_tokens_do_not(db: Path) -> None:
    with embedded.start(db=db) as first, _client(first) as client:
        assert (
            client.put(
                f"{G}/lineItems/keep",
                json={
                    "lineItem": {
                        "title": "t",
                        "assignDate": "2024-01-01T00:00:00Z",
                        "dueDate": "2024-01-02T00:00:00Z",
                        "class": {"sourcedId": "fx-class-1"},
                        "school": {"sourcedId": "fx-school-1"},
                        "category": {"sourcedId": "fx-category-1"},
                    }
                },
            ).status_code
            == 201
        )
        token = client.headers["Authorization"]
    assert first.process.returncode == 0
    with embedded.start(db=db) as second:
        stale = httpx.get(
            f"{second.base_url}{G}/lineItems/keep", headers={"Authorization": token}, timeout=5, verify=TLS
        )
        assert stale.status_code == 401
        with _client(second) as client:
            assert client.get(f"{G}/lineItems/keep").json()["lineItem"]["title"] == "t"

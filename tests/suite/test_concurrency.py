"""Tests run together in one process: each keeps its own fixtures and runs whole on one thread, the
session's fixtures are made once and torn down last, a test marked ``alone`` has nothing beside it,
tests sharing what must be kept apart run one at a time, and the longest start first."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.session.world import World
from conformance.suite import concurrency
from tests._loopback import Quiet, serving

ROOT = Path(__file__).resolve().parents[2]

# A session of 13 tests, each holding its own yield fixture while it waits, beside a session fixture.
TESTS = """
import threading, time
import pytest

RUNNING = set()
LOCK = threading.Lock()

def _log(config, line):
    with open(config.rootpath / "log.txt", "a") as out:
        out.write(line + "\\n")

@pytest.fixture(scope="session")
def shared(request):
    _log(request.config, "setup shared")
    yield object()
    _log(request.config, "teardown shared")

@pytest.fixture
def mine(request, shared):
    value = {"test": request.node.name}
    yield value
    assert value["test"] == request.node.name
    _log(request.config, f"teardown mine {value['test']}")

@pytest.mark.parametrize("n", range(12))
def test_waits(n, mine, request):
    with LOCK:
        RUNNING.add(request.node.name)
    time.sleep(0.15)
    assert mine["test"] == request.node.name
    _log(request.config, f"ran {request.node.name} on {threading.current_thread().name} beside {len(RUNNING) - 1}")
    with LOCK:
        RUNNING.discard(request.node.name)

SHARING = set()

@pytest.mark.shares("x")
@pytest.mark.parametrize("n", range(3))
def test_shares(n, mine, request):
    with LOCK:
        beside = len(SHARING)
        SHARING.add(n)
    time.sleep(0.15)
    with LOCK:
        SHARING.discard(n)
    _log(request.config, f"sharing beside {beside}")

@pytest.mark.alone
def test_alone(mine, request):
    with LOCK:
        beside = len(RUNNING)
    _log(request.config, f"alone beside {beside}")
"""

CONFTEST = """
from conformance.suite import concurrency

def pytest_runtestloop(session):
    concurrency.run(session, 4, frozenset({"x"}))
    return True
"""


def _session(tmp_path: Path) -> tuple[int, list[str], str]:
    (tmp_path / "test_many.py").write_text(textwrap.dedent(TESTS))
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    done = subprocess.run(  # noqa: PLW1510 (the exit code is asserted by the caller)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    log = (tmp_path / "log.txt").read_text().splitlines() if (tmp_path / "log.txt").exists() else []
    return done.returncode, log, done.stdout + done.stderr


def test_each_test_keeps_its_fixtures_and_the_session_is_made_once_and_torn_down_last(tmp_path: Path) -> None:
    code, log, output = _session(tmp_path)
    assert code == 0, output
    ran = [line for line in log if line.startswith("ran ")]
    assert len(ran) == 12
    assert log.count("setup shared") == 1 and log.count("teardown shared") == 1
    assert log[0] == "setup shared" and log[-1] == "teardown shared"
    assert len([line for line in log if line.startswith("teardown mine")]) == 16
    threads = {line.split(" on ")[1].split(" beside ")[0] for line in ran}
    assert len(threads) > 1, "the tests ran on one thread"
    assert any(not line.endswith("beside 0") for line in ran), "no test ran beside another"
    assert "alone beside 0" in log
    assert log.count("sharing beside 0") == 3, "two tests sharing what must be apart ran together"


def _item(name: str, cost: int | None = None, alone: bool = False) -> Any:
    marks = {concurrency.COST: SimpleNamespace(args=(cost,))} if cost is not None else {}
    if alone:
        marks[concurrency.ALONE] = SimpleNamespace(args=())
    return SimpleNamespace(name=name, get_closest_marker=marks.get)


def test_the_longest_start_first_and_the_cheapest_bracket_the_run() -> None:
    items = [_item("a"), _item("machine", 700), _item("b"), _item("lifecycle", 330), _item("c", 5)]
    first, rest, last = concurrency.schedule(items)
    assert first.name == "c"
    assert [i.name for i in rest] == ["machine", "lifecycle", "a"]
    assert [i.name for i in last] == ["b"]
    first, rest, last = concurrency.schedule([*items, _item("outage", alone=True)])
    assert [i.name for i in last] == ["outage"] and [i.name for i in rest] == ["machine", "lifecycle", "a", "b"]


def test_a_running_test_s_records_are_not_picked_by_another() -> None:
    world = World(SimpleNamespace(), "oc-", "timeback")  # type: ignore[arg-type]
    made, seen = threading.Event(), threading.Event()

    def other() -> None:
        with world.test("a"):
            world.remember("category", "oc-category-a")
            made.set()
            seen.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    made.wait(10)
    with world.test("b"):
        world.remember("category", "oc-category-b")
        during = world.existing("category")
        seen.set()
        thread.join(10)
        after = world.existing("category")
    assert during == ["oc-category-b"]
    assert after == ["oc-category-a", "oc-category-b"]


def test_tests_run_together_against_a_far_server_and_the_summary_says_so(tmp_path: Path) -> None:
    """Against a server 20 ms away, ``--concurrency auto`` runs 8 tests at a time in one process: their
    Allure results overlap in time, each test has its own, and more than one request was in flight."""
    from conformance.reference import embedded
    from tests._cli import valid_summary

    reports = tmp_path / "reports"
    with embedded.start(latency_ms=20) as server:
        done = subprocess.run(  # noqa: PLW1510 (the exit code is asserted below)
            [sys.executable, "-m", "conformance", "run", *server.target_args(), "--reports", str(reports),
             "--max-examples", "2", "--only", "GB-CATEGORY,GB-SCORESCALE", "--workers", "1"],
            capture_output=True, text=True, timeout=300, env=server.environment(), cwd=ROOT,
        )  # fmt: skip
    summary = valid_summary(json.loads((reports / "summary.json").read_text()))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(8 tests at a time)" in done.stderr
    assert summary["in_flight"]["limit"] == 8
    assert 1 < summary["in_flight"]["peak"] <= 8
    results = [json.loads(f.read_text()) for f in (reports / "allure-results").glob("*-result.json")]
    names = [r["historyId"] for r in results]
    assert len(names) == len(set(names)) > 3  # one result per test
    spans = sorted((r["start"], r["stop"]) for r in results)
    overlapping = sum(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))
    assert overlapping > 0, "no two tests ran at the same time"


@pytest.mark.parametrize("threads", [1, 3])
def test_one_thread_or_fewer_than_three_tests_together_is_pytest_s_own_order(tmp_path: Path, threads: int) -> None:
    calls: list[str] = []
    items = [_item("x"), _item("y"), _item("z", alone=True)]

    def protocol(item: Any, nextitem: Any) -> None:
        calls.append(f"{item.name}>{getattr(nextitem, 'name', None)}")

    for item in items:
        item.ihook = SimpleNamespace(pytest_runtest_protocol=protocol)
    session = SimpleNamespace(items=items, shouldfail=False, shouldstop=False)
    concurrency.run(session, threads)  # type: ignore[arg-type]
    assert calls == ["x>y", "y>z", "z>None"]


def test_auto_runs_tests_together_only_when_the_target_is_far_and_more_of_them_the_farther() -> None:
    from conformance.pace import concurrency_for
    from conformance.run import RunOptions

    assert [concurrency_for(t) for t in (None, 0.0004, 0.0099, 0.010, 0.050)] == [1, 1, 1, 8, 8]
    # Beyond 8, one more test per 8 ms of round trip keeps the client busy while the others wait.
    assert [concurrency_for(t) for t in (0.064, 0.065, 0.150, 0.248, 0.249, 2.0)] == [9, 10, 20, 32, 32, 32]
    assert RunOptions.from_values({}).concurrency == RunOptions.from_values({"concurrency": "auto"}).concurrency == 0
    assert RunOptions.from_values({"concurrency": "3"}).concurrency == 3
    with pytest.raises(Exception, match="--concurrency must be auto or a whole number from 1 to 64"):
        RunOptions.from_values({"concurrency": "0"})


def test_the_current_test_variable_survives_threads_changing_it_together() -> None:
    """pytest keeps one PYTEST_CURRENT_TEST per process; tests running together set and remove it at once."""
    item = SimpleNamespace(nodeid="test_x")
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            for _ in range(3000):
                concurrency._current_test(item, "call")  # type: ignore[arg-type]
                concurrency._current_test(item, None)  # type: ignore[arg-type]
        except BaseException as exc:  # the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=churn) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []


def test_each_thread_sends_over_connections_no_other_thread_touches() -> None:
    """Tests running together never share a connection (a shared pool was seen to close one a thread had
    just taken); each thread keeps its own open between requests; closing the client closes them all."""
    from conformance.client import MAX_IN_FLIGHT, SuiteClient
    from conformance.run import RunOptions
    from conformance.target import make_target

    peers: list[tuple[str, int]] = []  # (thread, the client's port) per request

    class Handler(Quiet):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            peers.append((self.path.rsplit("/", 1)[-1], self.client_address[1]))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    together = threading.Barrier(8)
    with serving(Handler) as origin:
        client = SuiteClient(make_target(base_url=origin, token="t" * 16))

        def test(name: str) -> None:
            for _ in range(5):
                together.wait(10)  # every thread between requests at once: a shared pool would mix them
                assert client.send("GET", f"/t/{name}").status == 200

        try:
            threads = [threading.Thread(target=test, args=(f"thread{n}",)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(20)
        finally:
            client.close()
    assert len(peers) == 40
    ports: dict[str, set[int]] = {}
    for name, port in peers:
        ports.setdefault(name, set()).add(port)
    assert all(len(used) == 1 for used in ports.values()), ports  # each kept its connection open
    assert len(set.union(*ports.values())) == 8, ports  # and no two threads shared one
    assert client._clients == []  # type: ignore[attr-defined]
    assert RunOptions.from_values({"concurrency": str(MAX_IN_FLIGHT)}).concurrency == MAX_IN_FLIGHT
    with pytest.raises(Exception, match=f"from 1 to {MAX_IN_FLIGHT}"):
        RunOptions.from_values({"concurrency": str(MAX_IN_FLIGHT + 1)})

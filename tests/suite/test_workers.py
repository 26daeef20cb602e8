"""``--workers``: pytest-xdist processes, each running its own share of the tests on threads."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance import pace
from conformance import run as run_module
from conformance.reference import embedded
from conformance.suite import concurrency, split
from conformance.target import ConfigError
from tests._cli import against, cli
from tests._loopback import Quiet, serving
from tests.suite import test_concurrency

TOOL_TEST = "test_tool_error_refused"
ROOT = Path(__file__).resolve().parents[2]


def _item(name: str, shares: str | None = None) -> Any:
    marks: dict[str, Any] = {}
    if shares is not None:
        marks[concurrency.SHARES] = SimpleNamespace(args=(shares,))
    return SimpleNamespace(name=name, nodeid=f"test_x.py::{name}", get_closest_marker=marks.get)


def _race(count: int, act: Any) -> list[Any]:
    """``act(n)`` on ``count`` threads let go at once; what each returned, by n."""
    start = threading.Barrier(count)
    answers: list[Any] = [None] * count

    def worker(n: int) -> None:
        start.wait(10)
        answers[n] = act(n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return answers


def test_each_test_is_claimed_by_one_worker_however_they_race(tmp_path: Path) -> None:
    items = [_item(f"t{n}") for n in range(60)]
    workers = [split.Workers(tmp_path / "w", 4) for _ in range(4)]
    claimed = _race(4, lambda n: {item.name for item in items if workers[n].claim(item)})
    assert sum(len(mine) for mine in claimed) == 60 and set.union(*claimed) == {item.name for item in items}
    assert all(workers[0].claim(items[0]) == ("t0" in claimed[0]) for _ in range(2))  # its own, again


def test_tests_kept_apart_are_claimed_together_and_the_others_one_by_one(tmp_path: Path) -> None:
    x, y = _item("x", shares="attempts"), _item("y", shares="attempts")
    apart = frozenset({"attempts"})
    one, other = split.Workers(tmp_path / "a", 2, apart), split.Workers(tmp_path / "a", 2, apart)
    assert one.claim(x) and not other.claim(y) and one.claim(y)  # y goes where x went
    one, other = split.Workers(tmp_path / "b", 2), split.Workers(tmp_path / "b", 2)  # not kept apart
    assert one.claim(x) and other.claim(y)


def test_exactly_one_worker_finishes_last_however_they_race(tmp_path: Path) -> None:
    workers = [split.Workers(tmp_path / "w", 8) for _ in range(8)]
    answers = _race(8, lambda n: workers[n].last())
    assert sorted(answers) == [False] * 7 + [True]
    assert workers[0].last() is False  # every rank taken


def test_a_worker_knows_how_many_there_are() -> None:
    assert split.worker_count({"workerid": "gw3", "workercount": 4}) == 4


def test_auto_workers_one_process_near_one_per_core_far() -> None:
    assert pace.workers_for(None, 2) == 1  # not measured
    assert pace.workers_for(0.009, 8) == 1
    assert pace.workers_for(0.010, 2) == 2
    assert pace.workers_for(0.150, 1) == 1
    assert pace.workers_for(0.150, 16) == pace.MAX_AUTO_WORKERS == 4
    assert pace.cores() >= 1


@pytest.mark.parametrize(("raw", "expected"), [(None, 0), ("auto", 0), ("3", 3)])
def test_workers_are_auto_or_a_whole_number(raw: str | None, expected: int) -> None:
    assert run_module.RunOptions.from_values({"workers": raw}).workers == expected


@pytest.mark.parametrize("raw", ["0", "65", "two"])
def test_other_workers_are_a_one_line_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="--workers must be auto or a whole number from 1 to 64"):
        run_module.RunOptions.from_values({"workers": raw})


# Two processes sharing one session's tests: the tests of ``test_concurrency``, each process in a
# folder of its own (the same test ids), the claims in one folder beside them.
SHARING_CONFTEST = """
import os
from pathlib import Path
from conformance.suite import concurrency, split
from tests.suite import test_concurrency

def pytest_runtestloop(session):
    apart = frozenset({"x"})
    concurrency.run(session, 3, apart, split.Workers(Path(os.environ["OC_SHARED"]), 2, apart))
    return True
"""


def test_two_processes_run_every_test_once_between_them(tmp_path: Path) -> None:
    processes = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "test_many.py").write_text(textwrap.dedent(test_concurrency.TESTS))
        (folder / "conftest.py").write_text(textwrap.dedent(SHARING_CONFTEST))
        env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OC_SHARED": str(tmp_path / "shared")}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(folder)]
        processes.append(
            subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        )
    for process in processes:
        output = process.communicate(timeout=120)[0].decode()
        assert process.returncode in (0, 5), output  # 5: a process that got no test at all
    logs = {name: (tmp_path / name / "log.txt").read_text().splitlines() for name in ("one", "two")}
    ran = [line.split(" on ")[0] for log in logs.values() for line in log if line.startswith("ran ")]
    assert sorted(ran) == sorted(f"ran test_waits[{n}]" for n in range(12)), ran
    assert all(any(line.startswith("ran ") for line in log) for log in logs.values()), "one process ran nothing"
    for log in logs.values():  # each process's session made once, before its tests, and torn down after
        assert log.count("setup shared") == 1 and log[0] == "setup shared" and log[-1] == "teardown shared", log
    alone = [line for log in logs.values() for line in log if line.startswith("alone")]
    assert alone == ["alone beside 0"], alone
    sharing = {name: log.count("sharing beside 0") for name, log in logs.items()}
    assert sorted(sharing.values()) == [0, 3], f"the tests kept apart split over processes, or ran together: {sharing}"


def test_workers_run_their_shares_and_the_alone_test_with_nothing_beside_it(tmp_path: Path) -> None:
    """Two workers, 20 ms away: every test runs once, in one process or the other, both processes run
    tests on threads, and the tool outage runs when no other test does."""
    reports = tmp_path / "reports"
    with embedded.start(latency_ms=20) as server:
        out = against(server, "--only", "PP,GB-CATEGORY", "--max-examples", "2", "--workers", "2", reports=reports)
    assert out.code == 0, out.stderr[-2000:]
    assert "(16 tests at a time in 2 processes)" in out.stderr
    assert out.summary["in_flight"]["limit"] == 16
    row = next(r for r in out.summary["requirements"] if r["id"] == "PP-FAIL-TOOL")
    assert row["status"] == "passed", row
    results = [json.loads(f.read_text()) for f in (reports / "allure-results").glob("*-result.json")]
    ids = [r["historyId"] for r in results]
    assert len(ids) == len(set(ids)) > 10, "a test ran twice, or not at all"
    processes = {label["value"].split("-")[0] for r in results for label in r["labels"] if label["name"] == "thread"}
    assert len(processes) == 2, processes
    tool = [r for r in results if r["fullName"].endswith(TOOL_TEST)]
    assert len(tool) == 1 and tool[0]["status"] == "passed", tool
    start, stop = tool[0]["start"], tool[0]["stop"]
    beside = [r["name"] for r in results if r is not tool[0] and r["start"] < stop and r["stop"] > start]
    assert beside == [], f"ran beside the tool outage: {beside}"


def test_a_run_that_only_inherits_a_worker_s_environment_is_one_process(tmp_path: Path) -> None:
    """A CI job under pytest-xdist passes its worker's environment on: the run is still one process,
    and it checks the tool outage."""
    with embedded.start() as server:
        env = server.environment() | {"PYTEST_XDIST_WORKER": "gw7"}
        out = cli("run", *server.target_args(), "--only", "PP-FAIL-TOOL", "--max-examples", "2", "--reports",
                  str(tmp_path / "r"), reports=tmp_path / "r", env=env)  # fmt: skip
    assert out.code == 0, out.stderr[-1500:]
    row = next(r for r in out.summary["requirements"] if r["id"] == "PP-FAIL-TOOL")
    assert row["status"] == "passed", row


def test_a_429_one_process_got_pauses_the_others(tmp_path: Path) -> None:
    """Two clients of one run (two workers) share a pause: once one got a 429 with Retry-After, the
    other's next request waits for it too; a client of another run does not."""
    import time

    from conformance.client import SuiteClient
    from conformance.target import make_target

    throttled = threading.Event()

    class Handler(Quiet):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status = 429 if self.path == "/throttle" else 200
            if status == 429:
                throttled.set()
            self.send_response(status)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    paused = tmp_path / "workers" / "paused-until"
    with serving(Handler) as origin:
        target = make_target(base_url=origin, token="t" * 16)
        one, other = SuiteClient(target, shared_pause=paused), SuiteClient(target, shared_pause=paused)
        apart = SuiteClient(target)  # another run's
        try:
            sender = threading.Thread(target=one.send, args=("GET", "/throttle"))
            sender.start()
            assert throttled.wait(10)
            time.sleep(0.2)  # the pause is announced once the answer is read
            started = time.monotonic()
            assert apart.send("GET", "/ok").status == 200
            alone = time.monotonic() - started
            started = time.monotonic()
            assert other.send("GET", "/ok").status == 200
            shared = time.monotonic() - started
            sender.join(20)
        finally:
            for client in (one, other, apart):
                client.close()
    assert alone < 0.5, alone
    assert shared >= 0.5, f"the other worker sent at once ({shared:.2f} s), not after the 429's Retry-After"


def test_the_controller_hears_how_many_requests_each_worker_sent_before_its_tests_end(tmp_path: Path) -> None:
    """A worker's first test is among its longest: its request count reaches the controller's progress
    line as it sends, through the run's folder, at most once a second per worker."""
    import time

    from conformance.guard import Guard
    from conformance.suite.progress import Progress

    lines: list[str] = []
    progress = Progress(Guard(), lines.append)
    first, second = split.Announcer(tmp_path, "gw0"), split.Announcer(tmp_path, "gw1")
    first(10)
    second(5)
    first(11)  # within the second: not written yet
    assert split.announced(tmp_path) == {"gw0": 10, "gw1": 5}
    listener = split.Listener(tmp_path, progress.sent)
    try:
        deadline = time.monotonic() + 10
        while not any(" 15 requests" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        listener.stop()
    assert any(" 15 requests" in line for line in lines), lines
    assert not listener.thread.is_alive()
    (tmp_path / f"{split.SENT}gw2").write_text("half", encoding="utf-8")  # never so, but a bad file is no count
    assert split.announced(tmp_path) == {"gw0": 10, "gw1": 5}

"""How pytest-xdist workers share one run's tests (``--workers``) without a scheduler handing them out.

Every worker is sent every test. Each runs them as a single process would, on ``--concurrency``
threads, longest first, but a thread runs a test only after claiming it: by creating a file named for
it in a folder the workers share, which fails if another worker created it first (an exclusive
create, atomic on every platform). So a worker whose tests went quickly takes more of them, and the
workers end together however far each test's estimate was from its real length. Tests that must not
run together (``shares(name)``, when the run keeps the name apart) are claimed together, by name, so
that one worker's threads keep them apart.

A test marked ``alone`` changes what every process's tests see (a tool outage). The worker that
finishes last runs it, when no other worker has a test left: each takes a rank as it finishes, the
next numbered file that does not exist yet.

The controller hears of a test only when it ends, and a worker's first test is among its longest: so
each worker also writes how many requests it has sent to the folder (``Announcer``), which the
controller reads every second (``Listener``) for the run's progress line.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.suite.concurrency import shared

INTERACTOR = "WorkerInteractor"  # pytest-xdist's plugin in a worker, which sends the controller its reports
ANNOUNCE_EVERY = 1.0  # seconds between a worker's writes of its request count, and the controller's reads
SENT = "sent-"  # the name of a worker's request count, before its id


def _create(path: Path) -> bool:
    """Create ``path``; False if it already existed."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class Workers:
    """One worker's view of the others (``concurrency.Sharing``): which tests it claimed, and whether
    it finished last. ``folder`` is the run's, shared by every worker; ``count`` how many there are."""

    def __init__(self, folder: Path, count: int, apart: frozenset[str] = frozenset()) -> None:
        self.claims, self.finished = folder / "claimed", folder / "finished"
        self.count, self.apart = count, apart
        self.mine: set[str] = set()
        self.lock = threading.Lock()
        for made in (self.claims, self.finished):
            made.mkdir(parents=True, exist_ok=True)

    def key(self, item: pytest.Item) -> str:
        name = shared(item)
        if name is not None and name in self.apart:
            return "group-" + hashlib.sha256(name.encode()).hexdigest()[:16]
        return "test-" + hashlib.sha256(item.nodeid.encode()).hexdigest()[:16]

    def claim(self, item: pytest.Item) -> bool:
        key = self.key(item)
        with self.lock:
            if key in self.mine:
                return True
            if _create(self.claims / key):
                self.mine.add(key)
                return True
            return False

    def last(self) -> bool:
        for rank in range(1, self.count + 1):
            if _create(self.finished / str(rank)):
                return rank == self.count
        return False  # every rank taken: a worker started again after one died


class Worker:
    """What a pytest-xdist worker that runs its part itself owes pytest-xdist.

    pytest-xdist would hand the worker its tests one at a time and hear from it after each; the worker
    runs its part instead (``RunPlugin.pytest_runtestloop``), then says that every test it was sent
    is done (``done``), those other workers ran included. Its tests end on several threads, while
    pytest-xdist sends each report with the index of the test it handed out last: here one report
    goes out at a time, with its own test's index.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.sending = threading.Lock()
        self.interactor = next((p for p in config.pluginmanager.get_plugins() if type(p).__name__ == INTERACTOR), None)
        self.index: dict[str, int] = {}

    def start(self, session: pytest.Session) -> None:
        self.index = {item.nodeid: index for index, item in enumerate(session.items)}

    def done(self, session: pytest.Session) -> None:
        if self.interactor is not None:
            for index in range(len(session.items)):
                self.interactor.sendevent("runtest_protocol_complete", item_index=index, duration=0.0)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Iterator[None]:
        with self.sending:
            if self.interactor is not None and report.nodeid in self.index:
                self.interactor.item_index = self.index[report.nodeid]
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_logstart(self) -> Iterator[None]:
        with self.sending:
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_logfinish(self) -> Iterator[None]:
        with self.sending:
            yield


def worker_count(workerinput: dict[str, Any]) -> int:
    """How many workers pytest-xdist started, from what it gave this one."""
    return int(workerinput["workercount"])


class Announcer:
    """A worker's requests so far, written to the run's folder at most every ``ANNOUNCE_EVERY``: whole
    (written aside, then renamed into place), so the controller never reads half a number."""

    def __init__(self, folder: Path, worker: str) -> None:
        self.path, self.aside = folder / f"{SENT}{worker}", folder / f".{SENT}{worker}"
        self.lock = threading.Lock()
        self.due = 0.0

    def __call__(self, requests: int) -> None:
        now = time.monotonic()
        with self.lock:
            if now < self.due:
                return
            self.due = now + ANNOUNCE_EVERY
            with contextlib.suppress(OSError):  # progress only: the run goes on without it
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.aside.write_text(str(requests), encoding="utf-8")
                os.replace(self.aside, self.path)


def announced(folder: Path) -> dict[str, int]:
    """Each worker's request count, as last written (by worker id)."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{SENT}*"):
            with contextlib.suppress(OSError, ValueError):
                found[path.name.removeprefix(SENT)] = int(path.read_text(encoding="utf-8"))
    return found


class Listener:
    """The controller's side: every ``ANNOUNCE_EVERY``, the workers' counts go to ``heard``, on a
    thread of its own until ``stop``."""

    def __init__(self, folder: Path, heard: Callable[[dict[str, int]], None]) -> None:
        self.folder, self.heard = folder, heard
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._listen, name="oneroster-workers-progress", daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while not self.stopped.wait(ANNOUNCE_EVERY):
            counts = announced(self.folder)
            if counts:
                self.heard(counts)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)

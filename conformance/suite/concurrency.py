"""Tests run together in one process (``--concurrency N``): while one waits on the network, the others send.

pytest runs one test at a time: the setup state of its collection tree and the value each fixture
holds belong to the session. Here each thread keeps its own of both (``_SetupStates``, ``_PerThread``),
except session-scoped fixtures (the run's ``SuiteSession``): the main thread sets those up once, by
running the first test alone before the others start, and it runs the last test alone after they are
done, so that the session's teardown (where the run's cleanup happens) stays a test's teardown.

A test runs whole on one thread, so its own requests go out in order, as its reproduction replays
them; N threads put at most N requests in flight. The longest tests start first (their ``cost``
mark: about how many requests they send at the default settings), so that the run does not end
waiting on one of them alone. A test that changes what every other test sees (``alone``) runs at the
end with nothing beside it; tests that would change each other's records (``shares(name)``, when the
run says the name must be kept apart) run one at a time among themselves. With ``--workers``, each
pytest-xdist worker runs the same loop over the tests it claims (``Sharing``, ``split.py``).
"""

from __future__ import annotations

import ast
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar

import pytest
from _pytest import runner as pytest_runner
from _pytest.fixtures import FixtureDef
from _pytest.runner import SetupState
from _pytest.scope import Scope
from hypothesis.internal import lambda_sources

T = TypeVar("T")

COST = "cost"
DEFAULT_COST = 20  # an operation test at the default settings sends about this many requests
MARKER = f"{COST}(requests): about how many requests the test sends at the default settings (the longest start first)"
JOIN_EVERY = 0.2  # seconds: the main thread wakes this often, so that a signal is handled at once
ALONE = "alone"
SHARES = "shares"
SHARES_MARKER = (
    f"{SHARES}(name): the test changes records other tests named so read (class members' external-test "
    "attempts): when the run says they collide, no two of them run together"
)
ALONE_MARKER = f"{ALONE}: the test changes what every other test sees (a tool outage): nothing runs beside it"
# How long a thread holds the interpreter before another may run (Python's default: 5 ms). A test whose
# answer has arrived waits that long behind one that generates cases; the longest test sends hundreds
# of requests one after another, and would wait at each.
SWITCH_INTERVAL = 0.0005


def cost(item: pytest.Item) -> int:
    mark = item.get_closest_marker(COST)
    return int(mark.args[0]) if mark is not None and mark.args else DEFAULT_COST


def schedule(items: Sequence[pytest.Item]) -> tuple[pytest.Item, list[pytest.Item], list[pytest.Item]]:
    """(the first, the rest longest first, the last ones): the cheapest test goes first, alone, and sets
    the session up; after the others come the tests marked ``alone`` (or the next cheapest), one at a time."""
    alone = [item for item in items if item.get_closest_marker(ALONE) is not None]
    ordered = sorted((item for item in items if item.get_closest_marker(ALONE) is None), key=cost, reverse=True)
    first = ordered.pop()  # stable sort: collection order among equals
    last = alone or [ordered.pop()]
    return first, ordered, last


def shared(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker(SHARES)
    return str(mark.args[0]) if mark is not None and mark.args else None


class Sharing(Protocol):
    """The processes that run one run's tests between them (pytest-xdist workers), seen from one of them."""

    def claim(self, item: pytest.Item) -> bool:
        """Whether this process runs ``item``: no other took it first (and never will)."""

    def last(self) -> bool:
        """Once this process has no test left: whether every other one had finished before it."""


def run(
    session: pytest.Session, threads: int, apart: frozenset[str] = frozenset(), sharing: Sharing | None = None
) -> None:
    """Run the session's tests on ``threads`` threads (the caller's ``pytest_runtestloop``); of the
    tests marked ``shares(name)`` with a name in ``apart``, one at a time. With ``sharing``, only the
    tests this process claims, and those marked ``alone`` only if it is the last to finish."""
    items = list(session.items)
    if sharing is not None:
        _run_claimed(session, items, threads, apart, sharing)
        return
    if threads <= 1 or sum(item.get_closest_marker(ALONE) is None for item in items) < 3:
        _in_order(session, items)
        return
    first, rest, last = schedule(items)
    with _threaded_fixtures(session) as states:
        _together(session, states, first, rest, threads, apart)
        _in_order(session, last)


def _run_claimed(
    session: pytest.Session, items: list[pytest.Item], threads: int, apart: frozenset[str], sharing: Sharing
) -> None:
    """A worker's part: the cheapest tests it can claim go first and last (they set its session up and
    tear it down); its threads claim the others, longest first, as they become free, so that the
    processes end together however long each test takes."""
    alone = [item for item in items if item.get_closest_marker(ALONE) is not None]
    ordered = sorted((item for item in items if item.get_closest_marker(ALONE) is None), key=cost, reverse=True)
    cheapest = (item for item in reversed(ordered) if sharing.claim(item))
    first, final = next(cheapest, None), next(cheapest, None)
    if final is None:  # nothing else left to claim: the one test is the session's last
        first, final = None, first
    rest = [item for item in ordered if item is not first and item is not final]
    with _threaded_fixtures(session) as states:
        if first is not None:
            _together(session, states, first, rest, max(1, threads), apart, sharing.claim)
        if not sharing.last():
            alone = []
        _in_order(session, alone + [item for item in (final,) if item is not None])


def _together(
    session: pytest.Session,
    states: _SetupStates,
    first: pytest.Item,
    rest: list[pytest.Item],
    threads: int,
    apart: frozenset[str],
    claim: Callable[[pytest.Item], bool] | None = None,
) -> None:
    """``first`` alone, then ``rest`` on ``threads`` threads (of them, those ``claim`` grants)."""
    keep_session = _KeepSession(session)
    first.ihook.pytest_runtest_protocol(item=first, nextitem=keep_session)
    pool = _Pool(session, rest, keep_session, apart, claim)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        pool.run(min(threads, len(rest)))
    finally:
        sys.setswitchinterval(interval)
    for state in pool.states:
        states.hand_over(state)  # a session fixture a thread set up is torn down with the session
    if pool.error is not None:
        raise pool.error
    _check_stop(session)


def _in_order(session: pytest.Session, items: list[pytest.Item]) -> None:
    """pytest's own loop."""
    for index, item in enumerate(items):
        nextitem = items[index + 1] if index + 1 < len(items) else None
        item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        _check_stop(session)


def _check_stop(session: pytest.Session) -> None:
    if session.shouldfail:
        raise session.Failed(session.shouldfail)
    if session.shouldstop:
        raise session.Interrupted(session.shouldstop)


class _KeepSession:
    """The ``nextitem`` a thread's test is torn down towards: everything below the session goes, the
    session's own fixtures stay for the other tests."""

    def __init__(self, session: pytest.Session) -> None:
        self.session = session
        self.nodeid = ""

    def listchain(self) -> list[Any]:
        return [self.session]


class _Pool:
    """Threads taking the next test from one list until it is empty (or the session must stop)."""

    def __init__(
        self,
        session: pytest.Session,
        items: list[pytest.Item],
        keep: _KeepSession,
        apart: frozenset[str],
        claim: Callable[[pytest.Item], bool] | None = None,
    ) -> None:
        self.session, self.keep, self.apart, self.claim = session, keep, apart, claim
        self.pending = list(items)  # longest first
        self.lock = threading.Condition()
        self.held: set[str] = set()  # the ``apart`` names a running test holds
        self.states: list[SetupState] = []
        self.error: BaseException | None = None

    def run(self, count: int) -> None:
        threads = [threading.Thread(target=self._work, name=f"oc-test-{n + 1}", daemon=True) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(JOIN_EVERY)

    def _next(self) -> pytest.Item | None:
        """The longest pending test that may start now (waiting while all that remain must wait), or None."""
        with self.lock:
            while True:
                if self.error is not None or self.session.shouldfail or self.session.shouldstop or not self.pending:
                    return None
                for index, item in enumerate(self.pending):
                    name = shared(item)
                    if name is None or name not in self.apart or name not in self.held:
                        self.pending.pop(index)
                        if self.claim is not None and not self.claim(item):
                            break  # another process runs it: look again
                        if name in self.apart:
                            self.held.add(name)
                        return item
                else:
                    self.lock.wait(JOIN_EVERY)

    def _done(self, item: pytest.Item) -> None:
        with self.lock:
            self.held.discard(shared(item) or "")
            self.lock.notify_all()

    def _work(self) -> None:
        with self.lock:
            self.states.append(_SetupStates.own())
        try:
            while (item := self._next()) is not None:
                try:
                    item.ihook.pytest_runtest_protocol(item=item, nextitem=self.keep)
                finally:
                    self._done(item)
        except BaseException as exc:  # handed to the main thread, which raises it as pytest would have
            with self.lock:
                self.error = self.error or exc
                self.lock.notify_all()


class ThreadOwn(Generic[T]):
    """A value each thread has its own of, made on the thread's first use."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make, self._local = make, threading.local()

    def get(self) -> T:
        try:
            value: T = self._local.value
        except AttributeError:
            value = self._local.value = self._make()
        return value


class _SetupStates:
    """``session._setupstate`` while threads run tests: the main thread's own, or the calling thread's."""

    threads: ThreadOwn[SetupState] = ThreadOwn(SetupState)

    def __init__(self, main: SetupState) -> None:
        self.main = main
        self.owner = threading.current_thread()

    @classmethod
    def own(cls) -> SetupState:
        return cls.threads.get()

    def _current(self) -> SetupState:
        return self.main if threading.current_thread() is self.owner else self.own()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)

    def hand_over(self, state: SetupState) -> None:
        """A finished thread's finalizers of nodes the main thread keeps (the session's) go to the main
        thread, which runs them at the session's teardown."""
        for node, (finalizers, _) in state.stack.items():
            if node in self.main.stack:
                self.main.stack[node][0].extend(finalizers[1:])  # the first is the node's own teardown
        state.stack.clear()


class _PerThread:
    """A ``FixtureDef`` attribute whose value is each thread's own, but for session-scoped fixtures."""

    def __init__(self, name: str, initial: Callable[[], object]) -> None:
        self.name, self.initial = name, initial
        self.threads: ThreadOwn[dict[int, object]] = ThreadOwn(dict)

    def _values(self) -> dict[int, object]:
        return self.threads.get()

    def __get__(self, fixturedef: Any, owner: Any = None) -> Any:
        if fixturedef is None:
            return self
        if fixturedef.__dict__.get("_scope") is Scope.Session:
            return fixturedef.__dict__[self.name]
        values = self._values()
        if id(fixturedef) not in values:
            values[id(fixturedef)] = self.initial()
        return values[id(fixturedef)]

    def __set__(self, fixturedef: Any, value: object) -> None:
        if fixturedef.__dict__.get("_scope") is Scope.Session:
            fixturedef.__dict__[self.name] = value
        else:
            self._values()[id(fixturedef)] = value


# CPython 3.11 counts the depth of the syntax trees it builds once per process, not per thread: two
# threads parsing at once (a traceback's carets, Hypothesis describing a lambda) fail with a SystemError.
_AST = threading.Lock()
# Hypothesis names a lambda by walking sys.modules, which another thread's first import may grow
# meanwhile ("dictionary changed size during iteration"): it walks again, this many times at most.
DESCRIBE_TRIES = 5
_SESSION_SETUP = threading.RLock()  # one thread sets a session fixture up; the others then find it made


@contextlib.contextmanager
def _threaded_fixtures(session: pytest.Session) -> Iterator[_SetupStates]:
    """Per-thread setup states and fixture values, for as long as threads run tests; and the few
    things pytest, CPython 3.11 and Hypothesis do that two tests must not do at once."""
    states = _SetupStates(session._setupstate)
    execute, parse = FixtureDef.execute, ast.parse
    describe_lambda: Callable[[Any], Any] = lambda_sources.lambda_description

    def locked_execute(fixturedef: Any, request: Any) -> Any:
        if fixturedef.__dict__.get("_scope") is not Scope.Session:
            return execute(fixturedef, request)
        with _SESSION_SETUP:
            return execute(fixturedef, request)

    def locked_parse(*args: Any, **kwargs: Any) -> Any:
        with _AST:
            return parse(*args, **kwargs)

    def robust_description(f: Any) -> Any:
        for _ in range(DESCRIBE_TRIES - 1):
            with contextlib.suppress(RuntimeError):
                return describe_lambda(f)
        return describe_lambda(f)

    with contextlib.ExitStack() as undo:
        for owner, name, value in (
            (session, "_setupstate", states),
            (pytest_runner, "_update_current_test_var", _current_test),
            (FixtureDef, "cached_result", _PerThread("cached_result", lambda: None)),
            (FixtureDef, "_finalizers", _PerThread("_finalizers", list)),
            (FixtureDef, "execute", locked_execute),
            (ast, "parse", locked_parse),
            (lambda_sources, "lambda_description", robust_description),
        ):
            undo.enter_context(_replaced(owner, name, value))
        yield states


@contextlib.contextmanager
def _replaced(owner: object, name: str, value: object) -> Iterator[None]:
    """``owner.name`` is ``value`` within the block (a class attribute it did not have is removed after)."""
    had = name in vars(owner)
    saved = vars(owner).get(name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if had:
            setattr(owner, name, saved)
        else:
            delattr(owner, name)


_ENVIRON = threading.Lock()


def _current_test(item: pytest.Item, when: str | None) -> None:
    """``PYTEST_CURRENT_TEST``, which one process has once: the latest test to change stage. pytest's
    own raises when another thread's test removed it first, and ``os.environ.pop`` reads then deletes,
    so two threads removing it at once raise too."""
    with _ENVIRON:
        if when:
            os.environ["PYTEST_CURRENT_TEST"] = f"{item.nodeid} ({when})".replace("\x00", "(null)")
        else:
            os.environ.pop("PYTEST_CURRENT_TEST", None)

"""The Allure side of a running suite: a step for every exchange, labels for every test.

The reports writer calls ``install`` when the run writes Allure results (``--alluredir``). Only
then does a recorder observe the run's exchanges and findings, and only while a test runs: outside a
test, and in a run without ``--alluredir``,
sending and recording cost one look at an empty list. The labels are applied when the test ends,
once it is known which requirements it recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import allure
import pytest
from allure_commons.reporter import ThreadContextItems

from conformance import catalogue
from conformance.checks import Failure, Finding
from conformance.client import Exchange
from conformance.reporting import allure_steps
from conformance.reporting.allure_test import Presentation, RecordedTest, describe
from conformance.run import Run
from conformance.suite.concurrency import ThreadOwn

_allure: Any = allure  # untyped; strict mypy refuses calls to it otherwise
PLUGIN_NAME = "oneroster-conformance-allure"


def results_dir(config: pytest.Config) -> str | None:
    """The ``--alluredir`` of this pytest run (allure-pytest's option), or None."""
    value = getattr(config.option, "allure_report_dir", None)
    return str(value) if value else None


class AllureRecorder:
    """A pytest plugin: knows which test is running and what it recorded."""

    def __init__(self, profile: str) -> None:
        self._local = threading.local()  # tests run together on threads (``--concurrency``)
        self.profile = profile

    @property
    def current(self) -> RecordedTest | None:
        return getattr(self._local, "current", None)

    @current.setter
    def current(self, value: RecordedTest | None) -> None:
        self._local.current = value

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        per_thread(session.config.pluginmanager.get_plugin("allure_listener"))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        callspec = getattr(item, "callspec", None)
        self.current = RecordedTest(
            function=getattr(item, "originalname", None) or item.name,
            params=dict(callspec.params) if callspec is not None else {},
            doc=getattr(getattr(item, "obj", None), "__doc__", None) or "",
        )

    # Innermost, whatever the order the plugins were registered in: the labels go on before
    # allure-pytest's own (Allure's page shows only the first label groups).
    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        yield
        current, self.current = self.current, None
        if current is not None:
            apply(describe(current))

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any]) -> Iterator[None]:
        # Outermost wrapper: allure-pytest's own wrapper has just wrapped the fixture's finalizers
        # and named them after pytest internals ("suite::1", "op::<lambda>").
        yield
        name_teardowns(fixturedef)

    def on_exchange(self, exchange: Exchange) -> None:
        if self.current is not None:
            allure_steps.emit(exchange, _allure)

    def on_record(self, finding: Finding, failure: Failure | None) -> None:
        if self.current is not None:
            self.current.note(finding, catalogue.catalogue(self.profile)[finding.requirement], failure)


class _ThreadCache:
    """allure-pytest's cache of the uuids it gave tests and fixtures, one per thread: tests that run
    together set up the same fixtures, each its own value."""

    def __init__(self, kind: type) -> None:
        self._threads: ThreadOwn[Any] = ThreadOwn(kind)

    def _own(self) -> Any:
        return self._threads.get()

    def get(self, key: object) -> Any:
        return self._own().get(key)

    def push(self, key: object) -> Any:
        return self._own().push(key)

    def pop(self, key: object) -> Any:
        return self._own().pop(key)


class _ThreadItems(ThreadContextItems):
    """Allure's open items (tests, fixtures, steps) of each thread, without its seeding of a new
    thread with the main thread's latest: a test thread's steps are its own test's."""

    @property
    def thread_context(self) -> Any:
        return self._thread_context[threading.current_thread()]


def per_thread(listener: Any) -> None:
    """Make allure-pytest's listener keep each thread's tests apart (a no-op for another listener)."""
    reporter = getattr(listener, "allure_logger", None)
    cache = getattr(listener, "_cache", None)
    if reporter is None or cache is None or isinstance(cache, _ThreadCache):
        return
    if not isinstance(getattr(reporter, "_items", None), ThreadContextItems):
        return
    listener._cache = _ThreadCache(type(cache))
    reporter._items = _ThreadItems()  # type: ignore[no-untyped-call]


def teardown_title(fixturedef: pytest.FixtureDef[Any]) -> str:
    """ "Teardown of suite: <what its docstring's ``Teardown:`` line says>"."""
    lines = (getattr(fixturedef.func, "__doc__", None) or "").splitlines()
    said = next((line.strip().removeprefix("Teardown:").strip() for line in lines if "Teardown:" in line), "")
    return f"Teardown of {fixturedef.argname}" + (f": {said}" if said else "")


def name_teardowns(fixturedef: pytest.FixtureDef[Any]) -> None:
    """Give each finalizer Allure reports a title a vendor can read: a fixture's own teardown keeps
    a step named after the fixture; pytest's bookkeeping (its post-finalizer hook call, the
    pseudo-fixtures of parametrisation) goes back unwrapped, so it is not reported at all."""
    finalizers: list[Any] = getattr(fixturedef, "_finalizers", [])
    for index, finalizer in enumerate(finalizers):
        wrapped = getattr(finalizer, "_fixture_function", None)
        if wrapped is None or not hasattr(finalizer, "_name"):
            continue  # not allure-pytest's wrapper
        if getattr(getattr(wrapped, "func", None), "__name__", "") == "_teardown_yield_fixture":
            finalizer._name = teardown_title(fixturedef)
        else:
            finalizers[index] = wrapped


def apply(presentation: Presentation) -> None:
    """Label the running test (allure-pytest attaches dynamic labels to the current test)."""
    dynamic = _allure.dynamic
    dynamic.title(presentation.title)
    if presentation.description:
        dynamic.description(presentation.description)
    if presentation.epics:
        dynamic.epic(*presentation.epics)
    if presentation.features:
        dynamic.feature(*presentation.features)
    if presentation.stories:
        dynamic.story(*presentation.stories)
    if presentation.severity:
        dynamic.severity(presentation.severity)
    for source in presentation.sources:
        dynamic.label("source", source)
    for url, name in presentation.links:
        dynamic.link(url, name=name)
    for name, text in presentation.attachments:
        _allure.attach(text, name=name, attachment_type=_allure.attachment_type.TEXT)


def install(config: pytest.Config, run: Run) -> AllureRecorder | None:
    """Observe the run when it writes Allure results; undone when pytest's config is cleaned up."""
    if results_dir(config) is None or config.pluginmanager.has_plugin(PLUGIN_NAME):
        return None
    recorder = AllureRecorder(run.target.profile)
    config.pluginmanager.register(recorder, PLUGIN_NAME)
    run.exchange_observers.append(recorder.on_exchange)
    run.finding_observers.append(recorder.on_record)

    def uninstall() -> None:
        run.exchange_observers.remove(recorder.on_exchange)
        run.finding_observers.remove(recorder.on_record)

    config.add_cleanup(uninstall)
    return recorder

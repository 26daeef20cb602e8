"""The recorder observes sends and findings only in a run that writes Allure results, and only
while a test runs; pytest's cleanup takes it out again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from conformance.checks import Finding, Recorder
from conformance.client import Exchange
from conformance.ledger import Ledger
from conformance.reporting import allure_live
from conformance.run import Run, RunOptions
from conformance.target import Target


class _Config:
    """What ``install`` uses of a pytest Config."""

    def __init__(self, alluredir: str | None) -> None:
        self.option = SimpleNamespace(allure_report_dir=alluredir)
        self.registered: list[object] = []
        self.cleanups: list[Any] = []
        self.pluginmanager = SimpleNamespace(
            register=lambda plugin, name: self.registered.append(plugin),
            has_plugin=lambda name: bool(self.registered),
        )

    def add_cleanup(self, func: Any) -> None:
        self.cleanups.append(func)


def _run() -> Run:
    return Run(Target("http://127.0.0.1:9", token="t" * 8), RunOptions(), "octest")


def test_nothing_is_observed_without_alluredir() -> None:
    run, config = _run(), _Config(None)
    assert allure_live.install(config, run) is None  # type: ignore[arg-type]
    assert (run.exchange_observers, run.finding_observers) == ([], [])
    assert config.registered == []


def test_observes_only_while_a_test_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    emitted: list[Exchange] = []
    monkeypatch.setattr(allure_live.allure_steps, "emit", lambda exchange, allure: emitted.append(exchange))
    run, config = _run(), _Config("/tmp/allure-results")
    recorder = allure_live.install(config, run)  # type: ignore[arg-type]
    assert recorder is not None and config.registered == [recorder]
    assert allure_live.install(config, run) is None  # type: ignore[arg-type]  # once per config
    findings = Recorder(Ledger(), run.target.profile, run.finding_observers)
    try:
        exchange = Exchange("GET", "http://127.0.0.1:1/x", {}, None, status=200)
        for observer in run.exchange_observers:
            observer(exchange)
        findings.record(Finding.ok("GEN-NO-SERVER-ERROR"), exchange)
        assert emitted == [] and recorder.current is None  # no test is running

        item = SimpleNamespace(
            name="test_x[a]",
            originalname="test_x",
            callspec=SimpleNamespace(params={"p": "a"}),
            obj=SimpleNamespace(__doc__="Doc."),
        )
        recorder.pytest_runtest_setup(item)  # type: ignore[arg-type]
        for observer in run.exchange_observers:
            observer(exchange)
        findings.record(Finding.ok("GEN-NO-SERVER-ERROR"), exchange)
        assert emitted == [exchange]
        assert recorder.current is not None
        assert (recorder.current.function, recorder.current.params, recorder.current.doc) == (
            "test_x",
            {"p": "a"},
            "Doc.",
        )
        assert recorder.current.tallies["GEN-NO-SERVER-ERROR"].passed == 1
    finally:
        for cleanup in config.cleanups:
            cleanup()
    assert recorder.on_exchange not in run.exchange_observers
    assert recorder.on_record not in run.finding_observers


def test_teardowns_are_named_for_a_vendor_and_pytest_bookkeeping_is_not_reported() -> None:
    """Allure-pytest names a fixture's finalizers after pytest internals ("suite::1", "op::<lambda>");
    the recorder renames the fixture's own teardown from its docstring and unwraps the rest."""
    import functools

    from _pytest.fixtures import _teardown_yield_fixture
    from allure_commons._allure import fixture as allure_fixture

    def suite() -> None:
        """The run's session.

        Teardown: delete the records this run made."""

    own = functools.partial(_teardown_yield_fixture, suite, iter(()))

    def bookkeeping() -> None:
        return None

    fixturedef = SimpleNamespace(
        argname="suite",
        func=suite,
        _finalizers=[allure_fixture(bookkeeping, name="suite::<lambda>"), allure_fixture(own, name="suite::1")],
    )
    allure_live.name_teardowns(fixturedef)  # type: ignore[arg-type]
    assert fixturedef._finalizers[0] is bookkeeping
    assert fixturedef._finalizers[1]._name == "Teardown of suite: delete the records this run made."
    plain = SimpleNamespace(argname="op", func=lambda: None, _finalizers=[allure_fixture(own, name="op::1")])
    allure_live.name_teardowns(plain)  # type: ignore[arg-type]
    assert plain._finalizers[0]._name == "Teardown of op"

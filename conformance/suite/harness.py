"""The suite's harness: one ``Run`` seen through pytest's hooks.

``RunPlugin`` is registered with pytest as an object — by the ``run`` command
(``pytest.main(args, plugins=[RunPlugin(run)])``), by the entry-point plugin when the suite is run as
``pytest --pyargs conformance.suite``, and in each pytest-xdist worker from the run's description.
It owns the run's lifecycle in pytest: the time budget and signals, the session every test shares,
skipping once the run stopped, progress, collecting the workers' ledgers, and the verdict, which it
leaves on ``run.result`` for whoever writes the reports.
"""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis.errors import Flaky

from conformance.checks import ConformanceFailure, Recorder
from conformance.client import SuiteClient
from conformance.exits import Exit
from conformance.fixtures import Fixtures
from conformance.guard import install_signal_handlers
from conformance.machines.external_tests_model import SHARED_ATTEMPTS, roles
from conformance.run import Run
from conformance.session.controls import discover as discover_controls
from conformance.session.suite_session import Options, SuiteSession
from conformance.session.world import World
from conformance.suite import concurrency, dialect_hint, heap, selection, split, stopping, verdict
from conformance.suite.progress import Live, Progress, area_of, uncaptured
from conformance.target import ConfigError

NAME = "oneroster-conformance-run"

# A signal that lands while the interpreter runs a garbage-collector callback (Hypothesis installs one)
# raises the guard's RunStopped where Python cannot propagate it, and pytest would print the traceback
# as a warning. The stop is not lost: the guard has recorded it and the run ends at its next check.
# An ini filter, not ``-W``: pytest reads a command-line filter's message literally.
SWALLOWED_STOP_FILTER = "ignore:(?s).*guard.RunStopped:pytest.PytestUnraisableExceptionWarning"


def quiet_swallowed_stops(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", SWALLOWED_STOP_FILTER)


class RunPlugin:
    """pytest hooks bound to one run."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.session: SuiteSession | None = None
        self._restore: Callable[[], None] = lambda: None
        self.progress = Progress(run.guard)
        self._signs = dialect_hint.Signs(run.target.profile)
        self._worker: split.Worker | None = None  # in a pytest-xdist worker
        self._listener: split.Listener | None = None  # in the controller of workers: their request counts

    @staticmethod
    def find(config: pytest.Config) -> RunPlugin | None:
        """The run plugin registered with this pytest session, if any (``pytest.main`` registers the
        plugin objects it is given under names of its own)."""
        return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, RunPlugin)), None)

    @staticmethod
    def of(config: pytest.Config) -> RunPlugin:
        plugin = RunPlugin.find(config)
        if plugin is None:
            raise LookupError("the conformance suite runs only under its run plugin")
        return plugin

    @staticmethod
    def profile_of(config: pytest.Config) -> str:
        """The run's profile, for tests parametrised by what it offers (its operations, its entities)."""
        return RunPlugin.of(config).run.target.profile

    @functools.cached_property
    def fixtures(self) -> Fixtures:
        """The target's fixtures file, read once: the loop's schedule and the session both need it."""
        return self.run.target.fixtures()

    @property
    def controller(self) -> bool:
        return self.run.worker is None

    # Start -------------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        if self.controller:
            self.run.arm()
            self.progress.write = uncaptured(config)
            if self.run.console is not None:
                self.progress.live = Live(self.run.console)
            self.run.exchange_observers.append(self._sent)
            # A pytest-xdist worker that died is not replaced: another would not know which share was its own.
            config.option.maxworkerrestart = "0"
            if self.run.options.workers > 1:
                self._listener = split.Listener(self._shared_folder, self.progress.sent)
        else:
            self._worker = split.Worker(config)
            config.pluginmanager.register(self._worker)
            announce = split.Announcer(self._shared_folder, str(config.workerinput["workerid"]))  # type: ignore[attr-defined]
            self.run.exchange_observers.append(lambda _: announce(self.run.ledger.requests))
        self._restore = install_signal_handlers(self.run.guard)
        quiet_swallowed_stops(config)

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """pytest-xdist: every worker is sent every test, and runs its own share of them (``suite/split.py``)."""
        from xdist.scheduler import EachScheduling

        return EachScheduling(config, log)

    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: a worker gets the run's description (secrets travel on the workers' channel)."""
        node.workerinput["oneroster"] = self.run.describe()

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """``--only``: keep the tests that can validate the named requirements, areas or operations."""
        if not self.run.options.only:
            return
        kept, deselected = selection.select(items, self.run.options.only, self.run.target.profile)
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = kept

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """``--concurrency``: this process's tests run together on threads; in a pytest-xdist worker
        (``--workers``), its share of them (``suite/split.py``). The controller's loop is pytest-xdist's."""
        config = session.config
        if session.testsfailed or config.option.collectonly or config.pluginmanager.has_plugin("dsession"):
            return None  # pytest's own loop (which also reports collection errors), or pytest-xdist's
        apart, sharing = self._apart(), None
        if self._worker is not None:
            count = split.worker_count(config.workerinput)  # type: ignore[attr-defined]
            sharing = split.Workers(self._shared_folder, count, apart)
            self._worker.start(session)
        try:
            with heap.long_lived_frozen():
                concurrency.run(session, self.run.options.concurrency, apart, sharing)
        finally:
            if self._worker is not None:
                self._worker.done(session)
        return True

    @property
    def _shared_folder(self) -> Path:
        """Where the workers claim tests and take their ranks as they finish (removed with the run)."""
        return self.run.reports / f".workers-{self.run.run_id}"

    def _apart(self) -> frozenset[str]:
        """What tests must not share at once: class members' external-test attempts, unless the
        fixtures name students in no class for the attempt lifecycles."""
        try:
            fixtures = self.fixtures
        except ConfigError:
            return frozenset({SHARED_ATTEMPTS})
        return frozenset() if fixtures.students and roles(fixtures).apart else frozenset({SHARED_ATTEMPTS})

    # The session every test shares ------------------------------------------------------------
    def open_session(self) -> SuiteSession:
        run = self.run
        options = Options(
            max_examples=run.options.max_examples,
            seed=run.options.seed,
            read_only=run.target.read_only,
            shrink=run.options.shrink,
            concurrency=run.options.concurrency,
        )
        shared_pause = self._shared_folder / "paused-until" if self._worker is not None else None
        client = SuiteClient(run.target, guard=run.guard, shared_pause=shared_pause)
        try:
            world = World(
                self.fixtures, run.prefix, run.target.profile, href_base=f"{run.target.base_url}/ims/oneroster"
            )
        except ConfigError as exc:
            client.close()
            pytest.exit(str(exc), returncode=Exit.USAGE)
        recorder = Recorder(run.ledger, run.target.profile, run.finding_observers)
        session = SuiteSession(run.target, client, world, options, recorder=recorder)
        session.observers.append(self._observe)
        # PowerPath's tool doubles, when the target announces a control interface for them; None
        # otherwise, and the machines say what they skip.
        controls = discover_controls(client)
        session.tool_control, session.token_control = controls.tools, controls.tokens
        self.session = session
        return session

    def close_session(self, session: SuiteSession) -> None:
        session.cleanup()
        self.run.ledger.requests = session.client.requests
        self.run.ledger.peak_in_flight = session.client.peak_in_flight
        session.client.close()
        self.run.cleanup_errors.extend(session.cleanup_errors)
        self.session = None

    def _observe(self, exchange: Any) -> None:
        if self.session is not None:
            self.run.ledger.requests = self.session.client.requests
        self._signs.observe(exchange)
        for observer in self.run.exchange_observers:
            observer(exchange)

    # Each test --------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
        """Once the run stopped (time budget, interrupt, target not answering), a test it had not
        reached is not run at all: no setup, no report. Stopping then costs the test in flight and
        cleanup, however many tests remain and however busy the machine; the summary lists each
        requirement left unchecked as skipped, with why. The process's last test still goes through
        its protocol (skipped at setup): its teardown is where the session's cleanup runs, before
        the summary is written."""
        return True if self.run.guard.reason is not None and nextitem is not None else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """A test whose protocol began just before the run stopped: skipped with the reason."""
        self.progress.area = area_of(item, self.run.target.profile)
        stopping.skip_if_stopped(self.run.guard)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        outcome: Any = yield
        properties = outcome.get_result().user_properties
        properties.append(("oc_requests", self.run.ledger.requests))
        properties.append(("oc_area", area_of(item, self.run.target.profile)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Progress on stderr (controller only): area, tests, requests, failures so far."""
        if not self.controller or not any(name == "oc_requests" for name, _ in report.user_properties):
            return
        if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
            return
        gateway = getattr(getattr(report, "node", None), "gateway", None)
        properties = dict(report.user_properties)
        self.progress.record(
            str(properties.get("oc_area", "general")),
            str(gateway.id) if gateway is not None else "main",
            int(str(properties["oc_requests"])),
            report.outcome == "failed",
        )
        self.progress.tell(force=report.outcome == "failed")

    def _sent(self, exchange: Any) -> None:
        """Progress while a long test sends (the controller's own requests)."""
        self.progress.sent({"main": self.run.ledger.requests})

    def pytest_exception_interact(self, node: Any, call: Any, report: Any) -> None:
        """A test that broke for a reason other than a conformance failure is a suite error."""
        exc = call.excinfo.value if call.excinfo else None
        if isinstance(exc, Flaky) and self.run.guard.stopped is not None:
            # A stop that lands mid-example changes what the example does when Hypothesis replays it,
            # and Hypothesis calls that flaky: the stop did it, not the suite (the run says it was cut short).
            return
        if exc is not None and not isinstance(exc, ConformanceFailure | pytest.skip.Exception):
            first = str(exc).splitlines()[0][:200] if str(exc) else ""
            self.run.ledger.error(f"{node.nodeid}: {type(exc).__name__}: {first}")

    # The end ------------------------------------------------------------------------------------
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a worker finished; its outcomes join the controller's."""
        output = getattr(node, "workeroutput", {}).get("oneroster")
        if output is not None:
            self.run.absorb(output)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self._listener is not None:
            self._listener.stop()
        self.progress.finish()
        run = self.run
        run.signs.update(self._signs.counts)
        if not self.controller:
            session.config.workeroutput["oneroster"] = run.worker_output()  # type: ignore[attr-defined]
            return
        run.unprovision()  # after every process's own cleanup: what it wrote referenced these records
        if run.options.only and self.progress.tests == 0 and run.guard.stopped is None:
            # A gate whose --only matches nothing would be green forever: no verdict at all.
            run.usage_error = (
                f"--only {run.options.only!r} selects no test of the {run.target.profile} profile "
                "(name requirement IDs or ID prefixes such as GB-RESULT, areas such as results or PP, or operation ids)"
            )
            return
        info = verdict.RunInfo(
            profile=run.target.profile,
            target=run.target.base_url,
            seed=run.options.seed,
            started_at=datetime.fromtimestamp(run.started, UTC).isoformat(timespec="seconds"),
            duration_s=time.time() - run.started,
            errors=tuple(run.ledger.errors),
            cleanup=tuple(run.cleanup_errors),
            run_id=run.run_id,
            strict=run.options.strict,
            waiver_file=run.options.waivers,
            waivers=run.waivers,
            fixtures=run.fixtures_summary(),
            in_flight={"limit": run.in_flight_limit, "peak": run.ledger.peak_in_flight},
        )
        result = verdict.build(run.ledger, info)
        stopping.annotate(result, run.guard)  # a run cut short says so; what it never checked is skipped, with why
        # A failed run that looks like the other dialect says so (asking the target once more when the
        # run itself saw too little to tell).
        undecided = result["verdict"] != "conformant" and len(run.signs) < dialect_hint.MIN_SIGNS
        if undecided and not run.target.read_only and not result.get("cut_short"):
            run.signs.update(dialect_hint.probe(run.target, run.run_id + "-"))
        suggestion = dialect_hint.hint(result, run.signs)
        if suggestion is not None:
            result["dialect_hint"] = suggestion
        run.result = result

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._restore()
        if self.controller:
            stopping.remove_stop_file(self.run.guard)
            shutil.rmtree(self._shared_folder, ignore_errors=True)
            self.run.stop_server()

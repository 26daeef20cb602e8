"""The suite's pytest plugin, registered through the ``pytest11`` entry point.

It gives ``pytest --pyargs conformance.suite`` the suite's options and its ``suite`` fixture, and
stays inert unless the suite itself is being run. Three ways in, one ``Run`` each time:
- the ``run`` command built the run and registered its plugins already: nothing to do here;
- ``pytest --pyargs conformance.suite``: the run is built here, from the options;
- a pytest-xdist worker: the run is rebuilt from the description the controller sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import redaction, settings
from conformance.client import AuthenticationFailed, TargetUnreachable
from conformance.exits import Exit
from conformance.reference.embedded import ServerStartError
from conformance.reporting.run_files import ReportWriter
from conformance.run import Run, build
from conformance.session.suite_session import SuiteSession
from conformance.suite import concurrency, harness
from conformance.target import ConfigError

SUITE_DIR = Path(harness.__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oneroster-conformance")
    for flag, default, help_text in settings.OPTIONS:
        group.addoption(
            settings.PYTEST_RENAMES.get(flag, flag),
            dest=settings.dest(flag),
            default=settings.env_default(flag, default),
            help=help_text,
        )
    for flag in settings.FLAGS:
        group.addoption(
            settings.PYTEST_RENAMES.get(flag, flag),
            dest=settings.dest(flag),
            action="store_true",
            default=settings.env_flag(flag),
            help=settings.FLAG_HELP[flag],
        )


def _runs_the_suite(config: pytest.Config) -> bool:
    """Whether this pytest session runs the conformance suite (and not, say, the project's own tests)."""
    for arg in config.args:
        base = str(arg).split("::", 1)[0]
        if base == "conformance.suite" or base.startswith("conformance.suite."):
            return True
        path = Path(base).resolve()
        if path == SUITE_DIR or SUITE_DIR in path.parents:
            return True
    return False


def register(config: pytest.Config, run: Run) -> None:
    config.pluginmanager.register(harness.RunPlugin(run), harness.NAME)
    config.pluginmanager.register(ReportWriter(run))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for marker in (concurrency.MARKER, concurrency.ALONE_MARKER, concurrency.SHARES_MARKER):
        config.addinivalue_line("markers", marker)  # the suite's modules carry them wherever they are collected
    if harness.RunPlugin.find(config) is not None:
        return  # the run command built the run
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        if "oneroster" in workerinput:
            register(config, Run.from_description(workerinput["oneroster"], str(workerinput["workerid"])))
        return
    if not _runs_the_suite(config):
        return
    values = {name: config.getoption(name) for name in settings.names()}
    values["workers"] = getattr(config.option, "numprocesses", None) or 1  # pytest-xdist's -n, not the run's choice
    try:
        run = build(values)
    except (ConfigError, ServerStartError) as exc:
        pytest.exit(f"oneroster-conformance: error: {redaction.redact(str(exc))}", returncode=Exit.USAGE)
    except (TargetUnreachable, AuthenticationFailed) as exc:
        pytest.exit(f"oneroster-conformance: {exc}", returncode=Exit.UNREACHABLE)
    register(config, run)


@pytest.fixture(scope="session")
def suite(request: pytest.FixtureRequest) -> Iterator[SuiteSession]:
    """The run's one session: the target, its client, the world of fixture records, the options.

    Teardown: delete the records this run made and close the HTTP client."""
    plugin = harness.RunPlugin.of(request.config)
    session = plugin.open_session()
    yield session
    plugin.close_session(session)


@pytest.fixture(autouse=True)
def own_records(request: pytest.FixtureRequest) -> Iterator[None]:
    """The records a suite test makes are its own while it runs: a test running beside it
    (``--concurrency``) does not pick them as existing records to change. (Every pytest session sees
    this plugin's fixtures; only the suite's run has a session.)"""
    if harness.RunPlugin.find(request.config) is None:
        yield
        return
    suite: SuiteSession = request.getfixturevalue("suite")
    with suite.world.test(request.node.nodeid):
        yield

"""pytest plugin of the conformance suite: options, the target, the session, the verdict.

Registered through the ``pytest11`` entry point so that ``pytest --pyargs conformance.suite`` knows
the suite's options; it stays inert unless the suite itself is being run. Works the same under
``oneroster-conformance run``, with or without pytest-xdist: the controller resolves the target
(starting the embedded reference server when none is given) and passes it to the workers; every
process keeps a ledger of requirement outcomes; the controller merges them into summary.json and
summary.md.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance import profiles, redaction
from conformance.client import AuthenticationFailed, SuiteClient, TargetUnreachable
from conformance.ledger import LEDGER, Ledger
from conformance.machines import tools
from conformance.reporting import run_files
from conformance.reporting import summary as summary_module
from conformance.suite import dialect_hint, stopping
from conformance.suite.session import EXCHANGED, Options, SuiteSession
from conformance.suite.targeting import (
    FLAG_HELP,
    FLAGS,
    OPTIONS,
    PYTEST_RENAMES,
    Resolved,
    env_default,
    preflight,
    resolve,
)
from conformance.suite.world import World
from conformance.target import ConfigError, Target

EXIT_USAGE, EXIT_UNREACHABLE = 2, 3
_RESOLVED = pytest.StashKey[Resolved]()
_ACTIVE = pytest.StashKey[bool]()
_STARTED = pytest.StashKey[float]()
_TARGET_KEYS = (
    "base_url",
    "token_url",
    "client_id",
    "client_secret",
    "token",
    "profile",
    "fixtures_path",
    "connect_timeout",
    "read_timeout",
    "read_only",
    "embedded",
    "request_deadline",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oneroster-conformance")
    for flag, default, help_text in OPTIONS:
        # pytest owns --fixtures (it lists fixtures): the suite's is --fixtures-file under pytest.
        name = PYTEST_RENAMES.get(flag, flag)
        group.addoption(
            name, dest=flag.lstrip("-").replace("-", "_"), default=env_default(flag, default), help=help_text
        )
    for flag in FLAGS:
        raw = env_default(flag, "") or ""
        group.addoption(
            flag,
            action="store_true",
            default=raw.lower() in {"1", "true", "yes"},
            help=FLAG_HELP[flag],
        )


SUITE_DIR = Path(__file__).resolve().parent


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _active(config: pytest.Config) -> bool:
    """Whether this pytest session runs the conformance suite (and not, say, the project's own tests)."""
    if _is_worker(config):
        return "oneroster" in config.workerinput  # type: ignore[attr-defined]
    for arg in config.args:
        base = str(arg).split("::", 1)[0]
        if base == "conformance.suite" or base.startswith("conformance.suite."):
            return True
        path = Path(base).resolve()
        if path == SUITE_DIR or SUITE_DIR in path.parents:
            return True
    return False


def _values(config: pytest.Config) -> dict[str, Any]:
    names = [flag.lstrip("-").replace("-", "_") for flag, _, _ in OPTIONS] + ["read_only"]
    return {name: config.getoption(name) for name in names}


def pytest_configure(config: pytest.Config) -> None:
    if not _active(config):
        return
    config.stash[_ACTIVE] = True
    config.stash[_STARTED] = time.time()
    # Issue 10: look at every answer for signs of the other dialect (undone with the config: `run`
    # calls pytest in-process, and a second run must not inherit the first's observer).
    dialect_hint.SIGNS.counts.clear()
    EXCHANGED.append(dialect_hint.SIGNS.observe)
    config.add_cleanup(lambda: EXCHANGED.remove(dialect_hint.SIGNS.observe))
    run_files.on_start(config, controller=not _is_worker(config))  # issue 7: Allure steps and labels
    if _is_worker(config):
        data = dict(config.workerinput["oneroster"])  # type: ignore[attr-defined]
        redaction.register(data.get("client_secret"))
        redaction.register(data.get("token"))
        config.stash[_RESOLVED] = Resolved(Target(**{k: data[k] for k in _TARGET_KEYS}))
        profiles.activate(config.stash[_RESOLVED].target.profile)  # before collection reads the tables
        stopping.start(config, _reports(config), config.workerinput["oneroster_guard"])  # type: ignore[attr-defined]
        return
    try:
        resolved = resolve(_values(config))
    except ConfigError as exc:
        pytest.exit(f"oneroster-conformance: error: {exc}", returncode=EXIT_USAGE)
    except Exception as exc:  # the embedded server failed to start: report it in one line
        pytest.exit(f"oneroster-conformance: error: {type(exc).__name__}: {redaction.redact(str(exc))}", EXIT_USAGE)
    try:
        preflight(resolved.target)
    except (TargetUnreachable, AuthenticationFailed) as exc:
        resolved.stop()
        pytest.exit(f"oneroster-conformance: {exc}", returncode=EXIT_UNREACHABLE)
    config.stash[_RESOLVED] = resolved
    profiles.activate(resolved.target.profile)  # before collection reads the operation table and catalogue
    config.stash[_RUN] = f"oc{secrets.token_hex(3)}"  # a per-run prefix for every record written
    # Issue 8: the time budget starts now; SIGINT/SIGTERM stop the run gracefully (cleanup included).
    stopping.start(config, _reports(config), None)


_RUN = pytest.StashKey[str]()


def pytest_configure_node(node: Any) -> None:  # pytest-xdist: hand the resolved target to a worker
    if _RESOLVED not in node.config.stash:
        return
    target = node.config.stash[_RESOLVED].target
    node.workerinput["oneroster"] = {k: getattr(target, k) for k in _TARGET_KEYS}
    node.workerinput["oneroster_run"] = node.config.stash[_RUN]
    node.workerinput["oneroster_guard"] = stopping.worker_input()  # the shared time budget and stop file


def _run_prefix(config: pytest.Config) -> str:
    if _is_worker(config):
        worker = config.workerinput["workerid"]  # type: ignore[attr-defined]
        return f"{config.workerinput['oneroster_run']}-{worker}-"  # type: ignore[attr-defined]
    return f"{config.stash[_RUN]}-m-"


@pytest.fixture(scope="session")
def suite(request: pytest.FixtureRequest) -> Iterator[SuiteSession]:
    """The run's one session: the target, its client, the world of fixture records, the options.

    Teardown: delete the records this run made and close the HTTP client."""
    config = request.config
    target = config.stash[_RESOLVED].target
    options = Options(
        max_examples=int(config.getoption("max_examples")),
        seed=int(config.getoption("seed")),
        read_only=target.read_only,
        shrink=not config.getoption("no_shrink"),
    )
    client = SuiteClient(target)
    try:
        world = World(target.fixtures(), _run_prefix(config), href_base=f"{target.base_url}/ims/oneroster")
    except ConfigError as exc:
        pytest.exit(str(exc), returncode=EXIT_USAGE)
    session = SuiteSession(target, client, world, options)
    # PowerPath's tool doubles, when the target announces a control interface for them (DESIGN.md,
    # "External tools in the reference server"); None otherwise, and the machines say what they skip.
    session.tool_control = tools.discover(client)
    yield session
    session.cleanup()
    client.close()
    config.stash[_CLEANUP] = session.cleanup_errors


_CLEANUP = pytest.StashKey[list[str]]()


def _reports(config: pytest.Config) -> Path:
    return Path(str(config.getoption("reports")))


# --only names areas or requirement-ID prefixes; these words stand for whole services.
_ONLY_ALIASES = {"PP": "powerpath", "GB": "gradebook", "GEN": "general"}
_MODULE_AREAS = {
    "test_external_tests": "powerpath PP",
    "test_auth": "general GEN authentication",
    "test_machines": "gradebook GB",
    "test_records": "gradebook GB",
    "test_not_found": "gradebook GB",
}


def _item_words(item: pytest.Item) -> str:
    module = getattr(item, "module", None)
    words = [item.nodeid, _MODULE_AREAS.get(module.__name__.rsplit(".", 1)[-1] if module else "", "")]
    callspec = getattr(item, "callspec", None)
    op = callspec.params.get("op") if callspec is not None else None
    if op is not None:
        words += [op.service, op.resource, op.id, "PP" if op.service == "powerpath" else "GB"]
    return " ".join(words).lower()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--only a,b: keep the tests whose area, operation or requirement prefix matches a word."""
    if _ACTIVE not in config.stash or not config.getoption("only"):
        return
    words = [w.strip() for w in str(config.getoption("only")).split(",") if w.strip()]
    wanted = [_ONLY_ALIASES.get(w.upper(), w).lower() for w in words]
    kept = [item for item in items if any(w in _item_words(item) for w in wanted)]
    deselected = [item for item in items if item not in kept]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Issue 8: once the run stopped (time budget, interrupt, target not answering), skip with the reason."""
    if _ACTIVE in item.config.stash:
        stopping.skip_if_stopped()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    if _ACTIVE in item.config.stash:
        outcome.get_result().user_properties.append(("oc_requests", LEDGER.requests))


_progress: dict[str, Any] = {"tests": 0, "failed": 0, "requests": {}, "last": 0.0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Progress on stderr (controller only): area, tests, requests, failures so far."""
    if not any(name == "oc_requests" for name, _ in report.user_properties):
        return
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    _progress["tests"] += 1
    _progress["failed"] += report.outcome == "failed"
    gateway = getattr(getattr(report, "node", None), "gateway", None)
    key = str(gateway.id) if gateway is not None else "main"
    for name, value in report.user_properties:
        if name == "oc_requests":
            _progress["requests"][key] = value
    now = time.monotonic()
    if now - _progress["last"] >= 2.0 or report.outcome == "failed":
        _progress["last"] = now
        area = report.nodeid.split("::")[-1].split("[")[0]
        sys.stderr.write(
            f"[{area}] {_progress['tests']} tests, {sum(_progress['requests'].values())} requests, "
            f"{_progress['failed']} failed\n"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _RESOLVED not in config.stash:  # exited during configure
        return
    reports = _reports(config)
    ledger_dir = reports / ".ledger"
    name = config.workerinput["workerid"] if _is_worker(config) else "controller"  # type: ignore[attr-defined]
    LEDGER.dump(ledger_dir / f"{name}.json")
    dialect_hint.SIGNS.dump(ledger_dir / f"{name}{dialect_hint.SUFFIX}")
    stopping.dump_cleanup(ledger_dir / f"{name}.cleanup", _cleanup_errors(config))  # issue 8: workers' too
    if _is_worker(config):
        return
    files = sorted(ledger_dir.glob("*.json"))
    merged = Ledger.merged(files)
    for path in files:
        path.unlink()
    errors = tuple(merged.errors)
    info = summary_module.RunInfo(
        profile=config.stash[_RESOLVED].target.profile,
        target=config.stash[_RESOLVED].target.base_url,
        seed=int(config.getoption("seed")),
        started_at=datetime.fromtimestamp(config.stash[_STARTED], UTC).isoformat(timespec="seconds"),
        duration_s=time.time() - config.stash[_STARTED],
        errors=errors,
        cleanup=stopping.load_cleanup(ledger_dir),
        run_id=config.stash[_RUN],
    )
    result = summary_module.build(merged, info)
    stopping.annotate(result)  # issue 8: a run cut short says so; what it never checked is skipped, with why
    # Issue 10: a failed run that looks like the other dialect says so (asking the target once more
    # when the run itself saw too little to tell).
    signs = dialect_hint.load(ledger_dir)
    target = config.stash[_RESOLVED].target
    undecided = result["verdict"] != "conformant" and len(signs) < dialect_hint.MIN_SIGNS
    if undecided and not target.read_only and not result.get("cut_short"):
        signs.update(dialect_hint.probe(target, config.stash[_RUN] + "-"))
    suggestion = dialect_hint.hint(result, signs)
    if suggestion is not None:
        result["dialect_hint"] = suggestion
    summary_module.write(result, reports)
    run_files.on_finish(config, result, reports)  # issue 7: Allure environment and categories, certificate.html
    config.stash[_SUMMARY] = result
    config.stash[_RESOLVED].stop()


_SUMMARY = pytest.StashKey[dict[str, Any]]()


def _cleanup_errors(config: pytest.Config) -> list[str]:
    errors: list[str] = config.stash.get(_CLEANUP, [])
    return errors


def pytest_unconfigure(config: pytest.Config) -> None:
    if _ACTIVE in config.stash:
        stopping.finish(config, controller=not _is_worker(config))  # issue 8: signal handlers, stop file


def pytest_exception_interact(node: Any, call: Any, report: Any) -> None:
    """A test that broke for a reason other than a conformance failure is a suite error."""
    from conformance.checks import ConformanceFailure

    if _ACTIVE not in node.config.stash:
        return
    exc = call.excinfo.value if call.excinfo else None
    if exc is not None and not isinstance(exc, ConformanceFailure | pytest.skip.Exception):
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        LEDGER.error(f"{node.nodeid}: {type(exc).__name__}: {first}")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    result = config.stash.get(_SUMMARY, None)
    if result is not None:
        terminalreporter.write_line(summary_module.terminal(result))
        terminalreporter.write_line(f"reports: {_reports(config).resolve()}")

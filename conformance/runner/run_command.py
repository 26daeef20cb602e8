"""``oneroster-conformance run``: build the run, run the suite under pytest, report the verdict.

The run is built here, before pytest starts — its options checked, its target resolved and
reached — so that configuration errors (exit 2) and an unreachable or refusing target (exit 3) get a
one-line message and no traceback. pytest gets the run as plugin objects, never through its
arguments, the environment or files; the verdict comes back on the run, in memory.

SIGINT and SIGTERM are handled for the whole command. Before the suite starts they stop it at once
(nothing was written); once it runs they stop it gracefully — the remaining tests skipped, cleanup
run, summary.json written — and the command exits 130. Whatever happened, the last line on stderr
explains the outcome in one line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from typing import Any

import pytest

from conformance import redaction, settings
from conformance.checks import TRANSPORT_FAILURE
from conformance.client import AuthenticationFailed, TargetUnreachable
from conformance.exits import Exit
from conformance.guard import Guard, install_signal_handlers
from conformance.reference.embedded import ServerStartError
from conformance.reporting import baseline, summary
from conformance.reporting.run_files import ReportWriter
from conformance.reporting.summary import with_waivers
from conformance.run import Run, build
from conformance.suite.harness import RunPlugin
from conformance.target import ConfigError


def pytest_args(run: Run) -> list[str]:
    """pytest's own arguments for a run: what to collect, how to report, how many workers. The suite's
    settings are not among them: the run carries those."""
    reports = run.reports
    args = [
        "--pyargs",
        "conformance.suite",
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=no",
        "--no-header",
        "-o",
        "console_output_style=classic",
        # The suite judges with its own checks, never with pytest's assertion messages: no rewriting. In
        # each pytest-xdist worker, rewriting re-parsed the plugins' whole packages (hypothesis,
        # schemathesis…) at start-up, seconds of CPU per worker, never cached under
        # PYTHONDONTWRITEBYTECODE (tox, CI).
        "--assert=plain",
        f"--junitxml={reports / 'junit.xml'}",
        f"--alluredir={reports / 'allure-results'}",
        f"--hypothesis-seed={run.options.seed}",  # the state machines draw from Hypothesis's global seed
    ]
    if run.options.workers > 1:
        args += ["-n", str(run.options.workers)]
    return args


def run(args: argparse.Namespace) -> int:
    guard = Guard()
    restore = install_signal_handlers(guard)
    try:
        return _run(args, guard)
    finally:
        restore()


def _error(message: str) -> int:
    print(f"oneroster-conformance: error: {redaction.redact(message)}", file=sys.stderr)
    return Exit.USAGE


def _run(args: argparse.Namespace, guard: Guard) -> int:
    values: dict[str, Any] = {name: getattr(args, name, None) for name in settings.names()}
    values["workers"] = getattr(args, "workers", None)
    before = None
    if getattr(args, "baseline", None):
        try:
            before = baseline.load(args.baseline)
        except baseline.BaselineError as exc:
            return _error(str(exc))
    try:
        the_run = build(values, guard=guard)
    except (ConfigError, ServerStartError) as exc:  # the embedded server did not come up: one line, no traceback
        return _error(str(exc))
    except (TargetUnreachable, AuthenticationFailed) as exc:
        print(f"oneroster-conformance: {exc}", file=sys.stderr)
        return Exit.UNREACHABLE
    if before is not None:
        the_run.baseline = (args.baseline, before)
    try:
        where = "embedded reference server at " if the_run.target.embedded else ""
        together, processes = the_run.in_flight_limit, the_run.options.workers
        pace = f"{together} tests at a time" if together > 1 else "one test at a time"
        pace += f" in {processes} processes" if processes > 1 else ""
        print(
            f"oneroster-conformance: target {where}{redaction.redact(the_run.target.base_url)} ({pace})",
            file=sys.stderr,
        )
        if getattr(args, "config_file", None):
            print(f"oneroster-conformance: settings from {args.config_file}", file=sys.stderr)
        for line in the_run.fixture_lines:
            print(f"oneroster-conformance: fixtures: {redaction.redact(line)}", file=sys.stderr)
        if the_run.fixture_lines:
            print(f"oneroster-conformance: fixtures written to {the_run.target.fixtures_path}", file=sys.stderr)
        return _verdict(the_run, _pytest(the_run))
    finally:
        the_run.stop_server()


class QuietTerminal:
    """pytest's terminal output, written to nowhere: a vendor reads the run's own lines (progress, the
    failures, the verdict), and pytest's marks, test ids and paths into the installation are noise to
    them. The reporter itself stays (other plugins and the project's own pytest options rely on it);
    ``--verbose`` leaves it as it is."""

    def __init__(self) -> None:
        self.sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed at unconfigure

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        standard = config.pluginmanager.getplugin("terminalreporter")
        if standard is not None:
            config.pluginmanager.unregister(standard)
            config.pluginmanager.register(pytest.TerminalReporter(config, self.sink), "terminalreporter")

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.sink.close()


def _terminal() -> Any:
    """A rich Console on the terminal the run's stderr is, opened before pytest captures that stream
    (so that the progress line is drawn while tests run); None when stderr is no terminal (a CI log)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    return Console(file=os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding="utf-8"), stderr=True)


def _pytest(the_run: Run) -> int:
    plugins: list[object] = [RunPlugin(the_run), ReportWriter(the_run)]
    if not the_run.options.verbose:
        plugins.append(QuietTerminal())
        the_run.console = _terminal()
    try:
        return int(pytest.main(pytest_args(the_run), plugins=plugins))
    finally:
        if the_run.console is not None:
            the_run.console.file.close()
            the_run.console = None


def _verdict(the_run: Run, code: int) -> int:
    result = the_run.result
    if the_run.usage_error is not None:
        return _error(the_run.usage_error)
    if the_run.guard.interrupted and result is None:
        print(f"oneroster-conformance: interrupted by {the_run.guard.interrupted} before any test ran", file=sys.stderr)
        return Exit.INTERRUPTED
    if result is None:
        if code in (Exit.USAGE, Exit.UNREACHABLE):
            return code
        print(
            f"oneroster-conformance: error: the suite ended without a verdict (pytest exit {code}; "
            "--verbose shows pytest's own output)",
            file=sys.stderr,
        )
        return Exit.USAGE if code == 4 else Exit.FAILED
    if not the_run.options.verbose:  # with pytest's terminal, its summary hook printed them
        print(summary.terminal(result))
        print(f"reports: {the_run.reports.resolve()}")
    for line in baseline.lines(result["baseline"]) if "baseline" in result else ():
        print(line)
    print(f"oneroster-conformance: {explain(result)}", file=sys.stderr)
    if the_run.guard.interrupted:
        return Exit.INTERRUPTED
    return Exit.OK if result["verdict"] == "conformant" else Exit.FAILED


def explain(result: dict[str, Any]) -> str:
    """The outcome in one line: the verdict and why, a cut-short run, what cleanup left behind."""
    rows = result["requirements"]
    failed = [r for r in rows if r["status"] == "failed" and r["level"] == "MUST"]
    should = [r for r in rows if r["status"] == "failed" and r["level"] == "SHOULD"]
    late = _expired(result)
    if failed:
        ids = ", ".join(r["id"] for r in failed[:4]) + (", …" if len(failed) > 4 else "")
        unanswered = sum(any(f"— {TRANSPORT_FAILURE}" in f["message"] for f in r["failures"]) for r in failed)
        why = f", {unanswered} of them for want of an HTTP answer" if unanswered else ""
        parts = [f"non-conformant: {len(failed)} MUST requirement(s) failed ({ids}){why}"]
    elif should and result.get("strict"):
        ids = ", ".join(r["id"] for r in should[:4]) + (", …" if len(should) > 4 else "")
        parts = [
            f"non-conformant (--strict): no MUST requirement failed, "
            f"but {len(should)} SHOULD requirement(s) did ({ids})"
        ]
    elif late:
        parts = [f"non-conformant: {late}"]
    elif result.get("errors"):
        parts = [f"non-conformant: the suite broke in {len(result['errors'])} test(s) (summary.json 'errors')"]
    elif result.get("requests") == 0:
        parts = ["non-conformant: the run sent no request to the target, so it checked nothing"]
    else:
        waived = [r["id"] for r in rows if r["status"] == "waived"]
        listed = ", ".join(waived[:4]) + (", …" if len(waived) > 4 else "")
        parts = [
            f"{with_waivers(result)}: no MUST requirement failed" + (f" but the waived ({listed})" if waived else "")
        ]
        if should:
            ids = ", ".join(r["id"] for r in should[:4]) + (", …" if len(should) > 4 else "")
            parts[0] += f" ({len(should)} SHOULD requirement(s) did: {ids}; --strict counts them)"
        parts += [unchecked_must(result)] if not result.get("cut_short") and unchecked_must(result) else []
    if late and not parts[0].endswith(late):
        parts.append(late)
    if result.get("cut_short"):
        unchecked = sum(r["status"] == "skipped" and r["level"] == "MUST" for r in rows)
        parts.append(f"the run was cut short ({result['cut_short']}): {unchecked} MUST requirement(s) not checked")
    if result.get("cleanup_failures"):
        parts.append(f"cleanup could not delete {len(result['cleanup_failures'])} record(s) (summary.json)")
    if result.get("dialect_hint"):
        parts.append(f"hint: {result['dialect_hint']['message']}")
    return redaction.redact("; ".join(parts))


def _expired(result: dict[str, Any]) -> str:
    """ "2 waiver(s) past their date in FILE: ID (until DATE), …", or "" when none is."""
    given = result.get("waivers") or {}
    late = given.get("expired") or []
    if not late:
        return ""
    ids = ", ".join(f"{w['requirement']} (until {w['expires']})" for w in late[:4]) + (", …" if len(late) > 4 else "")
    return f"{len(late)} waiver(s) past their date in {given['file']}: {ids}"


def unchecked_must(result: dict[str, Any]) -> str:
    """ "61 of 68 MUST requirements checked; 7 not checked: <the commonest reason> (…)", or "" when every
    MUST requirement was checked: a verdict must not vouch for what nobody checked without saying so."""
    skipped = [r for r in result["requirements"] if r["level"] == "MUST" and r["status"] == "skipped"]
    if not skipped:
        return ""
    total = sum(r["level"] == "MUST" for r in result["requirements"])
    reasons = Counter(str(r.get("reason", "")) for r in skipped).most_common()
    first = reasons[0][0] + (f" (and {len(reasons) - 1} other reason(s); summary.json)" if len(reasons) > 1 else "")
    return f"{total - len(skipped)} of {total} MUST requirements checked; {len(skipped)} not checked: {first}"

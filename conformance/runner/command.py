"""``oneroster-conformance run``: resolve the target, run the suite under pytest, report the verdict.

The target is resolved and checked here, before pytest starts, so that configuration errors
(exit 2) and an unreachable or refusing target (exit 3) get a one-line message and no traceback.
Secrets reach pytest through the environment, never its argument list.

Issue 8: SIGINT and SIGTERM are handled for the whole command. Before the suite starts they stop it
at once (nothing was written); once it runs they stop it gracefully — the remaining tests skipped,
cleanup run, summary.json written — and the command exits 130. Whatever happened, the last line on
stderr explains the outcome in one line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from conformance import redaction
from conformance.checks import TRANSPORT_FAILURE
from conformance.client import AuthenticationFailed, TargetUnreachable
from conformance.guard import EXIT_INTERRUPTED, GUARD, install_signal_handlers
from conformance.reference.embedded import ServerStartError
from conformance.reporting import baseline, certificate, summary
from conformance.suite.targeting import OPTIONS, Resolved, env_name, preflight, resolve
from conformance.target import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
_SECRET_OPTIONS = ("client_secret", "token")


def _values(args: argparse.Namespace) -> dict[str, Any]:
    names = [flag.lstrip("-").replace("-", "_") for flag, _, _ in OPTIONS] + ["read_only", "no_shrink"]
    return {name: getattr(args, name, None) for name in names}


def _pytest_args(resolved: Resolved, values: dict[str, Any], workers: int, reports: Path) -> list[str]:
    target = resolved.target
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
        # `run` the suite's modules are imported before pytest starts (nothing to rewrite, only warnings);
        # in each pytest-xdist worker, rewriting re-parsed the plugins' whole packages (hypothesis,
        # schemathesis…) at start-up, seconds of CPU per worker, never cached under PYTHONDONTWRITEBYTECODE
        # (tox, CI). Issue 9.
        "--assert=plain",
        f"--junitxml={reports / 'junit.xml'}",
        f"--alluredir={reports / 'allure-results'}",
        f"--base-url={target.base_url}",
        f"--profile={target.profile}",
        f"--reports={reports}",
        f"--seed={values.get('seed') or 0}",
        f"--hypothesis-seed={values.get('seed') or 0}",  # the state machines draw from Hypothesis's global seed
        f"--max-examples={values.get('max_examples') or 20}",
        f"--connect-timeout={target.connect_timeout}",
        f"--read-timeout={target.read_timeout}",
        f"--time-budget={values.get('time_budget') or 900}",
    ]
    if target.request_deadline:
        args.append(f"--request-deadline={target.request_deadline}")
    if target.token_url:
        args.append(f"--token-url={target.token_url}")
    if target.client_id:
        args.append(f"--client-id={target.client_id}")
    if target.fixtures_path:
        args.append(f"--fixtures-file={target.fixtures_path}")
    if values.get("only"):
        args.append(f"--only={values['only']}")
    if target.read_only:
        args.append("--read-only")
    if values.get("no_shrink"):
        args.append("--no-shrink")
    if workers > 1:
        args += ["-n", str(workers)]
    return args


def run(args: argparse.Namespace) -> int:
    GUARD.reset()
    restore = install_signal_handlers(GUARD)
    try:
        return _run(args)
    finally:
        restore()


def _run(args: argparse.Namespace) -> int:
    values = _values(args)
    try:
        workers = int(args.workers)
        if not 1 <= workers <= 64:
            raise ValueError
    except ValueError:
        print(
            f"oneroster-conformance: error: --workers must be a whole number from 1 to 64, not {args.workers!r}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    for name, kind in (("seed", int), ("max_examples", int)):
        try:
            if kind(values.get(name) or 0) < 0:
                raise ValueError
        except ValueError:
            print(
                f"oneroster-conformance: error: --{name.replace('_', '-')} must be a non-negative whole number",
                file=sys.stderr,
            )
            return EXIT_USAGE
    before = None
    if getattr(args, "baseline", None):
        try:
            before = baseline.load(args.baseline)
        except baseline.BaselineError as exc:
            print(f"oneroster-conformance: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        resolved = resolve(values)
    except ConfigError as exc:
        print(f"oneroster-conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ServerStartError as exc:  # the embedded reference server did not come up: one line, no traceback
        print(f"oneroster-conformance: error: {redaction.redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    try:
        try:
            preflight(resolved.target)
        except (TargetUnreachable, AuthenticationFailed) as exc:
            print(f"oneroster-conformance: {exc}", file=sys.stderr)
            return EXIT_UNREACHABLE
        where = "embedded reference server at " if resolved.target.embedded else ""
        print(f"oneroster-conformance: target {where}{redaction.redact(resolved.target.base_url)}", file=sys.stderr)
        reports = Path(values.get("reports") or "reports")
        code = _run_pytest(resolved, values, workers, reports)
        if before is not None and (reports / "summary.json").is_file():
            _add_baseline(before, args.baseline, reports)
        return code
    finally:
        resolved.stop()


def _add_baseline(before: dict[str, str], path: str, reports: Path) -> None:
    result = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    result["baseline"] = baseline.compare(before, result, path)
    summary.write(result, reports)
    certificate.write(result, reports)  # the run wrote it before the comparison existed
    for line in baseline.lines(result["baseline"]):
        print(line)


def _run_pytest(resolved: Resolved, values: dict[str, Any], workers: int, reports: Path) -> int:
    import pytest

    summary_path = reports / "summary.json"
    if summary_path.exists():
        summary_path.unlink()
    saved = {name: os.environ.get(env_name("--" + name.replace("_", "-"))) for name in _SECRET_OPTIONS}
    for name in _SECRET_OPTIONS:
        value = getattr(resolved.target, name)
        if value:
            os.environ[env_name("--" + name.replace("_", "-"))] = value
    try:
        code = int(pytest.main(_pytest_args(resolved, values, workers, reports)))
    finally:
        for name, value in saved.items():
            key = env_name("--" + name.replace("_", "-"))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if GUARD.interrupted and not summary_path.exists():
        print(f"oneroster-conformance: interrupted by {GUARD.interrupted} before any test ran", file=sys.stderr)
        return EXIT_INTERRUPTED
    if code in (EXIT_USAGE, EXIT_UNREACHABLE) and not summary_path.exists():
        return code
    if not summary_path.exists():
        print(f"oneroster-conformance: error: the suite ended without a verdict (pytest exit {code})", file=sys.stderr)
        return EXIT_USAGE if code == 4 else EXIT_FAILED
    result = json.loads(summary_path.read_text(encoding="utf-8"))
    print(f"oneroster-conformance: {explain(result)}", file=sys.stderr)
    if GUARD.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result["verdict"] == "conformant" else EXIT_FAILED


def explain(result: dict[str, Any]) -> str:
    """The outcome in one line: the verdict and why, a cut-short run, what cleanup left behind."""
    rows = result["requirements"]
    failed = [r for r in rows if r["status"] == "failed" and r["level"] == "MUST"]
    if failed:
        ids = ", ".join(r["id"] for r in failed[:4]) + (", …" if len(failed) > 4 else "")
        unanswered = sum(any(f"— {TRANSPORT_FAILURE}" in f["message"] for f in r["failures"]) for r in failed)
        why = f", {unanswered} of them for want of an HTTP answer" if unanswered else ""
        parts = [f"non-conformant: {len(failed)} MUST requirement(s) failed ({ids}){why}"]
    elif result.get("errors"):
        parts = [f"non-conformant: the suite broke in {len(result['errors'])} test(s) (summary.json 'errors')"]
    else:
        parts = [f"{result['verdict']}: no MUST requirement failed"]
    if result.get("cut_short"):
        unchecked = sum(r["status"] == "skipped" and r["level"] == "MUST" for r in rows)
        parts.append(f"the run was cut short ({result['cut_short']}): {unchecked} MUST requirement(s) not checked")
    if result.get("cleanup_failures"):
        parts.append(f"cleanup could not delete {len(result['cleanup_failures'])} record(s) (summary.json)")
    if result.get("dialect_hint"):
        parts.append(f"hint: {result['dialect_hint']['message']}")
    return redaction.redact("; ".join(parts))

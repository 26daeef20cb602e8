"""Running the CLI as a user would — a subprocess, its exit code, its output, its reports — for
every test folder that needs it (suite, machines, hostile targets, reports); and ``run`` in the test's
own process, for tests that watch it from inside."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from conformance import cli as conformance_cli

_SCRIPT = Path(sys.executable).parent / "oneroster-conformance"
# The installed console script when there is one (what a user runs), else the module.
COMMAND = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "conformance"]
SUMMARY_SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "summary.schema.json"


def valid_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` when it is what docs/summary.schema.json promises; else the test fails, naming where."""
    schema = json.loads(SUMMARY_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(summary), key=lambda e: list(e.absolute_path))
    assert not errors, "summary.json breaks docs/summary.schema.json: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}" for e in errors[:5]
    )
    return summary


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    reports: Path
    elapsed: float = 0.0
    secret: str | None = None  # the client secret the run was given, for the tests that look for leaks

    @property
    def summary(self) -> dict[str, Any]:
        """summary.json, validated against its published schema (every run a test reads checks it)."""
        return valid_summary(json.loads((self.reports / "summary.json").read_text(encoding="utf-8")))

    @property
    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def failed(self) -> list[str]:
        return [r["id"] for r in self.summary["requirements"] if r["status"] == "failed"]

    def messages(self) -> list[str]:
        return [f["message"] for r in self.summary["requirements"] for f in r["failures"]]


def environment(client_secret: str | None = None, **extra: str) -> dict[str, str]:
    """This environment without ONEROSTER_* settings (a developer's own must not leak into a test),
    plus the secret and ``extra``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEROSTER_")}
    secret = {"ONEROSTER_CLIENT_SECRET": client_secret} if client_secret else {}
    return clean | secret | extra


def cli(*args: str, reports: Path, env: dict[str, str] | None = None, timeout: float = 600) -> Outcome:
    done = subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        env=env if env is not None else environment(),
        timeout=timeout,
        check=False,
        cwd=reports.parent,
        stdin=subprocess.DEVNULL,
    )
    return Outcome(done.returncode, done.stdout, done.stderr, reports)


def against(server: Any, *args: str, reports: Path, secret: str | None = None, timeout: float = 600) -> Outcome:
    """``run`` against a started reference server (``embedded.start``), the secret through the environment.
    Flags in ``args`` come after the server's, so a test may override ``--profile``."""
    env = server.environment() if secret is None else environment(secret)
    out = cli("run", *server.target_args(), "--reports", str(reports), *args, reports=reports, env=env, timeout=timeout)
    out.secret = secret or server.client_secret
    return out


def run_in_process(server: Any, reports: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    """``run`` against a started reference server, in this process: its exit code, its summary, stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = conformance_cli.main(
            ["run", *server.target_args(), "--client-secret", server.client_secret, "--reports", str(reports), *extra]
        )
    written = reports / "summary.json"
    # A run that ends without a summary says why: its exit code and the end of what it printed.
    assert written.is_file(), f"exit {code}, no summary.json; stderr ends: {err.getvalue()[-3000:]}"
    summary = json.loads(written.read_text(encoding="utf-8"))
    return int(code), summary, err.getvalue()

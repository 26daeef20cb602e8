"""Running ``oneroster-conformance run`` against a target as a user would: a subprocess with the
secret in the environment, a hard time limit, and the checks every hostile run must pass."""

from __future__ import annotations

import secrets
import subprocess
import time
from pathlib import Path
from typing import Any

from conformance import fixtures
from tests._cli import COMMAND, Outcome, environment

__all__ = ["COMMAND", "Outcome", "environment", "run", "run_args", "secret"]


def secret() -> str:
    return "hostile-secret-" + secrets.token_hex(12)


def run_args(base_url: str, token_url: str, client_id: str, reports: Path, *extra: str) -> list[str]:
    return [
        *COMMAND,
        "run",
        "--base-url",
        base_url,
        "--token-url",
        token_url,
        "--client-id",
        client_id,
        "--reports",
        str(reports),
        # The records the reference server behind each hostile target holds: what is hostile is the
        # gradebook's answers, not whether fixtures can be discovered (test_fixture_discovery).
        "--fixtures",
        str(fixtures.default_path()),
        *extra,
    ]


def run(
    target: Any,
    reports: Path,
    *extra: str,
    limit: float = 120,
    client_id: str = "hostile-client",
    client_secret: str | None = None,
    max_examples: str = "2",
) -> Outcome:
    """``run --max-examples 2`` (unless given) against ``target``; fails the test past ``limit`` seconds."""
    client_secret = client_secret or secret()
    argv = run_args(target.base_url, target.token_url, client_id, reports, "--max-examples", max_examples, *extra)
    started = time.monotonic()
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=environment(client_secret),
        timeout=limit,
        check=False,
        cwd=reports.parent,
        stdin=subprocess.DEVNULL,
    )
    return Outcome(done.returncode, done.stdout, done.stderr, reports, time.monotonic() - started, client_secret)


def assert_well_behaved(out: Outcome, codes: tuple[int, ...], *, within: float) -> None:
    """What every hostile run must do: exit 1 or 3 in time, say why in one line, no traceback, no secret."""
    context = f"exit {out.code} after {out.elapsed:.1f} s\nstderr:\n{out.stderr[-3000:]}\nstdout:\n{out.stdout[-1500:]}"
    assert out.code in codes, context
    assert out.elapsed < within, context
    assert "Traceback" not in out.stderr + out.stdout, context
    assert "INTERNALERROR" not in out.stderr + out.stdout, context
    assert out.last_line.startswith("oneroster-conformance: "), context
    if out.code == 3:  # nothing usable answered before any test: one line and nothing else
        assert len([line for line in out.stderr.splitlines() if line.strip()]) == 1, context
        assert not (out.reports / "summary.json").exists()
    assert out.secret not in out.stdout + out.stderr
    if out.reports.is_dir():
        for path in out.reports.rglob("*"):
            if path.is_file():
                assert out.secret not in path.read_text(encoding="utf-8", errors="replace"), path


def assert_reported_run(out: Outcome) -> dict[str, Any]:
    """A run that happened: summary.json with a non-conformant verdict, each skip with its reason."""
    summary = out.summary
    assert summary["verdict"] == "non-conformant", out.last_line
    assert out.last_line.startswith("oneroster-conformance: non-conformant"), out.last_line
    for row in summary["requirements"]:
        if row["status"] == "skipped":
            assert row["reason"], row
    return summary

"""Running the CLI as a user would: a subprocess, its exit code, its stderr, its summary.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    reports: Path

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.reports / "summary.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def failed(self) -> list[str]:
        return [r["id"] for r in self.summary["requirements"] if r["status"] == "failed"]


def cli(*args: str, reports: Path, env: dict[str, str] | None = None, timeout: float = 600) -> Outcome:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEROSTER_")}
    done = subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        env=clean | (env or {}),
        timeout=timeout,
        check=False,
        cwd=reports.parent,
    )
    return Outcome(done.returncode, done.stdout, done.stderr, reports)


def against(server: Any, *args: str, reports: Path, secret: str | None = None) -> Outcome:
    """``run`` against a started reference server, the secret through the environment."""
    return cli(
        "run",
        "--base-url",
        server.base_url,
        "--token-url",
        server.token_url,
        "--client-id",
        server.client_id,
        "--reports",
        str(reports),
        *args,
        reports=reports,
        env={"ONEROSTER_CLIENT_SECRET": secret or server.client_secret},
    )

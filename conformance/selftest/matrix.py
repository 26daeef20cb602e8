"""The kill matrix: run the suite against the reference server, each fault and each benign
variation, and record what it reported.

A harmful fault is *killed* when the run is non-conformant and every requirement its expectation
names is among those failed; a benign variation, or the plain reference server, must give a
conformant run. Each run is a separate ``oneroster-conformance run`` process against a separate
reference server, so runs cannot leak state into one another.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.reference import embedded
from conformance.reference.faults import REGISTRY

BASELINE = "(none)"  # the reference server with no fault switched on
RUN_TIMEOUT = 600.0


@dataclass(frozen=True)
class Expectation:
    fault: str
    harmful: bool
    expect: tuple[str, ...] = ()
    ci: bool = False


def expectations() -> dict[str, Expectation]:
    """One per registered fault (harmful with its expected IDs; benign with none) plus the baseline."""
    raw = tomllib.loads(resources.files(__package__).joinpath("expectations.toml").read_text(encoding="utf-8"))
    table = raw.get("fault", {})
    benign_ci = set(raw.get("benign", {}).get("ci", []))
    found = {BASELINE: Expectation(BASELINE, harmful=False, ci=True)}
    for name, fault in REGISTRY.items():
        entry = table.get(name, {})
        found[name] = Expectation(
            name, fault.harmful, tuple(entry.get("expect", ())), bool(entry.get("ci")) or name in benign_ci
        )
    return found


@dataclass
class Row:
    fault: str
    harmful: bool
    expected: list[str]
    verdict: str
    exit_code: int
    reported: list[str] = field(default_factory=list)
    requests: int = 0
    first_failure_request: int | None = None
    seconds: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        if not self.harmful:
            return self.verdict == "conformant" and self.exit_code == 0
        return self.verdict == "non-conformant" and self.exit_code == 1 and set(self.expected) <= set(self.reported)

    @property
    def outcome(self) -> str:
        if not self.harmful:
            return "passed (no false failure)" if self.ok else "FALSE FAILURE"
        return "killed" if self.ok else ("killed, but not by the expected requirement" if self.reported else "SURVIVED")


def run_one(expectation: Expectation, reports: Path, *, max_examples: int, seed: int) -> Row:
    faults = () if expectation.fault == BASELINE else (expectation.fault,)
    out = reports / (expectation.fault if faults else "baseline")
    row = Row(expectation.fault, expectation.harmful, list(expectation.expect), "", -1)
    started = time.monotonic()
    with embedded.start(faults=faults) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONEROSTER_")}
        env["ONEROSTER_CLIENT_SECRET"] = server.client_secret
        argv = [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--base-url",
            server.base_url,
            "--token-url",
            server.token_url,
            "--client-id",
            server.client_id,
            "--reports",
            str(out),
            "--max-examples",
            str(max_examples),
            "--seed",
            str(seed),
            "--no-shrink",
        ]
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
            row.exit_code = done.returncode
            if done.returncode not in (0, 1):
                row.error = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        except subprocess.TimeoutExpired:
            row.error = f"run exceeded {RUN_TIMEOUT:.0f} s"
    row.seconds = round(time.monotonic() - started, 1)
    summary_path = out / "summary.json"
    if summary_path.is_file():
        summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
        row.verdict = summary["verdict"]
        row.requests = summary["requests"]
        failed = [r for r in summary["requirements"] if r["status"] == "failed"]
        row.reported = sorted(r["id"] for r in failed)
        firsts = [r["first_failure_request"] for r in failed if r.get("first_failure_request") is not None]
        row.first_failure_request = min(firsts) if firsts else None
    return row


def markdown(rows: list[Row]) -> str:
    harmful = [r for r in rows if r.harmful]
    benign = [r for r in rows if not r.harmful]
    killed = sum(r.ok for r in harmful)
    lines = [
        "# Fault matrix",
        "",
        f"- Harmful faults killed: {killed}/{len(harmful)}",
        f"- Benign variations (and the plain reference server) passed: {sum(r.ok for r in benign)}/{len(benign)}",
        "",
        "| fault | harmful | outcome | expected | reported by | requests to first failure | requests | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| `{r.fault}` | {'yes' if r.harmful else 'no'} | {r.outcome}{' — ' + r.error if r.error else ''} | "
            f"{', '.join(r.expected) or '—'} | {', '.join(r.reported) or '—'} | "
            f"{r.first_failure_request if r.first_failure_request is not None else '—'} | {r.requests} | "
            f"{r.seconds} |"
        )
    return "\n".join(lines) + "\n"


def write(rows: list[Row], reports: Path) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    data = [asdict(r) | {"ok": r.ok, "outcome": r.outcome} for r in rows]
    (reports / "kill-matrix.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (reports / "kill-matrix.md").write_text(markdown(rows), encoding="utf-8")

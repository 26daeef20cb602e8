"""The verdict of a run, as data: every catalogue requirement of the run's profile with its status
(failed, passed, observed for INFO, skipped with the reason, or waived by the run's waiver file). The
verdict counts MUST requirements, and SHOULD requirements too in a strict run (``--strict``); a
waiver past its date fails it. ``conformance.reporting``
renders it as summary.json, summary.md and the certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from conformance import __version__, catalogue, redaction, waivers
from conformance.ledger import Entry, Ledger
from conformance.waivers import Waiver

NOT_EXERCISED = "not exercised by the tests selected in this run"


@dataclass(frozen=True)
class RunInfo:
    profile: str
    target: str
    seed: int
    started_at: str
    duration_s: float
    errors: tuple[str, ...] = ()
    cleanup: tuple[str, ...] = ()
    run_id: str = ""  # the prefix of every sourcedId the run wrote
    strict: bool = False  # failed SHOULD requirements count in the verdict
    waiver_file: str = ""  # the waivers' file, when the run was given one
    waivers: tuple[Waiver, ...] = ()
    today: date | None = None  # the day waivers are judged on (default: today, UTC)
    fixtures: dict[str, Any] | None = None  # how fixtures no file named were settled: source, file, roles
    in_flight: dict[str, int] | None = None  # requests in flight at once: the limit, the most there were


def requirement_status(level: str, entry: Entry | None) -> str:
    if entry is None:
        return "skipped"
    if entry.failed and level != "INFO":
        return "failed"
    if level == "INFO" and entry.observations:
        return "observed"
    if entry.passed:
        return "passed"
    return "observed" if entry.observations else "skipped"


def build(ledger: Ledger, info: RunInfo) -> dict[str, Any]:
    rows = []
    for requirement in catalogue.catalogue(info.profile).values():
        entry = ledger.entries.get(requirement.id)
        status = requirement_status(requirement.level, entry)
        row: dict[str, Any] = {
            "id": requirement.id,
            "level": requirement.level,
            "status": status,
            "title": requirement.title,
            "statement": requirement.statement,
            "source": requirement.source,
            "source_url": requirement.source_url,
            "area": requirement.area,
            "checks": {"passed": entry.passed if entry else 0, "failed": entry.failed if entry else 0},
            "failures": list(entry.failures) if entry and status == "failed" else [],
        }
        if entry and status == "failed" and entry.first_failure_request is not None:
            row["first_failure_request"] = entry.first_failure_request
        if entry and entry.observations:
            row["observations"] = list(entry.observations)
        if status == "skipped":
            row["reason"] = "; ".join(entry.skips) if entry and entry.skips else NOT_EXERCISED
        rows.append(row)
    applied = waivers.apply(rows, info.waivers, info.today or waivers.today()) if info.waiver_file else None
    counts = {"passed": 0, "failed": 0, "skipped": 0, "observations": 0} | ({"waived": 0} if applied else {})
    for row in rows:
        counts["observations" if row["status"] == "observed" else row["status"]] += 1
    counted = ("MUST", "SHOULD") if info.strict else ("MUST",)
    must_failed = any(r["status"] == "failed" and r["level"] in counted for r in rows)
    must = [r for r in rows if r["level"] == "MUST"]
    # A run that reached no target vouches for nothing: never conformant, whatever it skipped.
    silent = ledger.requests == 0
    expired = bool(applied and applied.expired)  # a waiver past its date fails the run: it is a deadline
    summary = {
        "suite_version": __version__,
        "profile": info.profile,
        "target": redaction.redact(info.target),
        "seed": info.seed,
        "run_id": info.run_id,
        "started_at": info.started_at,
        "duration_s": round(info.duration_s, 2),
        "requests": ledger.requests,
        "strict": info.strict,
        "verdict": "non-conformant" if must_failed or info.errors or silent or expired else "conformant",
        "counts": counts | {"must_total": len(must), "must_checked": sum(r["status"] != "skipped" for r in must)},
        "requirements": rows,
    }
    if applied is not None:
        summary["waivers"] = {
            "file": info.waiver_file,
            "waived": applied.waived,
            "expired": applied.expired,
            "unused": applied.unused,
        }
    if info.errors:
        summary["errors"] = [redaction.redact(e) for e in info.errors]
    if info.cleanup:
        summary["cleanup_failures"] = [redaction.redact(c) for c in info.cleanup]
    if info.fixtures:
        summary["fixtures"] = info.fixtures
    if info.in_flight:
        summary["in_flight"] = info.in_flight
    return summary

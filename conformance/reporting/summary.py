"""The machine-readable verdict (``summary.json``, DESIGN.md) and its Markdown twin.

Every catalogue requirement appears, with a status: failed, passed, observed (INFO) or skipped —
and a skipped requirement always says why. The verdict counts MUST requirements only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import __version__, catalogue, redaction
from conformance.ledger import Entry, Ledger

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
    counts = {"passed": 0, "failed": 0, "skipped": 0, "observations": 0}
    for requirement in catalogue.catalogue().values():
        entry = ledger.entries.get(requirement.id)
        status = requirement_status(requirement.level, entry)
        counts["observations" if status == "observed" else status] += 1
        row: dict[str, Any] = {
            "id": requirement.id,
            "level": requirement.level,
            "status": status,
            "title": requirement.title,
            "statement": requirement.statement,
            "source": requirement.source,
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
    must_failed = any(r["status"] == "failed" and r["level"] == "MUST" for r in rows)
    summary = {
        "suite_version": __version__,
        "profile": info.profile,
        "target": redaction.redact(info.target),
        "seed": info.seed,
        "run_id": info.run_id,
        "started_at": info.started_at,
        "duration_s": round(info.duration_s, 2),
        "requests": ledger.requests,
        "verdict": "non-conformant" if must_failed or info.errors else "conformant",
        "counts": counts,
        "requirements": rows,
    }
    if info.errors:
        summary["errors"] = [redaction.redact(e) for e in info.errors]
    if info.cleanup:
        summary["cleanup_failures"] = [redaction.redact(c) for c in info.cleanup]
    return summary


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"# OneRoster conformance: {summary['verdict']}",
        "",
        f"- Target: `{summary['target']}` — profile `{summary['profile']}`",
        f"- Suite {summary['suite_version']}, seed {summary['seed']}, started {summary['started_at']}, "
        f"{summary['duration_s']} s, {summary['requests']} requests",
        f"- Requirements: {summary['counts']['passed']} passed, {summary['counts']['failed']} failed, "
        f"{summary['counts']['skipped']} skipped, {summary['counts']['observations']} observed",
    ]
    if summary.get("dialect_hint"):
        lines.append(f"- **Dialect hint:** {summary['dialect_hint']['message']}")
    if summary.get("cut_short"):
        lines.append(f"- **Cut short:** {summary['cut_short']} — what it did not reach is skipped, with that reason")
    lines += [
        "",
        "| ID | Level | Status | Requirement | Source |",
        "|---|---|---|---|---|",
    ]
    icon = {"passed": "✔ passed", "failed": "✘ failed", "skipped": "– skipped", "observed": "ℹ observed"}
    for row in summary["requirements"]:
        title = row["title"].replace("|", "\\|")
        lines.append(f"| `{row['id']}` | {row['level']} | {icon[row['status']]} | {title} | {row['source']} |")
    failed = [r for r in summary["requirements"] if r["status"] == "failed"]
    if failed:
        lines += ["", "## Failures", ""]
        for row in failed:
            lines += [f"### {row['id']} — {row['title']}", ""]
            for failure in row["failures"]:
                lines += ["```", failure["message"], "```", ""]
    observed = [r for r in summary["requirements"] if r["status"] == "observed"]
    if observed:
        lines += ["", "## Observations (INFO: reported, never failed)", ""]
        lines += [f"- `{r['id']}`: " + "; ".join(r.get("observations", [])) for r in observed]
    skipped = [r for r in summary["requirements"] if r["status"] == "skipped"]
    if skipped:
        lines += ["", "## Skipped", ""]
        lines += [f"- `{r['id']}` ({r['level']}): {r['reason']}" for r in skipped]
    if summary.get("baseline"):
        from conformance.reporting.baseline import lines as baseline_lines

        lines += ["", "## Compared with the baseline", ""] + [
            f"    {line}" for line in baseline_lines(summary["baseline"])
        ]
    for key, heading in (("errors", "Suite errors"), ("cleanup_failures", "Records cleanup could not delete")):
        if summary.get(key):
            lines += ["", f"## {heading}", ""] + [f"- {e}" for e in summary[key]]
    return "\n".join(lines) + "\n"


def write(summary: dict[str, Any], reports: Path) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (reports / "summary.md").write_text(markdown(summary), encoding="utf-8")


def terminal(summary: dict[str, Any]) -> str:
    """A short verdict for the terminal: the failures by ID, then the counts."""
    lines = []
    for row in summary["requirements"]:
        if row["status"] == "failed":
            lines.append(f"  ✘ {row['id']} ({row['level']}) {row['title']}")
    counts = summary["counts"]
    lines.append(
        f"verdict: {summary['verdict'].upper()} — {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped, {counts['observations']} observed; {summary['requests']} requests "
        f"in {summary['duration_s']} s"
    )
    return "\n".join(lines)

"""The verdict written down: ``summary.json`` (the machine-readable one), ``summary.md`` and the line
printed at the end of a run. The verdict itself is built by ``conformance.suite.verdict``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.catalogue import sources


def _source(row: dict[str, Any]) -> str:
    """The source linked to its URL; a page of the suite's own docs is named by its path in the repository."""
    text = str(row["source"]).replace("|", "\\|").replace("]", "\\]")
    url = str(row.get("source_url") or "")
    if sources.is_public_url(url):
        return f"[{text}]({url.replace(')', '%29').replace(' ', '%20')})"
    return f"{text} (`{url}` in the suite's repository)" if url else text


def with_waivers(summary: dict[str, Any]) -> str:
    """The verdict word, and how many requirements a conformant run had waived: never a bare 'conformant'
    over a waived failure."""
    verdict = str(summary.get("verdict", "unknown"))
    waived = sum(r.get("status") == "waived" for r in summary.get("requirements", []))
    return (
        f"{verdict} with {waived} waiver{'s' if waived != 1 else ''}" if waived and verdict == "conformant" else verdict
    )


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"# OneRoster conformance: {with_waivers(summary)}",
        "",
        f"- Target: `{summary['target']}` — profile `{summary['profile']}`",
        f"- Suite {summary['suite_version']}, seed {summary['seed']}, started {summary['started_at']}, "
        f"{summary['duration_s']} s, {summary['requests']} requests",
        f"- Requirements: {summary['counts']['passed']} passed, {summary['counts']['failed']} failed, "
        f"{summary['counts']['skipped']} skipped, {summary['counts']['observations']} observed",
    ]
    if "must_total" in summary["counts"]:
        counts = summary["counts"]
        lines.append(f"- MUST requirements checked: {counts['must_checked']} of {counts['must_total']}")
    if summary.get("requests") == 0:
        lines.append("- **No request reached the target:** the run checked nothing, so it is not conformant")
    if summary.get("dialect_hint"):
        lines.append(f"- **Dialect hint:** {summary['dialect_hint']['message']}")
    if summary.get("cut_short"):
        lines.append(f"- **Cut short:** {summary['cut_short']} — what it did not reach is skipped, with that reason")
    lines += [
        "",
        "| ID | Level | Status | Requirement | Source |",
        "|---|---|---|---|---|",
    ]
    icon = {
        "passed": "✔ passed",
        "failed": "✘ failed",
        "skipped": "– skipped",
        "observed": "ℹ observed",
        "waived": "⚑ waived",
    }
    for row in summary["requirements"]:
        title = row["title"].replace("|", "\\|")
        lines.append(f"| `{row['id']}` | {row['level']} | {icon[row['status']]} | {title} | {_source(row)} |")
    failed = [r for r in summary["requirements"] if r["status"] in ("failed", "waived")]
    if failed:
        lines += ["", "## Failures", ""]
        for row in failed:
            lines += [f"### {row['id']} — {row['title']}", ""]
            lines += [f"**Waived** until {w['expires']}: {w['reason']}" for w in row.get("waivers", [])]
            lines += [""] if row.get("waivers") else []
            if any("replay" in failure for failure in row["failures"]):
                lines += [
                    f"Replay: `oneroster-conformance replay summary.json --requirement {row['id']}` "
                    "(with the target's options, as for `run`) says whether it still happens.",
                    "",
                ]
            for failure in row["failures"]:
                lines += ["```", failure["message"], "```", ""]
    lines += _waiver_lines(summary.get("waivers"))
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
    settled = summary.get("fixtures")
    if settled:
        how = "discovered in" if settled["source"] == "discover" else "provisioned on"
        lines += ["", f"## Fixtures {how} the target", "", f"Written to `{settled['file']}`.", ""]
        lines += [f"- {line}" for line in settled["roles"]]
    for key, heading in (("errors", "Suite errors"), ("cleanup_failures", "Records cleanup could not delete")):
        if summary.get(key):
            lines += ["", f"## {heading}", ""] + [f"- {e}" for e in summary[key]]
    return "\n".join(lines) + "\n"


def _waiver_lines(given: dict[str, Any] | None) -> list[str]:
    if not given:
        return []
    lines = ["", "## Waivers", "", f"From `{given['file']}`."]
    for key, heading in (
        ("waived", "Waived (their failures are above)"),
        ("expired", "Past their date: each fails the run"),
        ("unused", "Covering no failure of this run (`waivers prune` drops them)"),
    ):
        if given.get(key):
            lines += ["", f"{heading}:", ""]
            lines += [
                f"- `{w['requirement']}` until {w['expires']}: {w['reason']}"
                + (f" (failures containing `{w['match']}`)" if w.get("match") else "")
                for w in given[key]
            ]
    return lines


def write(summary: dict[str, Any], reports: Path) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (reports / "summary.md").write_text(markdown(summary), encoding="utf-8")


def _first_failure(row: dict[str, Any]) -> str:
    """The title of a requirement's first failure: its message's first line, after the ID and level."""
    failures = row.get("failures") or []
    first = str(failures[0].get("message", "")).splitlines()[0] if failures else ""
    return first.split(" — ", 1)[1] if " — " in first else first


def terminal(summary: dict[str, Any]) -> str:
    """A short verdict for the terminal: the failures by ID, then the counts."""
    lines = []
    for row in summary["requirements"]:
        if row["status"] in ("failed", "waived") and row["level"] in ("MUST", "SHOULD"):
            mark = "✘" if row["status"] == "failed" else "⚑ waived:"
            lines.append(f"  {mark} {row['id']} ({row['level']}) {_first_failure(row) or row['title']}")
    counts = summary["counts"]
    waived = f", {counts['waived']} waived" if counts.get("waived") else ""
    lines.append(
        f"verdict: {summary['verdict'].upper()} — {counts['passed']} passed, {counts['failed']} failed{waived}, "
        f"{counts['skipped']} skipped, {counts['observations']} observed; {summary['requests']} requests "
        f"in {summary['duration_s']} s"
    )
    return "\n".join(lines)

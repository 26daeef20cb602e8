"""The certificate: one self-contained HTML page with the verdict of a run, from summary.json alone.

Made to be mailed, archived or printed: no script, no external asset (a Content-Security-Policy
forbids them), inline CSS, and every value from the summary HTML-escaped — a server's answers end
up in failure messages, and the page must not run or load anything they contain. The page is a
``string.Template``; each section is a small function over escaped values.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template
from typing import Any

from conformance.catalogue import sources
from conformance.reporting import baseline, failure_categories
from conformance.reporting.summary import with_waivers

FILE_NAME = "certificate.html"
STATUS_LABEL = {
    "passed": "✔ passed",
    "failed": "✘ failed",
    "skipped": "– skipped",
    "observed": "ℹ observed",
    "waived": "⚑ waived",
}

_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; margin: 0;
       background: #f4f5f7; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; background: #fff; }
header { border-radius: 8px; padding: 20px 24px; color: #fff; }
header.conformant { background: #1f7a3d; }
header.non-conformant { background: #a4262c; }
header .kicker { margin: 0; opacity: .85; font-size: 13px; letter-spacing: .04em; text-transform: uppercase; }
header h1 { margin: 4px 0; font-size: 32px; }
header .target { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
header .gist { margin: 8px 0 0; } header a { color: #fff; }
h2 { margin-top: 32px; border-bottom: 1px solid #d9dde3; padding-bottom: 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; font-family: ui-monospace, monospace; }
.notice { border-left: 4px solid #b7791f; background: #fff8e6; padding: 8px 12px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e6e8eb; vertical-align: top; }
th { background: #f0f2f5; }
td.id, td.source { font-family: ui-monospace, monospace; font-size: 13px; }
td.status { white-space: nowrap; }
tr.failed td.status { color: #a4262c; font-weight: 600; } tr.passed td.status { color: #1f7a3d; }
tr.skipped td.status { color: #6b7280; } tr.observed td.status { color: #1d4ed8; }
.failure { border: 1px solid #e3b4b6; border-radius: 6px; padding: 8px 14px; margin: 14px 0; }
.kind { display: inline-block; background: #f3e1e2; border-radius: 4px; padding: 0 6px; font-size: 13px; }
pre { background: #f6f8fa; padding: 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-word;
      font-size: 12.5px; }
footer { margin-top: 32px; color: #6b7280; font-size: 13px; }
@media print { body { background: #fff; } main { padding: 0; } pre { white-space: pre-wrap; } }
"""

_PAGE = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$style</style>
</head>
<body>
<main>
<header class="$verdict_class">
<p class="kicker">OneRoster 1.2 Gradebook + PowerPath — conformance certificate</p>
<h1>$verdict</h1>
<p class="target">$target</p>
<p class="gist">$gist</p>
</header>
$notices
<section id="run">
<h2>Run</h2>
<dl class="facts">
$facts
</dl>
</section>
<section id="requirements">
<h2>Requirements</h2>
<p>$counts The verdict counts MUST requirements only; a failed SHOULD is a warning, INFO is observed.</p>
<table>
<thead><tr><th>ID</th><th>Level</th><th>Status</th><th>Requirement</th><th>Source</th></tr></thead>
<tbody>
$rows
</tbody>
</table>
</section>
$failures
$waivers
$observations
$skipped
$comparison
<footer>Written from summary.json by oneroster-conformance $version.</footer>
</main>
</body>
</html>
""")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _anchor(requirement_id: str) -> str:
    return "failure-" + "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in requirement_id)


def _facts(summary: dict[str, Any]) -> str:
    facts = (
        ("Target", summary.get("target")),
        ("Date", summary.get("started_at")),
        ("Duration", f"{summary.get('duration_s')} s"),
        ("Requests", summary.get("requests")),
        ("Profile", summary.get("profile")),
        ("Suite version", summary.get("suite_version")),
        ("Seed", summary.get("seed")),
        ("Run", summary.get("run_id")),
    )
    return "\n".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in facts if value not in (None, ""))


def _counts(summary: dict[str, Any]) -> str:
    counts = summary.get("counts", {})
    return (
        f"{_e(counts.get('passed', 0))} passed, {_e(counts.get('failed', 0))} failed, "
        f"{_e(counts.get('skipped', 0))} skipped, {_e(counts.get('observations', 0))} observed."
    )


def _gist(summary: dict[str, Any], requirements: list[dict[str, Any]]) -> str:
    failed = [r for r in requirements if r.get("status") == "failed" and r.get("level") == "MUST"]
    if not failed and summary.get("errors"):
        return (
            "No MUST requirement failed, but the suite ran into errors of its own (below): no verdict of conformance."
        )
    if not failed and summary.get("requests") == 0:
        return "No request reached the target: the run checked nothing, so it is not conformant."
    if not failed:
        total, checked = summary["counts"].get("must_total"), summary["counts"].get("must_checked")
        if isinstance(total, int) and isinstance(checked, int) and checked < total:
            return (
                f"Every MUST requirement this run checked passed: {checked} of {total}; "
                f'the <a href="#skipped">{total - checked} not checked</a> are listed below with the reason.'
            )
        return "Every MUST requirement this run checked passed."
    links = ", ".join(f'<a href="#{_e(_anchor(str(r.get("id", ""))))}">{_e(r.get("id", ""))}</a>' for r in failed)
    return f"MUST requirements failed: {links}."


def _source(row: dict[str, Any]) -> str:
    """The source, linked to the public document it names; a page of the suite's own docs by its path."""
    text, url = _e(row.get("source", "")), str(row.get("source_url") or "")
    if sources.is_public_url(url):  # only the documents the catalogue cites: nothing a summary could slip in
        return f'<a href="{_e(url)}" rel="noreferrer">{text}</a>'
    return f'{text} <span class="path">({_e(url)})</span>' if url else text


def _rows(requirements: list[dict[str, Any]]) -> str:
    rows = []
    for row in requirements:
        status = str(row.get("status", ""))
        ident = _e(row.get("id", ""))
        if status == "failed":
            ident = f'<a href="#{_e(_anchor(str(row.get("id", ""))))}">{ident}</a>'
        rows.append(
            f'<tr class="{_e(status)}"><td class="id">{ident}</td><td>{_e(row.get("level", ""))}</td>'
            f'<td class="status">{_e(STATUS_LABEL.get(status, status))}</td><td>{_e(row.get("title", ""))}</td>'
            f'<td class="source">{_source(row)}</td></tr>'
        )
    return "\n".join(rows)


def _failures(requirements: list[dict[str, Any]]) -> str:
    failed = [r for r in requirements if r.get("status") in ("failed", "waived")]
    if not failed:
        return ""
    parts = ['<section id="failures">', "<h2>Failures</h2>"]
    for row in failed:
        parts.append(
            f'<div class="failure" id="{_e(_anchor(str(row.get("id", ""))))}">'
            f"<h3>{_e(row.get('id', ''))} ({_e(row.get('level', ''))}) — {_e(row.get('title', ''))}</h3>"
            f"<p>{_e(row.get('statement', ''))} <em>Source: {_e(row.get('source', ''))}</em></p>"
        )
        for waiver in row.get("waivers", []):
            parts.append(f'<p class="waiver">Waived until {_e(waiver["expires"])}: {_e(waiver["reason"])}</p>')
        for failure in row.get("failures", []):
            message = str(failure.get("message", ""))
            kind = failure_categories.classify(message)
            if kind:
                parts.append(f'<p><span class="kind">{_e(kind)}</span></p>')
            parts.append(f"<pre>{_e(message)}</pre>")
            if failure.get("reproduction"):
                parts.append(f"<p>Reproduction:</p><pre>{_e(failure['reproduction'])}</pre>")
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _observations(requirements: list[dict[str, Any]]) -> str:
    observed = [r for r in requirements if r.get("status") == "observed" or r.get("observations")]
    if not observed:
        return ""
    items = []
    for row in observed:
        notes = "".join(f"<li>{_e(note)}</li>" for note in row.get("observations", []))
        items.append(f"<li><strong>{_e(row.get('id', ''))}</strong> — {_e(row.get('title', ''))}<ul>{notes}</ul></li>")
    return (
        '<section id="observations"><h2>Observations</h2>'
        "<p>INFO requirements and undocumented behaviour: reported, never failed.</p>"
        f"<ul>{''.join(items)}</ul></section>"
    )


def _skipped(requirements: list[dict[str, Any]]) -> str:
    skipped = [r for r in requirements if r.get("status") == "skipped"]
    if not skipped:
        return ""
    items = "".join(
        f"<li><strong>{_e(r.get('id', ''))}</strong> ({_e(r.get('level', ''))}): {_e(r.get('reason', ''))}</li>"
        for r in skipped
    )
    return f'<section id="skipped"><h2>Skipped</h2><ul>{items}</ul></section>'


def _notices(summary: dict[str, Any]) -> str:
    notices = []
    if summary.get("dialect_hint"):
        notices.append(f"Dialect hint: {_e(summary['dialect_hint']['message'])}.")
    if summary.get("cut_short"):
        notices.append(f"The run was cut short: {_e(summary['cut_short'])}.")
    for key, text in (("errors", "Suite errors"), ("cleanup_failures", "Records cleanup could not delete")):
        if summary.get(key):
            listed = "".join(f"<li>{_e(item)}</li>" for item in summary[key])
            notices.append(f"{text}:<ul>{listed}</ul>")
    return "\n".join(f'<div class="notice">{notice}</div>' for notice in notices)


def _comparison(summary: dict[str, Any]) -> str:
    if not summary.get("baseline"):
        return ""
    text = "\n".join(baseline.lines(summary["baseline"]))
    return f'<section id="baseline"><h2>Compared with the baseline</h2><pre>{_e(text)}</pre></section>'


def _waivers(summary: dict[str, Any]) -> str:
    """The waiver file's effect, whatever it was: never a waiver the certificate does not show."""
    given = summary.get("waivers")
    if not given:
        return ""
    parts = ['<section id="waivers">', "<h2>Waivers</h2>", f"<p>From {_e(given.get('file', ''))}.</p>"]
    for key, heading in (
        ("waived", "Waived failures (their evidence is under Failures)"),
        ("expired", "Past their date: each fails the run"),
        ("unused", "Covering no failure of this run"),
    ):
        entries = given.get(key, [])
        if entries:
            items = "".join(
                f"<li>{_e(w['requirement'])} until {_e(w['expires'])}: {_e(w['reason'])}"
                + (f" (failures containing “{_e(w['match'])}”)" if w.get("match") else "")
                + "</li>"
                for w in entries
            )
            parts.append(f"<h3>{_e(heading)}</h3><ul>{items}</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def render(summary: dict[str, Any]) -> str:
    requirements = list(summary.get("requirements", []))
    verdict = with_waivers(summary)
    return _PAGE.substitute(
        title=_e(f"OneRoster conformance: {verdict} — {summary.get('target', '')}"),
        style=_STYLE,
        verdict_class=_e(summary.get("verdict") if summary.get("verdict") == "conformant" else "non-conformant"),
        verdict=_e(verdict.capitalize()),
        target=_e(summary.get("target", "")),
        gist=_gist(summary, requirements),
        notices=_notices(summary),
        facts=_facts(summary),
        counts=_counts(summary),
        rows=_rows(requirements),
        failures=_failures(requirements),
        waivers=_waivers(summary),
        observations=_observations(requirements),
        skipped=_skipped(requirements),
        comparison=_comparison(summary),
        version=_e(summary.get("suite_version", "")),
    )


def write(summary: dict[str, Any], reports: Path) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / FILE_NAME
    path.write_text(render(summary), encoding="utf-8")
    return path

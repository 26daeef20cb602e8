"""certificate.html: self-contained, everything escaped, every section the summary calls for."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from conformance.catalogue import sources
from conformance.reporting import certificate, summary

PAGE = "TimeBack API reference — Update or Create a Result, PUT /ims/oneroster/gradebook/v1p2/results/{sourcedId}"
URL = "https://docs.timeback.com/beta/api-reference/beyond-ai/oneroster/results-management/update-or-create-a-result"
EVIL = '<script>alert("x")</script><img src="http://evil.example/x.png">'


def _summary(**extra: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "suite_version": "9.9.9",
        "profile": "timeback",
        "target": "http://127.0.0.1:8000",
        "seed": 42,
        "run_id": "oc123456",
        "started_at": "2026-01-02T03:04:05+00:00",
        "duration_s": 12.5,
        "requests": 321,
        "verdict": "non-conformant",
        "counts": {"passed": 1, "failed": 1, "skipped": 1, "observations": 1},
        "requirements": [
            {
                "id": "GEN-NO-SERVER-ERROR",
                "level": "MUST",
                "status": "passed",
                "title": "No request makes the server fail",
                "statement": "No 5xx.",
                "source": "Project docs — docs/api.md, Errors",
                "source_url": "docs/api.md#errors",
                "failures": [],
            },
            {
                "id": "GB-RESULT-PUT-UPSERT",
                "level": "MUST",
                "status": "failed",
                "title": "PUT /results/{id} creates or updates the result",
                "statement": "PUT answers 201 or 200.",
                "source": PAGE,
                "source_url": URL,
                "failures": [
                    {
                        "message": "[GB-RESULT-PUT-UPSERT] MUST — A valid request was not answered with its "
                        f"documented success status\n  Got: 204 body {EVIL}",
                        "reproduction": "curl -sS -X PUT 'http://127.0.0.1:8000/x' -H \"Authorization: Bearer "
                        '$ONEROSTER_TOKEN"',
                    }
                ],
            },
            {
                "id": "GB-LIST-FIELDS",
                "level": "MUST",
                "status": "skipped",
                "title": "fields limits the fields returned",
                "statement": "…",
                "source": "TimeBack OneRoster OpenAPI — collection query parameter fields",
                "failures": [],
                "reason": "read-only run: writes are not sent",
            },
            {
                "id": "GEN-PUT-UPDATE-STATUS",
                "level": "INFO",
                "status": "observed",
                "title": "Status of a PUT that updates",
                "statement": "…",
                "source": "Project docs — docs/api.md, Status of a PUT that updates",
                "source_url": "docs/api.md#status-of-a-put-that-updates",
                "failures": [],
                "observations": [f"putResult: 200 {EVIL}"],
            },
        ],
    }
    summary.update(extra)
    return summary


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_server_text_is_escaped_and_nothing_is_loaded() -> None:
    page = certificate.render(_summary())
    tags = _tags(page)
    assert not [t for t, _ in tags if t in ("script", "img", "link", "iframe", "object", "embed")]
    assert not [a for _, a in tags if any(k in a for k in ("src", "srcset"))]
    # Links only to the documents the catalogue cites (a requirement's source), never to the server's text.
    assert not [
        a for _, a in tags if (a.get("href") or "#").startswith("http") and not sources.is_public_url(a["href"] or "")
    ]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    csp = [a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_every_value_is_escaped_even_in_the_catalogue_fields() -> None:
    summary = _summary(target=EVIL, profile=EVIL, run_id=EVIL)
    summary["requirements"][1]["title"] = EVIL
    summary["requirements"][1]["source"] = EVIL
    page = certificate.render(summary)
    assert "<script>" not in page and 'evil.example/x.png">' not in page


def test_sections() -> None:
    page = certificate.render(_summary())
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Non-conformant" in text
    for fact in ("http://127.0.0.1:8000", "2026-01-02T03:04:05+00:00", "timeback", "9.9.9", "42", "321"):
        assert fact in text
    assert "1 passed, 1 failed, 1 skipped, 1 observed." in text
    assert "MUST requirements failed: GB-RESULT-PUT-UPSERT" in text
    # The requirement table: id, level, status, title, source, in that order.
    row = re.search(r'<tr class="failed">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert cells == [
        "GB-RESULT-PUT-UPSERT",
        "MUST",
        "✘ failed",
        "PUT /results/{id} creates or updates the result",
        PAGE,
    ]
    # The source links to where it opens; a page of the suite's own docs is named by its path.
    assert f'<a href="{URL}" rel="noreferrer">' in row.group(1)
    assert "(docs/api.md#errors)" in page
    assert 'href="#failure-GB-RESULT-PUT-UPSERT"' in page and 'id="failure-GB-RESULT-PUT-UPSERT"' in page
    # The failure: its kind, its message, its reproduction.
    assert "Wrong status" in text
    assert "A valid request was not answered with its documented success status" in text
    assert "$ONEROSTER_TOKEN" in text
    assert "read-only run: writes are not sent" in text  # skipped, with the reason
    assert "putResult: 200" in text  # observations


def test_conformant_run_and_notices() -> None:
    summary = _summary(
        verdict="conformant", cut_short="time budget of 60 s spent", cleanup_failures=["result oc1-x: 500"]
    )
    summary["requirements"] = [r for r in summary["requirements"] if r["status"] != "failed"]
    page = certificate.render(summary)
    assert '<header class="conformant">' in page
    assert "Every MUST requirement this run checked passed." in page
    assert "The run was cut short: time budget of 60 s spent." in page
    assert "result oc1-x: 500" in page
    assert 'id="failures"' not in page


def test_suite_errors_are_no_verdict_of_conformance() -> None:
    summary = _summary(errors=["test_x: KeyError: 'y'"])
    summary["requirements"] = [r for r in summary["requirements"] if r["status"] != "failed"]
    page = certificate.render(summary)
    assert "no verdict of conformance" in page and "KeyError" in page


def test_write_reads_nothing_but_the_summary(tmp_path: Path) -> None:
    path = certificate.write(json.loads(json.dumps(_summary())), tmp_path / "new")
    assert path == tmp_path / "new" / "certificate.html"
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_summary_md_links_each_source_to_where_it_opens() -> None:
    text = summary.markdown(_summary(suite_version="1", seed=1, started_at="2026-01-01T00:00:00Z", duration_s=1.0))
    row = next(line for line in text.splitlines() if line.startswith("| `GB-RESULT-PUT-UPSERT`"))
    assert "[TimeBack API reference — Update or Create a Result, PUT" in row
    assert "](https://docs.timeback.com/beta/api-reference/beyond-ai/oneroster/results-management/" in row
    assert "(`docs/api.md#errors` in the suite's repository)" in text

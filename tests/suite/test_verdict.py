"""What the verdict vouches for: never a run that reached no target, and never, silently, the MUST
requirements it did not check."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance import catalogue, profiles
from conformance.ledger import Ledger
from conformance.reporting import certificate, summary
from conformance.runner.run_command import explain
from conformance.suite.verdict import RunInfo, build

INFO = RunInfo(profiles.TIMEBACK, "http://127.0.0.1:9", 0, "2026-12-05T00:00:00+00:00", 1.0, run_id="octest")
MUSTS = [r.id for r in catalogue.catalogue(profiles.TIMEBACK).values() if r.level == "MUST"]


def _ledger(requests: int, passed: list[str]) -> Ledger:
    ledger = Ledger()
    ledger.requests = requests
    for requirement in passed:
        ledger.passed(requirement)
    return ledger


def test_a_run_that_sent_no_request_is_never_conformant() -> None:
    result = build(_ledger(0, MUSTS), INFO)
    assert result["verdict"] == "non-conformant"
    assert explain(result).startswith("non-conformant: the run sent no request to the target")
    assert "No request reached the target" in summary.markdown(result)
    assert "No request reached the target" in certificate.render(result)


def test_every_must_checked_says_so_plainly() -> None:
    result = build(_ledger(100, MUSTS), INFO)
    assert result["verdict"] == "conformant"
    assert (result["counts"]["must_checked"], result["counts"]["must_total"]) == (len(MUSTS), len(MUSTS))
    assert explain(result) == "conformant: no MUST requirement failed"


def test_unchecked_musts_are_counted_and_named_everywhere() -> None:
    checked = MUSTS[:5]
    result: dict[str, Any] = build(_ledger(100, checked), INFO)
    assert result["verdict"] == "conformant"
    assert (result["counts"]["must_checked"], result["counts"]["must_total"]) == (5, len(MUSTS))
    line = explain(result)
    assert f"5 of {len(MUSTS)} MUST requirements checked; {len(MUSTS) - 5} not checked: " in line
    assert "not exercised by the tests selected in this run" in line
    unchecked = [r for r in result["requirements"] if r["level"] == "MUST" and r["status"] == "skipped"]
    assert len(unchecked) == len(MUSTS) - 5 and all(r["reason"] for r in unchecked)
    markdown = summary.markdown(result)
    assert f"MUST requirements checked: 5 of {len(MUSTS)}" in markdown
    assert all(f"`{r['id']}`" in markdown for r in unchecked)
    page = certificate.render(result)
    assert f"5 of {len(MUSTS)}" in page and f"{len(MUSTS) - 5} not checked" in page


def test_a_failed_should_counts_only_under_strict() -> None:
    ledger = _ledger(100, MUSTS)
    ledger.failed("INTEROP-EXTRA-CREDIT", "[INTEROP-EXTRA-CREDIT] SHOULD — the score was clamped", "curl …")
    lenient = build(ledger, INFO)
    assert lenient["verdict"] == "conformant" and lenient["strict"] is False
    assert "1 SHOULD requirement(s) did: INTEROP-EXTRA-CREDIT; --strict counts them" in explain(lenient)
    strict = build(ledger, replace(INFO, strict=True))
    assert strict["verdict"] == "non-conformant" and strict["strict"] is True
    assert explain(strict).startswith(
        "non-conformant (--strict): no MUST requirement failed, but 1 SHOULD requirement(s) did (INTEROP-EXTRA-CREDIT)"
    )
    # An INFO requirement's failure is an observation: never counted, strict or not.
    observed = _ledger(100, MUSTS)
    observed.failed("INTEROP-LIMIT-10000", "a page of 10,000 was refused", "curl …")
    assert build(observed, replace(INFO, strict=True))["verdict"] == "conformant"

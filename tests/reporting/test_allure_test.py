"""A suite test in Allure's words: labels, severity, title, description and attachments come from
the requirements the test recorded."""

from __future__ import annotations

from dataclasses import replace

from conformance import catalogue, redaction
from conformance.checks import Failure, Finding
from conformance.client import Exchange
from conformance.contract.operations import BY_ID, ENTITY
from conformance.profiles import TIMEBACK
from conformance.reporting.allure_test import RecordedTest, describe, feature_of_area, title


def _note(test: RecordedTest, finding: Finding, exchange: Exchange | None = None) -> None:
    requirement = catalogue.get(finding.requirement, TIMEBACK)
    failed = finding.outcome == "failed" and requirement.level != "INFO"
    test.note(finding, requirement, Failure(finding, exchange) if failed else None)


def _fuzz_test() -> RecordedTest:
    test = RecordedTest("test_operation", {"op": BY_ID["putResult"], "mode": "positive"}, doc="")
    for requirement in ("GEN-NO-SERVER-ERROR", "GB-RESULT-PUT-UPSERT", "GEN-NO-SERVER-ERROR"):
        _note(test, Finding.ok(requirement))
    _note(test, Finding.note("GEN-RESPONSE-STRICT-FIELDS", "putResult: responses omit scoreStatus"))
    return test


def test_labels_of_a_fuzz_test() -> None:
    shown = describe(_fuzz_test())
    assert shown.stories == ("GEN-NO-SERVER-ERROR", "GB-RESULT-PUT-UPSERT", "GEN-RESPONSE-STRICT-FIELDS")
    assert shown.epics == ("General", "Gradebook")
    assert shown.features == ("results",)  # the operation's resource
    assert shown.severity == "critical"  # the highest level recorded: MUST
    assert shown.title == "Contract fuzzing: PUT /results/{sourcedId}, positive (3 requirements)"
    assert shown.sources == (
        "Project docs — docs/api.md, Errors",
        "TimeBack API reference — Update or Create a Result, PUT /ims/oneroster/gradebook/v1p2/results/{sourcedId}",
        "Project docs — docs/api.md, Payload facts",
    )
    assert shown.links == ()
    assert "**GB-RESULT-PUT-UPSERT** (MUST, passed: 1 passed)" in shown.description
    assert "**GEN-NO-SERVER-ERROR** (MUST, passed: 2 passed)" in shown.description
    assert shown.attachments == (("GEN-RESPONSE-STRICT-FIELDS observations", "putResult: responses omit scoreStatus"),)


def test_severity_follows_the_highest_level() -> None:
    test = RecordedTest("test_open_points")
    _note(test, Finding.note("GEN-PUT-UPDATE-STATUS", "200"))
    assert describe(test).severity == "trivial"
    assert describe(RecordedTest("test_nothing")).severity is None


def test_a_single_requirement_names_the_title_and_area_feature() -> None:
    test = RecordedTest("test_machine", {"name": "upsert"})
    _note(test, Finding.ok("GB-UPSERT-IDEMPOTENT"))
    shown = describe(test)
    assert shown.title == "State machine: upsert — Repeating a PUT changes nothing"
    assert shown.features == ("upsert",)  # from the area gradebook/upsert
    assert shown.epics == ("Gradebook",)


def test_entity_parameter_is_the_feature() -> None:
    test = RecordedTest("test_put_then_get_then_list", {"entity": ENTITY["lineItem"]})
    _note(test, Finding.ok("GB-LINEITEM-GET"))
    shown = describe(test)
    assert shown.features == ("lineItems",)
    assert shown.title == "Put then get then list: lineItems — GET /lineItems/{id} returns the line item"


def test_skipped_test_keeps_its_operation_labels() -> None:
    shown = describe(RecordedTest("test_operation", {"op": BY_ID["makeExternalTestAssignment"], "mode": "negative"}))
    assert (shown.epics, shown.features, shown.stories) == (("PowerPath",), ("externalTests",), ())


def test_failure_attachment_is_the_last_failure_redacted() -> None:
    redaction.register("describe-secret-91ab")
    test = RecordedTest("test_operation", {"op": BY_ID["putResult"], "mode": "positive"})
    for n in (1, 2):
        exchange = Exchange(
            "PUT", f"http://127.0.0.1:1/results/r{n}", {}, b"{}", status=204, body=b"describe-secret-91ab"
        )
        _note(test, Finding.fail("GB-RESULT-PUT-UPSERT", "PUT was not accepted", "201", "204"), exchange)
    shown = describe(test)
    assert (
        shown.title
        == "Contract fuzzing: PUT /results/{sourcedId}, positive — "
        + catalogue.get("GB-RESULT-PUT-UPSERT", TIMEBACK).title
    )
    ((name, text),) = shown.attachments
    assert name == "GB-RESULT-PUT-UPSERT failure"
    assert text.startswith("2 failing checks of GB-RESULT-PUT-UPSERT in this test; the last one")
    assert "/results/r2" in text and "/results/r1" not in text
    assert "describe-secret-91ab" not in text
    assert "**GB-RESULT-PUT-UPSERT** (MUST, failed: 2 failed)" in shown.description


def test_failed_requirements_are_named_in_a_many_requirement_title() -> None:
    test = _fuzz_test()
    _note(test, Finding.fail("GB-RESULT-PUT-UPSERT", "PUT was not accepted", "201", "204"), None)
    assert title(test).endswith("(3 requirements; failed: GB-RESULT-PUT-UPSERT)")


def test_description_is_escaped_and_url_sources_are_links() -> None:
    test = RecordedTest("test_x", doc="Checks <b>things</b>.\n\nMore text.")
    requirement = replace(
        catalogue.get("GEN-NO-SERVER-ERROR", TIMEBACK), statement="a <script> b", source="https://example.org/spec#x"
    )
    test.note(Finding.ok(requirement.id), requirement, None)
    shown = describe(test)
    assert shown.description.startswith("Checks &lt;b&gt;things&lt;/b&gt;.")
    assert "More text" not in shown.description  # the docstring's first paragraph only
    assert "a &lt;script&gt; b" in shown.description
    assert shown.links == (("https://example.org/spec#x", "https://example.org/spec#x"),)
    assert shown.sources == ()


def test_feature_of_area() -> None:
    assert feature_of_area("gradebook/results") == "results"
    assert feature_of_area("powerpath/external tests") == "externalTests"
    assert feature_of_area("authentication") == "authentication"

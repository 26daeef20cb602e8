"""The negative payload corpus: payloads the contract rejects, and where.

Each file of ``tests/contract/negative/`` is one case (format: ``negative/case.schema.json``): a
payload, its kind and reading, and the JSON pointer at which ``schemas.problems`` must report it. A
case must break the contract only there, so that an unrelated defect cannot make it pass. Lenient
cases are what every conformant server must reject; base cases what the schema files reject but a
server may accept (docs/readings.md), which the reference server refuses by default; strict cases are
what the suite must never send.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance.contract import schemas

from ._support import NEGATIVE, case_format, case_format_errors, load_cases

CASES = load_cases(NEGATIVE)
MINIMUM_CASES = 30
# The corpus's taxonomy: each case file name starts with its category.
CATEGORIES = ("enum", "type", "missing", "date", "ref", "lo", "envelope", "powerpath", "strict", "response")


def _at_or_below(found: str, expected: str) -> bool:
    return found == expected or found.startswith(expected.rstrip("/") + "/")


def test_case_format_is_a_valid_2020_12_schema() -> None:
    """case.schema.json, which describes the corpus format, is itself a valid schema."""
    Draft202012Validator.check_schema(case_format())


def test_case_format_rejects_a_malformed_case() -> None:
    """The format check can fail: no pointer, an unknown reading and an extra member are reported."""
    errors = case_format_errors(
        {"description": "too", "kind": "result put", "reading": "loose", "data": {}, "extra": 1}, "negative"
    )
    assert len(errors) >= 4, errors


@pytest.mark.parametrize(("stem", "case"), CASES, ids=[stem for stem, _ in CASES])
def test_negative_case_file_fits_the_case_format(stem: str, case: dict[str, Any]) -> None:
    """Every negative case follows case.schema.json (description, kind, reading, data, pointer)."""
    assert case_format_errors(case, "negative") == []
    assert stem.split("-", 1)[0] in CATEGORIES, f"{stem}: file name must start with one of {CATEGORIES}"


@pytest.mark.parametrize(("stem", "case"), CASES, ids=[stem for stem, _ in CASES])
def test_negative_case_is_reported_at_its_pointer(stem: str, case: dict[str, Any]) -> None:
    """The validator reports the case's defect at the case's pointer, and nothing unrelated to it."""
    assert case["reading"] == "lenient" or schemas.has_readings(case["kind"]), (
        "a strict case needs a kind with two readings"
    )
    found = schemas.problems(case["kind"], case["data"], case["reading"])
    assert case["pointer"] in {p.pointer for p in found}, [str(p) for p in found]
    assert [str(p) for p in found if not _at_or_below(p.pointer, case["pointer"])] == []


def test_corpus_has_at_least_thirty_cases_in_every_category() -> None:
    """The corpus is large enough, and no category is empty."""
    assert len(CASES) >= MINIMUM_CASES
    counts = {category: sum(stem.startswith(category + "-") for stem, _ in CASES) for category in CATEGORIES}
    assert all(counts.values()), counts


# (kind of the body, record definition whose required members each need a "missing" case, record pointer)
REQUIRED_COVERAGE = [
    *(
        (f"{entity}.putRequest", f"{entity}.request", f"/{entity}")
        for entity in ("result", "assessmentResult", "lineItem", "assessmentLineItem", "category", "scoreScale")
    ),
    ("result.bulkRequest", "result.create", "/results/0"),
    ("powerpath.makeAssignmentRequest", "powerpath.makeAssignmentRequest", ""),
]


def _missing_cases(kind: str, reading: str) -> set[str]:
    return {case["pointer"] for _, case in CASES if case["kind"] == kind and case["reading"] == reading}


def _required(definition: str, reading: schemas.Reading) -> list[str]:
    return list(schemas.resolve(definition, reading).get("required", []))


@pytest.mark.parametrize(("kind", "record", "where"), REQUIRED_COVERAGE, ids=[k for k, _, _ in REQUIRED_COVERAGE])
def test_every_lenient_required_member_has_a_case(kind: str, record: str, where: str) -> None:
    """Each member the lenient reading requires has a case that omits it (docs/api.md#payload-facts);
    a member newly made required fails this until the corpus covers it."""
    required = _required(record, "lenient")
    assert required, f"{record} requires nothing?"
    missing = [f"{where}/{name}" for name in required if f"{where}/{name}" not in _missing_cases(kind, "lenient")]
    assert missing == []


@pytest.mark.parametrize(("kind", "record", "where"), REQUIRED_COVERAGE, ids=[k for k, _, _ in REQUIRED_COVERAGE])
def test_every_member_only_the_base_requires_has_a_base_case(kind: str, record: str, where: str) -> None:
    """Each member the schema files require but a row of docs/readings.md lets a server do without
    (status, for one) has a base-reading case: the reference server's default still refuses it."""
    base_only = [name for name in _required(record, "base") if name not in _required(record, "lenient")]
    missing = [f"{where}/{name}" for name in base_only if f"{where}/{name}" not in _missing_cases(kind, "base")]
    assert missing == []


@pytest.mark.parametrize(("kind", "record", "where"), REQUIRED_COVERAGE, ids=[k for k, _, _ in REQUIRED_COVERAGE])
def test_every_strict_only_member_has_a_strict_case(kind: str, record: str, where: str) -> None:
    """Each member only the strict reading requires ('strict adds' column) has a strict-reading case."""
    strict_only = [name for name in _required(record, "strict") if name not in _required(record, "base")]
    missing = [f"{where}/{name}" for name in strict_only if f"{where}/{name}" not in _missing_cases(kind, "strict")]
    assert missing == []

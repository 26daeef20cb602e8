"""The five seed pages (API.md, "The five seed operations") fit the schemas.

The seeds are the first source of authority. Every JSON body and response they document, exactly as
written (``"<string>"`` placeholders, ``123`` numbers), must satisfy the LENIENT reading of its
kind, and every one but seed 002's the STRICT reading too: seed 002 documents ``PUT /results/{id}``
without ``status`` and ``scoreStatus``, which the published OpenAPI requires (API.md, "Payload facts").
Seed 004 is prose only; the fields it documents must exist in our schema.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.contract import schemas
from conformance.contract.operations import BY_ID
from conformance.contract.schemas import Reading

from ._support import SEEDS, Found, document_validator, json_objects, pointer

if not SEEDS.is_dir():
    pytest.skip(
        f"seed pages not found: {SEEDS} does not exist (../shared/seeds next to the repository)",
        allow_module_level=True,
    )


@dataclass(frozen=True)
class Seed:
    """What a seed page documents and how many top-level JSON objects the page holds."""

    prefix: str
    operation: str  # id in conformance.contract.operations
    request: str | None  # schema kind of the documented request body
    response: str | None  # schema kind of the documented success response
    objects: int  # 000/001 show request + response twice; 002/003 once; 004 has no JSON
    strict: bool  # whether the documented payloads satisfy the strict reading

    @functools.cached_property
    def path(self) -> Path:
        matches = sorted(SEEDS.glob(f"{self.prefix}_*.txt"))
        assert len(matches) == 1, f"expected one seed page {self.prefix}_*.txt in {SEEDS}, found {matches}"
        return matches[0]

    @functools.cached_property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @functools.cached_property
    def found(self) -> list[Found]:
        return json_objects(self.text)

    def kind(self, found: Found) -> str:
        kind = self.request if found.request else self.response
        assert kind is not None, f"seed {self.prefix} documents no {found.role} body"
        return kind


SEED_TABLE = (
    Seed("000", "putAssessmentResult", "assessmentResult.putRequest", "assessmentResult.single", 4, True),
    Seed("001", "createResultForLineItem", "result.bulkRequest", "sourcedIdPairs", 4, True),
    Seed("002", "putResult", "result.putRequest", "result.single", 2, False),
    Seed("003", "putLineItem", "lineItem.putRequest", "lineItem.single", 2, True),
    Seed("004", "importExternalTestAssignmentResults", None, "powerpath.importResultsResponse", 0, True),
)
BY_PREFIX = {seed.prefix: seed for seed in SEED_TABLE}
# What seed 002 omits and the published OpenAPI requires (API.md: "PUT result … strict adds status, scoreStatus").
SEED_002_STRICT_GAPS = {"/result/status", "/result/scoreStatus"}


def _payloads() -> list[pytest.ParameterSet]:
    params = []
    for seed in SEED_TABLE:
        counts = {"request": 0, "response": 0}
        for found in seed.found:
            counts[found.role] += 1
            params.append(pytest.param(seed, found, id=f"{seed.prefix}-{found.role}#{counts[found.role]}"))
    return params


PAYLOADS = _payloads()


@pytest.mark.parametrize("seed", SEED_TABLE, ids=lambda s: s.prefix)
def test_seed_page_holds_the_documented_number_of_json_objects(seed: Seed) -> None:
    """The extractor finds every documented payload (a parsing regression must not pass silently),
    and requests (after ``--data '``) alternate with responses."""
    assert len(seed.found) == seed.objects, [f.offset for f in seed.found]
    assert [f.role for f in seed.found] == ["request", "response"] * (seed.objects // 2)


@pytest.mark.parametrize(("seed", "found"), PAYLOADS)
def test_seed_payload_satisfies_the_lenient_reading(seed: Seed, found: Found) -> None:
    """Every documented payload is what a server must accept / what a response must contain."""
    assert schemas.problems(seed.kind(found), found.value, "lenient") == []


@pytest.mark.parametrize(("seed", "found"), [p for p in PAYLOADS if p.values[0].strict])
def test_seed_payload_satisfies_the_strict_reading(seed: Seed, found: Found) -> None:
    """Seeds 000, 001, 003: the sources agree, so the strict reading accepts the documented payloads."""
    assert schemas.problems(seed.kind(found), found.value, "strict") == []


@pytest.mark.parametrize(("seed", "found"), [p for p in PAYLOADS if not p.values[0].strict])
def test_seed_002_fails_the_strict_reading_only_for_status_and_score_status(seed: Seed, found: Found) -> None:
    """Seed 002 is why two readings exist: strictly it lacks exactly /result/status and /result/scoreStatus."""
    found_problems = schemas.problems(seed.kind(found), found.value, "strict")
    assert {p.pointer for p in found_problems} == SEED_002_STRICT_GAPS
    assert all("required" in p.message for p in found_problems)


@pytest.mark.parametrize(("seed", "found"), PAYLOADS)
def test_seed_payload_fits_the_assembled_openapi_operation(seed: Seed, found: Found) -> None:
    """The assembled OpenAPI carries the same contract: request bodies against the operation's request
    schema (strict document: the closed copy the suite sends, so every documented member is known),
    responses against its success response."""
    op = BY_ID[seed.operation]
    reading: Reading = "strict" if seed.strict else "lenient"
    base = ("paths", op.path, op.method.lower())
    if found.request:
        where = pointer(*base, "requestBody", "content", "application/json", "schema")
    else:
        where = pointer(*base, "responses", str(op.success[0]), "content", "application/json", "schema")
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in document_validator(reading, where).iter_errors(found.value)
    ]
    assert errors == []


@pytest.mark.parametrize("seed", SEED_TABLE, ids=lambda s: s.prefix)
def test_operation_table_cites_the_seed_and_its_kinds(seed: Seed) -> None:
    """The operation table names this seed page as its source and uses the seed's payload kinds."""
    op = BY_ID[seed.operation]
    assert Path(op.source).name == seed.path.name
    assert (op.request, op.response) == (seed.request, seed.response)


# Seed 004 is prose. Each response field is documented by one phrase of its "Response / Success" part.
IMPORT_RESULTS_FIELDS = {
    "lessonType": "test-out, placement, unit-test",
    "lessonId": "The sourcedId of the lesson (ComponentResource)",
    "toolProvider": "The tool provider for the lesson (ComponentResource)",
    "finalized": "Whether the Test has been finalized in the current attempt",
    "attempt": "The attempt number",
    "credentials": "The credentials for accessing the assigned test on external tool",
    "assignmentId": "The id of the assignment on external tool for results retrieval",
    "classId": "The id of the class on external tool for results retrieval",
    "testUrl": "The URL of the test on external tool",
    "testId": "The id of the test on external tool",
}
IMPORT_RESULTS_QUERY = {
    "student": "The sourcedId of the student",
    "lesson": "The sourcedId of the lesson (ComponentResource)",
    "applicationName": "The name of the application",
}


def _section(text: str, heading: str, end: str | None = None) -> str:
    assert f"\n{heading}\n" in text, f"seed 004 has no {heading!r} section"
    body = text.split(f"\n{heading}\n", 1)[1]
    return body.split(f"\n{end}\n", 1)[0] if end else body


@pytest.mark.parametrize("field", IMPORT_RESULTS_FIELDS)
def test_seed_004_response_field_is_in_the_import_results_schema(field: str) -> None:
    """Every response field seed 004 documents is a property of powerpath.importResultsResponse."""
    response = _section(BY_PREFIX["004"].text, "Response")
    assert IMPORT_RESULTS_FIELDS[field] in response, "the phrase no longer documents this field in seed 004"
    assert field in schemas.resolve("powerpath.importResultsResponse")["properties"]


def test_seed_004_lesson_types_are_the_schema_enum() -> None:
    """The lessonType values seed 004 lists (test-out, placement, unit-test) are exactly the schema's enum."""
    phrase = IMPORT_RESULTS_FIELDS["lessonType"]
    assert phrase in _section(BY_PREFIX["004"].text, "Response")
    documented = phrase.split(", ")
    lesson_type = schemas.resolve("powerpath.importResultsResponse")["properties"]["lessonType"]
    resolved = schemas.registry().resolver(schemas.schema_id("powerpath")).lookup(lesson_type["$ref"]).contents
    assert sorted(resolved["enum"]) == sorted(documented)
    assert len(documented) == 3


def test_seed_004_query_parameters_are_the_operation_query() -> None:
    """The query parameters seed 004 documents are the importExternalTestAssignmentResults query."""
    query = _section(BY_PREFIX["004"].text, "Query Parameters", end="Response")
    assert [line for line in query.splitlines() if line] == list(IMPORT_RESULTS_QUERY.values())
    assert BY_ID["importExternalTestAssignmentResults"].query == tuple(IMPORT_RESULTS_QUERY)

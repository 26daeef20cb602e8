"""The five seed pages (TimeBack API reference pages, listed in seeds/README.md) fit the schemas.

The seeds are the first source of authority. Every JSON body and response they document, exactly as
written (``"<string>"`` placeholders, ``123`` numbers), must satisfy the LENIENT reading of its
kind, and every one but seed 002's the STRICT reading too: seed 002 documents ``PUT /results/{id}``
without ``status`` and ``scoreStatus``, which the published OpenAPI requires (docs/api.md#payload-facts).
Seed 004 is prose only; the fields it documents must exist in our schema.

The pages themselves are not in the repository: their example payloads (and seed 004's documented
query parameters and response fields) were extracted, as written, into ``seeds/<operation>.json``,
one file per page, with the page's title and operation (format: ``seeds/README.md``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.contract import schemas
from conformance.contract.operations import BY_ID
from conformance.contract.schemas import Reading

from ._support import SEEDS, Found, document_validator, pointer


@dataclass(frozen=True)
class Seed:
    """What a seed page documents and how many top-level JSON objects the page holds."""

    prefix: str
    operation: str  # id in conformance.contract.operations
    request: str | None  # schema kind of the documented request body
    response: str | None  # schema kind of the documented success response
    objects: int  # 000/001 show request + response twice; 002/003 once; 004 has no JSON
    strict: bool  # whether the documented payloads satisfy the strict reading
    name: str  # seeds/<name>.json: the page's extracted examples

    @functools.cached_property
    def path(self) -> Path:
        return SEEDS / f"{self.name}.json"

    @functools.cached_property
    def data(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    @functools.cached_property
    def found(self) -> list[Found]:
        return [
            Found(example["value"], example["role"] == "request", index)
            for index, example in enumerate(self.data["examples"])
        ]

    def kind(self, found: Found) -> str:
        kind = self.request if found.request else self.response
        assert kind is not None, f"seed {self.prefix} documents no {found.role} body"
        return kind


SEED_TABLE = (
    Seed(
        "000",
        "putAssessmentResult",
        "assessmentResult.putRequest",
        "assessmentResult.single",
        4,
        True,
        "put-assessment-result",
    ),
    Seed(
        "001",
        "createResultForLineItem",
        "result.bulkRequest",
        "sourcedIdPairs",
        4,
        True,
        "create-result-for-line-item",
    ),
    Seed("002", "putResult", "result.putRequest", "result.single", 2, False, "put-result"),
    Seed("003", "putLineItem", "lineItem.putRequest", "lineItem.single", 2, True, "put-line-item"),
    Seed(
        "004",
        "importExternalTestAssignmentResults",
        None,
        "powerpath.importResultsResponse",
        0,
        True,
        "import-external-test-assignment-results",
    ),
)
BY_PREFIX = {seed.prefix: seed for seed in SEED_TABLE}
# What seed 002 omits and the published OpenAPI requires (docs/api.md#payload-facts).
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
    """The extracted file holds every payload the page documents (none lost, none added), and
    requests (after ``--data '`` on the page) alternate with responses."""
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
    """The operation table names this seed page as its source and uses the seed's payload kinds; the
    extracted file names the same page and operation."""
    op = BY_ID[seed.operation]
    assert seed.data["operation"] == {"id": op.id, "method": op.method, "path": op.path}
    # The table cites the page by its stored name, or publicly by operation (and title, for a reference page).
    assert Path(op.source).name == seed.data["page"] or f"{op.method} {op.path}" in op.source, op.source
    if "API reference" in op.source:
        assert seed.data["title"] in op.source
    assert seed.data["title"]
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


def _section(name: str) -> list[str]:
    """Seed 004's documented lines of one part of its page: ``query_parameters`` or ``response``."""
    lines = BY_PREFIX["004"].data.get(name)
    assert isinstance(lines, list), f"seed 004 has no {name!r} part"
    return lines


@pytest.mark.parametrize("field", IMPORT_RESULTS_FIELDS)
def test_seed_004_response_field_is_in_the_import_results_schema(field: str) -> None:
    """Every response field seed 004 documents is a property of powerpath.importResultsResponse."""
    response = "\n".join(_section("response"))
    assert IMPORT_RESULTS_FIELDS[field] in response, "the phrase no longer documents this field in seed 004"
    assert field in schemas.resolve("powerpath.importResultsResponse")["properties"]


def test_seed_004_lesson_types_are_the_schema_enum() -> None:
    """The lessonType values seed 004 lists (test-out, placement, unit-test) are exactly the schema's enum."""
    phrase = IMPORT_RESULTS_FIELDS["lessonType"]
    assert phrase in "\n".join(_section("response"))
    documented = phrase.split(", ")
    lesson_type = schemas.resolve("powerpath.importResultsResponse")["properties"]["lessonType"]
    resolved = schemas.registry().resolver(schemas.schema_id("powerpath")).lookup(lesson_type["$ref"]).contents
    assert sorted(resolved["enum"]) == sorted(documented)
    assert len(documented) == 3


def test_seed_004_query_parameters_are_the_operation_query() -> None:
    """The query parameters seed 004 documents are the importExternalTestAssignmentResults query."""
    assert _section("query_parameters") == list(IMPORT_RESULTS_QUERY.values())
    assert BY_ID["importExternalTestAssignmentResults"].query == tuple(IMPORT_RESULTS_QUERY)


def test_every_seed_file_is_a_seed_of_the_table() -> None:
    """No extracted page goes unchecked: the files of ``seeds/`` are exactly the table's."""
    assert sorted(path.stem for path in SEEDS.glob("*.json")) == sorted(seed.name for seed in SEED_TABLE)

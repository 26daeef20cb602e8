"""Every example the published TimeBack specs give for a covered operation fits our schemas.

For each operation of ``conformance.contract.operations.OPERATIONS``, the same operation (method and
path, trailing slash ignored) is looked up in ``third_party/openapi/timeback-oneroster-openapi.yaml``
or ``timeback-powerpath-openapi.json`` (not redistributable: ``third_party/fetch.py`` gets them);
every ``example``/``examples`` of its parameters, request body and responses is collected with its
location (``_examples``), and each one must validate against OUR schema at the same location in the
stored assembled OpenAPI documents, under both readings. Test ids carry the number of examples found per operation.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from conformance.contract.operations import OPERATIONS, Operation
from conformance.contract.schemas import READINGS

from ._examples import Example, collect_at, load_spec, mismatches
from ._support import document_validator, pointer, published_spec, stored_document

# Skips the module, in one line, when a copy is absent (the documents may not be redistributed).
SPEC_FILES = {
    "gradebook": published_spec("timeback-oneroster-openapi.yaml"),
    "powerpath": published_spec("timeback-powerpath-openapi.json"),
}
# third_party/README.md: the live TimeBack spec is newer than the pinned copies and adds these.
NEWER_THAN_REFERENCE = {"patchAssessmentLineItem", "patchAssessmentResult"}


@functools.cache
def spec(service: str) -> dict[str, Any]:
    return load_spec(SPEC_FILES[service])


def reference_operation(op: Operation) -> tuple[str, dict[str, Any]] | None:
    """The reference's pointer and object for the same method and path (a trailing slash ignored)."""
    for path, item in spec(op.service)["paths"].items():
        if path.rstrip("/") == op.path.rstrip("/") and op.method.lower() in item:
            return pointer("paths", path, op.method.lower()), item[op.method.lower()]
    return None


def collect(op: Operation) -> list[Example]:
    """Every example the reference gives for ``op``, with its location."""
    located = reference_operation(op)
    return collect_at(spec(op.service), located[0]) if located else []


def problems(op: Operation, example: Example) -> list[str]:
    """Why ``example`` does not fit our schema, under each reading's assembled document."""
    return [
        message
        for reading in READINGS
        for message in mismatches(
            stored_document(reading),
            reading,
            op.method,
            op.path,
            example,
            functools.partial(document_validator, reading),
        )
    ]


COLLECTED = {op.id: collect(op) for op in OPERATIONS}
COVERED = [op for op in OPERATIONS if reference_operation(op) is not None]


@pytest.mark.parametrize("op", COVERED, ids=lambda op: f"{op.id}-{len(COLLECTED[op.id])}-examples")
def test_reference_examples_validate_against_our_schemas(op: Operation) -> None:
    """Each reference example of this operation is valid for our schema at the same location."""
    failures = [message for example in COLLECTED[op.id] for message in problems(op, example)]
    assert failures == []


def test_every_covered_operation_is_in_the_reference_but_the_newer_patches() -> None:
    """Operations are matched by method and path; only PATCH (newer than the stored copies) is absent."""
    missing = {op.id for op in OPERATIONS if reference_operation(op) is None}
    assert missing == NEWER_THAN_REFERENCE


def test_examples_were_collected_from_parameters_and_responses() -> None:
    """The walk found examples at all, and in both places the reference puts them today (query
    parameters such as limit=100 or filter=status='active'; imsx error fields such as
    imsx_codeMajor=failure): a walker regression cannot pass by collecting nothing."""
    examples = [example for found in COLLECTED.values() for example in found]
    assert len(examples) > 0
    sections = {example.section for example in examples}
    assert {"parameter", "response"} <= sections
    assert any(example.steps for example in examples if example.section == "response")


def test_an_example_that_breaks_our_schema_is_reported() -> None:
    """The comparison can fail: a reference-style example with a wrong value is reported."""
    op = next(op for op in COVERED if any(e.key == ("query", "limit") for e in COLLECTED[op.id]))
    bad = Example("parameter", ("query", "limit"), (), 0, "(made up)")
    assert problems(op, bad)
    unknown = Example("response", ("404", "application/json"), ("no_such_member",), "x", "(made up)")
    assert any("has no schema there" in message for message in problems(op, unknown))

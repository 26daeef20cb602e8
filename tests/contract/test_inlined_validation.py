"""The checks' validators (``conformance.checks.validation``: ``$ref`` resolved once) answer
exactly as ``contract.schemas`` does, in every profile: on every corpus payload against every kind and
reading, and on variants of the valid payloads with a member taken out or given a wrong type."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance import profiles
from conformance.checks import validation
from conformance.contract import schemas

HERE = Path(__file__).parent
READINGS = ("lenient", "strict")


def _corpus() -> list[dict[str, Any]]:
    """Every payload case of the contract tests (kind, data; reading when the case names one)."""
    found: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("**/*.json")):
        if path.name.startswith("case") and path.name.endswith("schema.json"):
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        for case in document.get("cases", [document]) if isinstance(document, dict) else []:
            if isinstance(case, dict) and "kind" in case and "data" in case:
                found.append(case)
    return found


CORPUS = _corpus()


@pytest.fixture(params=profiles.NAMES)
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _kinds(profile: str) -> list[str]:
    return sorted(schemas.kinds(profile))


def _variants(value: Any, depth: int = 0) -> Iterator[Any]:
    """``value`` with one member removed, or replaced by a number, a null or a string, down to depth 3."""
    if depth > 3:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            yield {k: v for k, v in value.items() if k != key}
            for wrong in (12345, None, "x"):
                yield {**value, key: wrong}
            for variant in _variants(inner, depth + 1):
                yield {**value, key: variant}
    elif isinstance(value, list) and value:
        yield value[1:]
        for variant in _variants(value[0], depth + 1):
            yield [variant, *value[1:]]


def test_the_corpus_is_there(profile: str) -> None:
    assert len(CORPUS) >= 60
    assert len(_kinds(profile)) >= 20


@pytest.mark.parametrize("reading", READINGS)
def test_every_payload_against_every_kind(profile: str, reading: str) -> None:
    mismatches = [
        (kind, case.get("description", "")[:60])
        for case in CORPUS
        for kind in _kinds(profile)
        if validation.is_valid(kind, case["data"], reading, profile)
        != schemas.is_valid(kind, case["data"], reading, profile)
    ]
    assert not mismatches


def test_problems_are_those_of_contract_schemas(profile: str) -> None:
    kinds = set(_kinds(profile))
    for case in CORPUS:
        if case["kind"] not in kinds:
            continue
        for reading in READINGS:
            found = validation.problems(case["kind"], case["data"], reading, profile)
            assert found == schemas.problems(case["kind"], case["data"], reading, profile)


def test_variants_of_the_valid_payloads(profile: str) -> None:
    kinds, checked = set(_kinds(profile)), 0
    for case in CORPUS:
        kind = case["kind"]
        if kind not in kinds or not any(schemas.is_valid(kind, case["data"], r, profile) for r in READINGS):
            continue
        for variant in _variants(case["data"]):
            for reading in READINGS:
                expected = schemas.is_valid(kind, variant, reading, profile)
                assert validation.is_valid(kind, variant, reading, profile) == expected, (kind, reading, variant)
                checked += 1
    assert checked > 500


def test_a_schema_that_refers_to_itself_is_not_inlined() -> None:
    tree = {"$id": "https://example.invalid/tree", "type": "object", "properties": {"child": {"$ref": "#"}}}
    registry: Registry[Any] = Registry().with_resource(
        tree["$id"], Resource.from_contents(tree, default_specification=DRAFT202012)
    )
    with pytest.raises(validation._Cycle):
        validation._inline({"$ref": tree["$id"]}, registry.resolver(), ())

"""The documents as the case generator sees them: only what is drawn changes."""

from __future__ import annotations

import json

import pytest

from conformance import profiles
from conformance.contract import openapi
from conformance.contract.operations import ENTITY, operations
from conformance.session.generation_view import RECORDS_DRAWN_AT_MOST, UNSENT_ID, for_generation


def _responses(document: dict[str, object]) -> str:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return json.dumps({p: {m: o.get("responses") for m, o in ops.items()} for p, ops in paths.items()}, sort_keys=True)


@pytest.mark.parametrize("profile", profiles.NAMES)
@pytest.mark.parametrize("reading", ["strict", "lenient"])
def test_responses_are_judged_against_the_published_document(profile: str, reading: str) -> None:
    published = openapi.load(reading, profile)  # type: ignore[arg-type]
    before = json.dumps(published, sort_keys=True)
    view = for_generation(published, reading, profile)
    assert _responses(view) == _responses(published)
    assert json.dumps(published, sort_keys=True) == before, "the published document is left as it was"


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_what_positive_cases_replace_is_drawn_as_a_constant(profile: str) -> None:
    view = for_generation(openapi.load("strict", profile), "strict", profile)
    text = json.dumps(view)
    # Every record an entity's write sends has its id and its references as constants.
    writes = [op for op in operations(profile) if op.entity and op.request]
    assert writes
    assert text.count(UNSENT_ID) >= len({op.entity for op in writes}) * 2


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_negative_bulk_bodies_draw_a_few_records(profile: str) -> None:
    view = for_generation(openapi.load("lenient", profile), "lenient", profile)
    schemas = view["components"]["schemas"]
    capped = 0
    for op in operations(profile):
        if not op.entity or not op.request:
            continue
        ref = view["paths"][op.path][op.method.lower()]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        listed = schemas[ref.removeprefix("#/components/schemas/")].get("properties", {}).get(ENTITY[op.entity].plural)
        arrays = [a for a in [listed, *(listed or {}).get("anyOf", [])] if a and a.get("type") == "array"]
        for array in arrays:
            assert array["maxItems"] <= RECORDS_DRAWN_AT_MOST, op.id
            capped += 1
    assert capped >= 2, "both profiles document bulk POSTs"
    assert UNSENT_ID not in json.dumps(view), "negative cases keep their references as drawn"

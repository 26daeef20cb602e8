"""The schema files are sound: valid 2020-12 schemas, unique ``$id``s named after their files, and
every ``$ref`` resolvable through ``conformance.contract.schemas.registry()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from conformance.contract import schemas

from ._support import escape

DOCUMENTS = schemas.documents()
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def refs(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(JSON pointer, value) of every ``$ref`` in a schema document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from refs(value, f"{where}/{escape(key)}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from refs(item, f"{where}/{i}")


def unresolved(name: str, document: dict[str, Any]) -> list[str]:
    """The ``$ref``s of ``document`` the registry cannot resolve, relative to the document's ``$id``."""
    resolver = schemas.registry().resolver(base_uri=document["$id"])
    failures = []
    for where, ref in refs(document):
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:
            failures.append(f"{name}{where}: {ref} ({exc})")
    return failures


def test_schema_folder_holds_the_expected_documents() -> None:
    """The loader found schema files at all (an empty folder must not make every check vacuous)."""
    assert len(DOCUMENTS) >= 10
    assert {"common", "result", "lineItem", "assessmentResult", "powerpath", "imsxStatusInfo"} <= set(DOCUMENTS)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_schema_passes_the_2020_12_metaschema(name: str) -> None:
    """Each schema declares JSON Schema 2020-12 and is valid under its metaschema."""
    assert DOCUMENTS[name].get("$schema") == DRAFT_2020_12
    Draft202012Validator.check_schema(DOCUMENTS[name])


@pytest.mark.parametrize("name", DOCUMENTS)
def test_schema_id_ends_with_its_file_name(name: str) -> None:
    """``$id`` ends with ``/<name>.schema.json``, so relative refs between files resolve by file name."""
    assert DOCUMENTS[name]["$id"].endswith(f"/{name}{schemas.SCHEMA_SUFFIX}")


def test_schema_ids_are_unique() -> None:
    """No two files share an ``$id`` (the registry would silently keep one)."""
    ids = [doc["$id"] for doc in DOCUMENTS.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", DOCUMENTS, ids=lambda name: f"{name}-{len(list(refs(DOCUMENTS[name])))}-refs")
def test_every_ref_resolves_through_the_registry(name: str) -> None:
    """Each ``$ref`` (within the file or to another file) resolves in ``schemas.registry()``."""
    assert unresolved(name, DOCUMENTS[name]) == []


def test_an_unresolvable_ref_is_reported() -> None:
    """The ref check can fail: a reference to a missing definition or file is reported."""
    broken = {
        "$id": DOCUMENTS["result"]["$id"],
        "properties": {
            "a": {"$ref": "common.schema.json#/$defs/NoSuchDefinition"},
            "b": {"$ref": "nosuch.schema.json"},
            "c": {"$ref": "#/$defs/record"},
        },
    }
    assert [failure.split(":")[0] for failure in unresolved("broken", broken)] == [
        "broken/properties/a",
        "broken/properties/b",
    ]


@pytest.mark.parametrize("reading", schemas.READINGS)
def test_every_kind_compiles_and_resolves(reading: schemas.Reading) -> None:
    """Every kind ``validate --list`` offers builds a validator under each reading and resolves fully."""
    kinds = list(schemas.kinds())
    assert kinds
    for kind in kinds:
        resolver = schemas.registry().resolver()
        resolver.lookup(schemas.kind_ref(kind, reading))
        list(schemas.validator(kind, reading).iter_errors({}))

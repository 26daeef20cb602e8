"""The assembled OpenAPI documents stored in ``conformance/contract/openapi/`` are valid OpenAPI 3.1
and up to date with ``schemas/`` and the operation table (``oneroster-conformance openapi --check``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from conformance import cli, profiles
from conformance.contract import openapi, schemas
from conformance.contract.operations import operations
from conformance.exits import Exit

PROFILES = pytest.mark.parametrize("profile", profiles.NAMES)


@PROFILES
@pytest.mark.parametrize("reading", schemas.READINGS)
def test_stored_document_is_valid_openapi(reading: schemas.Reading, profile: str) -> None:
    """Each stored document passes openapi-spec-validator (OpenAPI 3.1, refs resolvable)."""
    validate(openapi.load(reading, profile))


@PROFILES
@pytest.mark.parametrize("reading", schemas.READINGS)
def test_stored_document_has_every_operation(reading: schemas.Reading, profile: str) -> None:
    """Every row of the profile's operation table is an operation of its stored document, under its id,
    and nothing else is."""
    paths = openapi.load(reading, profile)["paths"]
    for op in operations(profile):
        assert paths[op.path][op.method.lower()]["operationId"] == op.id
    assert sum(len(item) for item in paths.values()) == len(operations(profile))


def test_the_official_document_counts_collections_in_a_header() -> None:
    paths = openapi.load("lenient", profiles.ONEEDTECH)["paths"]
    listed = paths["/ims/oneroster/gradebook/v1p2/results"]["get"]["responses"]["200"]
    assert "X-Total-Count" in listed["headers"]
    put = paths["/ims/oneroster/gradebook/v1p2/results/{sourcedId}"]["put"]["responses"]["201"]
    assert "content" not in put  # 201, no body


def test_stored_documents_are_not_stale() -> None:
    """The stored copies equal what assemble() produces now (regenerate with 'openapi --write')."""
    assert openapi.stale() == []


def test_openapi_check_command_passes() -> None:
    """'oneroster-conformance openapi --check' exits 0 on the committed tree."""
    assert cli.main(["openapi", "--check"]) == Exit.OK


def test_a_schema_change_makes_the_stored_documents_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing a schema in memory (a new Result property) without regenerating is caught, for both readings."""
    changed: dict[str, Any] = copy.deepcopy(schemas.documents(profiles.TIMEBACK))
    changed["result"]["$defs"]["record"]["properties"]["vendorExtension"] = {"type": "string"}
    original = schemas.documents

    def documents(profile: str | None = None) -> dict[str, Any]:
        return changed if profiles.resolve(profile) == profiles.TIMEBACK else original(profile)

    monkeypatch.setattr(schemas, "documents", documents)
    assert openapi.stale() == [openapi.path_for(reading, profiles.TIMEBACK) for reading in schemas.READINGS]


def test_an_edited_stored_copy_is_stale(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-edited stored copy is caught, and 'openapi --check' then exits 1 naming the file."""
    monkeypatch.setattr(openapi, "STORED", tmp_path)
    openapi.write()
    assert openapi.stale() == []
    edited = openapi.path_for("lenient")
    edited.write_text(edited.read_text(encoding="utf-8").replace('"minimum": 1', '"minimum": 0', 1), encoding="utf-8")
    assert openapi.stale() == [edited]
    assert cli.main(["openapi", "--check"]) == Exit.FAILED
    assert str(edited) in capsys.readouterr().err

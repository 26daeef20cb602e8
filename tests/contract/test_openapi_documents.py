"""The assembled OpenAPI documents stored in ``conformance/contract/openapi/`` are valid OpenAPI 3.1
and up to date with ``schemas/`` and the operation table (``oneroster-conformance openapi --check``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from conformance import cli
from conformance.contract import openapi, schemas
from conformance.contract.operations import OPERATIONS


@pytest.mark.parametrize("reading", schemas.READINGS)
def test_stored_document_is_valid_openapi(reading: schemas.Reading) -> None:
    """Each stored document passes openapi-spec-validator (OpenAPI 3.1, refs resolvable)."""
    validate(openapi.load(reading))


@pytest.mark.parametrize("reading", schemas.READINGS)
def test_stored_document_has_every_operation(reading: schemas.Reading) -> None:
    """Every row of the operation table is an operation of the stored document, under its id."""
    paths = openapi.load(reading)["paths"]
    for op in OPERATIONS:
        assert paths[op.path][op.method.lower()]["operationId"] == op.id


def test_stored_documents_are_not_stale() -> None:
    """The stored copies equal what assemble() produces now (regenerate with 'openapi --write')."""
    assert openapi.stale() == []


def test_openapi_check_command_passes() -> None:
    """'oneroster-conformance openapi --check' exits 0 on the committed tree."""
    assert cli.main(["openapi", "--check"]) == cli.EXIT_OK


def test_a_schema_change_makes_the_stored_documents_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing a schema in memory (a new Result property) without regenerating is caught, for both readings."""
    changed: dict[str, Any] = copy.deepcopy(schemas.documents())
    changed["result"]["$defs"]["record"]["properties"]["vendorExtension"] = {"type": "string"}
    monkeypatch.setattr(schemas, "documents", lambda: changed)
    assert openapi.stale() == [openapi.path_for(reading) for reading in schemas.READINGS]


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
    assert cli.main(["openapi", "--check"]) == cli.EXIT_FAILED
    assert str(edited) in capsys.readouterr().err

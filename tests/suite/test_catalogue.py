"""The requirements catalogue: well-formed, cited, and never citing what it does not hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance import catalogue
from conformance.checks import mapping
from conformance.contract.operations import BY_ID, ENTITIES, OPERATIONS

PACKAGE = Path(catalogue.__file__).resolve().parents[1]
LITERAL_ID = re.compile(r"""["'`]((?:GEN|GB|PP)-[A-Z0-9-]*[A-Z0-9])["'`]""")
SHARED = Path(__file__).resolve().parents[3] / "shared"


def test_every_requirement_is_well_formed() -> None:
    reqs = catalogue.catalogue()
    assert len(reqs) >= 60
    for req in reqs.values():
        assert catalogue.ID_PATTERN.match(req.id), req.id
        assert req.level in catalogue.LEVELS
        assert req.title and req.statement and req.source, req.id
        assert "\n" not in req.statement
        for op in req.operations:
            assert op in BY_ID, f"{req.id} names unknown operation {op}"


def test_sources_name_real_documents() -> None:
    """Each source is a seed file, a reference spec, or a section of API.md that exists."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the checkout")
    api = (SHARED / "API.md").read_text(encoding="utf-8")
    for req in catalogue.catalogue().values():
        if req.source.startswith(("seeds/", "reference/")):
            assert (SHARED / req.source).is_file(), f"{req.id}: {req.source}"
        else:
            document, _, section = req.source.partition(" ")
            assert document == "API.md", f"{req.id}: {req.source}"
            assert section in api, f"{req.id}: no section {section!r} in API.md"


def test_code_cites_only_known_requirements() -> None:
    cited = set()
    for path in PACKAGE.rglob("*.py"):
        cited |= set(LITERAL_ID.findall(path.read_text(encoding="utf-8")))
    unknown = sorted(c for c in cited if c not in catalogue.catalogue() and not c.endswith("-"))
    assert not unknown, f"cited but not in the catalogue: {unknown}"


def test_mapping_resolves_every_operation_to_known_requirements() -> None:
    for op in OPERATIONS:
        assert mapping.success_requirement(op) in catalogue.catalogue(), op.id
        assert mapping.schema_requirement(op) in catalogue.catalogue(), op.id
        nf = mapping.not_found_requirement(op)
        assert nf is None or nf in catalogue.catalogue(), op.id


def test_every_entity_has_its_requirement_family() -> None:
    for e in ENTITIES:
        for suffix in ("PUT-UPSERT", "GET", "LIST", "CREATE", "DELETE", "NOT-FOUND", "RESPONSE-SCHEMA"):
            catalogue.entity_requirement(e.singular, suffix)


def test_unknown_id_is_refused() -> None:
    with pytest.raises(catalogue.UnknownRequirement):
        catalogue.get("GB-NOTHING-HERE")

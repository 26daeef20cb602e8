"""The requirements catalogue: well-formed, cited, and never citing what it does not hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance import catalogue, profiles
from conformance.checks import mapping
from conformance.contract.operations import ENTITIES, by_id, operations

PACKAGE = Path(catalogue.__file__).resolve().parents[1]
LITERAL_ID = re.compile(r"""["'`]((?:GEN|GB|PP)-[A-Z0-9-]*[A-Z0-9])["'`]""")
SHARED = Path(__file__).resolve().parents[3] / "shared"


@pytest.fixture(params=profiles.NAMES)
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_requirement_is_well_formed(profile: str) -> None:
    reqs = catalogue.catalogue(profile)
    assert len(reqs) >= 60
    for req in reqs.values():
        assert catalogue.ID_PATTERN.match(req.id), req.id
        assert req.level in catalogue.LEVELS
        assert req.title and req.statement and req.source, req.id
        assert "\n" not in req.statement
        for op in req.operations:
            assert op in by_id(profile), f"{req.id} names an operation {profile} does not have: {op}"


def test_sources_name_real_documents(profile: str) -> None:
    """Each source is a seed file, a reference spec, or a section of API.md that exists."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the checkout")
    api = (SHARED / "API.md").read_text(encoding="utf-8")
    for req in catalogue.catalogue(profile).values():
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


def test_mapping_resolves_every_operation_to_known_requirements(profile: str) -> None:
    held = catalogue.catalogue(profile)
    for op in operations(profile):
        assert mapping.success_requirement(op) in held, op.id
        assert mapping.schema_requirement(op) in held, op.id
        nf = mapping.not_found_requirement(op)
        assert nf is None or nf in held, op.id


def test_every_entity_has_its_requirement_family(profile: str) -> None:
    held = catalogue.catalogue(profile)
    family = ("PUT-UPSERT", "GET", "LIST", "DELETE", "NOT-FOUND", "RESPONSE-SCHEMA")
    for e in ENTITIES:
        for suffix in family + (("CREATE",) if profile == profiles.TIMEBACK else ()):
            assert f"GB-{e.singular.upper()}-{suffix}" in held, (profile, e.singular, suffix)


def test_the_official_profile_rewords_what_differs_and_drops_what_it_lacks() -> None:
    """The same stable IDs; the official binding's statements and sources where the dialects differ."""
    timeback, official = catalogue.catalogue(profiles.TIMEBACK), catalogue.catalogue(profiles.ONEEDTECH)
    assert set(official) < set(timeback)
    assert not [r for r in official if r.startswith("PP-")]  # no PowerPath in the official profile
    assert not [r for r in official if r.endswith(("-CREATE", "-PATCH"))]  # no single POST, no PATCH
    put = official["GB-RESULT-PUT-UPSERT"]
    assert "201 with no body" in put.statement and put.source.startswith("reference/1edtech")
    assert "X-Total-Count" in official["GB-LIST-TOTAL-COUNT"].statement
    assert "totalCount" in timeback["GB-LIST-TOTAL-COUNT"].statement
    assert official["GB-UPSERT-ROUNDTRIP"].statement == timeback["GB-UPSERT-ROUNDTRIP"].statement
    assert catalogue.applies("GEN-PUT-UPDATE-STATUS", profiles.TIMEBACK)
    assert not catalogue.applies("GEN-PUT-UPDATE-STATUS", profiles.ONEEDTECH)


def test_unknown_id_is_refused() -> None:
    with pytest.raises(catalogue.UnknownRequirement):
        catalogue.get("GB-NOTHING-HERE")

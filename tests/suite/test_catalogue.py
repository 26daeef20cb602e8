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
    known = {i for name in profiles.NAMES for i in catalogue.catalogue(name)}
    unknown = sorted(c for c in cited if c not in known and not c.endswith("-"))
    assert not unknown, f"cited but not in the catalogue: {unknown}"


def test_mapping_resolves_every_operation_to_known_requirements(profile: str) -> None:
    held = catalogue.catalogue(profile)
    for op in operations(profile):
        assert mapping.success_requirement(op, profile) in held, op.id
        assert mapping.schema_requirement(op, profile) in held, op.id
        nf = mapping.not_found_requirement(op, profile)
        assert nf is None or nf in held, op.id


def test_aspects_are_about_the_outcomes_of_operations(profile: str) -> None:
    """Each operation's outcome speaks to one requirement per aspect; a schema requirement is about
    operations that answer with a record of it."""
    held = catalogue.catalogue(profile)
    table = by_id(profile)
    for req in held.values():
        assert req.aspect is None or req.aspect in catalogue.ASPECTS, req.id
        if req.aspect is not None:
            assert req.operations, f"{req.id}: an aspect without operations"
        if req.aspect == "schema":
            for name in req.operations:
                op = table[name]
                assert op.response is not None and op.response.startswith(f"{op.entity}."), (req.id, name)
    for op in operations(profile):
        succeeding = [r.id for r in held.values() if r.aspect == "success" and op.id in r.operations]
        assert len(succeeding) == 1, (op.id, succeeding)
        for aspect in ("schema", "not-found"):
            found = [r.id for r in held.values() if r.aspect == aspect and op.id in r.operations]
            assert len(found) <= 1, (op.id, aspect, found)
    assert mapping.success_requirement(table["putResult"], profile) == "GB-RESULT-PUT-UPSERT"
    assert mapping.not_found_requirement(table["getResultsForClass"], profile) == "GB-SCOPED-NOT-FOUND"


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
        catalogue.get("GB-NOTHING-HERE", profiles.TIMEBACK)

"""The requirements catalogue: well-formed, cited, and never citing what it does not hold."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conformance import catalogue, profiles
from conformance.catalogue import page, sources
from conformance.checks import mapping
from conformance.contract.operations import ENTITIES, by_id, operations

PACKAGE = Path(catalogue.__file__).resolve().parents[1]
LITERAL_ID = re.compile(r"""["'`]((?:GEN|GB|PP|INTEROP)-[A-Z0-9-]*[A-Z0-9])["'`]""")
REPOSITORY = PACKAGE.parent


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


def _anchors(page: Path) -> set[str]:
    return {
        sources.docs_anchor(line.lstrip("#"))
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }


def test_sources_resolve_for_a_vendor(profile: str) -> None:
    """Each source is in one of the public forms (a TimeBack API reference page, a published OpenAPI
    document, the 1EdTech specification, RFC 6749, or a section of the project's own docs) with a URL
    of that form: https, or a docs page and anchor that exist in this repository."""
    for req in catalogue.catalogue(profile).values():
        form = sources.form_of(req.source, req.source_url)
        assert form is not None, f"{req.id}: {req.source!r} -> {req.source_url!r} is in none of the public forms"
        expected = sources.url_of(req.source)
        assert expected is None or expected == req.source_url, f"{req.id}: {req.source!r} opens {expected}"
        if form.name == "project-docs":
            page, _, anchor = req.source_url.partition("#")
            assert (REPOSITORY / page).is_file(), f"{req.id}: no {page} in the repository"
            assert anchor in _anchors(REPOSITORY / page), f"{req.id}: {page} has no section #{anchor}"
        else:
            assert req.source_url.startswith("https://"), req.id


def test_operations_cite_public_sources(profile: str) -> None:
    for op in operations(profile):
        url = sources.url_of(op.source)
        assert url is not None and sources.form_of(op.source, url) is not None, f"{op.id}: {op.source!r}"


# Where the briefing the project started from lives, its API file and its page copies: the repository
# stands alone, so nothing in it may name them. Spelled so that this file does not match itself.
PRIVATE = re.compile(r"\.\./shared|\b(?:API|DESIGN|STYLE)\.md\b|seeds/0{2}\d")
_NOT_SCANNED = {".git", ".venv", ".tox", "third_party", "reports", "build", "dist", "node_modules", "__pycache__"}


def _repository_files() -> list[Path]:
    """Every file of the repository that git does not ignore (tracked or new), third_party/ aside;
    outside a git checkout, every file below the repository but the usual generated folders."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPOSITORY,
            capture_output=True,
            check=True,
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = [
            str(path.relative_to(REPOSITORY))
            for path in REPOSITORY.rglob("*")
            if not _NOT_SCANNED & set(path.relative_to(REPOSITORY).parts)
        ]
    return [
        REPOSITORY / name
        for name in sorted(names)
        if Path(name).parts[0] != "third_party" and (REPOSITORY / name).is_file()
    ]


def test_nothing_points_at_the_private_briefing() -> None:
    """No text file of the repository (code, schemas, corpora, docs, generated OpenAPI documents)
    cites the private briefing: every citation names a public document or the project's own docs.
    third_party/ keeps its provenance notes."""
    files = _repository_files()
    assert PACKAGE / "contract" / "resources.py" in files and REPOSITORY / "docs" / "api.md" in files
    hits = []
    for path in files:
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if found := PRIVATE.findall(line):
                hits.append(f"{path.relative_to(REPOSITORY)}:{number} points at {found}")
    assert not hits, "\n".join(hits)


def test_the_requirements_page_is_current() -> None:
    """docs/requirements.md is generated from the catalogue; regenerate it when the catalogue changes."""
    stored = (REPOSITORY / "docs" / "requirements.md").read_text(encoding="utf-8")
    assert stored == page.render(), (
        "docs/requirements.md is stale: python -m conformance.catalogue.page docs/requirements.md"
    )


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
    """The same stable IDs; the official binding's statements and sources where the dialects differ.
    The official binding has one open point of its own: references without href and type
    (docs/readings.md#bare-references), which TimeBack's references never have; and it alone gives
    operations OAuth2 scopes, so the scope requirements are its own."""
    timeback, official = catalogue.catalogue(profiles.TIMEBACK), catalogue.catalogue(profiles.ONEEDTECH)
    own = {"GEN-READ-BARE-REFERENCES", "GEN-AUTH-SCOPE-ENFORCED", "GEN-AUTH-SCOPE-GRANTED", "GEN-AUTH-SCOPE-UNKNOWN"}
    assert set(official) - own < set(timeback) and own <= set(official) and not own & set(timeback)
    assert catalogue.applies("GEN-READ-NULL-METADATA", profiles.TIMEBACK)
    assert not catalogue.applies("GEN-READ-NULL-METADATA", profiles.ONEEDTECH)
    assert not [r for r in official if r.startswith("PP-")]  # no PowerPath in the official profile
    assert not [r for r in official if r.endswith(("-CREATE", "-PATCH"))]  # no single POST, no PATCH
    put = official["GB-RESULT-PUT-UPSERT"]
    assert "201 with no body" in put.statement and put.source.startswith("1EdTech OneRoster 1.2 Gradebook OpenAPI")
    assert "X-Total-Count" in official["GB-LIST-TOTAL-COUNT"].statement
    assert "totalCount" in timeback["GB-LIST-TOTAL-COUNT"].statement
    assert official["GB-UPSERT-ROUNDTRIP"].statement == timeback["GB-UPSERT-ROUNDTRIP"].statement
    assert catalogue.applies("GEN-PUT-UPDATE-STATUS", profiles.TIMEBACK)
    assert not catalogue.applies("GEN-PUT-UPDATE-STATUS", profiles.ONEEDTECH)


def test_unknown_id_is_refused() -> None:
    with pytest.raises(catalogue.UnknownRequirement):
        catalogue.get("GB-NOTHING-HERE", profiles.TIMEBACK)

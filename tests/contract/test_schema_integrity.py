"""The schema files of every profile are sound: valid 2020-12 schemas, unique ``$id``s named after
their files, and every ``$ref`` resolvable through ``conformance.contract.schemas.registry(profile)``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from conformance import profiles
from conformance.contract import schemas

from ._support import REPO, escape

DOCUMENTS = {profile: schemas.documents(profile) for profile in profiles.NAMES}
NAMED = [(profile, name) for profile, documents in DOCUMENTS.items() for name in documents]
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://oneroster-conformance.invalid/schemas/"
# The files each profile must have: an empty or half-copied folder must not make every check vacuous.
EXPECTED = {
    profiles.TIMEBACK: {"common", "result", "lineItem", "assessmentResult", "powerpath", "imsxStatusInfo"},
    profiles.ONEEDTECH: {
        "common",
        "result",
        "lineItem",
        "assessmentResult",
        "assessmentLineItem",
        "category",
        "scoreScale",
        "sourcedIdPairs",
        "imsxStatusInfo",
    },
}


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


def unresolved(name: str, document: dict[str, Any], profile: str = profiles.TIMEBACK) -> list[str]:
    """The ``$ref``s of ``document`` the profile's registry cannot resolve, relative to the document's ``$id``."""
    resolver = schemas.registry(profile).resolver(base_uri=document["$id"])
    failures = []
    for where, ref in refs(document):
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:
            failures.append(f"{name}{where}: {ref} ({exc})")
    return failures


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_schema_folder_holds_the_expected_documents(profile: str) -> None:
    """The loader found each profile's schema files at all, from the profile's own folder."""
    assert EXPECTED[profile] <= set(DOCUMENTS[profile])
    if profile == profiles.TIMEBACK:
        assert len(DOCUMENTS[profile]) >= 10


@pytest.mark.parametrize(("profile", "name"), NAMED, ids=[f"{p}-{n}" for p, n in NAMED])
def test_schema_passes_the_2020_12_metaschema(profile: str, name: str) -> None:
    """Each schema declares JSON Schema 2020-12 and is valid under its metaschema."""
    assert DOCUMENTS[profile][name].get("$schema") == DRAFT_2020_12
    Draft202012Validator.check_schema(DOCUMENTS[profile][name])


@pytest.mark.parametrize(("profile", "name"), NAMED, ids=[f"{p}-{n}" for p, n in NAMED])
def test_schema_id_is_the_profiles_base_and_its_file_name(profile: str, name: str) -> None:
    """``$id`` is ``<base>/<profile>/<name>.schema.json``, so relative refs between files resolve by
    file name and never cross into the other profile's files."""
    assert DOCUMENTS[profile][name]["$id"] == f"{ID_BASE}{profile}/{name}{schemas.SCHEMA_SUFFIX}"


def test_schema_ids_are_unique_across_profiles() -> None:
    """No two files share an ``$id`` (a registry would silently keep one)."""
    ids = [doc["$id"] for documents in DOCUMENTS.values() for doc in documents.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("profile", "name"),
    NAMED,
    ids=[f"{p}-{n}-{len(list(refs(DOCUMENTS[p][n])))}-refs" for p, n in NAMED],
)
def test_every_ref_resolves_through_the_registry(profile: str, name: str) -> None:
    """Each ``$ref`` (within the file or to another file) resolves in ``schemas.registry(profile)``."""
    assert unresolved(name, DOCUMENTS[profile][name], profile) == []


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_refs_stay_inside_their_profile(profile: str) -> None:
    """Every ``$ref`` is relative (``#…`` or ``<file>.schema.json…``): a profile's files never name the
    other profile's, so the two sets can change independently."""
    absolute = [
        f"{name}{where}: {ref}" for name, doc in DOCUMENTS[profile].items() for where, ref in refs(doc) if ":" in ref
    ]
    assert absolute == []


def test_an_unresolvable_ref_is_reported() -> None:
    """The ref check can fail: a reference to a missing definition or file is reported."""
    broken = {
        "$id": DOCUMENTS[profiles.TIMEBACK]["result"]["$id"],
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


def test_a_ref_into_the_other_profile_does_not_resolve() -> None:
    """Each profile's registry holds its own files only: a TimeBack-only definition is unknown to 1edtech."""
    borrowed = {"$id": DOCUMENTS[profiles.ONEEDTECH]["result"]["$id"], "$ref": "common.schema.json#/$defs/Page"}
    assert unresolved("borrowed", borrowed, profiles.ONEEDTECH) != []
    assert unresolved("borrowed", {**borrowed, "$id": DOCUMENTS[profiles.TIMEBACK]["result"]["$id"]}) == []


@pytest.mark.parametrize("profile", profiles.NAMES)
@pytest.mark.parametrize("reading", schemas.READINGS)
def test_every_kind_compiles_and_resolves(profile: str, reading: schemas.Reading) -> None:
    """Every kind ``validate --list`` offers builds a validator under each reading and resolves fully."""
    kinds = list(schemas.kinds(profile))
    assert kinds
    for kind in kinds:
        resolver = schemas.registry(profile).resolver()
        resolver.lookup(schemas.kind_ref(kind, reading, profile))
        list(schemas.validator(kind, reading, profile).iter_errors({}))


def test_each_profile_reads_its_own_folder() -> None:
    """``schemas_dir`` gives the TimeBack files at the root and the official ones in ``1edtech/`` below it."""
    root = schemas.schemas_dir(profiles.TIMEBACK)
    assert schemas.schemas_dir(profiles.ONEEDTECH) == root / profiles.get(profiles.ONEEDTECH).schema_subdir


def test_the_wheel_ships_every_profiles_schemas(tmp_path: Path) -> None:
    """A wheel built from pyproject carries every profile's schema files under ``conformance/_schemas``
    (force-include of the whole ``schemas`` folder), where ``schemas_dir`` looks first."""
    builders = pytest.importorskip("hatchling.builders.wheel", reason="hatchling (the build backend) is not installed")
    wheel = Path(next(iter(builders.WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"]))))
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    for profile in profiles.NAMES:
        sub = profiles.get(profile).schema_subdir
        folder = "/".join(part for part in ("conformance/_schemas", sub) if part)
        expected = {f"{folder}/{name}{schemas.SCHEMA_SUFFIX}" for name in DOCUMENTS[profile]}
        assert expected <= shipped, sorted(expected - shipped)

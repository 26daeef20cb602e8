"""The property inventory covers what the documents define: every member of every record schema (at
any depth), every query parameter of the operation tables, every operator and connective of the
filter grammar; every entry cites requirements that exist, and its page is current."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import catalogue, profiles
from conformance.catalogue import inventory
from conformance.contract import schemas
from conformance.contract.operations import operations
from conformance.contract.resources import FILTER_CONNECTIVES, FILTER_OPERATORS, FILTER_OPERATORS_TIMEBACK
from conformance.reference import query

REPOSITORY = Path(__file__).resolve().parents[2]
RECORD_KINDS = ("lineItem", "result", "assessmentLineItem", "assessmentResult", "category", "scoreScale")
POWERPATH_SHAPES = (
    "makeAssignmentRequest",
    "makeAssignmentResponse",
    "importResultsResponse",
    "assessmentProgressResponse",
)
REFERENCE_MEMBERS = ("sourcedId", "href", "type")
COMMON = ("sourcedId", "status", "dateLastModified", "metadata")


def _resolve(spec: dict[str, Any], documents: dict[str, dict[str, Any]], here: str) -> tuple[dict[str, Any], str]:
    while "$ref" in spec:
        target, _, pointer = spec["$ref"].partition("#")
        here = target.removesuffix(schemas.SCHEMA_SUFFIX) if target else here
        spec = documents[here]
        for part in pointer.strip("/").split("/") if pointer else ():
            spec = spec[part]
    return spec, here


def _members(spec: dict[str, Any], documents: dict[str, dict[str, Any]], here: str, prefix: str) -> Iterator[str]:
    """Every member name below ``spec``: ``a``, ``a.b`` for an object's, ``a[].b`` for an array item's."""
    spec, here = _resolve(spec, documents, here)
    for branch in spec.get("anyOf", []) + spec.get("oneOf", []):
        yield from _members(branch, documents, here, prefix)
    if spec.get("type") == "array" or "items" in spec:
        if isinstance(spec.get("items"), dict):
            yield from _members(spec["items"], documents, here, prefix + "[]")
        return
    for name, inner in spec.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        yield path
        if name != "metadata":  # free-form: its members are the writer's, not the documents'
            yield from _members(inner, documents, here, path)


def documented_fields(profile: str) -> set[tuple[str, str]]:
    documents = schemas.documents(profile)
    found: set[tuple[str, str]] = set()
    for kind in RECORD_KINDS:
        for member in _members(documents[kind]["$defs"]["record"], documents, kind, ""):
            parent, _, leaf = member.rpartition(".")
            if member in COMMON:
                found.add(("common", member))
            elif parent and not parent.endswith("]") and leaf in REFERENCE_MEMBERS:  # a reference's own member
                found.add(("reference", leaf))
            else:
                found.add((kind, member))
    if "powerpath" in documents:
        for shape in POWERPATH_SHAPES:
            spec = documents["powerpath"]["$defs"][shape]
            found |= {("powerpath", f"{shape}.{m}") for m in _members(spec, documents, "powerpath", "")}
    return found


def _keys(profile: str, section: str) -> set[str]:
    return {key for (where, key) in inventory.lookup(profile) if where == section}


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_every_documented_field_has_an_entry(profile: str) -> None:
    entries = _keys(profile, "field")
    missing = sorted(
        f"{group}.{member}" for group, member in documented_fields(profile) if f"{group}.{member}" not in entries
    )
    assert missing == [], f"documented fields with no inventory entry ({profile}): {missing}"


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_every_field_entry_names_a_documented_field(profile: str) -> None:
    documented = {f"{group}.{member}" for group, member in documented_fields(profile)}
    stale = sorted(_keys(profile, "field") - documented)
    assert stale == [], f"inventory entries for fields the {profile} schemas do not define: {stale}"


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_every_query_parameter_and_filter_operator_has_an_entry(profile: str) -> None:
    parameters = {name for op in operations(profile) for name in op.query or ()}
    assert sorted(parameters - _keys(profile, "query")) == []
    assert sorted(_keys(profile, "query") - parameters) == []
    grammar = {*(FILTER_OPERATORS_TIMEBACK if profile == profiles.TIMEBACK else FILTER_OPERATORS), *FILTER_CONNECTIVES}
    assert sorted(grammar ^ _keys(profile, "filter")) == []


def test_the_documented_grammar_is_the_reference_servers() -> None:
    # The reference server's parser is the grammar's other reader: an operator only it knows would
    # be an undocumented one the inventory cannot see.
    accepted = set(re.search(r"\(\?P<op>([^)]*)\)", query._CLAUSE.pattern)[1].split("|"))  # type: ignore[index]
    assert accepted == set(FILTER_OPERATORS_TIMEBACK)
    assert set(re.findall(r"[A-Z]+", query._JOIN.pattern)) == set(FILTER_CONNECTIVES)


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_every_entry_is_checked_or_says_why_not(profile: str) -> None:
    for entry in inventory.entries():
        for rid in entry.checked:
            assert catalogue.applies(rid, profiles.TIMEBACK) or catalogue.applies(rid, profiles.ONEEDTECH), (
                f"{entry.key}: unknown requirement {rid}"
            )
        if entry.applies(profile):
            assert entry.checked_in(profile) or entry.not_checked, (
                f"{entry.key} ({profile}): none of {entry.checked} is in the catalogue, and no reason is given"
            )


def test_malformed_entries_are_refused() -> None:
    with pytest.raises(inventory.InventoryError, match="either 'checked'"):
        inventory._entry("field", "lineItem", "title", {"means": "x"})
    with pytest.raises(inventory.InventoryError, match="'means'"):
        inventory._entry("query", "", "limit", {"checked": ["GB-LIST-PAGING"]})


def test_the_inventory_page_is_current() -> None:
    page = REPOSITORY / "docs" / "inventory.md"
    assert page.read_text(encoding="utf-8") == inventory.render(), (
        "docs/inventory.md is stale: python -m conformance.catalogue.inventory docs/inventory.md"
    )

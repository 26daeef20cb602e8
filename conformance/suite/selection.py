"""``--only``: which collected tests a run keeps.

Each word of ``--only`` (comma-separated) keeps the tests it names:
- a requirement ID or ID prefix (GB-LINEITEM-PUT-UPSERT, GB-LINEITEM, PP-ASSIGN): the tests
  that can validate it, as the checks, tests and machines declare (``checks.registry``) — narrowed to
  the operation or entity a parametrized test runs on;
- anything else, as a fragment of the test's id, area or operation: ``results``, ``putResult``,
  ``test_machine[upsert]``, ``authentication``; ``PP``, ``GB`` and ``GEN`` stand for their service.

Pure: it reads the items, the declarations and the catalogue, and changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from conformance import catalogue
from conformance.checks import mapping
from conformance.checks.registry import Declaration, declaration
from conformance.contract.operations import ENTITY, Entity, Operation, by_id, operation_id

# These words stand for whole services, as they always did: not for every ID that starts with them.
ALIASES = {"PP": "powerpath", "GB": "gradebook", "GEN": "general", "INTEROP": "interoperability"}
MODULE_AREAS = {
    "test_external_tests": "powerpath PP",
    "test_auth": "general GEN authentication",
    "test_machines": "gradebook GB",
    "test_records": "gradebook GB",
    "test_not_found": "gradebook GB",
    "test_interop": "interoperability INTEROP",
}
_ID_WORD = catalogue.ID_PATTERN  # an ID or a prefix of one, at least one dash deep


def words(only: str | Iterable[str]) -> list[str]:
    """The words of ``--only``: comma-separated in one string, or already split."""
    parts = only.split(",") if isinstance(only, str) else [p for w in only for p in str(w).split(",")]
    return [p.strip() for p in parts if p.strip()]


def select(items: Sequence[Any], only: str | Iterable[str], profile: str) -> tuple[list[Any], list[Any]]:
    """(kept, deselected): every item when ``only`` names nothing."""
    wanted = words(only)
    if not wanted:
        return list(items), []
    kept: list[Any] = []
    deselected: list[Any] = []
    for item in items:
        (kept if selected(item, wanted, profile) else deselected).append(item)
    return kept, deselected


def selected(item: Any, wanted: Sequence[str], profile: str) -> bool:
    """Whether any word keeps the item (``profile``: the one the items were collected for)."""
    ids: frozenset[str] | None = None
    text = item_words(item)
    for word in wanted:
        if _ID_WORD.match(word.upper()):
            if ids is None:
                ids = validatable(item, profile)
            prefix = word.upper()
            if any(i == prefix or i.startswith(prefix + "-") for i in ids):
                return True
        if ALIASES.get(word.upper(), word).lower() in text:
            return True
    return False


def item_words(item: Any) -> str:
    """What a word that is not an ID is looked for in: the test id, its area, its operation."""
    module = getattr(item, "module", None)
    found = [item.nodeid, MODULE_AREAS.get(module.__name__.rsplit(".", 1)[-1] if module else "", "")]
    name = _params(item).get("name")
    if isinstance(name, str):  # test_machine[upsert] names every share of the upsert machine
        found.append(f"{getattr(item, 'originalname', '')}[{name}]")
    op = _params(item).get("op")
    if isinstance(op, Operation):
        found += [op.service, op.resource, op.id, "PP" if op.service == "powerpath" else "GB"]
    return " ".join(found).lower()


# What a test can validate -----------------------------------------------------------------------------
def validatable(item: Any, profile: str) -> frozenset[str]:
    """Every requirement ID the item may record: what its test function (or the machine it runs)
    declares, with the outcomes its checks judge of the operations it runs on."""
    found: set[str] = set()
    for declared in _declarations(item):
        op, entity = _operation(item), _entity(item)
        ids = set(declared.ids) | set(declared.ids_of_checks() - _outcome_requirements(profile))
        found |= {i for i in ids if _concerns(i, op, entity, profile)}
        for operation in [op] if op is not None else _operations(declared, entity, profile):
            found |= mapping.outcome_requirements(operation, declared.aspects, profile)
    return frozenset(found)


def _declarations(item: Any) -> list[Declaration]:
    found = [d for d in (declaration(getattr(item, "function", None)),) if d is not None]
    # test_machine[name] runs the machine its module's MACHINES table names.
    machines = getattr(getattr(item, "module", None), "MACHINES", None)
    name = _params(item).get("name")
    if isinstance(machines, dict) and isinstance(name, str) and name in machines:
        machine = declaration(machines[name])
        if machine is not None:
            found.append(machine)
    return found


def _params(item: Any) -> dict[str, Any]:
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params) if callspec is not None else {}


def _operation(item: Any) -> Operation | None:
    return next((v for v in _params(item).values() if isinstance(v, Operation)), None)


def _entity(item: Any) -> Entity | None:
    """The entity a test is parametrized on (an ``Entity``, or an entity's singular name)."""
    for value in _params(item).values():
        if isinstance(value, Entity):
            return value
        if isinstance(value, str) and value in ENTITY:
            return ENTITY[value]
    return None


def _operations(declared: Declaration, entity: Entity | None, profile: str) -> list[Operation]:
    """The declaration's operations; ``{Entity}`` and ``{Entities}`` stand for the entity parameter's
    singular and plural (``put{Entity}`` → ``putLineItem``)."""
    table = by_id(profile)
    found = []
    for written in declared.operations:
        name = written
        if "{" in written:
            if entity is None:
                continue
            name = written.format(Entity=operation_id("", entity.singular), Entities=operation_id("", entity.plural))
        if name in table:
            found.append(table[name])
    return found


@functools.cache
def _outcome_requirements(profile: str) -> frozenset[str]:
    """The IDs that are an outcome of some operation: a check's declaration lists them all, but a
    test validates only those of the operations it runs."""
    return frozenset(r.id for r in catalogue.catalogue(profile).values() if r.aspect is not None)


def _concerns(requirement: str, op: Operation | None, entity: Entity | None, profile: str) -> bool:
    """Whether a declared ID concerns the operation or entity the test runs on (IDs about no
    operation concern every test that declares them)."""
    found = catalogue.catalogue(profile).get(requirement)
    if found is None:  # not part of this profile
        return False
    if op is not None:
        return not found.operations or op.id in found.operations
    if entity is not None:
        table = by_id(profile)
        return not found.operations or any(table[o].entity == entity.singular for o in found.operations if o in table)
    return True


__all__ = ["ALIASES", "item_words", "select", "selected", "validatable", "words"]

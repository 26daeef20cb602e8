"""Which requirement an outcome of an operation speaks to: a lookup over the catalogue.

A response to ``PUT /results/{id}`` that is badly formed breaks GB-RESULT-RESPONSE-SCHEMA; a wrong
status breaks GB-RESULT-PUT-UPSERT; a wrong 404 of ``GET /results/{id}`` breaks GB-RESULT-NOT-FOUND.
The catalogue says so: each of those rows names its ``operations`` and the ``aspect`` of their outcome
it is about ("success", "schema", "not-found"), per profile.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from conformance import catalogue
from conformance.catalogue import Aspect
from conformance.contract.operations import Operation


@functools.cache
def _index(profile: str) -> dict[tuple[str, Aspect], str]:
    """(operation id, aspect) → the requirement, for one profile."""
    found: dict[tuple[str, Aspect], str] = {}
    for requirement in catalogue.catalogue(profile).values():
        if requirement.aspect is None:
            continue
        for op in requirement.operations:
            other = found.setdefault((op, requirement.aspect), requirement.id)
            if other != requirement.id:
                raise ValueError(f"{profile}: the {requirement.aspect} of {op} is both {other} and {requirement.id}")
    return found


def success_requirement(op: Operation, profile: str) -> str:
    """The requirement broken when a request built to succeed does not."""
    try:
        return _index(profile)[(op.id, "success")]
    except KeyError:
        raise catalogue.UnknownRequirement(f"no requirement has aspect 'success' for {op.id}") from None


def schema_requirement(op: Operation, profile: str) -> str:
    """The requirement broken by a malformed success body: the operation's own schema requirement, or
    else its success requirement (a body that is no record: sourcedIdPairs, a PowerPath answer)."""
    found = _index(profile).get((op.id, "schema"))
    return found or success_requirement(op, profile)


def not_found_requirement(op: Operation, profile: str) -> str | None:
    """The requirement about this operation's 404, or None when it has none."""
    return _index(profile).get((op.id, "not-found"))


def outcome_requirements(op: Operation, aspects: Iterable[Aspect], profile: str) -> frozenset[str]:
    """The requirements these outcomes of ``op`` speak to (a schema only where ``op`` answers a body)."""
    found = set()
    for aspect in aspects:
        if aspect == "success":
            found.add(success_requirement(op, profile))
        elif aspect == "schema" and op.response is not None:
            found.add(schema_requirement(op, profile))
        elif aspect == "not-found" and (missing := not_found_requirement(op, profile)) is not None:
            found.add(missing)
    return frozenset(found)

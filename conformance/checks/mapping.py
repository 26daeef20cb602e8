"""Which requirement an outcome of an operation speaks to.

A response to ``PUT /results/{id}`` that is badly formed breaks GB-RESULT-RESPONSE-SCHEMA; a wrong
status breaks GB-RESULT-PUT-UPSERT; a wrong 404 breaks GB-RESULT-NOT-FOUND. One place decides.
"""

from __future__ import annotations

from conformance.contract.operations import ENTITY, Operation

_ENTITY_VERBS = {
    "getAll": "LIST",
    "create": "CREATE",
    "get": "GET",
    "put": "PUT-UPSERT",
    "delete": "DELETE",
    "patch": "PATCH",
}
_POWERPATH = {
    "makeExternalTestAssignment": "PP-ASSIGN",
    "importExternalTestAssignmentResults": "PP-IMPORT",
    "getAssessmentProgress": "PP-PROGRESS",
}


def _entity_verb(op: Operation) -> str | None:
    if op.entity is None or op.scope:
        return None
    entity = ENTITY[op.entity]
    for prefix, verb in _ENTITY_VERBS.items():
        if op.id in (
            f"{prefix}{entity.singular[0].upper()}{entity.singular[1:]}",
            f"{prefix}{entity.plural[0].upper()}{entity.plural[1:]}",
        ):
            return verb
    return None


def success_requirement(op: Operation) -> str:
    """The requirement broken when a request built to succeed does not."""
    if op.service == "powerpath":
        return _POWERPATH[op.id]
    verb = _entity_verb(op)
    if verb is not None:
        assert op.entity is not None
        return f"GB-{op.entity.upper()}-{verb}"
    if op.id == "createResultForLineItem":
        return "GB-RESULT-POST-FOR-LINEITEM"
    return "GB-SCOPED-POST" if op.method == "POST" else "GB-SCOPED-LIST"


def schema_requirement(op: Operation) -> str:
    """The requirement broken by a malformed success body."""
    if op.entity is not None and op.response and op.response.startswith(op.entity + "."):
        return f"GB-{op.entity.upper()}-RESPONSE-SCHEMA"
    return success_requirement(op)


def not_found_requirement(op: Operation) -> str | None:
    """The requirement about this operation's 404, or None when it has none."""
    if op.service == "powerpath":
        return None
    if op.id == "createResultForLineItem":
        return "GB-RESULT-POST-UNKNOWN-LINEITEM"
    if op.scope:
        return "GB-SCOPED-NOT-FOUND"
    if _entity_verb(op) in ("GET", "DELETE", "PATCH") and op.entity is not None:
        return f"GB-{op.entity.upper()}-NOT-FOUND"
    return None

"""The documents as the case generator sees them: what it would draw for nothing is taken out.

schemathesis draws every member a request body's schema describes, and drawing is most of the
client's CPU. Two parts of a drawn body never reach a server as drawn:

- in a positive (strict) record, its own ``sourcedId`` and its references to other records: the
  suite replaces them with ids that exist on the target before it sends (``world.adapt_record``), so
  each is drawn as one constant instead of as constrained text;
- in a negative (lenient) bulk body, the records past the first few: one bad record among three
  shows a server's validation as well as one among thirty, and each record drawn costs as much as
  a single-record body.

The view changes only what is drawn. Responses are still validated against the documents as
published, and whether a sent body is truly invalid is still judged against the lenient reading
itself (``checks.contract.true_negative``), so a draw the cap makes look invalid is not taken as one.
"""

from __future__ import annotations

import copy
from typing import Any

from conformance.contract.operations import ENTITY, operations
from conformance.session.world import REWRITTEN_REFERENCES

COMPONENT = "#/components/schemas/"
RECORDS_DRAWN_AT_MOST = 3  # records in a negative bulk body
# Never sent: adapt_record puts an id of the target in their place.
UNSENT_ID = "drawn-id-replaced-before-sending"
UNSENT_REFERENCE: dict[str, Any] = {
    "type": "object",
    "properties": {"sourcedId": {"const": UNSENT_ID}},
    "required": ["sourcedId"],
    "additionalProperties": False,
}


def for_generation(document: dict[str, Any], reading: str, profile: str) -> dict[str, Any]:
    """A copy of ``document`` (a profile's OpenAPI document under ``reading``) to draw cases from."""
    view = copy.deepcopy(document)
    schemas = view["components"]["schemas"]
    seen: set[int] = set()
    for body, entity in _entity_bodies(view, profile):
        plural = ENTITY[entity].plural
        members = body.get("properties", {})
        if reading == "lenient":
            for listed in _arrays(members.get(plural)):
                listed["maxItems"] = min(listed.get("maxItems", RECORDS_DRAWN_AT_MOST), RECORDS_DRAWN_AT_MOST)
            continue
        single, listed = members.get(entity), members.get(plural)
        for record in (single, listed.get("items") if isinstance(listed, dict) else None):
            target = _resolve(record, schemas)
            if target is not None and id(target) not in seen:
                seen.add(id(target))
                _replace_rewritten(target)
    return view


def _entity_bodies(view: dict[str, Any], profile: str) -> list[tuple[dict[str, Any], str]]:
    schemas = view["components"]["schemas"]
    found = []
    for op in operations(profile):
        if op.entity is None:
            continue
        definition = view["paths"].get(op.path, {}).get(op.method.lower(), {})
        content = definition.get("requestBody", {}).get("content", {}).get("application/json", {})
        body = _resolve(content.get("schema"), schemas)
        if body is not None:
            found.append((body, op.entity))
    return found


def _arrays(member: Any) -> list[dict[str, Any]]:
    """The array schemas of a member: itself, or its alternatives (an array or null, say)."""
    alternatives = [member] if isinstance(member, dict) else []
    for key in ("anyOf", "oneOf"):
        alternatives += member.get(key, []) if isinstance(member, dict) else []
    return [a for a in alternatives if isinstance(a, dict) and a.get("type") == "array"]


def _resolve(node: Any, schemas: dict[str, Any]) -> dict[str, Any] | None:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = schemas.get(node["$ref"].removeprefix(COMPONENT))
    return node if isinstance(node, dict) else None


def _replace_rewritten(record: dict[str, Any]) -> None:
    members = record.get("properties")
    if not isinstance(members, dict):
        return
    for name in members:
        if name == "sourcedId":
            members[name] = {"const": UNSENT_ID}
        elif name in REWRITTEN_REFERENCES:
            members[name] = copy.deepcopy(UNSENT_REFERENCE)

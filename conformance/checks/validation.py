"""Payload validation for the checks, with every ``$ref`` resolved once.

``contract.schemas.validator`` builds one validator per kind and reading, but jsonschema resolves a
``$ref`` again each time validation passes through it — a registry lookup, a JSON-pointer walk and a
new validator per reference, per record — which made validating a collection response about 3.5 times
slower than validating the same schema with its references written in place. Here each validator's
schema is inlined once (a ``$ref`` becomes the schema it names; one with sibling keywords becomes an
``allOf`` of both, the same meaning in draft 2020-12). The answer is the same valid-or-not; the
reasons for an invalid payload still come from ``contract.schemas.problems``, since only an invalid
payload needs them. A schema that refers to itself cannot be inlined: its kind keeps the validator
``contract.schemas`` made.
"""

from __future__ import annotations

import threading
from typing import Any

from jsonschema.protocols import Validator

from conformance.contract import schemas
from conformance.contract.schemas import Problem, Reading

__all__ = ["is_valid", "problems"]

# Keywords of a referenced document that are not constraints: dropped where the document is inlined.
_DOCUMENT_ONLY = frozenset({"$id", "$schema", "$defs"})
_lock = threading.Lock()
_inlined: dict[tuple[str, str, int], Validator] = {}


class _Cycle(Exception):
    """The schema refers to itself: it cannot be written out in full."""


def _inline(node: Any, resolver: Any, seen: tuple[int, ...]) -> Any:  # resolver: a referencing Resolver
    if isinstance(node, list):
        return [_inline(item, resolver, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    rest = {k: _inline(v, resolver, seen) for k, v in node.items() if k != "$ref"}
    if not isinstance(ref, str):
        return rest
    resolved = resolver.lookup(ref)
    target = id(resolved.contents)  # the registry hands out one object per schema: its identity names it
    if target in seen:
        raise _Cycle(ref)
    contents = resolved.contents
    if isinstance(contents, dict):
        contents = {k: v for k, v in contents.items() if k not in _DOCUMENT_ONLY}
    inner = _inline(contents, resolved.resolver, (*seen, target))
    return {"allOf": [inner], **rest} if rest else inner


def validator(kind: str, reading: Reading, profile: str) -> Validator:
    """The inlined validator of a kind in a profile (built once; the registry's identity tells the
    schema sets apart)."""
    registry = schemas.registry(profile)
    key = (kind, reading, id(registry))
    found = _inlined.get(key)
    if found is not None:
        return found
    with _lock:
        found = _inlined.get(key)
        if found is None:
            original = schemas.validator(kind, reading, profile)
            try:
                inlined = _inline(original.schema, registry.resolver(), ())
            except _Cycle:
                found = original
            else:
                found = type(original)(inlined, format_checker=original.format_checker)
            _inlined[key] = found
    return found


def is_valid(kind: str, instance: Any, reading: Reading, profile: str) -> bool:
    return bool(validator(kind, reading, profile).is_valid(instance))


def problems(kind: str, instance: Any, reading: Reading, profile: str) -> list[Problem]:
    """``contract.schemas.problems``: no problems for a valid payload, found without the reference walks."""
    return [] if is_valid(kind, instance, reading, profile) else schemas.problems(kind, instance, reading, profile)

"""Walking a published OpenAPI document for its examples, and finding our schema at the same place.

Shared by the TimeBack test (``test_reference_examples``) and the official-binding one
(``test_1edtech_schemas``): every function takes the document it reads, so either spec can be walked.
An operation's parameters, request body and responses are walked (following ``$ref``) and every
``example``/``examples`` is collected with its location. The example then has to validate against
OUR schema at the same location: the parameter's schema in our assembled OpenAPI document, or the
body schema walked along the same property path (``$ref``, ``allOf``, ``properties``, ``items``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from ._support import escape, pointer, resolve_pointer


def load_spec(path: Path) -> dict[str, Any]:
    """A published spec, JSON or YAML."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)  # type: ignore[no-any-return]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Example:
    """One example of a published spec and where our schema for it lives."""

    section: str  # "parameter", "requestBody" or "response"
    key: tuple[str, ...]  # (in, name) | (media type,) | (status, media type)
    steps: tuple[str, ...]  # property path inside a body: names, "[]" for array items, "*" for map values
    value: Any
    found_at: str  # JSON pointer in the published spec

    def __str__(self) -> str:
        return f"{self.section} {'/'.join(self.key)} {'.'.join(self.steps) or '(whole)'} = {self.value!r}"


def deref(doc: dict[str, Any], node: Any, where: str) -> tuple[Any, str]:
    """Follow local ``$ref``s from ``node``; returns the target and its pointer."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        ref = node["$ref"]
        assert ref not in seen, f"$ref cycle at {where}"
        seen.add(ref)
        where = ref[1:]
        node = resolve_pointer(doc, where)
    return node, where


def _values(keyword: str, value: Any) -> list[Any]:
    # A schema's "examples" is a list; a parameter's or media type's is a map of Example objects.
    if keyword == "example":
        return [value]
    if isinstance(value, dict):
        return [entry["value"] for entry in value.values() if isinstance(entry, dict) and "value" in entry]
    return list(value)


def _own_examples(node: dict[str, Any], where: str) -> Iterator[tuple[Any, str]]:
    for keyword in ("example", "examples"):
        if keyword in node:
            for value in _values(keyword, node[keyword]):
                yield value, f"{where}/{keyword}"


def _schema_examples(
    doc: dict[str, Any], node: Any, where: str, steps: tuple[str, ...], stack: frozenset[str] = frozenset()
) -> Iterator[tuple[tuple[str, ...], Any, str]]:
    """(property path, value, pointer) of every example in a schema, following $ref (cycles cut)."""
    if not isinstance(node, dict):
        return
    if isinstance(node.get("$ref"), str):
        if node["$ref"] in stack:
            return
        yield from ((steps, value, at) for value, at in _own_examples(node, where))
        stack = stack | {node["$ref"]}
        node, where = deref(doc, node, where)
    yield from ((steps, value, at) for value, at in _own_examples(node, where))
    for name, sub in node.get("properties", {}).items():
        yield from _schema_examples(doc, sub, f"{where}/properties/{escape(name)}", (*steps, name), stack)
    if isinstance(node.get("items"), dict):
        yield from _schema_examples(doc, node["items"], f"{where}/items", (*steps, "[]"), stack)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _schema_examples(
            doc, node["additionalProperties"], f"{where}/additionalProperties", (*steps, "*"), stack
        )
    for keyword in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(node.get(keyword, [])):
            yield from _schema_examples(doc, sub, f"{where}/{keyword}/{i}", steps, stack)


def _media_examples(
    doc: dict[str, Any], section: str, key: tuple[str, ...], content: dict[str, Any], where: str
) -> Iterator[Example]:
    for media_type, media in content.items():
        at = f"{where}/content/{escape(media_type)}"
        for value, found in _own_examples(media, at):
            yield Example(section, (*key, media_type), (), value, found)
        for steps, value, found in _schema_examples(doc, media.get("schema"), f"{at}/schema", ()):
            yield Example(section, (*key, media_type), steps, value, found)


def collect_at(doc: dict[str, Any], where: str) -> list[Example]:
    """Every example ``doc`` gives for the operation at pointer ``where`` (``/paths/<path>/<method>``)."""
    operation = resolve_pointer(doc, where)
    item_where = where.rsplit("/", 1)[0]
    found: list[Example] = []
    parameters = [
        (f"{item_where}/parameters/{i}", p)
        for i, p in enumerate(resolve_pointer(doc, item_where).get("parameters", []))
    ]
    parameters += [(f"{where}/parameters/{i}", p) for i, p in enumerate(operation.get("parameters", []))]
    for raw_at, raw in parameters:
        parameter, at = deref(doc, raw, raw_at)
        key = (parameter["in"], parameter["name"])
        found += [Example("parameter", key, (), value, f) for value, f in _own_examples(parameter, at)]
        found += [
            Example("parameter", key, steps, value, f)
            for steps, value, f in _schema_examples(doc, parameter.get("schema"), f"{at}/schema", ())
        ]
    if "requestBody" in operation:
        body, at = deref(doc, operation["requestBody"], f"{where}/requestBody")
        found += _media_examples(doc, "requestBody", (), body.get("content", {}), at)
    for status, raw in operation.get("responses", {}).items():
        response, at = deref(doc, raw, f"{where}/responses/{escape(str(status))}")
        found += _media_examples(doc, "response", (str(status),), response.get("content") or {}, at)
    return found


def locate(document: dict[str, Any], where: str, steps: tuple[str, ...]) -> list[str]:
    """Pointers of every schema in ``document`` that constrains the value at ``steps`` below ``where``.

    Follows local ``$ref`` and ``allOf`` (each branch constrains the value), the ``anyOf`` and ``oneOf``
    branches that reach that far (a member the lenient reading lets be null is an ``anyOf`` of its
    schema and null), then ``properties``, ``items`` ("[]") and ``additionalProperties`` ("*"). An
    empty list: our schema does not know the path.
    """
    if not steps:
        return [where]
    node = resolve_pointer(document, where)
    found: list[str] = []
    if isinstance(node.get("$ref"), str):
        found += locate(document, node["$ref"].removeprefix("#"), steps)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for i in range(len(node.get(keyword, []))):
            found += locate(document, f"{where}/{keyword}/{i}", steps)
    step, rest = steps[0], steps[1:]
    if step == "[]" and isinstance(node.get("items"), dict):
        found += locate(document, f"{where}/items", rest)
    elif step == "*" and isinstance(node.get("additionalProperties"), dict):
        found += locate(document, f"{where}/additionalProperties", rest)
    elif step in node.get("properties", {}):
        found += locate(document, f"{where}/properties/{escape(step)}", rest)
    return found


def our_schema(document: dict[str, Any], method: str, path: str, example: Example) -> str | None:
    """The pointer of our schema for the example's parameter, request body or response (None: we have none)."""
    where = pointer("paths", path, method.lower())
    ours = resolve_pointer(document, where)
    if example.section == "parameter":
        for i, parameter in enumerate(ours.get("parameters", [])):
            if (parameter["in"], parameter["name"]) == example.key:
                return f"{where}/parameters/{i}/schema"
        return None
    container = ours.get("requestBody") if example.section == "requestBody" else ours["responses"].get(example.key[0])
    media_type = example.key[-1]
    if not container or media_type not in container.get("content", {}):
        return None
    prefix = "requestBody" if example.section == "requestBody" else f"responses/{escape(example.key[0])}"
    return f"{where}/{prefix}/content/{escape(media_type)}/schema"


def mismatches(
    document: dict[str, Any],
    label: str,
    method: str,
    path: str,
    example: Example,
    validator_at: Callable[[str], Draft202012Validator],
) -> list[str]:
    """Why ``example`` does not fit our schema at the same place in ``document`` (one assembled reading,
    named ``label`` in the messages); ``validator_at(pointer)`` validates against the schema there."""
    base = our_schema(document, method, path, example)
    targets = locate(document, base, example.steps) if base else []
    if not targets:
        return [f"{example} ({example.found_at}): our {label} document has no schema there"]
    return [
        f"{example} ({example.found_at}): {label} {target}: {error.message}"
        for target in targets
        for error in validator_at(target).iter_errors(example.value)
    ]

"""Every example the published TimeBack specs give for a covered operation fits our schemas.

For each operation of ``conformance.contract.operations.OPERATIONS``, the same operation (method and
path, trailing slash ignored) is looked up in ``../shared/reference/timeback-oneroster-openapi.yaml``
or ``timeback-powerpath-openapi.json``; its parameters, request body and responses are walked
(following ``$ref``) and every ``example``/``examples`` is collected with its location. Each one must
validate against OUR schema at the same location: the parameter's schema in our assembled OpenAPI
document, or the body schema walked along the same property path (``$ref``, ``allOf``,
``properties``, ``items``). Test ids carry the number of examples found per operation.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from conformance.contract.operations import OPERATIONS, Operation
from conformance.contract.schemas import READINGS

from ._support import REFERENCE, document_validator, escape, pointer, resolve_pointer, stored_document

SPEC_FILES = {
    "gradebook": REFERENCE / "timeback-oneroster-openapi.yaml",
    "powerpath": REFERENCE / "timeback-powerpath-openapi.json",
}
# reference/README.md: the live TimeBack spec is newer than the stored copies and adds these.
NEWER_THAN_REFERENCE = {"patchAssessmentLineItem", "patchAssessmentResult"}

if not all(path.is_file() for path in SPEC_FILES.values()):
    pytest.skip(
        f"reference specs not found under {REFERENCE} (../shared/reference next to the repository)",
        allow_module_level=True,
    )


@functools.cache
def spec(service: str) -> dict[str, Any]:
    path = SPEC_FILES[service]
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)  # type: ignore[no-any-return]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Example:
    """One example of the reference spec and where our schema for it lives."""

    section: str  # "parameter", "requestBody" or "response"
    key: tuple[str, ...]  # (in, name) | (media type,) | (status, media type)
    steps: tuple[str, ...]  # property path inside a body: names, "[]" for array items, "*" for map values
    value: Any
    found_at: str  # JSON pointer in the reference spec

    def __str__(self) -> str:
        return f"{self.section} {'/'.join(self.key)} {'.'.join(self.steps) or '(whole)'} = {self.value!r}"


def reference_operation(op: Operation) -> tuple[str, dict[str, Any]] | None:
    """The reference's pointer and object for the same method and path (a trailing slash ignored)."""
    for path, item in spec(op.service)["paths"].items():
        if path.rstrip("/") == op.path.rstrip("/") and op.method.lower() in item:
            return pointer("paths", path, op.method.lower()), item[op.method.lower()]
    return None


def _deref(doc: dict[str, Any], node: Any, where: str) -> tuple[Any, str]:
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
        node, where = _deref(doc, node, where)
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


def collect(op: Operation) -> list[Example]:
    """Every example the reference gives for ``op``, with its location."""
    located = reference_operation(op)
    if located is None:
        return []
    doc = spec(op.service)
    where, operation = located
    item_where = where.rsplit("/", 1)[0]
    found: list[Example] = []
    parameters = [
        (f"{item_where}/parameters/{i}", p)
        for i, p in enumerate(resolve_pointer(doc, item_where).get("parameters", []))
    ]
    parameters += [(f"{where}/parameters/{i}", p) for i, p in enumerate(operation.get("parameters", []))]
    for raw_at, raw in parameters:
        parameter, at = _deref(doc, raw, raw_at)
        key = (parameter["in"], parameter["name"])
        found += [Example("parameter", key, (), value, f) for value, f in _own_examples(parameter, at)]
        found += [
            Example("parameter", key, steps, value, f)
            for steps, value, f in _schema_examples(doc, parameter.get("schema"), f"{at}/schema", ())
        ]
    if "requestBody" in operation:
        body, at = _deref(doc, operation["requestBody"], f"{where}/requestBody")
        found += _media_examples(doc, "requestBody", (), body.get("content", {}), at)
    for status, raw in operation.get("responses", {}).items():
        response, at = _deref(doc, raw, f"{where}/responses/{escape(str(status))}")
        found += _media_examples(doc, "response", (str(status),), response.get("content") or {}, at)
    return found


def locate(document: dict[str, Any], where: str, steps: tuple[str, ...]) -> list[str]:
    """Pointers of every schema in ``document`` that constrains the value at ``steps`` below ``where``.

    Follows local ``$ref`` and ``allOf`` (each branch constrains the value), then ``properties``,
    ``items`` ("[]") and ``additionalProperties`` ("*"). An empty list: our schema does not know the path.
    """
    if not steps:
        return [where]
    node = resolve_pointer(document, where)
    found: list[str] = []
    if isinstance(node.get("$ref"), str):
        found += locate(document, node["$ref"].removeprefix("#"), steps)
    for i in range(len(node.get("allOf", []))):
        found += locate(document, f"{where}/allOf/{i}", steps)
    step, rest = steps[0], steps[1:]
    if step == "[]" and isinstance(node.get("items"), dict):
        found += locate(document, f"{where}/items", rest)
    elif step == "*" and isinstance(node.get("additionalProperties"), dict):
        found += locate(document, f"{where}/additionalProperties", rest)
    elif step in node.get("properties", {}):
        found += locate(document, f"{where}/properties/{escape(step)}", rest)
    return found


def our_schema(document: dict[str, Any], op: Operation, example: Example) -> str | None:
    """The pointer of our schema for the example's parameter, request body or response (None: we have none)."""
    where = pointer("paths", op.path, op.method.lower())
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


def problems(op: Operation, example: Example) -> list[str]:
    """Why ``example`` does not fit our schema, under each reading's assembled document."""
    found = []
    for reading in READINGS:
        document = stored_document(reading)
        base = our_schema(document, op, example)
        targets = locate(document, base, example.steps) if base else []
        if not targets:
            found.append(f"{example} ({example.found_at}): our {reading} document has no schema there")
        for target in targets:
            for error in document_validator(reading, target).iter_errors(example.value):
                found.append(f"{example} ({example.found_at}): {reading} {target}: {error.message}")
    return found


COLLECTED = {op.id: collect(op) for op in OPERATIONS}
COVERED = [op for op in OPERATIONS if reference_operation(op) is not None]


@pytest.mark.parametrize("op", COVERED, ids=lambda op: f"{op.id}-{len(COLLECTED[op.id])}-examples")
def test_reference_examples_validate_against_our_schemas(op: Operation) -> None:
    """Each reference example of this operation is valid for our schema at the same location."""
    failures = [message for example in COLLECTED[op.id] for message in problems(op, example)]
    assert failures == []


def test_every_covered_operation_is_in_the_reference_but_the_newer_patches() -> None:
    """Operations are matched by method and path; only PATCH (newer than the stored copies) is absent."""
    missing = {op.id for op in OPERATIONS if reference_operation(op) is None}
    assert missing == NEWER_THAN_REFERENCE


def test_examples_were_collected_from_parameters_and_responses() -> None:
    """The walk found examples at all, and in both places the reference puts them today (query
    parameters such as limit=100 or filter=status='active'; imsx error fields such as
    imsx_codeMajor=failure): a walker regression cannot pass by collecting nothing."""
    examples = [example for found in COLLECTED.values() for example in found]
    assert len(examples) > 0
    sections = {example.section for example in examples}
    assert {"parameter", "response"} <= sections
    assert any(example.steps for example in examples if example.section == "response")


def test_an_example_that_breaks_our_schema_is_reported() -> None:
    """The comparison can fail: a reference-style example with a wrong value is reported."""
    op = next(op for op in COVERED if any(e.key == ("query", "limit") for e in COLLECTED[op.id]))
    bad = Example("parameter", ("query", "limit"), (), 0, "(made up)")
    assert problems(op, bad)
    unknown = Example("response", ("404", "application/json"), ("no_such_member",), "x", "(made up)")
    assert any("has no schema there" in message for message in problems(op, unknown))

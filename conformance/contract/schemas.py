"""Loading the JSON Schemas in ``schemas/`` and validating payloads against them.

Each profile (``conformance.profiles``) has its own set of files: TimeBack's at the root of
``schemas/``, the official 1EdTech binding's in ``schemas/1edtech/``, with the same file and
definition names wherever the dialects share a shape. Every function takes ``profile=``; None
means the process's active profile.

A *kind* names one payload shape: ``<file>`` (the file's root) or ``<file>.<definition>``, e.g.
``result.putRequest``. Shapes on which the sources disagree exist in *readings*
(docs/api.md#payload-facts, docs/readings.md):

* ``lenient`` — what every reading of every source requires: what a server must reject when violated,
  and what a response must contain;
* ``strict`` — what every reading admits and any source requires: what the suite sends;
* ``base`` — the schema files as written, one legitimate answer to every open question: what the
  reference server checks by default (its benign variants take the other answers).

The files store the shapes as ``$defs`` named ``<definition>.lenient`` and ``<definition>.strict``.
For request bodies (``*Request`` and the records they hold) those are the base: on loading, each is
written out in full (every ``$ref`` but those to another request definition replaced by what it names)
and the rows of ``readings.toml`` widen the lenient one and narrow the strict one
(``contract.readings``); the file's lenient definition stays available as ``<definition>.base`` (and
one the files write without a reading keeps its own name too). Responses are not derived: their
lenient reading is the file's.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance import profiles
from conformance.contract import readings

Reading = Literal["lenient", "strict", "base"]
READINGS: tuple[Reading, ...] = ("lenient", "strict")  # the readings with an OpenAPI document
SUFFIXES = (".lenient", ".strict", ".base")
SCHEMA_SUFFIX = ".schema.json"


class UnknownKind(LookupError):
    """Raised for a kind that names no schema or definition."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a payload is invalid: where (a JSON pointer) and why."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


def schemas_dir(profile: str | None = None) -> Path:
    """Where a profile's schemas live: shipped inside the wheel, or the source tree's ``schemas/``."""
    package = Path(__file__).resolve().parent.parent
    sub = profiles.get(profiles.resolve(profile)).schema_subdir
    for candidate in (package / "_schemas", package.parent / "schemas"):
        if candidate.is_dir():
            return candidate / sub if sub else candidate
    raise FileNotFoundError(f"schemas directory not found next to {package}")


def documents(profile: str | None = None) -> dict[str, dict[str, Any]]:
    """Every schema file of a profile, keyed by its short name (``result`` for ``result.schema.json``),
    with the readings of its request definitions derived (see above)."""
    return _documents(profiles.resolve(profile))


@functools.cache
def _documents(profile: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(schemas_dir(profile).glob(f"*{SCHEMA_SUFFIX}")):
        found[path.name.removesuffix(SCHEMA_SUFFIX)] = json.loads(path.read_text(encoding="utf-8"))
    return derived(found, profile)


def derived(files: dict[str, dict[str, Any]], profile: str) -> dict[str, dict[str, Any]]:
    """The documents with the request definitions' readings derived from the files' (see above)."""
    registry = _registry_of(files)
    out: dict[str, dict[str, Any]] = {}
    for name, doc in files.items():
        defs: dict[str, Any] = doc.get("$defs", {})
        bases = _request_bases(defs)
        if not bases:
            out[name] = doc
            continue
        # A request body the files write in one reading keeps its own name too (code may look it up).
        new = dict(defs)
        here = registry.resolver(base_uri=doc["$id"])
        for base in bases:
            lenient, strict = defs.get(f"{base}.lenient", defs.get(base)), defs.get(f"{base}.strict", defs.get(base))
            names_record = base in ("request", "patchRequest")  # the path names the record (PUT, PATCH)
            wide = readings.widen(_flat(_inline(lenient, here, bases, "lenient")), profile, names_record=names_record)
            new[f"{base}.lenient"] = _described(wide, "lenient: widened by every row of docs/readings.md")
            narrow = readings.narrow(_flat(_inline(strict, here, bases, "strict")), profile)
            new[f"{base}.strict"] = _described(narrow, "strict: narrowed by every row of docs/readings.md")
            new[f"{base}.base"] = _resuffixed(lenient, bases, "base")
        out[name] = {**doc, "$defs": new}
    return out


def _described(node: Any, reading: str) -> Any:
    if not isinstance(node, dict):
        return node
    said = node.get("description")
    return {**node, "description": f"{said} Derived reading: {reading}." if said else f"Derived reading: {reading}."}


def _registry_of(files: dict[str, dict[str, Any]]) -> Registry[Any]:
    return Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012)) for doc in files.values()
    )


def _base_of(definition: str) -> str:
    return next((definition.removesuffix(s) for s in SUFFIXES if definition.endswith(s)), definition)


_LOCAL = "#/$defs/"


def _request_bases(defs: dict[str, Any]) -> set[str]:
    """The request bodies (``*Request``) and the reading-suffixed definitions they refer to."""
    found = {_base_of(d) for d in defs if _base_of(d).endswith("Request")}
    pending = list(found)
    while pending:
        base = pending.pop()
        for node in (defs.get(f"{base}.lenient"), defs.get(f"{base}.strict"), defs.get(base)):
            for ref in _refs(node):
                target = ref.removeprefix(_LOCAL)
                if ref.startswith(_LOCAL) and target != _base_of(target) and _base_of(target) not in found:
                    found.add(_base_of(target))
                    pending.append(_base_of(target))
    return found


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _kept(ref: str, bases: set[str]) -> bool:
    return ref.startswith(_LOCAL) and _base_of(ref.removeprefix(_LOCAL)) in bases


def _resuffixed(node: Any, bases: set[str], reading: str) -> Any:
    """``node`` with its references to other request definitions pointed at their ``reading``."""
    if isinstance(node, list):
        return [_resuffixed(item, bases, reading) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _resuffixed(value, bases, reading) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and _kept(ref, bases):
        out["$ref"] = f"{_LOCAL}{_base_of(ref.removeprefix(_LOCAL))}.{reading}"
    return out


_DOCUMENT_ONLY = frozenset({"$id", "$schema", "$defs", "title"})


def _inline(node: Any, resolver: Any, bases: set[str], reading: str, local: bool = True) -> Any:
    """``node`` with every ``$ref`` replaced by the schema it names, but a request definition's of
    the same document, which is pointed at its ``reading`` (it is derived on its own)."""
    if isinstance(node, list):
        return [_inline(item, resolver, bases, reading, local) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    rest = {k: _inline(v, resolver, bases, reading, local) for k, v in node.items() if k != "$ref"}
    if not isinstance(ref, str):
        return rest
    if local and _kept(ref, bases):
        return {**rest, "$ref": f"{_LOCAL}{_base_of(ref.removeprefix(_LOCAL))}.{reading}"}
    found = resolver.lookup(ref)
    contents = {k: v for k, v in found.contents.items() if k not in _DOCUMENT_ONLY}
    inner = _inline(contents, found.resolver, bases, reading, local and ref.startswith("#"))
    return {"allOf": [inner], **rest} if rest else inner


_MERGED = {"properties", "required", "type", "description"}


def _flat(node: Any) -> Any:
    """``node`` with each ``allOf`` merged into the schema beside it where nothing clashes (the record
    and the requirements on it become one object, so that the readings see members and requirements
    together); the same meaning in draft 2020-12."""
    if isinstance(node, list):
        return [_flat(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _flat(value) for key, value in node.items()}
    parts = out.get("allOf")
    if not isinstance(parts, list) or not all(isinstance(p, dict) and "$ref" not in p for p in parts):
        return out
    merged = {key: value for key, value in out.items() if key != "allOf"}
    for part in parts:
        if any(key in merged and key not in _MERGED and merged[key] != value for key, value in part.items()):
            return out
        if "type" in part and merged.get("type", part["type"]) != part["type"]:
            return out
        shared = set(part.get("properties", {})) & set(merged.get("properties", {}))
        if any(part["properties"][k] != merged["properties"][k] for k in shared):
            return out
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            elif key != "description" or "description" not in merged:
                merged[key] = value
    return merged


def registry(profile: str | None = None) -> Registry[Any]:
    return _registry(profiles.resolve(profile))


@functools.cache
def _registry(profile: str) -> Registry[Any]:
    return _registry_of(_documents(profile))


def schema_id(name: str, profile: str | None = None) -> str:
    try:
        return str(documents(profile)[name]["$id"])
    except KeyError:
        raise UnknownKind(f"no schema named {name!r}") from None


def kinds(profile: str | None = None) -> Iterator[str]:
    """Every kind the ``validate`` command accepts, reading suffixes folded."""
    for name, doc in documents(profile).items():
        yield name
        seen: set[str] = set()
        for definition in doc.get("$defs", {}):
            base = _base_of(definition)
            if base not in seen:
                seen.add(base)
                yield f"{name}.{base}"


def kind_ref(kind: str, reading: Reading = "lenient", profile: str | None = None) -> str:
    """The absolute ``$ref`` of a kind under a reading; a kind with one reading ignores it."""
    name, _, definition = kind.partition(".")
    base = schema_id(name, profile)
    if not definition:
        return base
    defs = documents(profile)[name].get("$defs", {})
    # A kind the readings do not derive has no base of its own: its file's lenient definition is it.
    fallback = (f"{definition}.lenient",) if reading == "base" else ()
    for candidate in (f"{definition}.{reading}", *fallback, definition):
        if candidate in defs:
            return f"{base}#/$defs/{candidate}"
    raise UnknownKind(f"schema {name!r} has no definition {definition!r}")


def has_readings(kind: str, profile: str | None = None) -> bool:
    name, _, definition = kind.partition(".")
    return bool(definition) and f"{definition}.strict" in documents(profile)[name].get("$defs", {})


def validator(kind: str, reading: Reading = "lenient", profile: str | None = None) -> Draft202012Validator:
    """A compiled validator, built once per kind, reading and profile. Formats are asserted (date-time)."""
    return _validator(kind, reading, profiles.resolve(profile))


@functools.cache
def _validator(kind: str, reading: Reading, profile: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": kind_ref(kind, reading, profile)}, registry=_registry(profile), format_checker=FormatChecker()
    )


def problems(kind: str, instance: Any, reading: Reading = "lenient", profile: str | None = None) -> list[Problem]:
    """Every reason ``instance`` is not a valid ``kind``, innermost errors first, sorted by pointer."""
    found: set[Problem] = set()
    for error in validator(kind, reading, profile).iter_errors(instance):
        for leaf in _leaves(error):
            where = _pointer(leaf.absolute_path)
            if leaf.validator == "required" and isinstance(leaf.instance, dict):
                # Point at the missing member itself: "/result/student", not "/result".
                for name in leaf.validator_value:
                    if name not in leaf.instance:
                        found.add(Problem(f"{where}/{_escape(name)}", "is required but missing"))
            else:
                found.add(Problem(where, leaf.message))
    return sorted(found, key=lambda p: (p.pointer, p.message))


def is_valid(kind: str, instance: Any, reading: Reading = "lenient", profile: str | None = None) -> bool:
    return bool(validator(kind, reading, profile).is_valid(instance))


def _leaves(error: Any) -> Iterator[Any]:
    # anyOf/oneOf wrap the real reasons in context, by branch; report the innermost ones. A branch that
    # is not even the value's type (the null a lenient reading adds beside a member's schema) says
    # nothing useful when another branch is: its reasons are left out.
    if not error.context:
        yield error
        return
    branches: dict[Any, list[Any]] = {}
    for child in error.context:
        branches.setdefault(child.relative_schema_path[0] if child.relative_schema_path else None, []).append(child)
    telling = [errs for errs in branches.values() if not any(e.validator == "type" and not e.path for e in errs)]
    for errs in telling or list(branches.values()):
        for child in errs:
            yield from _leaves(child)


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(path: Any) -> str:
    return "".join("/" + _escape(part) for part in path)


def resolve(kind: str, reading: Reading = "lenient", profile: str | None = None) -> Mapping[str, Any]:
    """The raw schema object behind a kind (refs not expanded)."""
    ref = kind_ref(kind, reading, profile)
    resolved = registry(profile).resolver().lookup(ref)
    return resolved.contents  # type: ignore[no-any-return]

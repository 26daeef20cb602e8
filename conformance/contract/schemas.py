"""Loading the JSON Schemas in ``schemas/`` and validating payloads against them.

Each profile (``conformance.profiles``) has its own set of files: TimeBack's at the root of
``schemas/``, the official 1EdTech binding's in ``schemas/1edtech/``, with the same file and
definition names wherever the dialects share a shape. Every function takes ``profile=``; None
means the process's active profile.

A *kind* names one payload shape: ``<file>`` (the file's root) or ``<file>.<definition>``, e.g.
``result.putRequest``. Shapes on which the sources disagree exist in two *readings*
(docs/api.md#payload-facts): ``lenient`` — what every source requires, what a server must reject when
violated and what a response must contain — and ``strict`` — what any source requires, what the
suite sends. They are stored as ``$defs`` named ``<definition>.lenient`` and ``<definition>.strict``.
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

Reading = Literal["lenient", "strict"]
READINGS: tuple[Reading, ...] = ("lenient", "strict")
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
    """Every schema file of a profile, keyed by its short name (``result`` for ``result.schema.json``)."""
    return _documents(profiles.resolve(profile))


@functools.cache
def _documents(profile: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(schemas_dir(profile).glob(f"*{SCHEMA_SUFFIX}")):
        found[path.name.removesuffix(SCHEMA_SUFFIX)] = json.loads(path.read_text(encoding="utf-8"))
    return found


def registry(profile: str | None = None) -> Registry[Any]:
    return _registry(profiles.resolve(profile))


@functools.cache
def _registry(profile: str) -> Registry[Any]:
    resources = [
        (doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012))
        for doc in _documents(profile).values()
    ]
    return Registry().with_resources(resources)


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
            base = definition.rsplit(".", 1)[0] if definition.endswith((".lenient", ".strict")) else definition
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
    for candidate in (f"{definition}.{reading}", definition):
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
    # allOf/anyOf wrap the real reason in context; report the innermost ones.
    if error.context:
        for child in error.context:
            yield from _leaves(child)
    else:
        yield error


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(path: Any) -> str:
    return "".join("/" + _escape(part) for part in path)


def resolve(kind: str, reading: Reading = "lenient", profile: str | None = None) -> Mapping[str, Any]:
    """The raw schema object behind a kind (refs not expanded)."""
    ref = kind_ref(kind, reading, profile)
    resolved = registry(profile).resolver().lookup(ref)
    return resolved.contents  # type: ignore[no-any-return]

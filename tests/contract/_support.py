"""Helpers shared by the contract tests: where the sources live and how to read them."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.contract import openapi
from conformance.contract.schemas import Reading

REPO = Path(__file__).parents[2]
HERE = Path(__file__).parent
SEEDS = HERE / "seeds"  # the seed pages' example payloads, one JSON file per page
THIRD_PARTY = REPO / "third_party" / "openapi"  # published specs: third_party/README.md
NEGATIVE = HERE / "negative"
POSITIVE = HERE / "positive"
CASE_SCHEMA = NEGATIVE / "case.schema.json"


@functools.cache
def _manifest() -> dict[str, Any]:
    return json.loads((THIRD_PARTY / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def published_spec(name: str) -> Path:
    """The published spec ``name`` in ``third_party/openapi/``, checked against its recorded sha256.

    Documents that may not be redistributed are not in the repository; when one is absent the calling
    test (or module) is skipped with one line saying so and how to get it (``third_party/fetch.py``).
    """
    entry = _manifest()["documents"][name]
    path = THIRD_PARTY / name
    if not path.is_file():
        pytest.skip(
            f"third_party/openapi/{name} absent (not redistributable, third_party/README.md):"
            f" python third_party/fetch.py gets {entry['url']}",
            allow_module_level=True,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == entry["sha256"], f"{path}: sha256 {digest}, not the recorded {entry['sha256']}"
    return path


@dataclass(frozen=True, slots=True)
class Found:
    """One JSON payload a seed page documents (``seeds/<operation>.json``, ``examples``)."""

    value: dict[str, Any]
    request: bool  # a request body (after `--data '` on the page), else a response body
    offset: int  # its index among the page's examples

    @property
    def role(self) -> str:
        return "request" if self.request else "response"


def escape(token: str) -> str:
    """One JSON-pointer reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str) -> str:
    return "".join("/" + escape(token) for token in tokens)


_DOCUMENT_URI = "urn:oneroster-conformance:openapi:{name}"


@functools.cache
def stored_document(reading: Reading) -> dict[str, Any]:
    return openapi.load(reading)


def _registry_of(document: dict[str, Any], name: str) -> Registry[Any]:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource(_DOCUMENT_URI.format(name=name), resource)


@functools.cache
def _document_registry(reading: Reading) -> Registry[Any]:
    return _registry_of(stored_document(reading), reading)


def _validator(registry: Registry[Any], name: str, where: str) -> Draft202012Validator:
    ref = _DOCUMENT_URI.format(name=name) + "#" + where
    return Draft202012Validator({"$ref": ref}, registry=registry, format_checker=FormatChecker())


def document_validator(reading: Reading, where: str) -> Draft202012Validator:
    """A validator for the schema at JSON pointer ``where`` inside the stored OpenAPI document.

    Its ``#/components/schemas/…`` references resolve inside that same document, so this checks a
    payload exactly as a tool reading the assembled OpenAPI would (formats asserted).
    """
    return _validator(_document_registry(reading), reading, where)


def validator_in(document: dict[str, Any], name: str, where: str) -> Draft202012Validator:
    """Like ``document_validator``, for any OpenAPI document (``name`` tells documents apart; not cached)."""
    return _validator(_registry_of(document, name), name, where)


def resolve_pointer(document: Any, where: str) -> Any:
    node = document
    for token in where.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


@functools.cache
def case_format() -> dict[str, Any]:
    """``negative/case.schema.json``: the format of a corpus case."""
    return json.loads(CASE_SCHEMA.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def case_format_errors(case: Any, definition: str) -> list[str]:
    """Why ``case`` does not follow ``case.schema.json#/$defs/<definition>`` (``negative`` or ``positive``)."""
    uri = case_format()["$id"]
    registry: Registry[Any] = Registry().with_resource(uri, Resource.from_contents(case_format()))
    validator = Draft202012Validator({"$ref": f"{uri}#/$defs/{definition}"}, registry=registry)
    return [f"{'/'.join(map(str, e.absolute_path)) or '/'}: {e.message}" for e in validator.iter_errors(case)]


def load_cases(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """The case files of a corpus folder as ``(stem, case)``, sorted; the case schema is not a case."""
    return [
        (path.stem, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(folder.glob("*.json"))
        if path.name != CASE_SCHEMA.name
    ]

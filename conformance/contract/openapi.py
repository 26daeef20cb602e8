"""Assemble an OpenAPI 3.1 document from the operation table and the schemas.

Two documents come out of one function. The *strict* one (request bodies under the strict reading,
narrowed by docs/readings.md) drives positive generation: every body it yields is acceptable to every
conformant server, whichever answer it gives to the questions the documents leave open. The *lenient*
one (request bodies widened by docs/readings.md) drives negative generation: a body that violates it
must be rejected by every conformant server. Response bodies always use the lenient reading — what a
response must contain. The ``base`` reading (the schema files as written) has no document.

The stored copies (``openapi/*.json`` next to this module) are regenerated with
``oneroster-conformance openapi --write`` and a test fails when they are stale.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from conformance import __version__, profiles
from conformance.contract import schemas
from conformance.contract.operations import Operation, operations
from conformance.contract.schemas import Reading

STORED = Path(__file__).resolve().parent / "openapi"
ERROR_STATUSES = ("400", "401", "403", "404", "422", "429", "500")
_COMPONENT = "#/components/schemas/"

# Query parameters as TimeBack documents them (reference/timeback-oneroster-openapi.yaml, collection GETs).
_QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 3000, "default": 100},
    "offset": {"type": "integer", "minimum": 0, "default": 0},
    "sort": {"type": "string"},
    "orderBy": {"type": "string", "enum": ["asc", "desc"]},
    "filter": {"type": "string"},
    "fields": {"type": "string"},
    "search": {"type": "string"},
    "student": {"type": "string"},
    "lesson": {"type": "string"},
    "applicationName": {"type": "string"},
    "attempt": {"type": "string"},
}


def path_for(reading: Reading, profile: str | None = None) -> Path:
    return STORED / f"{profiles.resolve(profile)}.{reading}.json"


def component_name(ref: str) -> str:
    """``…/result.schema.json#/$defs/putRequest.strict`` → ``result.putRequest.strict``."""
    base, _, fragment = ref.partition("#")
    name = base.rsplit("/", 1)[-1].removesuffix(schemas.SCHEMA_SUFFIX)
    definition = fragment.removeprefix("/$defs/")
    return f"{name}.{definition}" if definition else name


def _bundle(profile: str) -> dict[str, Any]:
    """Every schema definition as an OpenAPI component, with refs rewritten to components."""
    components: dict[str, Any] = {}
    for name, doc in schemas.documents(profile).items():
        base = doc["$id"]
        for definition, body in doc.get("$defs", {}).items():
            if not definition.endswith(".base"):  # the reference server's reading, in no document
                components[f"{name}.{definition}"] = _rewrite(body, base)
        root = {k: v for k, v in doc.items() if k not in ("$defs", "$schema", "$id")}
        components[name] = _rewrite(root, base)
    return components


def _rewrite(node: Any, base: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                target = value if value.startswith("https://") else _join(base, value)
                out[key] = _COMPONENT + component_name(target)
            else:
                out[key] = _rewrite(value, base)
        return out
    if isinstance(node, list):
        return [_rewrite(item, base) for item in node]
    return node


def _join(base: str, ref: str) -> str:
    if ref.startswith("#"):
        return base + ref
    return base.rsplit("/", 1)[0] + "/" + ref


def _ref(kind: str, reading: Reading, profile: str) -> dict[str, str]:
    return {"$ref": _COMPONENT + component_name(schemas.kind_ref(kind, reading, profile))}


SEND_PREFIX = "send."


def _close(components: dict[str, Any], roots: set[str]) -> dict[str, Any]:
    """Closed copies of the components reachable from ``roots``, under ``send.``.

    The schemas allow unknown members (servers may extend the model), but the suite must send only
    documented ones: a server may reject a member it does not know, and the positive cases must be
    acceptable to every conformant server. Free-form objects (metadata) stay open.
    """
    closed: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if SEND_PREFIX + name in closed:
            continue
        closed[SEND_PREFIX + name] = _closed_node(components[name], pending)
    return closed


def _closed_node(node: Any, pending: list[str]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_COMPONENT):
                target = value.removeprefix(_COMPONENT)
                pending.append(target)
                out[key] = _COMPONENT + SEND_PREFIX + target
            else:
                out[key] = _closed_node(value, pending)
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed_node(item, pending) for item in node]
    return node


# What the suite sends stays within what every server accepts: TimeBack bounds limit (1-3000) but
# not offset, and a server may reasonably refuse an offset past any collection it could hold.
_STRICT_QUERY: dict[str, dict[str, Any]] = {"offset": {"maximum": 100000}}


def _parameters(op: Operation, reading: Reading) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in op.path_params
    ]
    for name in op.query:
        schema = copy.deepcopy(_QUERY_SCHEMAS[name])
        if reading == "strict":
            schema.update(_STRICT_QUERY.get(name, {}))
        params.append({"name": name, "in": "query", "required": name in op.required_query, "schema": schema})
    return params


# Where a dialect counts a collection in a header, not in the body (the official binding).
_TOTAL_COUNT_HEADER = {
    "X-Total-Count": {"description": "The number of records the query matches", "schema": {"type": "integer"}}
}


def _operation(op: Operation, reading: Reading, profile: str) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in op.success:
        if status == 204 or op.response is None:
            responses[str(status)] = {"description": "Success, no body"}
        else:
            responses[str(status)] = {
                "description": "Success",
                "content": {"application/json": {"schema": _ref(op.response, "lenient", profile)}},
            }
            if profiles.get(profile).dialect.count_in_header and op.response.endswith(".collection"):
                responses[str(status)]["headers"] = copy.deepcopy(_TOTAL_COUNT_HEADER)
    for code in ERROR_STATUSES:
        description = op.not_found if code == "404" and op.not_found else f"imsx error ({code})"
        responses[code] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": _COMPONENT + "imsxStatusInfo"}}},
        }
    doc: dict[str, Any] = {
        "operationId": op.id,
        "summary": op.summary,
        "tags": [op.service, op.resource],
        "parameters": _parameters(op, reading),
        "responses": responses,
        "x-source": op.source,
    }
    if op.request:
        schema = _ref(op.request, reading, profile)
        if reading == "strict":
            schema["$ref"] = _COMPONENT + SEND_PREFIX + schema["$ref"].removeprefix(_COMPONENT)
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return doc


def assemble(reading: Reading = "strict", profile: str | None = None) -> dict[str, Any]:
    profile = profiles.resolve(profile)
    table = operations(profile)
    paths: dict[str, dict[str, Any]] = {}
    for op in table:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, reading, profile)
    components = _bundle(profile)
    if reading == "strict":
        roots = {component_name(schemas.kind_ref(op.request, reading, profile)) for op in table if op.request}
        components.update(_close(components, roots))
    query = sorted({name for op in table for name in op.query})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{profiles.get(profile).title} (profile {profile})",
            "version": __version__,
            "description": (
                f"Assembled by oneroster-conformance from schemas/ and its operation table. Request bodies follow the "
                f"{reading} reading of docs/api.md#payload-facts; responses the lenient one. Query parameters: "
                + ", ".join(query)
                + "."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "OAuth2 client-credentials access token."}
            },
            "schemas": components,
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def stale() -> list[Path]:
    """The stored documents (every profile, every reading) that differ from what ``assemble`` produces now."""
    return [
        path_for(r, p)
        for p in profiles.NAMES
        for r in schemas.READINGS
        if not path_for(r, p).is_file() or path_for(r, p).read_text(encoding="utf-8") != render(assemble(r, p))
    ]


def write() -> list[Path]:
    STORED.mkdir(exist_ok=True)
    written = []
    for profile in profiles.NAMES:
        for reading in schemas.READINGS:
            path_for(reading, profile).write_text(render(assemble(reading, profile)), encoding="utf-8")
            written.append(path_for(reading, profile))
    return written


def load(reading: Reading = "strict", profile: str | None = None) -> dict[str, Any]:
    """The stored document (fast: no assembly at run time); assembled now for a profile none is
    stored for yet (a new profile, before ``openapi --write``)."""
    path = path_for(reading, profile)
    if not path.is_file():
        return assemble(reading, profile)
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

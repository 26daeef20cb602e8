"""The readings audit (``readings.toml``): every question the published documents leave open, and
what the suite does about it.

The rows are data (docs/readings.md is their page). A row with ``schema = true`` also has rules here,
by its id, which ``contract.schemas`` applies to the request schemas as the files write them:

* widening, for the **lenient** reading: every legitimate answer is admitted, so a body that still
  violates it is one that every conformant server rejects (GEN-REJECT-INVALID-BODY);
* narrowing, for the **strict** reading: only what every answer admits, so a request built to succeed
  succeeds on every conformant server.

tests/contract/test_readings.py holds the suite to the table without going through these rules: each
such row has its own predicate on payloads there.
"""

from __future__ import annotations

import copy
import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from conformance import profiles

DOCUMENTS = {
    "timeback-pages": "TimeBack API reference pages",
    "timeback-openapi": "TimeBack OneRoster OpenAPI (3.1)",
    "1edtech-openapi": "1EdTech OneRoster 1.2 Gradebook OpenAPI (3.0)",
    "1edtech-model": "1EdTech OneRoster 1.2 information model",
    "clients": "Documented clients and servers",
    "http": "HTTP (RFC 9110)",
}
_FIELDS = {
    "id", "question", "profiles", "affects", "sources", "choices", "reference", "positive", "negative",
    "requirement", "variant", "no_variant", "probe", "schema",
}  # fmt: skip
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Row:
    """One open question: what the documents say, what a server may do, what the suite does."""

    id: str
    question: str
    profiles: tuple[str, ...]
    affects: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # (document key of DOCUMENTS, what it says)
    choices: tuple[str, ...]
    reference: str
    positive: str
    negative: str
    requirements: Mapping[str, str]  # profile -> the requirement recording the choice ("" none)
    variants: Mapping[str, str]  # profile -> the reference-server fault making the other choice ("" none)
    no_variants: Mapping[str, str]  # profile -> why no variant exists there (where ``variants`` has none)
    probe: str
    schema: bool

    def applies(self, profile: str) -> bool:
        return profile in self.profiles

    def requirement(self, profile: str) -> str:
        return self.requirements.get(profile, "")

    def variant(self, profile: str) -> str:
        return self.variants.get(profile, "")

    def no_variant(self, profile: str) -> str:
        return self.no_variants.get(profile, "")


def _per_profile(value: Any, names: tuple[str, ...], row: str, field: str) -> dict[str, str]:
    if isinstance(value, str):
        return dict.fromkeys(names, value)
    if isinstance(value, dict) and set(value) <= set(names) and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    raise ValueError(f"readings.toml: {row}.{field} is a string or a table by profile of {names}")


def _row(raw: dict[str, Any]) -> Row:
    name = str(raw.get("id", "?"))
    unknown = set(raw) - _FIELDS
    if unknown or not _ID.match(name):
        raise ValueError(f"readings.toml: row {name!r} (unknown fields {sorted(unknown)}, or not a kebab-case id)")
    names = tuple(raw.get("profiles", profiles.NAMES))
    if not set(names) <= set(profiles.NAMES) or set(raw["sources"]) - set(DOCUMENTS):
        raise ValueError(f"readings.toml: {name} names an unknown profile or document")
    return Row(
        id=name,
        question=raw["question"],
        profiles=names,
        affects=tuple(raw["affects"]),
        sources=tuple(raw["sources"].items()),
        choices=tuple(raw["choices"]),
        reference=raw["reference"],
        positive=raw["positive"],
        negative=raw["negative"],
        requirements=_per_profile(raw["requirement"], names, name, "requirement"),
        variants=_per_profile(raw["variant"], names, name, "variant"),
        no_variants=_per_profile(raw.get("no_variant", ""), names, name, "no_variant"),
        probe=raw["probe"],
        schema=bool(raw.get("schema", False)),
    )


@functools.cache
def rows() -> tuple[Row, ...]:
    """Every row, in the file's order."""
    text = resources.files(__package__ or "conformance.contract").joinpath("readings.toml").read_text("utf-8")
    found = tuple(_row(raw) for raw in tomllib.loads(text)["reading"])
    check_variants(found)
    ids = [row.id for row in found]
    if len(ids) != len(set(ids)):
        raise ValueError(f"readings.toml holds an id twice: {ids}")
    return found


def check_variants(found: tuple[Row, ...]) -> None:
    """Every other choice is a server the suite must pass (a variant), or the row says why there is none."""
    for r in found:
        lacking = [name for name in r.profiles if not r.variant(name) and not r.no_variant(name)]
        if lacking:
            raise ValueError(f"readings.toml: {r.id} names no variant and no reason for none in {lacking}")


def row(row_id: str) -> Row:
    return next(r for r in rows() if r.id == row_id)


def active(profile: str) -> tuple[str, ...]:
    """The ids of the rows with a schema effect in ``profile``."""
    return tuple(r.id for r in rows() if r.schema and r.applies(profile))


# Schema rules ------------------------------------------------------------------------------------------
# Each takes one node of an inlined request schema (children already done) and returns it, changed or
# not. ``names_record``: the path names the record this schema describes (PUT, PATCH).
Node = dict[str, Any]
SchemaRule = Callable[[Node, bool], Node]

SERVER_SET = ("status", "dateLastModified")
NUMERIC_STRING = {"type": "string", "pattern": r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"}
UTC_DATE_TIME = r"^(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,3})?Z$"
NUMBER_LIMIT, TEXT_LIMIT = 1_000_000, 255
# Text that every reading takes as not blank: one ASCII letter or digit at least. "\S" would do in one
# regex dialect, but Python's and ECMA-262's white space differ (U+001C-U+001F), and so do trimming servers.
# Said as "not free of them" rather than as the pattern "[A-Za-z0-9]": the same strings, but a generator
# draws a pattern character by character through its regex, which doubled the cost of drawing a body;
# here it draws plain text and drops the rare one with no letter or digit.
NOT_BLANK = {"pattern": "^[^A-Za-z0-9]*$"}


def _types(node: Node) -> set[str]:
    kind = node.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _is_record(node: Node) -> bool:
    return {"sourcedId", "dateLastModified"} <= set(node.get("properties", {}))


def _is_reference(node: Node) -> bool:
    return {"href", "sourcedId", "type"} <= set(node.get("properties", {}))


def _nullable(node: Any) -> Any:
    if not isinstance(node, dict) or "null" in _types(node) or node == {}:
        return node
    return {"anyOf": [node, {"type": "null"}]}


def _drop_required(node: Node, names: tuple[str, ...]) -> Node:
    if "required" in node:
        node["required"] = [name for name in node["required"] if name not in names]
    return node


def _members(node: Node, change: Callable[[str, Any], Any]) -> Node:
    if "properties" in node:
        node["properties"] = {name: change(name, spec) for name, spec in node["properties"].items()}
    return node


def _widen_server_set(node: Node, names_record: bool) -> Node:
    if not _is_record(node):
        return node
    node["properties"]["dateLastModified"] = {}  # the server sets its own: what was sent may be ignored
    return _drop_required(node, SERVER_SET)


def _widen_body_id(node: Node, names_record: bool) -> Node:
    if not (names_record and _is_record(node)):
        return node
    node["properties"]["sourcedId"] = {}
    return _drop_required(node, ("sourcedId",))


def _widen_optional(node: Node, names_record: bool) -> Node:
    required = set(node.get("required", ()))
    return _members(node, lambda name, spec: spec if name in required else _nullable(spec))


def _plain_text(node: Node) -> bool:
    shaped = {"enum", "const", "format", "pattern", "anyOf", "oneOf", "allOf", "not"}
    return _types(node) == {"string"} and not shaped & set(node)


def _strip_null(node: Node) -> Node:
    kinds = node.get("type")
    if isinstance(kinds, list) and "null" in kinds:
        kept = [k for k in kinds if k != "null"]
        node["type"] = kept[0] if len(kept) == 1 else kept
    for key in ("anyOf", "oneOf"):
        if key in node:
            node[key] = [branch for branch in node[key] if branch != {"type": "null"}]
            if len(node[key]) == 1 and set(node) == {key}:
                return dict(node[key][0])
    if "enum" in node:
        node["enum"] = [value for value in node["enum"] if value is not None]
    return node


def _no_null_metadata(node: Node, names_record: bool) -> Node:
    # Free-form, but never null inside either: a server reading null as absent would drop the key.
    def narrowed(name: str, spec: Any) -> Any:
        if name != "metadata" or not isinstance(spec, dict) or "properties" in spec:
            return spec
        return {**spec, "additionalProperties": {"type": ["string", "number", "boolean"]}}

    return _members(_strip_null(node), narrowed)


def _non_blank(node: Node, names_record: bool) -> Node:
    if _plain_text(node):
        node["minLength"] = max(1, node.get("minLength", 0))
        node["not"] = dict(NOT_BLANK)
    return node


def _limited(node: Node, names_record: bool) -> Node:
    if _plain_text(node):
        node["maxLength"] = min(TEXT_LIMIT, node.get("maxLength", TEXT_LIMIT))
    if _types(node) & {"number", "integer"}:
        node["minimum"] = max(-NUMBER_LIMIT, node.get("minimum", -NUMBER_LIMIT))
        node["maximum"] = min(NUMBER_LIMIT, node.get("maximum", NUMBER_LIMIT))
    return node


def _utc(node: Node, names_record: bool) -> Node:
    if node.get("format") == "date-time":
        node["pattern"] = UTC_DATE_TIME
    return node


def _unanchored(node: Node, names_record: bool) -> Node:
    # The binding writes its extension pattern without anchors; JSON Schema then matches it anywhere.
    pattern = node.get("pattern")
    if isinstance(pattern, str) and pattern.startswith("^ext:") and pattern.endswith("$"):
        node["pattern"] = pattern[1:-1]
    return node


# In the order they apply: what a row makes optional first, then what it lets a value be.
WIDEN: dict[str, SchemaRule] = {
    "server-set-members": _widen_server_set,
    "bare-references": lambda node, _: _drop_required(node, ("href", "type")) if _is_reference(node) else node,
    "body-id-mismatch": _widen_body_id,
    "null-metadata": lambda node, _: _members(node, lambda n, s: _nullable(s) if n == "metadata" else s),
    "null-optional": _widen_optional,
    "date-only-score-date": lambda node, _: _members(
        node, lambda n, s: {"anyOf": [s, {"type": "string", "format": "date"}]} if n == "scoreDate" else s
    ),
    "date-time-score-date": lambda node, _: _members(
        node, lambda n, s: {"anyOf": [s, {"type": "string", "format": "date-time"}]} if n == "scoreDate" else s
    ),
    "empty-strings": lambda node, _: {k: v for k, v in node.items() if k != "minLength"} if _types(node) else node,
    "numeric-strings": lambda node, _: (
        {"anyOf": [node, NUMERIC_STRING]} if _types(node) & {"number", "integer"} else node
    ),
    "anchored-patterns": _unanchored,
}
# value-limits before empty-strings: a pattern makes text no longer plain, and plain text is what gets
# its maximum length.
NARROW: dict[str, SchemaRule] = {
    "null-metadata": _no_null_metadata,
    "null-optional": _no_null_metadata,
    "value-limits": _limited,
    "empty-strings": _non_blank,
    "date-time-offsets": _utc,
}


def _apply(node: Any, rules: list[SchemaRule], names_record: bool) -> Any:
    if isinstance(node, list):
        return [_apply(item, rules, names_record) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _apply(value, rules, names_record) for key, value in node.items()}
    for rule in rules:
        out = rule(out, names_record)
    return out


def widen(schema: Any, profile: str, *, names_record: bool = False) -> Any:
    """The lenient reading of an inlined request schema: every legitimate answer admitted."""
    chosen = active(profile)
    return _apply(copy.deepcopy(schema), [rule for rid, rule in WIDEN.items() if rid in chosen], names_record)


def narrow(schema: Any, profile: str) -> Any:
    """The strict reading of an inlined request schema: only what every answer admits."""
    chosen = active(profile)
    return _apply(copy.deepcopy(schema), [rule for rid, rule in NARROW.items() if rid in chosen], False)

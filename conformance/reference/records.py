"""Gradebook records on their way in (server-set fields, write faults) and out (fields, response faults).

A stored record is exactly what the client sent, plus what the server sets: ``sourcedId`` (the
path's, which wins over the body's), ``status`` (``active`` unless sent) and ``dateLastModified``.
The schema-driven helpers below tell the write-body readings (gradebook.py) which members a write
requires, which are references, and where a number was sent as a string.
"""

from __future__ import annotations

import functools
import json
import math
import re
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from conformance.contract import schemas
from conformance.contract.schemas import Problem
from conformance.reference.faults import Faults

ACTIVE = "active"
FLAGS = ("inProgress", "incomplete", "late", "missing")  # "true"/"false" strings in both dialects


class Clock:
    """``dateLastModified`` values: RFC 3339 UTC with milliseconds, never earlier than the previous
    value of the same record (the wall clock may step back; the record's history must not)."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults

    def now(self) -> str:
        moment = datetime.now(UTC)
        if self.faults.on("benign-fractional-seconds"):
            return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def stamp(self, previous: str | None) -> str:
        current = self.now()
        if not previous:
            return current
        if self.faults.on("date-last-modified-backwards"):
            try:
                earlier = datetime.fromisoformat(previous) - timedelta(hours=1)
            except ValueError:
                return "2000-01-01T00:00:00.000Z"
            return earlier.strftime("%Y-%m-%dT%H:%M:%S.") + f"{earlier.microsecond // 1000:03d}Z"
        if self.faults.on("date-last-modified-frozen"):  # the creation's time, kept by every update
            return previous
        # Same format on both sides, so string order is time order.
        return max(current, previous)


class Allocator:
    """sourcedIds the server allocates for POSTed records that did not supply one."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._last: str | None = None

    def allocate(self) -> str:
        if self._last is not None and self.faults.on("allocation-reuse"):
            return self._last
        self._last = str(uuid.uuid4())
        return self._last

    def pair(self, supplied: str | None, allocated: str) -> dict[str, str]:
        """One ``sourcedIdPairs`` object; a record that supplied no sourcedId echoes ``""``."""
        shown = str(uuid.uuid4()) if self.faults.on("allocated-id-unresolvable") else allocated
        echoed = "" if supplied is None or self.faults.on("supplied-id-not-echoed") else supplied
        return {"suppliedSourcedId": echoed, "allocatedSourcedId": shown}


# Write bodies are checked against the schema files as written (the base reading): one legitimate
# answer to every open question, where the lenient reading admits every answer (docs/readings.md).
READING: schemas.Reading = "base"
# The record schema a write body's records are checked against, by the kind of the body.
_ITEM_KIND = {"putRequest": "request", "createRequest": "create", "bulkRequest": "create", "patchRequest": "record"}
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_UTC_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?[Zz]")
# The members that hold a date-time in either profile (scoreDate is a date in the official binding).
DATE_TIMES = ("dateLastModified", "assignDate", "dueDate", "scoreDate")
# A store with limits (benign-value-limits): the most it holds of a text and of a number.
TEXT_LIMIT, NUMBER_LIMIT = 255, 1_000_000


def written(body: Any, singular: str, plural: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The records a write body carries, each with its JSON pointer: ``{singular: {...}}`` or
    ``{plural: [...]}``. Anything else yields nothing (the schema check reports it)."""
    if not isinstance(body, dict):
        return
    one = body.get(singular)
    if isinstance(one, dict):
        yield f"/{singular}", one
    many = body.get(plural)
    if isinstance(many, list):
        yield from ((f"/{plural}/{i}", item) for i, item in enumerate(many) if isinstance(item, dict))


@functools.cache
def required_members(entity: str, body_kind: str, profile: str) -> frozenset[str]:
    """The members a record of a ``body_kind`` write (``result.putRequest``…) must carry."""
    item = _ITEM_KIND.get(body_kind.partition(".")[2], "record")
    return frozenset(schemas.resolve(f"{entity}.{item}", READING, profile).get("required", ()))


@functools.cache
def reference_types(entity: str, profile: str) -> dict[str, str]:
    """The members of ``entity`` that reference one type of record (the official GUIDRefs fix
    ``type``): member name → type."""
    base = schemas.schema_id(entity, profile)
    resolver = schemas.registry(profile).resolver(base_uri=base)
    found: dict[str, str] = {}
    for member, node in schemas.resolve(f"{entity}.record", READING, profile)["properties"].items():
        target = resolver.lookup(node["$ref"]).contents if "$ref" in node else node
        fixed = target.get("properties", {}).get("type", {}).get("enum") if isinstance(target, dict) else None
        if isinstance(fixed, list) and len(fixed) == 1 and isinstance(fixed[0], str):
            found[member] = fixed[0]
    return found


def numbers_in_strings(body_kind: str, body: Any, profile: str) -> list[tuple[list[str | int], int | float]]:
    """Where ``body`` holds a JSON number written as a string (``"85"``) in a place its schema wants a
    number: each place's path and the number."""
    places: list[tuple[list[str | int], int | float]] = []
    stack = list(schemas.validator(body_kind, READING, profile).iter_errors(body))
    while stack:
        error = stack.pop()
        stack.extend(error.context or ())
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        if error.validator != "type" or not isinstance(error.instance, str) or not error.absolute_path:
            continue
        number = _as_number(error.instance, integer_only="number" not in wanted)
        if number is not None and {"number", "integer"} & set(wanted):
            places.append((list(error.absolute_path), number))
    return places


def _as_number(text: str, integer_only: bool) -> int | float | None:
    if not _JSON_NUMBER.fullmatch(text):
        return None
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    value = float(text)
    if not math.isfinite(value) or (integer_only and not value.is_integer()):
        return None
    return int(value) if integer_only else value


def set_at(body: Any, path: Sequence[str | int], value: Any) -> None:
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def empty_required(body_kind: str, body: Any, profile: str) -> list[str]:
    """The JSON pointers of required text members (at any depth) that hold ``""``: the members the
    schema would find missing if every empty string were left out."""
    stripped = _without_empty_strings(body)
    return [
        problem.pointer
        for problem in schemas.problems(body_kind, stripped, READING, profile)
        if problem.message == "is required but missing" and _at(body, problem.pointer) == ""
    ]


def _without_empty_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_empty_strings(item) for key, item in value.items() if item != ""}
    if isinstance(value, list):
        return [_without_empty_strings(item) for item in value]
    return value


def _at(value: Any, pointer: str) -> Any:
    for escaped in pointer.split("/")[1:]:
        token = escaped.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value


def over_limits(pointer: str, record: dict[str, Any]) -> list[Problem]:
    """Where ``record`` (at ``pointer``) holds a text longer than ``TEXT_LIMIT`` characters or a number
    beyond ``NUMBER_LIMIT`` in absolute value, at any depth; metadata is the client's own document,
    stored whole, and is not looked into."""
    found: list[Problem] = []
    stack: list[tuple[str, Any]] = [(f"{pointer}/{escape(name)}", value) for name, value in record.items()]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and len(value) > TEXT_LIMIT:
            found.append(Problem(where, f"is longer than {TEXT_LIMIT} characters, the most this server stores"))
        elif isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > NUMBER_LIMIT:
            found.append(Problem(where, f"is beyond ±{NUMBER_LIMIT}, the most this server stores"))
        elif isinstance(value, dict) and where != f"{pointer}/metadata":
            stack.extend((f"{where}/{escape(name)}", item) for name, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}/{index}", item) for index, item in enumerate(value))
    return found


def undefined_members(pointer: str, record: dict[str, Any], defined: frozenset[str]) -> list[Problem]:
    """The members of ``record`` (at ``pointer``) that are not among the ``defined`` ones."""
    return [
        Problem(f"{pointer}/{escape(name)}", "is not a member of this record") for name in record if name not in defined
    ]


def unanchored_matches(body_kind: str, body: Any, profile: str) -> set[str]:
    """The JSON pointers of the values ``body`` fails only because a pattern the schema anchors
    (``^ext:…$``, the binding's extension values) matches them somewhere, not as a whole: what a
    literal reading of the binding's unanchored pattern accepts."""
    places: set[str] = set()
    stack = list(schemas.validator(body_kind, READING, profile).iter_errors(body))
    while stack:
        error = stack.pop()
        stack.extend(error.context or ())
        anchored = error.validator_value if error.validator == "pattern" else None
        if not (isinstance(anchored, str) and anchored.startswith("^ext:") and anchored.endswith("$")):
            continue
        if isinstance(error.instance, str) and re.search(anchored[1:-1], error.instance):
            places.add("".join(f"/{escape(step)}" for step in error.absolute_path))
    return places


def escape(token: object) -> str:
    """``token`` as one step of a JSON pointer (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def drop_nulls(record: dict[str, Any]) -> None:
    """Leave out, in place, every member whose value is null, at any depth; metadata's contents are the
    client's own data and stay as sent."""
    stack: list[Any] = [record]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for name in [name for name, value in node.items() if value is None]:
                del node[name]
            stack.extend(value for name, value in node.items() if not (node is record and name == "metadata"))
        elif isinstance(node, list):
            stack.extend(node)


def date_only(value: Any) -> str | None:
    """``value`` as a midnight-UTC date-time when it is a full-date (``2024-09-02``), else None."""
    if not isinstance(value, str) or not _FULL_DATE.fullmatch(value):
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        return None
    return f"{value}T00:00:00.000Z"


def utc_day(value: Any) -> str | None:
    """The day in UTC (``2024-09-02``) of ``value`` when it is an RFC 3339 date-time, else None."""
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        return None
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).date().isoformat()


def metadata_of(record: dict[str, Any]) -> dict[str, Any]:
    """A record's metadata object, or an empty one when it has none (or null)."""
    metadata = record.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def prepare(
    record: dict[str, Any], sourced_id: str, previous: dict[str, Any] | None, faults: Faults, clock: Clock
) -> dict[str, Any]:
    """The record to store: ``record`` as sent, plus the server-set fields."""
    out = dict(record)
    out["sourcedId"] = sourced_id  # keeps the key's position when the body had one
    out.setdefault("status", ACTIVE)
    if faults.on("drop-learning-objectives"):
        out.pop("learningObjectiveSet", None)
    metadata = out.get("metadata")
    if faults.on("metadata-flattened") and isinstance(metadata, dict):  # a key-value column: nested values as text
        out["metadata"] = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in metadata.items()}
    if faults.on("round-scores"):
        score = out.get("score")
        if isinstance(score, float):
            out["score"] = round(score)
    previous_stamp = previous.get("dateLastModified") if previous else None
    out["dateLastModified"] = clock.stamp(previous_stamp if isinstance(previous_stamp, str) else None)
    return out


def same(stored: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two stored versions of a record differ in nothing but dateLastModified."""
    return {k: v for k, v in stored.items() if k != "dateLastModified"} == {
        k: v for k, v in other.items() if k != "dateLastModified"
    }


def merge(existing: dict[str, Any], patch: dict[str, Any], faults: Faults, entity: str) -> dict[str, Any]:
    """PATCH semantics: fields in ``patch`` replace the stored ones, except ``metadata``, which is
    merged key by key when both sides are objects (``entity``: the record's kind, for its faults)."""
    out = dict(existing)
    for key, value in patch.items():
        old = out.get(key)
        if (
            key == "metadata"
            and isinstance(value, dict)
            and isinstance(old, dict)
            and not faults.on("metadata-replaced-on-patch", entity)
        ):
            out[key] = {**old, **value}
        else:
            out[key] = value
    return out


def present(record: dict[str, Any], fields: Sequence[str] | None, faults: Faults, entity: str) -> dict[str, Any]:
    """A stored record of kind ``entity`` as a response shows it: only ``fields`` when given; response
    faults applied. Returns a new dict; the stored record is never modified."""
    if fields is None or faults.on("fields-ignored"):
        out = dict(record)
    else:
        out = {name: record[name] for name in fields if name in record}
    if faults.on("drop-score-date"):
        out.pop("scoreDate", None)
    score = out.get("score")
    if faults.on("score-as-string") and isinstance(score, int | float) and not isinstance(score, bool):
        out["score"] = str(score)
    status = out.get("scoreStatus")
    if faults.on("score-status-title-case") and isinstance(status, str):
        out["scoreStatus"] = status.title()
    stamp = out.get("dateLastModified")
    if faults.on("date-without-timezone", entity) and isinstance(stamp, str):
        out["dateLastModified"] = stamp[:19].replace("T", " ")
    if faults.on("benign-utc-offset-dates"):
        # The same instants, in the other spelling RFC 3339 gives UTC; stored values keep theirs, so
        # filters and the dateLastModified history compare what was stored.
        out.update({name: _offset(out[name]) for name in DATE_TIMES if isinstance(out.get(name), str)})
    metadata = out.get("metadata")
    if faults.on("benign-extra-metadata") and isinstance(metadata, dict):
        out["metadata"] = {**metadata, "referenceServer": "oneroster-conformance"}
    # The official binding's shapes rendered the TimeBack way.
    if faults.on("references-without-href"):
        out = {key: _bare(value) for key, value in out.items()}
    date = out.get("scoreDate")
    if faults.on("score-date-as-date-time") and isinstance(date, str) and len(date) == len("2024-03-01"):
        out["scoreDate"] = f"{date}T00:00:00Z"
    if faults.on("flags-as-booleans"):
        out.update({flag: out[flag] == "true" for flag in FLAGS if out.get(flag) in ("true", "false")})
    return out


def _offset(value: str) -> str:
    """A UTC date-time written with ``+00:00`` instead of ``Z``; anything else (a date) as it is."""
    return value[:-1] + "+00:00" if _UTC_DATE_TIME.fullmatch(value) else value


def _bare(value: Any) -> Any:
    """A reference reduced to ``{sourcedId}``; anything else as it is."""
    if isinstance(value, dict) and "sourcedId" in value and "type" in value:
        return {"sourcedId": value["sourcedId"]}
    return value

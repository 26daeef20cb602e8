"""The payload side of docs/readings.md, written apart from the schema rules that derive the readings
(``conformance.contract.readings``), so that the tests hold the suite to the table rather than to
the code under test.

For each row with a schema effect:

* ``OUTSIDE`` names the places where a payload leaves what every legitimate answer admits: a request
  the suite builds to succeed must have none;
* ``repair`` rewrites a payload to the answer the schema files take (the base reading) wherever a row
  allows another one: what stays invalid under the base reading after every repair is a violation no
  row allows, which is what GEN-REJECT-INVALID-BODY may judge.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from conformance import profiles
from conformance.contract.readings import NUMBER_LIMIT, TEXT_LIMIT, row, rows

# What every reading takes as a date-time: UTC, with Z and an upper-case T, at most milliseconds.
_AGREED_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z")
_LOOKS_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d")


@dataclass(frozen=True)
class Sent:
    """A request as the suite sends it, for the payload rules."""

    body: Any
    records: tuple[tuple[str, dict[str, Any]], ...]  # (pointer, record) of every record the body writes
    complete: bool  # the records are whole (PUT, POST), not a PATCH's changes
    path_id: str | None  # the sourcedId the path names (PUT, PATCH)
    query: Mapping[str, Any]
    numeric: frozenset[str]  # the member names documented as numbers


def _walk(value: Any, where: str = "", in_metadata: bool = False) -> Iterator[tuple[str, str, Any, bool]]:
    """(pointer, member name, value, inside metadata) for every value of a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            at = f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}"
            yield at, str(key), item, in_metadata
            yield from _walk(item, at, in_metadata or key == "metadata")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield f"{where}/{i}", "", item, in_metadata
            yield from _walk(item, f"{where}/{i}", in_metadata)


def _places(sent: Sent, test: Callable[[str, Any], bool], metadata: bool = False) -> list[str]:
    return [at for at, name, value, inside in _walk(sent.body) if (metadata or not inside) and test(name, value)]


def _missing_server_set(sent: Sent, profile: str) -> list[str]:
    wanted = ("status", *profiles.get(profile).dialect.server_set_members(""))
    return [f"{at}/{name}" for at, record in sent.records if sent.complete for name in wanted if name not in record]


def _bare(sent: Sent, profile: str) -> list[str]:
    """References that carry a sourcedId but not href and type (metadata is free-form: a sourcedId
    member in it references nothing)."""
    return [
        f"{at}/{member}"
        for at, record in sent.records
        for member, value in record.items()
        if member != "metadata"
        and isinstance(value, dict)
        and "sourcedId" in value
        and not {"href", "type"} <= set(value)
    ]


OUTSIDE: dict[str, Callable[[Sent, str], list[str]]] = {
    "null-metadata": lambda s, p: _places(s, lambda n, v: n == "metadata" and v is None),
    "null-optional": lambda s, p: _places(s, lambda n, v: v is None, metadata=True),
    "server-set-members": _missing_server_set,
    "bare-references": _bare,
    "empty-strings": lambda s, p: _places(s, lambda n, v: isinstance(v, str) and not v.strip()),
    "numeric-strings": lambda s, p: _places(s, lambda n, v: n in s.numeric and isinstance(v, str)),
    "date-only-score-date": lambda s, p: _places(
        s, lambda n, v: n == "scoreDate" and isinstance(v, str) and len(v) == 10
    ),
    "date-time-score-date": lambda s, p: _places(
        s, lambda n, v: n == "scoreDate" and isinstance(v, str) and len(v) > 10 and "T" in v
    ),
    "body-id-mismatch": lambda s, p: [
        f"{at}/sourcedId" for at, r in s.records if s.path_id and r.get("sourcedId", s.path_id) != s.path_id
    ],
    "date-time-offsets": lambda s, p: _places(
        s,
        lambda n, v: (
            (n.endswith("Date") or n == "dateLastModified")
            and isinstance(v, str)
            and bool(_LOOKS_DATED.match(v))
            and not _AGREED_DATE_TIME.fullmatch(v)
        ),
    ),
    "value-limits": lambda s, p: _places(
        s,
        lambda n, v: (
            (isinstance(v, str) and len(v) > TEXT_LIMIT)
            or (isinstance(v, int | float) and not isinstance(v, bool) and abs(v) > NUMBER_LIMIT)
        ),
    ),
    "unknown-fields": lambda s, p: ["?fields"] if "fields" in s.query else [],
    "anchored-patterns": lambda s, p: _places(
        s,
        lambda n, v: (
            n == "scoreStatus" and isinstance(v, str) and bool(_EXTENSION.search(v)) and not _EXTENSION.fullmatch(v)
        ),
    ),
}


def outside(sent: Sent, profile: str) -> dict[str, list[str]]:
    """Every row of ``profile`` whose answers do not all admit ``sent``, with the places."""
    return {rid: found for rid, rule in OUTSIDE.items() if row(rid).applies(profile) and (found := rule(sent, profile))}


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _as_number(name: str, value: Any, numeric: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {key: _as_number(key, item, numeric) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_number(name, item, numeric) for item in value]
    return _number(value) if name in numeric and isinstance(value, str) else value


# The binding's extension pattern for scoreStatus, which it writes without anchors.
_EXTENSION = re.compile(r"ext:[a-zA-Z0-9.\-_]+")


# A decimal number as text, the way a server that converts such strings reads one (not "nan", not "1_0").
_DECIMAL = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _number(text: str) -> Any:
    return float(text) if _DECIMAL.fullmatch(text) else text


def repair(sent: Sent, profile: str) -> Any:
    """``sent.body`` rewritten to the schema files' answer wherever an active row allows another."""
    chosen = {r.id for r in rows() if r.applies(profile)}
    dialect = profiles.get(profile).dialect
    body = copy.deepcopy(sent.body)
    if chosen & {"null-metadata", "null-optional"}:
        body = _without_nulls(body)
    if "numeric-strings" in chosen:
        body = _as_number("", body, sent.numeric)
    for at, _ in sent.records:
        record = _at(body, at)
        if not isinstance(record, dict):
            continue
        if "server-set-members" in chosen:
            if "dateLastModified" in record or (sent.complete and dialect.server_set_members("")):
                record["dateLastModified"] = "2024-09-02T08:00:00Z"
            if sent.complete:
                record.setdefault("status", "active")
        if "bare-references" in chosen:
            for member, value in record.items():
                if isinstance(value, dict) and isinstance(value.get("sourcedId"), str):
                    record[member] = {**dialect.ref(member, value["sourcedId"]), **value}
        if "empty-strings" in chosen and record.get("sourcedId") == "":
            del record["sourcedId"]
        dated = record.get("scoreDate")
        if "date-only-score-date" in chosen and isinstance(dated, str) and len(dated) == len("2024-09-02"):
            record["scoreDate"] = dated + "T00:00:00Z"
        if "date-time-score-date" in chosen and isinstance(dated, str) and len(dated) > len("2024-09-02"):
            record["scoreDate"] = dated[:10]  # what the reference server stores: its day (in UTC, as sent)
        if "body-id-mismatch" in chosen and sent.path_id is not None:
            record["sourcedId"] = sent.path_id
        status = record.get("scoreStatus")
        if "anchored-patterns" in chosen and isinstance(status, str) and (found := _EXTENSION.search(status)):
            record["scoreStatus"] = found[0]
    return body


def _at(value: Any, pointer: str) -> Any:
    for escaped in pointer.split("/")[1:]:
        token = escaped.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value.get(token) if isinstance(value, dict) else None
    return value

"""Gradebook records on their way in (server-set fields, write faults) and out (fields, response faults).

A stored record is exactly what the client sent, plus what the server sets: ``sourcedId`` (the
path's, which wins over the body's), ``status`` (``active`` unless sent) and ``dateLastModified``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

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
    if faults.on("drop-nulls"):
        out = {key: value for key, value in out.items() if value is not None}
    if faults.on("round-scores"):
        score = out.get("score")
        if isinstance(score, float):
            out["score"] = round(score)
    previous_stamp = previous.get("dateLastModified") if previous else None
    out["dateLastModified"] = clock.stamp(previous_stamp if isinstance(previous_stamp, str) else None)
    return out


def merge(existing: dict[str, Any], patch: dict[str, Any], faults: Faults) -> dict[str, Any]:
    """PATCH semantics: fields in ``patch`` replace the stored ones, except ``metadata``, which is
    merged key by key when both sides are objects."""
    out = dict(existing)
    for key, value in patch.items():
        old = out.get(key)
        if (
            key == "metadata"
            and isinstance(value, dict)
            and isinstance(old, dict)
            and not faults.on("metadata-replaced-on-patch")
        ):
            out[key] = {**old, **value}
        else:
            out[key] = value
    return out


def present(record: dict[str, Any], fields: Sequence[str] | None, faults: Faults) -> dict[str, Any]:
    """A stored record as a response shows it: only ``fields`` when given; response faults applied.
    Returns a new dict; the stored record is never modified."""
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
    if faults.on("date-without-timezone") and isinstance(stamp, str):
        out["dateLastModified"] = stamp[:19].replace("T", " ")
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


def _bare(value: Any) -> Any:
    """A reference reduced to ``{sourcedId}``; anything else as it is."""
    if isinstance(value, dict) and "sourcedId" in value and "type" in value:
        return {"sourcedId": value["sourcedId"]}
    return value

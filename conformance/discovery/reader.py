"""Reading the target's rostering collections: paged, bounded, and failing in one line.

Discovery reads a real school's data, which may hold thousands of students: it never reads more than
``MAX_RECORDS`` of a collection, and says so when it stopped there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.client import Exchange, SuiteClient
from conformance.contract.roster import Kind
from conformance.target import ConfigError

PAGE = 100
MAX_RECORDS = 1_000  # of one collection: enough to find the few records each role needs


class NoRostering(ConfigError):
    """The target serves no rostering API where discovery looks; the message is one line."""


@dataclass
class Reader:
    """Reads through ``client``; ``slash``: collections are routed with a trailing slash."""

    client: SuiteClient
    slash: bool
    sent: int = 0
    truncated: list[str] = field(default_factory=list)  # collections read up to MAX_RECORDS only

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Exchange:
        self.sent += 1
        return self.client.send("GET", path, params=params)

    def collection(self, kind: Kind, path: str | None = None, *, required: bool = False) -> list[dict[str, Any]]:
        """The active records of a collection (``kind``'s own, or the scoped ``path`` listing
        ``kind``'s records). ``required``: a 404 means the target serves no rostering at all."""
        where = path or kind.collection + ("/" if self.slash else "")
        found: list[dict[str, Any]] = []
        offset = 0
        while offset < MAX_RECORDS:
            exchange = self._get(where, {"limit": PAGE, "offset": offset})
            if exchange.status == 404 and offset == 0:
                if required:
                    raise NoRostering(
                        f"{self.client.target.base_url} answers 404 to GET {where}: it serves no OneRoster rostering "
                        "API there, so its fixtures cannot be discovered; name them in a file with --fixtures FILE"
                    )
                return []
            page = self._records(exchange, kind.plural, where)
            found.extend(r for r in page if r.get("status", "active") == "active")
            if len(page) < PAGE:
                return found
            offset += PAGE
        self.truncated.append(where)
        return found

    def record(self, kind: Kind, sourced_id: str) -> dict[str, Any] | None:
        exchange = self._get(kind.path(sourced_id))
        if exchange.status != 200:
            return None
        body = exchange.try_json()
        record = body.get(kind.singular) if isinstance(body, dict) else None
        return record if isinstance(record, dict) else None

    def _records(self, exchange: Exchange, key: str, where: str) -> list[dict[str, Any]]:
        if exchange.status != 200:
            answer = f"status {exchange.status}" if exchange.status is not None else f"no answer ({exchange.error})"
            raise ConfigError(
                f"discovering fixtures: GET {where} got {answer}; name the fixtures in a file with --fixtures FILE"
            )
        body = exchange.try_json()
        items = body.get(key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ConfigError(
                f"discovering fixtures: GET {where} answered without a {key!r} list; "
                "name the fixtures in a file with --fixtures FILE"
            )
        return [item for item in items if isinstance(item, dict) and isinstance(item.get("sourcedId"), str)]

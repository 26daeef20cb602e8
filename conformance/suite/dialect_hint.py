"""Issue 10: when a run fails the way a server of the *other* dialect would, say so.

A vendor who runs the TimeBack profile against an official 1EdTech server sees dozens of failures
that all come from one cause. While the run goes, every answer is looked at for signs of the other
dialect (API.md, "Two dialects"): a PUT answered 201 with no body, sourcedIdPairs as an array, a
collection counted in X-Total-Count instead of totalCount, references with href and type — or the
reverse. A failed run with signs of the other dialect gets a ``dialect_hint`` in its summary and a
line on the terminal suggesting the other profile. Workers dump their signs next to their ledgers;
the controller merges them.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import profiles
from conformance.client import Exchange, SuiteClient
from conformance.contract.operations import GRADEBOOK
from conformance.guard import Guard, RunStopped
from conformance.target import Target

SUFFIX = ".dialect"
MIN_SIGNS = 2  # distinct kinds of sign before a hint is given: one odd answer is not a dialect


class Signs:
    """Counts, per kind, the answers that look like the other dialect's."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def observe(self, exchange: Exchange) -> None:
        if exchange.status is None or not 200 <= exchange.status < 300:
            return
        path = urlsplit(exchange.url).path
        if GRADEBOOK not in path:
            return
        body = exchange.try_json()
        official = profiles.current() == profiles.ONEEDTECH
        for sign in _official_signs(exchange, body) if not official else _timeback_signs(exchange, body):
            self.counts[sign] += 1

    def dump(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(self.counts)), encoding="utf-8")


def _official_signs(exchange: Exchange, body: Any) -> list[str]:
    """Signs, in a TimeBack run, of a server of the official binding."""
    found = []
    if exchange.method == "PUT" and exchange.status == 201 and not exchange.body:
        found.append("PUT answered 201 with no body")
    if isinstance(body, dict) and isinstance(body.get("sourcedIdPairs"), list):
        found.append("sourcedIdPairs is an array")
    listed = isinstance(body, dict) and "totalCount" not in body and any(isinstance(v, list) for v in body.values())
    if exchange.method == "GET" and "x-total-count" in exchange.headers and listed:
        found.append("collections are counted in X-Total-Count, not totalCount")
    if _references(body, lambda ref: "href" in ref and "type" in ref):
        found.append("references carry href and type")
    return found


def _timeback_signs(exchange: Exchange, body: Any) -> list[str]:
    """Signs, in an official-binding run, of a server of TimeBack's dialect."""
    found = []
    if exchange.method == "PUT" and isinstance(body, dict) and len(body) == 1 and exchange.body:
        found.append("PUT answered with the stored record")
    if isinstance(body, dict) and isinstance(body.get("sourcedIdPairs"), dict):
        found.append("sourcedIdPairs is one object")
    if exchange.method == "GET" and isinstance(body, dict) and "totalCount" in body:
        found.append("collections carry totalCount in the body")
    if _references(body, lambda ref: set(ref) == {"sourcedId"}):
        found.append("references are bare {sourcedId}")
    return found


_REFERENCE_MEMBERS = ("lineItem", "student", "class", "school", "category", "assessmentLineItem")


def _references(body: Any, test: Any) -> bool:
    """Whether a record of the answer (single or listed) has a reference passing ``test``."""
    if not isinstance(body, dict):
        return False
    records: list[Any] = []
    for value in body.values():
        records += value if isinstance(value, list) else [value]
    return any(
        isinstance(record, dict) and isinstance(record.get(m), dict) and test(record[m])
        for record in records[:5]
        for m in _REFERENCE_MEMBERS
    )


SIGNS = Signs()


def probe(target: Target, prefix: str) -> Counter[str]:
    """Ask the target directly, once a failed run saw too few signs to tell: a server of the other
    dialect usually refuses the suite's writes outright, so the run saw few successful answers.

    One category every dialect accepts (the official DType's required members are a superset of
    TimeBack's), PUT, listed by a filter on its sourcedId, then deleted: whether the PUT answers with
    a body and where the collection is counted are the two signs. Bounded like every request; a
    target that does not answer gives no sign."""
    signs = Signs()
    client = SuiteClient(target, guard=Guard())
    sourced_id = f"{prefix}dialect-probe"
    slash = "/" if profiles.current() == profiles.TIMEBACK else ""
    record = {
        "sourcedId": sourced_id,
        "status": "active",
        "dateLastModified": "2024-09-02T08:00:00Z",
        "title": "Dialect probe",
    }
    item = f"{GRADEBOOK}/categories/{sourced_id}"
    try:
        put = client.send("PUT", item, json_body={"category": record})
        signs.observe(put)
        if put.status is not None and 200 <= put.status < 300:
            listed = client.send(
                "GET", f"{GRADEBOOK}/categories{slash}", params={"filter": f"sourcedId='{sourced_id}'"}
            )
            signs.observe(listed)
        client.send("DELETE", item)
    except RunStopped:
        pass  # the target stopped answering: no sign, and the verdict stands as it is
    finally:
        client.close()
    return signs.counts


def load(ledger_dir: Path) -> Counter[str]:
    """Every process's signs (the files are removed once read)."""
    total: Counter[str] = Counter()
    for path in sorted(ledger_dir.glob(f"*{SUFFIX}")):
        with contextlib.suppress(OSError, ValueError):
            total.update({str(k): int(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()})
        path.unlink(missing_ok=True)
    return total


def hint(summary: dict[str, Any], signs: Counter[str]) -> dict[str, Any] | None:
    """The hint for a failed run with enough signs of the other dialect, else None."""
    if summary.get("verdict") == "conformant" or len(signs) < MIN_SIGNS:
        return None
    other = profiles.ONEEDTECH if summary.get("profile") == profiles.TIMEBACK else profiles.TIMEBACK
    evidence = [f"{sign} ({count}×)" for sign, count in signs.most_common()]
    return {
        "profile": other,
        "evidence": evidence,
        "message": (
            f"the target answers like a server of the {profiles.get(other).title} dialect "
            f"({'; '.join(s for s, _ in signs.most_common(3))}): try --profile {other}"
        ),
    }

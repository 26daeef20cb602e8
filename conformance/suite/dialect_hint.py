"""When a run fails the way a server of *another* dialect would, say so.

A vendor who runs the TimeBack profile against an official 1EdTech server sees dozens of failures
that all come from one cause. While the run goes, every answer is looked at for signs of the other
registered dialects (docs/api.md#two-dialects): each dialect describes the answers that show a
server speaks it (``Dialect.signs``: a PUT answered 201 with no body, sourcedIdPairs as an array, a
collection counted in X-Total-Count instead of totalCount, references with href and type — or the
reverse), and the run counts those of the other dialects that its own does not share. A failed run
with signs of another dialect gets a ``dialect_hint`` in its summary naming the profile whose
dialect matches best, and a line on the terminal suggesting it. Workers dump their signs next to
their ledgers; the controller merges them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from conformance import profiles
from conformance.client import Exchange, SuiteClient
from conformance.contract.operations import GRADEBOOK
from conformance.dialect import Sign
from conformance.guard import Guard, RunStopped
from conformance.target import Target

MIN_SIGNS = 2  # distinct kinds of sign before a hint is given: one odd answer is not a dialect


def foreign_signs(profile: str) -> list[Sign]:
    """The signs of every other registered profile's dialect that ``profile``'s does not share, each once."""
    own = profiles.get(profile)
    seen = {name for name, _ in own.dialect.signs}
    found: list[Sign] = []
    for other in profiles.PROFILES.values():
        if other.name == own.name:
            continue
        for sign in other.dialect.signs:
            if sign[0] not in seen:
                seen.add(sign[0])
                found.append(sign)
    return found


class Signs:
    """Counts, per kind, the answers that look like another dialect's than the run's profile."""

    def __init__(self, profile: str) -> None:
        self.counts: Counter[str] = Counter()
        self.profile = profile

    def observe(self, exchange: Exchange) -> None:
        if exchange.status is None or not 200 <= exchange.status < 300:
            return
        path = urlsplit(exchange.url).path
        if GRADEBOOK not in path:
            return
        body = exchange.try_json()
        for name, test in foreign_signs(self.profile):
            if test(exchange, body):
                self.counts[name] += 1


def probe(target: Target, prefix: str) -> Counter[str]:
    """Ask the target directly, once a failed run saw too few signs to tell: a server of the other
    dialect usually refuses the suite's writes outright, so the run saw few successful answers.

    One category every dialect accepts (the official DType's required members are a superset of
    TimeBack's), PUT, listed by a filter on its sourcedId, then deleted: whether the PUT answers with
    a body and where the collection is counted are the two signs. Bounded like every request; a
    target that does not answer gives no sign."""
    signs = Signs(target.profile)
    client = SuiteClient(target, guard=Guard())
    sourced_id = f"{prefix}dialect-probe"
    slash = "/" if profiles.get(target.profile).dialect.collection_slash else ""
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


def hint(summary: dict[str, Any], signs: Counter[str]) -> dict[str, Any] | None:
    """The hint for a failed run with enough signs of another dialect, else None: the registered
    profile, other than the run's, whose dialect describes the most kinds of sign seen (the first
    registered of those that tie)."""
    if summary.get("verdict") == "conformant" or len(signs) < MIN_SIGNS:
        return None
    best: tuple[profiles.Profile, list[tuple[str, int]]] | None = None
    for other in profiles.PROFILES.values():
        if other.name == summary.get("profile"):
            continue
        names = {name for name, _ in other.dialect.signs}
        matched = [(sign, count) for sign, count in signs.most_common() if sign in names]
        if best is None or len(matched) > len(best[1]):
            best = (other, matched)
    if best is None or len(best[1]) < MIN_SIGNS:
        return None
    other, matched = best
    return {
        "profile": other.name,
        "evidence": [f"{sign} ({count}×)" for sign, count in matched],
        "message": (
            f"the target answers like a server of the {other.title} dialect "
            f"({'; '.join(s for s, _ in matched[:3])}): try --profile {other.name}"
        ),
    }

"""What the suite's payloads and readings of answers look like in one profile's dialect.

The checks, the machines and the positive cases are written once; where dialects shape a payload
or an answer differently (docs/api.md#two-dialects) they ask the profile's dialect, one object per
profile (``profiles.get(name).dialect``): how a reference and a date-typed member are written,
where a collection's count is, what a bulk POST's pairs look like, what a PUT answers, what a sent
record must carry, which payload tables and which reference-server behaviour go with it, and which
answers show that a server speaks it.

``Dialect`` is TimeBack's (the first profile's); ``Official`` overrides what the 1EdTech binding
does differently. A new dialect subclasses the closer one and changes what differs.

Nothing here imports the rest of the package at run time: ``profiles`` builds its profiles from
these classes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Protocol


class Exchange(Protocol):
    """What a dialect reads of an exchange (``conformance.client.Exchange`` has it all): the dialect
    sits below the client, so it names only the members it uses."""

    @property
    def method(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def body(self) -> bytes: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    def try_json(self) -> Any: ...


# The official binding types each reference by what it points at (its GUIDRef DTypes).
REFERENCE_TYPES = {
    "class": "class",
    "school": "org",
    "student": "user",
    "lineItem": "lineItem",
    "assessmentLineItem": "assessmentLineItem",
    "parentAssessmentLineItem": "assessmentLineItem",
    "category": "category",
    "scoreScale": "scoreScale",
    "gradingPeriod": "academicSession",
    "academicSession": "academicSession",
    "course": "course",
}
# Where the official binding's href of each referenced type points (the OneRoster 1.2 services).
_HREF_COLLECTIONS = {
    "class": "rostering/v1p2/classes",
    "org": "rostering/v1p2/orgs",
    "user": "rostering/v1p2/users",
    "academicSession": "rostering/v1p2/academicSessions",
    "course": "rostering/v1p2/courses",
    "lineItem": "gradebook/v1p2/lineItems",
    "assessmentLineItem": "gradebook/v1p2/assessmentLineItems",
    "category": "gradebook/v1p2/categories",
    "scoreScale": "gradebook/v1p2/scoreScales",
}
# Members the official binding types as a date (not a date-time).
DATE_MEMBERS = frozenset({"scoreDate"})
HREF_BASE = "https://oneroster.invalid/ims/oneroster"

# A sign that an answer comes from a server of a dialect: what the run saw, and the test on the
# exchange and its decoded body (only successful gradebook answers are looked at).
SignTest = Callable[[Exchange, Any], bool]
Sign = tuple[str, SignTest]

_REFERENCE_MEMBERS = ("lineItem", "student", "class", "school", "category", "assessmentLineItem")


def _references(body: Any, test: Callable[[dict[str, Any]], bool]) -> bool:
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


class Dialect:
    """TimeBack: bare references, date-times everywhere, PUT answers 201 (or 200) with the stored
    record, pairs are one object, collections carry ``totalCount`` and are routed with a slash."""

    # PUT: the documented success statuses, and whether the answer carries the stored record.
    put_success: tuple[int, ...] = (201, 200)
    put_answers_record = True
    collection_slash = True  # collection routes are documented with a trailing slash
    count_in_header = False  # a collection is counted by the X-Total-Count header, not totalCount
    date_members: frozenset[str] = frozenset()  # members typed as a date: their value is the date alone
    # Bulk POSTs: whether every posted record carries its own sourcedId, and whether the answer holds
    # one pair per posted record (TimeBack documents one pair object whatever was posted).
    bulk_supplies_ids = False
    pair_per_record = False
    # imsx code-minor values accepted beside the one the status calls for (docs/api.md#errors).
    extra_code_minors: Mapping[int, frozenset[str]] = {}
    filter_in_list = True  # the filter grammar documents @ (in a comma-separated list)
    max_limit: int | None = 3000  # the largest page size documented (None: no maximum)
    payloads = "timeback"  # the payload tables the machines draw from (machines.payloads.TABLES)
    server = "timeback"  # the reference server's behaviour (reference.server_dialects.SERVERS)

    def ref(self, member: str, sourced_id: str, href_base: str = HREF_BASE) -> dict[str, str]:
        """A reference to ``sourced_id`` held in ``member``."""
        return {"sourcedId": sourced_id}

    def date_value(self, member: str, date_time: str) -> str:
        """``2024-09-02T08:00:00Z`` as ``member`` takes it: the date alone where the binding types a date."""
        return date_time[:10] if member in self.date_members else date_time

    def server_set_members(self, now: str) -> dict[str, str]:
        """What a record sent must carry of the members the server sets (it sets its own anyway)."""
        return {}

    # Collections ------------------------------------------------------------------------------
    def total_count(self, exchange: Exchange) -> Any:
        """A collection answer's count of matching records (None when absent, the raw value when odd)."""
        if self.count_in_header:
            raw = exchange.headers.get("x-total-count")
            if raw is None:
                return None
            try:
                return int(raw)
            except ValueError:
                return raw
        body = exchange.try_json()
        return body.get("totalCount") if isinstance(body, dict) else None

    @property
    def count_source(self) -> str:
        return "the X-Total-Count header" if self.count_in_header else "totalCount"

    # Bulk POST pairs --------------------------------------------------------------------------
    def pairs(self, body: Any) -> list[dict[str, Any]]:
        """The sourcedId pairs of a bulk POST's answer, whichever shape holds them (``pairs_shaped``
        judges the shape)."""
        found = body.get("sourcedIdPairs") if isinstance(body, dict) else None
        if isinstance(found, dict):
            return [found]
        if isinstance(found, list):
            return [p for p in found if isinstance(p, dict)]
        return []

    def pairs_shaped(self, body: Any, posted: int = 1) -> bool:
        """Whether a bulk POST of ``posted`` records was answered with pairs of this dialect's shape."""
        raw = body.get("sourcedIdPairs") if isinstance(body, dict) else None
        if self.pair_per_record:
            return isinstance(raw, list) and len(self.pairs(body)) == len(raw) == posted
        return isinstance(raw, dict)

    def pairs_expected(self, posted: int = 1) -> str:
        """The answer ``pairs_shaped`` wants, as a failure message shows it."""
        if self.pair_per_record:
            return "{sourcedIdPairs: [{suppliedSourcedId, allocatedSourcedId}]}, " + (
                "one pair" if posted == 1 else f"{posted} pairs"
            )
        return "{sourcedIdPairs: {suppliedSourcedId, allocatedSourcedId}}"

    # Signs of this dialect --------------------------------------------------------------------
    @functools.cached_property
    def signs(self) -> tuple[Sign, ...]:
        """The answers that show a server speaks this dialect (``suite.dialect_hint``). A run of
        another profile counts the signs it does not share: a sign two dialects share tells nothing."""
        return (self._put_sign(), self._pairs_sign(), self._count_sign(), self._reference_sign())

    def _put_sign(self) -> Sign:
        if self.put_answers_record:
            return (
                "PUT answered with the stored record",
                lambda ex, body: ex.method == "PUT" and isinstance(body, dict) and len(body) == 1 and bool(ex.body),
            )
        statuses = " or ".join(str(s) for s in self.put_success)
        success = self.put_success
        return (
            f"PUT answered {statuses} with no body",
            lambda ex, body: ex.method == "PUT" and ex.status in success and not ex.body,
        )

    def _pairs_sign(self) -> Sign:
        if self.pair_per_record:
            return (
                "sourcedIdPairs is an array",
                lambda ex, body: isinstance(body, dict) and isinstance(body.get("sourcedIdPairs"), list),
            )
        return (
            "sourcedIdPairs is one object",
            lambda ex, body: isinstance(body, dict) and isinstance(body.get("sourcedIdPairs"), dict),
        )

    def _count_sign(self) -> Sign:
        if self.count_in_header:

            def counted(ex: Exchange, body: Any) -> bool:
                listed = (
                    isinstance(body, dict)
                    and "totalCount" not in body
                    and any(isinstance(v, list) for v in body.values())
                )
                return ex.method == "GET" and "x-total-count" in ex.headers and listed

            return "collections are counted in X-Total-Count, not totalCount", counted
        return (
            "collections carry totalCount in the body",
            lambda ex, body: ex.method == "GET" and isinstance(body, dict) and "totalCount" in body,
        )

    def _reference_sign(self) -> Sign:
        bare: Callable[[dict[str, Any]], bool] = lambda r: set(r) == {"sourcedId"}  # noqa: E731
        return "references are bare {sourcedId}", lambda ex, body: _references(body, bare)


class Official(Dialect):
    """The 1EdTech binding: typed references with an href, ``scoreDate`` a date, PUT answers 201 with
    no body, pairs are an array (one per posted record, each of which carries its sourcedId), the
    total is the X-Total-Count header, collections have no trailing slash, nothing is null, and a
    sent record carries ``dateLastModified`` (its DTypes require it)."""

    put_success = (201,)
    put_answers_record = False
    collection_slash = False
    count_in_header = True
    date_members = DATE_MEMBERS
    bulk_supplies_ids = True
    pair_per_record = True
    # The official vocabulary has finer 400s for a query the server cannot apply (imsx_CodeMinorFieldDType).
    extra_code_minors = {400: frozenset({"invalid_filter_field", "invalid_selection_field"})}
    filter_in_list = False
    max_limit = None  # the binding bounds limit from below only
    payloads = "official"
    server = "official"

    def ref(self, member: str, sourced_id: str, href_base: str = HREF_BASE) -> dict[str, str]:
        kind = REFERENCE_TYPES.get(member, member)
        collection = _HREF_COLLECTIONS.get(kind, f"gradebook/v1p2/{kind}s")
        return {"href": f"{href_base.rstrip('/')}/{collection}/{sourced_id}", "sourcedId": sourced_id, "type": kind}

    def server_set_members(self, now: str) -> dict[str, str]:
        return {"dateLastModified": now}

    def _reference_sign(self) -> Sign:
        typed: Callable[[dict[str, Any]], bool] = lambda r: "href" in r and "type" in r  # noqa: E731
        return "references carry href and type", lambda ex, body: _references(body, typed)

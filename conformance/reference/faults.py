"""The reference server's fault switches: named, plausible vendor bugs (and harmless variations).

Each fault is implemented at exactly one decisive spot in the server, guarded by
``faults.on("name")``. ``harmful`` faults break a documented requirement, so the suite must fail
them; benign ones (``harmful=False``) vary only what the sources leave open or what any correct
client must tolerate, so the suite must still pass them. ``serve --fault a,b`` switches them on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    description: str
    category: str
    harmful: bool = True


class UnknownFault(ValueError):
    """A fault name that is not in the registry; the message is one line."""


_ALL: tuple[Fault, ...] = (
    # Payloads as they come back.
    Fault("drop-score-date", "responses omit scoreDate on results and assessment results", "payload"),
    Fault("score-as-string", 'responses render score as a string ("85")', "payload"),
    Fault("score-status-title-case", 'responses spell scoreStatus in Title Case ("Fully Graded")', "payload"),
    Fault(
        "date-without-timezone", "responses render dateLastModified as '2023-11-07 05:31:56' (no T, no zone)", "payload"
    ),
    Fault(
        "missing-envelope",
        "GET of one record returns the bare record, without its {<singular>: ...} envelope",
        "payload",
    ),
    # Status codes.
    Fault("put-returns-204", "PUT answers 204 with no body instead of 201 with the stored record", "status"),
    Fault("post-returns-200", "POST creates answer 200 instead of 201", "status"),
    Fault("delete-returns-200", "DELETE answers 200 instead of 204", "status"),
    Fault("missing-returns-200", "GET of an unknown sourcedId answers 200 {} instead of 404", "status"),
    # Request validation.
    Fault("accept-invalid-body", "bodies violating the lenient reading are stored and acknowledged", "validation"),
    Fault("server-error-on-bad-enum", "an invalid scoreStatus crashes the handler: 500", "validation"),
    # Error bodies.
    Fault("plain-text-errors", "errors are text/plain sentences, not imsx JSON", "errors"),
    Fault("wrong-code-minor", "404 errors carry the code minor 'invaliddata' instead of 'unknownobject'", "errors"),
    Fault("wrong-404-message", "404 errors say 'Not found' instead of the documented message", "errors"),
    # Authentication.
    Fault("ignore-auth", "requests without any bearer token are served", "auth"),
    Fault("accept-any-token", "any bearer string is accepted, issued or not, expired or not", "auth"),
    Fault("auth-403", "a request without a token answers 403 instead of 401", "auth"),
    # What is stored.
    Fault(
        "put-update-not-persisted",
        "PUT on an existing record answers with the new body but keeps the old",
        "persistence",
    ),
    Fault("drop-learning-objectives", "learningObjectiveSet is dropped on write", "persistence"),
    Fault("drop-nulls", "fields sent as explicit null are dropped on write", "persistence"),
    Fault("round-scores", "non-integer scores are rounded to whole numbers on write", "persistence"),
    Fault("metadata-replaced-on-patch", "PATCH replaces metadata wholesale instead of merging it", "persistence"),
    Fault("date-last-modified-backwards", "an update sets dateLastModified an hour earlier than before", "persistence"),
    Fault("put-duplicates", "an upsert of an existing sourcedId adds a second row, visible in lists", "persistence"),
    # sourcedIdPairs.
    Fault("allocated-id-unresolvable", "allocatedSourcedId names no stored record", "sourcedIdPairs"),
    Fault("supplied-id-not-echoed", "suppliedSourcedId is empty although the body supplied one", "sourcedIdPairs"),
    Fault(
        "allocation-reuse",
        "every allocated sourcedId is the same one, so creates overwrite each other",
        "sourcedIdPairs",
    ),
    # POST /lineItems/{id}/results.
    Fault(
        "results-post-unknown-lineitem-201", "posting results to an unknown line item answers 201", "lineItemResults"
    ),
    Fault(
        "results-post-unknown-lineitem-stores",
        "posting results to an unknown line item answers 404 but stores them",
        "lineItemResults",
    ),
    # DELETE.
    Fault("delete-unknown-204", "DELETE of an unknown or already deleted sourcedId answers 204", "delete"),
    Fault("delete-noop", "DELETE answers 204 but the record stays active", "delete"),
    # Collections.
    Fault("collection-missing-total", "collection responses omit totalCount", "collections"),
    Fault("offset-ignored", "collections always start at the first record", "collections"),
    Fault("limit-off-by-one", "collections return one record more than limit", "collections"),
    Fault("total-count-page", "totalCount is the size of the page, not of the whole result", "collections"),
    Fault("filter-ignored", "the filter parameter is parsed but not applied", "collections"),
    Fault("orderby-ignored", "orderBy=desc is ignored: always ascending", "collections"),
    Fault("fields-ignored", "the fields parameter is ignored: whole records come back", "collections"),
    # PowerPath external tests (seed 004).
    Fault(
        "premature-finalization",
        "Edulastic attempts finalize when every question is answered OR the grade is GRADED",
        "powerpath",
    ),
    Fault("reimport-after-finalization", "results are imported again after the attempt was finalized", "powerpath"),
    Fault(
        "edulastic-score-average-of-answered",
        "the Edulastic test score divides by the questions with a non-zero score, not by all questions",
        "powerpath",
    ),
    Fault(
        "attempt-not-incremented",
        "a new assignment after finalization returns the finalized attempt again",
        "powerpath",
    ),
    Fault("import-without-assignment-200", "importing without a prior assignment answers 200 (attempt 0)", "powerpath"),
    Fault("non-external-lesson-accepted", "lessons that are not external tests (quiz) are accepted", "powerpath"),
    Fault("enroll-despite-skip", "finalization enrolls the student although skipCourseEnrollment was set", "powerpath"),
    Fault(
        "mastery-track-finalize-without-processed",
        "MasteryTrack attempts finalize on 'fully graded' without masteryTrackProcessed 'true'",
        "powerpath",
    ),
    # Transport.
    Fault("json-as-text-html", "JSON bodies are labelled Content-Type text/html", "transport"),
    # Benign variations: a correct client must accept every one of these.
    Fault("benign-extra-metadata", "responses add a key to every metadata object", "payload", harmful=False),
    Fault("benign-key-order", "JSON keys come back shuffled and indented", "transport", harmful=False),
    Fault("benign-gzip", "responses are gzip-encoded when the client accepts gzip", "transport", harmful=False),
    Fault(
        "benign-extra-headers", "responses carry extra headers (X-Request-Id, X-Powered-By)", "transport", harmful=False
    ),
    Fault(
        "benign-fractional-seconds",
        "dateLastModified has microseconds instead of milliseconds",
        "payload",
        harmful=False,
    ),
    Fault(
        "benign-put-200-on-update",
        "PUT answers 200 (not 201) when it updates an existing record",
        "status",
        harmful=False,
    ),
    Fault("benign-x-total-count", "collections also send an X-Total-Count header", "collections", harmful=False),
    Fault("benign-charset", "Content-Type is 'application/json; charset=utf-8'", "transport", harmful=False),
    Fault("benign-hard-delete", "GET after DELETE answers 404 with the documented message", "delete", harmful=False),
    Fault(
        "benign-deleted-in-lists",
        "soft-deleted records stay in lists, with status tobedeleted",
        "collections",
        harmful=False,
    ),
)

REGISTRY: dict[str, Fault] = {fault.name: fault for fault in _ALL}
assert len(REGISTRY) == len(_ALL), "fault names must be unique"


class Faults:
    """The set of faults switched on for one server. ``on`` rejects unregistered names, so a typo
    at a fault's decisive spot fails loudly instead of silently never firing."""

    __slots__ = ("_active",)

    def __init__(self, names: Iterable[str] = ()) -> None:
        active = frozenset(names)
        unknown = sorted(active - REGISTRY.keys())
        if unknown:
            raise UnknownFault(f"unknown fault {unknown[0]!r} (list them with 'serve --list-faults')")
        self._active = active

    def on(self, name: str) -> bool:
        if name not in REGISTRY:
            raise KeyError(f"fault {name!r} is not registered")
        return name in self._active

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._active))

    def __bool__(self) -> bool:
        return bool(self._active)


NONE = Faults()


def parse(text: str) -> tuple[str, ...]:
    """``"a, b"`` → ``("a", "b")``; raises ``UnknownFault`` for a name not in the registry."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    Faults(names)
    return names


def listing() -> str:
    """What ``serve --list-faults`` prints: one fault a line."""
    width = max(len(name) for name in REGISTRY)
    return "\n".join(
        f"{f.name:<{width}}  {'harmful' if f.harmful else 'benign ':<7}  {f.category:<15}  {f.description}"
        for f in _ALL
    )

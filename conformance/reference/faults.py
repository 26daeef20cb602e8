"""The reference server's fault switches: named, plausible vendor bugs (and harmless variations).

Each fault is implemented at exactly one decisive spot in the server, guarded by
``faults.on("name")``. ``harmful`` faults break a documented requirement, so the suite must fail
them; benign ones (``harmful=False``) vary only what the sources leave open or what any correct
client must tolerate, so the suite must still pass them. ``serve --fault a,b`` switches them on.

A fault belongs to the profiles (dialects) where it means something: PowerPath, PATCH and
TimeBack's page fields exist in one dialect only, and what is benign in one may break the other
(an ``X-Total-Count`` header is optional in TimeBack, required in the official binding). A fault
shared by both dialects is the same bug in each dialect's shapes; ``official`` words it for the
official binding when its TimeBack wording would mislead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformance import profiles

BOTH = (profiles.TIMEBACK, profiles.ONEEDTECH)
TIMEBACK_ONLY = (profiles.TIMEBACK,)
OFFICIAL_ONLY = (profiles.ONEEDTECH,)


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    description: str
    category: str
    harmful: bool = True
    profiles: tuple[str, ...] = BOTH
    official: str | None = None  # the description in the 1edtech profile, when it differs

    def describe(self, profile: str | None = None) -> str:
        """What the fault does in ``profile`` (None: the active one)."""
        if self.official is not None and profiles.resolve(profile) == profiles.ONEEDTECH:
            return self.official
        return self.description


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
    Fault(
        "put-returns-204",
        "PUT answers 204 with no body instead of 201 with the stored record",
        "status",
        official="PUT answers 204 instead of 201",
    ),
    Fault("post-returns-200", "POST creates answer 200 instead of 201", "status"),
    Fault("delete-returns-200", "DELETE answers 200 instead of 204", "status"),
    Fault("missing-returns-200", "GET of an unknown sourcedId answers 200 {} instead of 404", "status"),
    # Request validation.
    Fault("accept-invalid-body", "bodies violating the lenient reading are stored and acknowledged", "validation"),
    Fault("server-error-on-bad-enum", "an invalid scoreStatus crashes the handler: 500", "validation"),
    # Error bodies.
    Fault("plain-text-errors", "errors are text/plain sentences, not imsx JSON", "errors"),
    Fault("wrong-code-minor", "404 errors carry the code minor 'invaliddata' instead of 'unknownobject'", "errors"),
    # The official binding documents no 404 message.
    Fault(
        "wrong-404-message",
        "404 errors say 'Not found' instead of the documented message",
        "errors",
        profiles=TIMEBACK_ONLY,
    ),
    # Authentication.
    Fault("ignore-auth", "requests without any bearer token are served", "auth"),
    Fault("accept-any-token", "any bearer string is accepted, issued or not, expired or not", "auth"),
    Fault("auth-403", "a request without a token answers 403 instead of 401", "auth"),
    # What is stored.
    Fault(
        "put-update-not-persisted",
        "PUT on an existing record answers with the new body but keeps the old",
        "persistence",
        official="PUT on an existing record answers 201 but keeps the old record",
    ),
    Fault("drop-learning-objectives", "learningObjectiveSet is dropped on write", "persistence"),
    # The official binding makes nothing nullable: an explicit null is a 422 there.
    Fault("drop-nulls", "fields sent as explicit null are dropped on write", "persistence", profiles=TIMEBACK_ONLY),
    Fault("round-scores", "non-integer scores are rounded to whole numbers on write", "persistence"),
    Fault(
        "metadata-replaced-on-patch",
        "PATCH replaces metadata wholesale instead of merging it",
        "persistence",
        profiles=TIMEBACK_ONLY,
    ),
    Fault("date-last-modified-backwards", "an update sets dateLastModified an hour earlier than before", "persistence"),
    Fault("put-duplicates", "an upsert of an existing sourcedId adds a second row, visible in lists", "persistence"),
    # sourcedIdPairs.
    Fault("allocated-id-unresolvable", "allocatedSourcedId names no stored record", "sourcedIdPairs"),
    Fault("supplied-id-not-echoed", "suppliedSourcedId is empty although the body supplied one", "sourcedIdPairs"),
    Fault(
        "allocation-reuse",
        "every allocated sourcedId is the same one, so creates overwrite each other",
        "sourcedIdPairs",
        profiles=TIMEBACK_ONLY,  # official bulk records all supply a sourcedId: nothing is allocated
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
    Fault(
        "collection-missing-total",
        "collection responses omit totalCount",
        "collections",
        official="collection responses omit the X-Total-Count header",
    ),
    Fault("offset-ignored", "collections always start at the first record", "collections"),
    Fault("limit-off-by-one", "collections return one record more than limit", "collections"),
    Fault(
        "total-count-page",
        "totalCount is the size of the page, not of the whole result",
        "collections",
        official="X-Total-Count is the size of the page, not of the whole result",
    ),
    Fault("filter-ignored", "the filter parameter is parsed but not applied", "collections"),
    Fault("orderby-ignored", "orderBy=desc is ignored: always ascending", "collections"),
    Fault("fields-ignored", "the fields parameter is ignored: whole records come back", "collections"),
    # PowerPath external tests (seed 004): TimeBack only.
    Fault(
        "premature-finalization",
        "Edulastic attempts finalize when every question is answered OR the grade is GRADED",
        "powerpath",
        profiles=TIMEBACK_ONLY,
    ),
    Fault(
        "reimport-after-finalization",
        "results are imported again after the attempt was finalized",
        "powerpath",
        profiles=TIMEBACK_ONLY,
    ),
    Fault(
        "edulastic-score-average-of-answered",
        "the Edulastic test score divides by the questions with a non-zero score, not by all questions",
        "powerpath",
        profiles=TIMEBACK_ONLY,
    ),
    Fault(
        "attempt-not-incremented",
        "a new assignment after finalization returns the finalized attempt again",
        "powerpath",
        profiles=TIMEBACK_ONLY,
    ),
    Fault(
        "import-without-assignment-200",
        "importing without a prior assignment answers 200 (attempt 0)",
        "powerpath",
        profiles=TIMEBACK_ONLY,
    ),
    Fault(
        "non-external-lesson-accepted",
        "lessons that are not external tests (quiz) are accepted",
        "powerpath",
        profiles=TIMEBACK_ONLY,
    ),
    Fault(
        "enroll-despite-skip",
        "finalization enrolls the student although skipCourseEnrollment was set",
        "powerpath",
        profiles=TIMEBACK_ONLY,
    ),
    Fault(
        "mastery-track-finalize-without-processed",
        "MasteryTrack attempts finalize on 'fully graded' without masteryTrackProcessed 'true'",
        "powerpath",
        profiles=TIMEBACK_ONLY,
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
        profiles=TIMEBACK_ONLY,  # the official binding documents 201 only
    ),
    Fault(
        "benign-x-total-count",
        "collections also send an X-Total-Count header",
        "collections",
        harmful=False,
        profiles=TIMEBACK_ONLY,  # required in the official binding
    ),
    Fault("benign-charset", "Content-Type is 'application/json; charset=utf-8'", "transport", harmful=False),
    Fault(
        "benign-hard-delete",
        "GET after DELETE answers 404 with the documented message",
        "delete",
        harmful=False,
        official="GET after DELETE answers 404",
    ),
    Fault(
        "benign-deleted-in-lists",
        "soft-deleted records stay in lists, with status tobedeleted",
        "collections",
        harmful=False,
    ),
    # The official binding's own shapes, broken the way a server written for TimeBack would break them.
    Fault(
        "put-returns-200-with-body",
        "PUT answers 200 with the stored record (TimeBack's shape) instead of 201 with no body",
        "status",
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "pairs-as-object",
        "bulk POSTs answer sourcedIdPairs as one object (TimeBack's shape), not an array",
        "sourcedIdPairs",
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "pairs-first-only",
        "bulk POSTs answer with the pair of the first posted record only",
        "sourcedIdPairs",
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "references-without-href",
        "responses show references as {sourcedId} only (TimeBack's shape), without href and type",
        "payload",
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "score-date-as-date-time",
        "responses render scoreDate as a date-time (TimeBack's shape), not a date",
        "payload",
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "flags-as-booleans",
        "responses render inProgress, incomplete, late and missing as JSON booleans, not 'true'/'false'",
        "payload",
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "benign-link-header",
        "collections send a Link header (rel first, prev, next, last)",
        "collections",
        harmful=False,
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "benign-server-allocated-ids",
        "bulk POSTs store every record under a sourcedId the server allocates; the pair echoes the one sent",
        "sourcedIdPairs",
        harmful=False,
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "benign-error-details",
        "error bodies add TimeBack's imsx_error_details (a pointer and a message per problem)",
        "errors",
        harmful=False,
        profiles=OFFICIAL_ONLY,
    ),
    Fault(
        "benign-minimal-errors",
        "error bodies carry only imsx_codeMajor and imsx_severity",
        "errors",
        harmful=False,
        profiles=OFFICIAL_ONLY,
    ),
)

ALL: dict[str, Fault] = {fault.name: fault for fault in _ALL}
assert len(ALL) == len(_ALL), "fault names must be unique"


def registry(profile: str | None = None) -> dict[str, Fault]:
    """The faults that apply to ``profile`` (None: the active one), in registry order."""
    name = profiles.resolve(profile)
    return {fault.name: fault for fault in _ALL if name in fault.profiles}


# The first profile's faults: what code written before the second profile reads.
REGISTRY: dict[str, Fault] = registry(profiles.TIMEBACK)


class UnknownFault(ValueError):
    """A fault name that is not in the registry, or not in the server's profile; the message is one line."""


class Faults:
    """The set of faults switched on for one server. ``on`` rejects unregistered names, so a typo
    at a fault's decisive spot fails loudly instead of silently never firing; a fault of another
    profile is simply never on."""

    __slots__ = ("_active",)

    def __init__(self, names: Iterable[str] = (), profile: str | None = None) -> None:
        active = frozenset(names)
        unknown = sorted(active - ALL.keys())
        if unknown:
            raise UnknownFault(f"unknown fault {unknown[0]!r} (list them with 'serve --list-faults')")
        name = profiles.resolve(profile)
        elsewhere = sorted(fault for fault in active if name not in ALL[fault].profiles)
        if elsewhere:
            raise UnknownFault(
                f"fault {elsewhere[0]!r} does not apply to the {name} profile"
                f" (list its faults with 'serve --profile {name} --list-faults')"
            )
        self._active = active

    def on(self, name: str) -> bool:
        if name not in ALL:
            raise KeyError(f"fault {name!r} is not registered")
        return name in self._active

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._active))

    def __bool__(self) -> bool:
        return bool(self._active)


NONE = Faults()


def parse(text: str, profile: str | None = None) -> tuple[str, ...]:
    """``"a, b"`` → ``("a", "b")``; raises ``UnknownFault`` for a name not in ``profile``'s registry."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    Faults(names, profile)
    return names


def listing(profile: str | None = None) -> str:
    """What ``serve --list-faults`` prints: one fault of the profile a line, with every profile it applies to."""
    shown = registry(profile)
    width = max(len(name) for name in shown)
    return "\n".join(
        f"{f.name:<{width}}  {'harmful' if f.harmful else 'benign ':<7}  {f.category:<15}  "
        f"{','.join(f.profiles):<16}  {f.describe(profile)}"
        for f in shown.values()
    )

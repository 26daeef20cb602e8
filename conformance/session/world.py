"""The records a positive request may reference, and how to make generated payloads use them.

A positive case must be acceptable to every conformant server: its references name records that
exist (fixtures, or records this run created), the path id and the body id agree, and it carries
only documented members. ``World`` knows those records; ``adapt`` rewrites a generated body to use
them without touching anything else schemathesis chose.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance import profiles
from conformance.dialect import HREF_BASE, Dialect
from conformance.fixtures import ClassFixture, Fixtures, Lesson

ORIGIN_DATE = "2024-09-02T08:00:00Z"
# Members naming records of services the suite cannot see (resources, courses): dropped from what it sends.
UNSATISFIABLE = ("component", "componentResource", "course")
# The references adapt_record points at records of the target, whatever was drawn for them.
REWRITTEN_REFERENCES = (
    "class",
    "school",
    "student",
    "lineItem",
    "assessmentLineItem",
    "category",
    "scoreScale",
    "gradingPeriod",
    "academicSession",
    "parentAssessmentLineItem",
)


def pick(seq: Any, key: object) -> Any:
    """A deterministic choice driven by generated data, so a seed reproduces a run."""
    items = list(seq)
    return items[zlib.crc32(repr(key).encode()) % len(items)]


@dataclass
class World:
    fixtures: Fixtures
    prefix: str
    profile: str  # the profile whose dialect the records speak
    href_base: str = HREF_BASE  # where the official dialect's reference hrefs point
    # Records this process created, by entity: sourcedId → the class they belong to (when any).
    created: dict[str, dict[str, str | None]] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)  # entity → a record kept for references
    allocated: set[str] = field(default_factory=set)  # every allocatedSourcedId seen in this process
    _counter: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Tests run together (``--concurrency``): a record a running test made is its own until it ends,
    # and no other test picks it from ``existing``.
    _owners: dict[str, str] = field(default_factory=dict)  # sourcedId -> the test that made it
    _running: set[str] = field(default_factory=set)
    _test: threading.local = field(default_factory=threading.local)

    @contextlib.contextmanager
    def test(self, name: str) -> Iterator[None]:
        """The calling thread runs test ``name`` until the block ends."""
        with self._lock:
            self._running.add(name)
        self._test.name = name
        try:
            yield
        finally:
            self._test.name = None
            with self._lock:
                self._running.discard(name)

    def fresh_id(self, entity: str) -> str:
        with self._lock:
            return f"{self.prefix}{entity}-{next(self._counter)}"

    def remember(self, entity: str, sourced_id: str, class_id: str | None = None) -> None:
        owner = getattr(self._test, "name", None)
        with self._lock:
            self.created.setdefault(entity, {})[sourced_id] = class_id
            if owner is not None:
                self._owners[sourced_id] = owner

    def forget(self, entity: str, sourced_id: str) -> None:
        with self._lock:
            self.created.get(entity, {}).pop(sourced_id, None)

    def existing(self, entity: str) -> list[str]:
        me = getattr(self._test, "name", None)
        with self._lock:
            anchor = self.anchors.get(entity)
            busy = self._running - {me}
            return [i for i in self.created.get(entity, {}) if i != anchor and self._owners.get(i) not in busy]

    # Fixture lookups -------------------------------------------------------------------------
    @property
    def klass(self) -> ClassFixture:
        return self.fixtures.classes[0]

    def class_of(self, key: object) -> ClassFixture:
        klass: ClassFixture = pick(self.fixtures.classes, key)
        return klass

    def student_in(self, klass: ClassFixture, key: object) -> str:
        return str(pick(klass.students or self.fixtures.students, key))

    def category(self, key: object) -> str | None:
        return pick([c for c, _ in self.fixtures.categories], key) if self.fixtures.categories else None

    def session(self) -> str | None:
        return self.fixtures.academicSessions[0] if self.fixtures.academicSessions else None

    def external_lesson(self, key: object) -> Lesson | None:
        lessons = self.fixtures.external_lessons
        return pick(lessons, key) if lessons else None

    @property
    def dialect(self) -> Dialect:
        return profiles.get(self.profile).dialect

    def ref(self, member: str, sourced_id: str) -> dict[str, str]:
        """A reference as the profile's dialect writes it."""
        return self.dialect.ref(member, sourced_id, self.href_base)


def baseline(entity: str, world: World, sourced_id: str, key: object = None) -> dict[str, Any]:
    """A minimal record valid under the strict reading, referencing existing records.

    ``key`` varies the fixtures referenced; without one, the record belongs to the first class, like
    the anchors, so that results, line items and scoped routes agree.
    """
    klass = world.klass if key is None else world.class_of(key)
    student = world.student_in(klass, key)
    ref = world.ref
    score_date = world.dialect.date_value("scoreDate", ORIGIN_DATE)
    records: dict[str, Callable[[], dict[str, Any]]] = {
        "lineItem": lambda: {
            "title": f"Line item {sourced_id}",
            "assignDate": ORIGIN_DATE,
            "dueDate": "2024-09-09T08:00:00Z",
            "class": ref("class", klass.sourcedId),
            "school": ref("school", klass.school),
            "category": ref("category", world.category(key) or world.anchors["category"]),
        },
        "result": lambda: {
            "lineItem": ref("lineItem", world.anchors["lineItem"]),
            "student": ref("student", world.student_in(world.klass, key)),
            "scoreStatus": "fully graded",
            "scoreDate": score_date,
            "score": 87.5,
        },
        "assessmentLineItem": lambda: {"title": f"Assessment {sourced_id}"},
        "assessmentResult": lambda: {
            "assessmentLineItem": ref("assessmentLineItem", world.anchors["assessmentLineItem"]),
            "student": ref("student", student),
            "scoreStatus": "fully graded",
            "scoreDate": score_date,
            "score": 0.75,
        },
        "category": lambda: {"title": f"Category {sourced_id}", "weight": 0.25},
        "scoreScale": lambda: {
            "title": f"Scale {sourced_id}",
            "type": "letter",
            "class": ref("class", klass.sourcedId),
            "scoreScaleValue": [{"itemValueLHS": "90", "itemValueRHS": "A"}],
        },
    }
    return {"sourcedId": sourced_id, "status": "active", **server_set_members(world.dialect), **records[entity]()}


def server_set_members(speaking: Dialect) -> dict[str, str]:
    """What a record sent must carry of the server-set members in ``speaking``: the official
    binding's DTypes require dateLastModified in a PUT body too (the server sets its own);
    TimeBack's do not."""
    return speaking.server_set_members(ORIGIN_DATE)


def adapt_record(
    entity: str,
    record: Any,
    world: World,
    *,
    sourced_id: str | None,
    key: object,
    klass: ClassFixture | None = None,
    line_item: str | None = None,
    school: str | None = None,
) -> Any:
    """Rewrite a generated record so that its references exist and its ids agree; keep the rest.

    A member with no value is left out, never sent as null: what null means is a question the
    documents leave open (docs/readings.md#null-optional)."""
    if not isinstance(record, dict):
        return record
    out = {k: v for k, v in record.items() if k not in UNSATISFIABLE and v is not None}
    if sourced_id is not None:
        out["sourcedId"] = sourced_id
    if "status" in out:
        out["status"] = "active"  # a stimulus choice: what an upsert after tobedeleted means is not documented
    if school is not None and klass is None:
        klass = next((c for c in world.fixtures.classes if c.school == school), world.klass)
    klass = klass or world.class_of(key)
    student = world.student_in(klass, key)
    ref = world.ref
    rewrites: dict[str, Any] = {
        "class": ref("class", klass.sourcedId),
        "school": ref("school", school or klass.school),
        "student": ref("student", student),
        "lineItem": ref("lineItem", line_item or world.anchors.get("lineItem", "")),
        "assessmentLineItem": ref("assessmentLineItem", world.anchors.get("assessmentLineItem", "")),
        "category": ref("category", world.category(key) or world.anchors.get("category", "")),
        "scoreScale": ref("scoreScale", world.anchors.get("scoreScale", "")),
        "gradingPeriod": ref("gradingPeriod", world.session() or ""),
        "academicSession": ref("academicSession", world.session() or ""),
        "parentAssessmentLineItem": ref("assessmentLineItem", ""),  # nothing to point at: left out
    }
    if entity == "result" and line_item is None:
        # A result's student must be in its line item's class: use the anchor line item's class.
        out_student = world.student_in(world.klass, key)
        rewrites["student"] = ref("student", out_student)
        rewrites["class"] = ref("class", world.klass.sourcedId)
    for member, value in rewrites.items():
        if member in out:
            if not value["sourcedId"]:
                out.pop(member)  # nothing to point at on this target
            else:
                out[member] = value
    return out

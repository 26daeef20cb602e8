"""The reference server's storage: one SQLite file (WAL), with its records cached in memory.

Gradebook records are JSON documents keyed by (entity, key); the key is the sourcedId, except for
the extra rows the ``put-duplicates`` fault adds. Rostering records (and TimeBack's lesson
catalogue) are documents of the same table, under entities named ``roster:<record key>``
(``roster:org``, ``roster:user``, ``roster:componentResource``…): the rostering routes serve them, and
every question the gradebook and PowerPath ask of the roster (does this student exist, which
classes has this school, what is this lesson) is answered from them, so a record provisioned
through the rostering API counts exactly as a seeded one. The server is the file's only writer, so the
in-memory copy is loaded once and written through: reads and list queries never touch SQLite.
Every write commits before the handler answers (WAL with synchronous=NORMAL survives the process
being killed; only an OS crash could lose the last transactions). One connection behind one lock
makes the store safe from any thread; the app calls it from the event loop without awaiting in
between, so each handler's read-modify-write is atomic.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.contract import roster
from conformance.fixtures import Fixtures, Lesson

# The roster used to live in tables of its own; a database file written then still has them, unused.
_SCHEMA = """
DROP TABLE IF EXISTS schools;
DROP TABLE IF EXISTS students;
DROP TABLE IF EXISTS classes;
DROP TABLE IF EXISTS class_students;
DROP TABLE IF EXISTS academic_sessions;
DROP TABLE IF EXISTS courses;
DROP TABLE IF EXISTS lessons;
CREATE TABLE IF NOT EXISTS records (entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
                                    PRIMARY KEY (entity, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS enrollments (student TEXT NOT NULL, course TEXT NOT NULL, lesson TEXT NOT NULL,
                                        created TEXT NOT NULL, PRIMARY KEY (student, course));
CREATE TABLE IF NOT EXISTS attempts (student TEXT NOT NULL, lesson TEXT NOT NULL, attempt INTEGER NOT NULL,
                                     body TEXT NOT NULL, PRIMARY KEY (student, lesson, attempt));
CREATE TABLE IF NOT EXISTS tool_assignments (assignment_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tool_outages (tool TEXT PRIMARY KEY, failing INTEGER NOT NULL);
"""

TOBEDELETED = "tobedeleted"
ROSTER_PREFIX = "roster:"


def roster_entity(kind: roster.Kind) -> str:
    """Where the records of a rostering collection are stored: by record key, so that collections
    of one kind of record (schools and orgs, users, students and teachers) share their records."""
    return ROSTER_PREFIX + kind.singular


# The roster kinds a scope or a PowerPath call may name: where such a record is stored, and the
# role a user must have to be one.
ROSTER: dict[str, tuple[roster.Kind, str | None]] = {
    "school": (roster.SCHOOL, None),
    "student": (roster.USER, "student"),
    "teacher": (roster.USER, "teacher"),
    "class": (roster.CLASS, None),
    "academicSession": (roster.SESSION, None),
    "course": (roster.COURSE, None),
    "lesson": (roster.COMPONENT_RESOURCE, None),
}
DEFAULT_QUESTIONS = 4  # a lesson whose resource does not say how many questions its test has


class StoreError(RuntimeError):
    """The database file cannot be opened or initialised; the message is one line."""


class Store:
    def __init__(self, path: str | Path | None = None) -> None:
        target = ":memory:" if path is None else str(path)
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) below.
            self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot use database {target}: {exc}") from None
        self._lock = threading.RLock()
        self._depth = 0
        self._records: dict[str, dict[str, dict[str, Any]]] = {}
        self._load()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _load(self) -> None:
        self._records = {}
        for entity, key, body in self._db.execute("SELECT entity, key, body FROM records"):
            self._records.setdefault(entity, {})[key] = json.loads(body)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; nested uses join the outer transaction. Commits before returning."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._load()  # the cache was written through: re-read what is really stored
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    # Gradebook records.
    def get(self, entity: str, key: str) -> dict[str, Any] | None:
        return self._records.get(entity, {}).get(key)

    def all(self, entity: str) -> list[dict[str, Any]]:
        return list(self._records.get(entity, {}).values())

    def put(self, entity: str, key: str, record: dict[str, Any]) -> None:
        body = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO records (entity, key, body) VALUES (?, ?, ?)", (entity, key, body))
            self._records.setdefault(entity, {})[key] = record

    def remove(self, entity: str, key: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM records WHERE entity = ? AND key = ?", (entity, key))
            self._records.get(entity, {}).pop(key, None)

    # The roster: what the gradebook API cannot create.
    def seed(self, fixtures: Fixtures, category_record: Any) -> None:
        """Replace every rostering record with those of ``fixtures`` (the lesson catalogue too: the
        server's dialect decides whether it is served); add fixture categories not stored yet."""
        with self.transaction():
            self._db.execute("DELETE FROM records WHERE entity LIKE ?", (ROSTER_PREFIX + "%",))
            self._records = {k: v for k, v in self._records.items() if not k.startswith(ROSTER_PREFIX)}
            for kind, record in roster.documents(fixtures, lessons=True):
                self.put(roster_entity(kind), record["sourcedId"], record)
            for sourced_id, title in fixtures.categories:
                if self.get("category", sourced_id) is None:
                    self.put("category", sourced_id, category_record(sourced_id, title))

    def roster_get(self, kind: roster.Kind, sourced_id: str) -> dict[str, Any] | None:
        """A rostering record that exists (a soft-deleted one does not)."""
        record = self.get(roster_entity(kind), sourced_id)
        return record if record is not None and record.get("status") != TOBEDELETED else None

    def roster_all(self, kind: roster.Kind) -> list[dict[str, Any]]:
        """Every rostering record of ``kind``'s collections that exists."""
        return [r for r in self.all(roster_entity(kind)) if r.get("status") != TOBEDELETED]

    def exists(self, kind: str, sourced_id: str) -> bool:
        where, role = ROSTER[kind]
        if kind == "lesson":
            return self.lesson(sourced_id) is not None
        record = self.roster_get(where, sourced_id)
        return record is not None and (role is None or role in roster.roles_of(record))

    def classes_of_school(self, school: str) -> set[str]:
        return {c["sourcedId"] for c in self.roster_all(roster.CLASS) if roster.reference_id(c, "school") == school}

    def members_of_class(self, class_id: str, role: str) -> list[str]:
        """The users enrolled in a class with ``role``, in enrollment order."""
        return [
            user
            for e in self.roster_all(roster.ENROLLMENT)
            if roster.reference_id(e, "class") == class_id
            and e.get("role") == role
            and (user := roster.reference_id(e, "user")) is not None
        ]

    def lesson(self, sourced_id: str) -> Lesson | None:
        """The component resource ``sourced_id`` as PowerPath sees it: its resource's metadata gives the
        lesson type (else the component resource's own), the tool and the questions; its course
        component, the course. Without its resource, or a lesson type, it is no lesson."""
        placed = self.roster_get(roster.COMPONENT_RESOURCE, sourced_id)
        resource_id = roster.reference_id(placed, "resource") if placed is not None else None
        resource = self.roster_get(roster.RESOURCE, resource_id) if resource_id is not None else None
        if placed is None or resource is None:
            return None
        found = resource.get("metadata")
        metadata: dict[str, Any] = found if isinstance(found, dict) else {}
        lesson_type = metadata.get("lessonType", placed.get("lessonType"))
        if not isinstance(lesson_type, str):
            return None
        tool = metadata.get("toolProvider")
        questions = metadata.get("questions")
        component_id = roster.reference_id(placed, "courseComponent")
        component = self.roster_get(roster.COMPONENT, component_id) if component_id is not None else None
        return Lesson(
            sourced_id,
            lesson_type,
            tool if isinstance(tool, str) else None,
            roster.reference_id(component, "course") if component is not None else None,
            questions
            if isinstance(questions, int) and not isinstance(questions, bool) and questions > 0
            else DEFAULT_QUESTIONS,
        )

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # PowerPath and the tool doubles: small JSON documents.
    def enroll(self, student: str, course: str, lesson: str, created: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO enrollments VALUES (?, ?, ?, ?)", (student, course, lesson, created)
            )

    def enrollments(self, student: str | None) -> list[dict[str, str]]:
        sql = "SELECT student, course, lesson, created FROM enrollments"
        rows = (
            self._query(sql + " WHERE student = ? ORDER BY created, course", (student,))
            if student is not None
            else self._query(sql + " ORDER BY created, student, course", ())
        )
        return [{"student": s, "course": c, "lesson": x, "dateCreated": t} for s, c, x, t in rows]

    def latest_attempt(self, student: str, lesson: str) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT body FROM attempts WHERE student = ? AND lesson = ? ORDER BY attempt DESC LIMIT 1",
            (student, lesson),
        )
        return json.loads(rows[0][0]) if rows else None

    def attempt(self, student: str, lesson: str, number: int) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT body FROM attempts WHERE student = ? AND lesson = ? AND attempt = ?", (student, lesson, number)
        )
        return json.loads(rows[0][0]) if rows else None

    def save_attempt(self, attempt: dict[str, Any]) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?)",
                (attempt["student"], attempt["lesson"], attempt["attempt"], json.dumps(attempt)),
            )

    def tool_assignment(self, assignment_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT body FROM tool_assignments WHERE assignment_id = ?", (assignment_id,))
        return json.loads(rows[0][0]) if rows else None

    def save_tool_assignment(self, assignment: dict[str, Any]) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO tool_assignments VALUES (?, ?)",
                (assignment["assignmentId"], json.dumps(assignment)),
            )

    def tool_failing(self, tool: str) -> bool:
        rows = self._query("SELECT failing FROM tool_outages WHERE tool = ?", (tool,))
        return bool(rows and rows[0][0])

    def set_tool_failing(self, tool: str, failing: bool) -> None:
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO tool_outages VALUES (?, ?)", (tool, int(failing)))

"""The reference server's storage: one SQLite file (WAL), with gradebook records cached in memory.

Gradebook records are JSON documents keyed by (entity, key); the key is the sourcedId, except for
the extra rows the ``put-duplicates`` fault adds. The server is the file's only writer, so the
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

from conformance.fixtures import Fixtures, Lesson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
                                    PRIMARY KEY (entity, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS schools (sourced_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS students (sourced_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS classes (sourced_id TEXT PRIMARY KEY, school TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS class_students (class TEXT NOT NULL, student TEXT NOT NULL, PRIMARY KEY (class, student));
CREATE TABLE IF NOT EXISTS academic_sessions (sourced_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS courses (sourced_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS lessons (sourced_id TEXT PRIMARY KEY, lesson_type TEXT NOT NULL, tool_provider TEXT,
                                    course TEXT, questions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS enrollments (student TEXT NOT NULL, course TEXT NOT NULL, lesson TEXT NOT NULL,
                                        created TEXT NOT NULL, PRIMARY KEY (student, course));
CREATE TABLE IF NOT EXISTS attempts (student TEXT NOT NULL, lesson TEXT NOT NULL, attempt INTEGER NOT NULL,
                                     body TEXT NOT NULL, PRIMARY KEY (student, lesson, attempt));
CREATE TABLE IF NOT EXISTS tool_assignments (assignment_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tool_outages (tool TEXT PRIMARY KEY, failing INTEGER NOT NULL);
"""

# Roster tables a scope or a PowerPath call may name; the values are trusted table names.
ROSTER = {
    "school": "schools",
    "student": "students",
    "class": "classes",
    "academicSession": "academic_sessions",
    "course": "courses",
    "lesson": "lessons",
}
TOBEDELETED = "tobedeleted"


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

    # Fixtures: the roster the gradebook API cannot create.
    def seed(self, fixtures: Fixtures, category_record: Any) -> None:
        """Replace the roster tables with ``fixtures``; add fixture categories not stored yet."""
        with self.transaction():
            for table in (*ROSTER.values(), "class_students"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are constants
            self._db.executemany("INSERT INTO schools VALUES (?)", [(s,) for s in fixtures.schools])
            self._db.executemany("INSERT INTO students VALUES (?)", [(s,) for s in fixtures.students])
            self._db.executemany("INSERT INTO academic_sessions VALUES (?)", [(s,) for s in fixtures.academicSessions])
            self._db.executemany("INSERT INTO courses VALUES (?)", [(s,) for s in fixtures.courses])
            self._db.executemany(
                "INSERT INTO classes VALUES (?, ?)", [(c.sourcedId, c.school) for c in fixtures.classes]
            )
            self._db.executemany(
                "INSERT INTO class_students VALUES (?, ?)",
                [(c.sourcedId, s) for c in fixtures.classes for s in c.students],
            )
            self._db.executemany(
                "INSERT INTO lessons VALUES (?, ?, ?, ?, ?)",
                [(x.sourcedId, x.lessonType, x.toolProvider, x.course, x.questions) for x in fixtures.lessons],
            )
            for sourced_id, title in fixtures.categories:
                if self.get("category", sourced_id) is None:
                    self.put("category", sourced_id, category_record(sourced_id, title))

    def exists(self, kind: str, sourced_id: str) -> bool:
        table = ROSTER[kind]
        row = self._query(f"SELECT 1 FROM {table} WHERE sourced_id = ?", (sourced_id,))  # noqa: S608
        return bool(row)

    def classes_of_school(self, school: str) -> set[str]:
        return {r[0] for r in self._query("SELECT sourced_id FROM classes WHERE school = ?", (school,))}

    def lesson(self, sourced_id: str) -> Lesson | None:
        rows = self._query(
            "SELECT sourced_id, lesson_type, tool_provider, course, questions FROM lessons WHERE sourced_id = ?",
            (sourced_id,),
        )
        return Lesson(*rows[0]) if rows else None

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

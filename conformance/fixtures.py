"""The fixtures file: records a target must already hold, which the suite cannot create through the
gradebook API (students, classes, schools, academic sessions, categories, external-test lessons).

The same TOML file seeds the reference server and tells the suite what to reference on a remote
target. Format (every table optional but ``students``, ``classes``, ``schools``)::

    [[schools]]      sourcedId = "..."
    [[students]]     sourcedId = "..."
    [[teachers]]     sourcedId = "..."
    [[classes]]      sourcedId = "...", school = "<school>", students = ["<student>", ...],
                     teachers = ["<teacher>", ...] (optional), terms = ["<academicSession>", ...] (optional)
    [[academicSessions]] sourcedId = "..."   (terms)
    [[gradingPeriods]] sourcedId = "...", term = "<academicSession>"
    [[categories]]   sourcedId = "...", title = "..."
    [[courses]]      sourcedId = "..."
    [[lessons]]      sourcedId = "...", lessonType = "test-out", toolProvider = "edulastic",
                     course = "<course>" (optional), questions = 4 (optional, tool doubles only)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from conformance import toml_file

EXTERNAL_LESSON_TYPES = ("test-out", "placement", "unit-test")
OTHER_LESSON_TYPES = ("quiz", "powerpath-100", "alpha-read-article")
TOOL_PROVIDERS = ("edulastic", "mastery-track")


class FixturesError(ValueError):
    """A fixtures file that cannot be used; the message is one line naming the file and the problem."""


@dataclass(frozen=True, slots=True)
class ClassFixture:
    sourcedId: str
    school: str
    students: tuple[str, ...]
    teachers: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lesson:
    sourcedId: str
    lessonType: str
    toolProvider: str | None = None
    course: str | None = None
    questions: int = 4

    @property
    def external(self) -> bool:
        return self.lessonType in EXTERNAL_LESSON_TYPES and self.toolProvider in TOOL_PROVIDERS


@dataclass(frozen=True, slots=True)
class Fixtures:
    schools: tuple[str, ...]
    students: tuple[str, ...]
    classes: tuple[ClassFixture, ...]
    academicSessions: tuple[str, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()  # (sourcedId, title)
    courses: tuple[str, ...] = ()
    lessons: tuple[Lesson, ...] = field(default=())
    teachers: tuple[str, ...] = ()
    gradingPeriods: tuple[tuple[str, str], ...] = ()  # (sourcedId, term)

    @property
    def external_lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for lesson in self.lessons if lesson.external)

    @property
    def other_lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for lesson in self.lessons if not lesson.external)

    def lesson(self, lesson_type: str, tool: str) -> Lesson | None:
        return next((x for x in self.lessons if x.lessonType == lesson_type and x.toolProvider == tool), None)


DEFAULT_NAME = "fixtures.toml"
TABLES = (
    "schools",
    "students",
    "teachers",
    "classes",
    "academicSessions",
    "gradingPeriods",
    "categories",
    "courses",
    "lessons",
)


def default_path() -> Path:
    return Path(str(resources.files("conformance.data").joinpath(DEFAULT_NAME)))


def load(path: str | Path | None = None) -> Fixtures:
    """Read and check a fixtures file; ``None`` means the packaged default."""
    source = Path(path) if path is not None else default_path()
    raw = toml_file.read(source, "fixtures file", FixturesError)
    try:
        return parse(raw)
    except FixturesError as exc:
        raise FixturesError(f"fixtures file {source}: {exc}") from None


def parse(raw: dict[str, Any]) -> Fixtures:
    known = {*TABLES}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise FixturesError(f"unknown table {unknown[0]!r} (expected one of {', '.join(sorted(known))})")
    schools = _ids(raw, "schools", required=True)
    students = _ids(raw, "students", required=True)
    teachers = _ids(raw, "teachers")
    sessions = _ids(raw, "academicSessions")
    courses = _ids(raw, "courses")
    classes = []
    for i, row in enumerate(_rows(raw, "classes", required=True)):
        school = _str(row, "school", f"classes[{i}]")
        if school not in schools:
            raise FixturesError(f"classes[{i}].school {school!r} is not a listed school")
        enrolled = row.get("students", [])
        if not isinstance(enrolled, list) or not all(isinstance(s, str) for s in enrolled):
            raise FixturesError(f"classes[{i}].students must be a list of student sourcedIds")
        missing = [s for s in enrolled if s not in students]
        if missing:
            raise FixturesError(f"classes[{i}].students names unknown student {missing[0]!r}")
        taught = _listed(row, "teachers", f"classes[{i}]", teachers, "teacher")
        terms = _listed(row, "terms", f"classes[{i}]", sessions, "academic session")
        classes.append(ClassFixture(_str(row, "sourcedId", f"classes[{i}]"), school, tuple(enrolled), taught, terms))
    periods = []
    for i, row in enumerate(_rows(raw, "gradingPeriods")):
        term = _str(row, "term", f"gradingPeriods[{i}]")
        if term not in sessions:
            raise FixturesError(f"gradingPeriods[{i}].term {term!r} is not a listed academic session")
        periods.append((_str(row, "sourcedId", f"gradingPeriods[{i}]"), term))
    categories = tuple(
        (_str(row, "sourcedId", f"categories[{i}]"), str(row.get("title", "Category")))
        for i, row in enumerate(_rows(raw, "categories"))
    )
    lessons = []
    for i, row in enumerate(_rows(raw, "lessons")):
        where = f"lessons[{i}]"
        lesson_type = _str(row, "lessonType", where)
        if lesson_type not in EXTERNAL_LESSON_TYPES + OTHER_LESSON_TYPES:
            raise FixturesError(
                f"{where}.lessonType {lesson_type!r} is not one of {EXTERNAL_LESSON_TYPES + OTHER_LESSON_TYPES}"
            )
        tool = row.get("toolProvider")
        if tool is not None and tool not in TOOL_PROVIDERS:
            raise FixturesError(f"{where}.toolProvider {tool!r} is not one of {TOOL_PROVIDERS}")
        course = row.get("course")
        if course is not None and course not in courses:
            raise FixturesError(f"{where}.course {course!r} is not a listed course")
        questions = row.get("questions", 4)
        if not isinstance(questions, int) or isinstance(questions, bool) or not 1 <= questions <= 200:
            raise FixturesError(f"{where}.questions must be a whole number from 1 to 200")
        lessons.append(Lesson(_str(row, "sourcedId", where), lesson_type, tool, course, questions))
    all_ids = [
        *schools,
        *students,
        *teachers,
        *sessions,
        *(p for p, _ in periods),
        *courses,
        *(c.sourcedId for c in classes),
        *(c for c, _ in categories),
        *(x.sourcedId for x in lessons),
    ]
    if not classes:
        raise FixturesError("at least one class is needed")
    seen: set[str] = set()
    for ident in all_ids:
        if ident in seen:
            raise FixturesError(f"sourcedId {ident!r} appears twice")
        seen.add(ident)
    return Fixtures(
        schools, students, tuple(classes), sessions, categories, courses, tuple(lessons), teachers, tuple(periods)
    )


def _listed(row: dict[str, Any], key: str, where: str, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    """An optional list member of ``row`` whose every item is one of ``known``."""
    value = row.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise FixturesError(f"{where}.{key} must be a list of sourcedIds")
    unknown = [x for x in value if x not in known]
    if unknown:
        raise FixturesError(f"{where}.{key} names unknown {what} {unknown[0]!r}")
    return tuple(value)


def _rows(raw: dict[str, Any], key: str, required: bool = False) -> list[dict[str, Any]]:
    rows = raw.get(key, [])
    if required and not rows:
        raise FixturesError(f"table [[{key}]] is required and must not be empty")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise FixturesError(f"{key} must be an array of tables ([[{key}]])")
    return rows


def _ids(raw: dict[str, Any], key: str, required: bool = False) -> tuple[str, ...]:
    return tuple(_str(row, "sourcedId", f"{key}[{i}]") for i, row in enumerate(_rows(raw, key, required)))


def _str(row: dict[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise FixturesError(f"{where}.{key} must be a non-empty string")
    return value


def dump(fixtures: Fixtures, header: str = "") -> str:
    """``fixtures`` as a fixtures file that ``load`` reads back to the same value; ``header`` is
    written first, as comment lines."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]

    def table(name: str, members: dict[str, Any]) -> None:
        lines.extend(["", f"[[{name}]]"])
        for key, value in members.items():
            if value is None or value in ((), []):
                continue
            lines.append(f"{key} = {_toml(value)}")

    for name, ids in (("schools", fixtures.schools), ("students", fixtures.students), ("teachers", fixtures.teachers)):
        for sourced_id in ids:
            table(name, {"sourcedId": sourced_id})
    for klass in fixtures.classes:
        table(
            "classes",
            {
                "sourcedId": klass.sourcedId,
                "school": klass.school,
                "students": list(klass.students),
                "teachers": list(klass.teachers),
                "terms": list(klass.terms),
            },
        )
    for sourced_id in fixtures.academicSessions:
        table("academicSessions", {"sourcedId": sourced_id})
    for sourced_id, term in fixtures.gradingPeriods:
        table("gradingPeriods", {"sourcedId": sourced_id, "term": term})
    for sourced_id, title in fixtures.categories:
        table("categories", {"sourcedId": sourced_id, "title": title})
    for sourced_id in fixtures.courses:
        table("courses", {"sourcedId": sourced_id})
    for lesson in fixtures.lessons:
        table(
            "lessons",
            {
                "sourcedId": lesson.sourcedId,
                "lessonType": lesson.lessonType,
                "toolProvider": lesson.toolProvider,
                "course": lesson.course,
                "questions": lesson.questions,
            },
        )
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    # A JSON string is a TOML basic string once DEL, which JSON leaves bare, is escaped too.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007F")

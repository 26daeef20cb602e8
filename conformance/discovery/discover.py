"""Fixtures found in the target's rostering API: for each role, the first records that fill it, and
one line saying what was chosen and why, or why nothing was.

Read-only: only GETs, bounded (``reader.MAX_RECORDS`` per collection, ``CANDIDATES`` records looked
at more closely per role).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.contract import roster
from conformance.contract.operations import GRADEBOOK
from conformance.discovery import roles
from conformance.discovery.reader import MAX_RECORDS, Reader
from conformance.fixtures import EXTERNAL_LESSON_TYPES, TOOL_PROVIDERS, Fixtures, FixturesError, parse
from conformance.target import ConfigError

CANDIDATES = 30  # classes (for their students) or students (for their classes) asked about, per role
CLASSLESS_WANTED = 3


@dataclass
class Found:
    """What discovery chose, and its lines (one per role)."""

    fixtures: Fixtures
    lines: list[str] = field(default_factory=list)
    unchecked: set[str] = field(default_factory=set)  # requirement IDs the unfilled roles leave unchecked


def discover(reader: Reader, powerpath: bool) -> Found:
    """The fixtures ``reader``'s target holds; raises ``NoRostering`` or ``ConfigError`` (one line)."""
    pick = _Picker(reader)
    schools = {s["sourcedId"]: s for s in reader.collection(roster.SCHOOL, required=True)}
    classes = pick.classes(schools)
    raw: dict[str, Any] = {"schools": [], "students": [], "classes": []}
    for klass, students in classes:
        school = str(roster.reference_id(klass, "school"))
        if {"sourcedId": school} not in raw["schools"]:
            raw["schools"].append({"sourcedId": school})
        for student in students:
            if {"sourcedId": student} not in raw["students"]:
                raw["students"].append({"sourcedId": student})
        raw["classes"].append({"sourcedId": klass["sourcedId"], "school": school, "students": students})
    pick.teacher(raw)
    pick.sessions(raw, classes[0][0])
    pick.categories(raw)
    if powerpath:
        pick.classless(raw)
        pick.lessons(raw)
    try:
        fixtures = parse(raw)
    except FixturesError as exc:
        raise ConfigError(f"discovering fixtures: the records found do not make a fixtures set: {exc}") from None
    for where in reader.truncated:
        pick.lines.append(f"note: read only the first {MAX_RECORDS} records of {where}")
    return Found(fixtures, pick.lines, pick.unchecked)


class _Picker:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.lines: list[str] = []
        self.unchecked: set[str] = set()

    def chose(self, role: roles.Role, what: str, why: str) -> None:
        self.lines.append(f"{role.name}: {what} ({why})")

    def missed(self, role: roles.Role, why: str) -> None:
        self.lines.append(roles.unfilled_line(role, why))
        self.unchecked.update(role.unchecked)

    def scoped(self, kind: roster.Kind, parent: roster.Kind, sourced_id: str, child: str) -> list[dict[str, Any]]:
        return self.reader.collection(kind, f"{parent.path(sourced_id)}/{child}")

    # Schools, classes and their students ------------------------------------------------------------------
    def classes(self, schools: dict[str, dict[str, Any]]) -> list[tuple[dict[str, Any], list[str]]]:
        """The first class with students, and a second one, of another school when there is one."""
        listed = [c for c in self.reader.collection(roster.CLASS) if roster.reference_id(c, "school") in schools]
        found: list[tuple[dict[str, Any], list[str]]] = []
        for klass in listed[:CANDIDATES]:
            students = [s["sourcedId"] for s in self.scoped(roster.USER, roster.CLASS, klass["sourcedId"], "students")]
            if students:
                found.append((klass, students))
                if _school(klass) != _school(found[0][0]):
                    break  # the second class, of another school: nothing more to ask
        if not found:
            raise ConfigError(
                f"discovering fixtures: no class with a student among the {min(len(listed), CANDIDATES)} classes "
                f"of a listed school looked at ({len(schools)} schools listed); name the fixtures in a file with "
                "--fixtures FILE"
            )
        first = found[0]
        self.chose(roles.SCHOOL, _school(first[0]), f"the school of class {first[0]['sourcedId']}")
        self.chose(roles.CLASS, first[0]["sourcedId"], f"{len(first[1])} students, school {_school(first[0])}")
        if len(found) == 1:
            self.missed(roles.SECOND_CLASS, "one class has students")
            return found
        second = found[-1]
        if _school(second[0]) != _school(first[0]):
            why = f"{len(second[1])} students, another school {_school(second[0])}"
        else:
            why = "no class of another school has a student"
            second = found[1]
        self.chose(roles.SECOND_CLASS, second[0]["sourcedId"], why)
        return [first, second]

    def teacher(self, raw: dict[str, Any]) -> None:
        first = raw["classes"][0]
        teachers = self.scoped(roster.USER, roster.CLASS, first["sourcedId"], "teachers")
        if teachers:
            raw["teachers"] = [{"sourcedId": teachers[0]["sourcedId"]}]
            first["teachers"] = [teachers[0]["sourcedId"]]
            self.chose(roles.TEACHER, teachers[0]["sourcedId"], f"teaches class {first['sourcedId']}")
        else:
            self.missed(roles.TEACHER, f"class {first['sourcedId']} lists no teacher")

    def sessions(self, raw: dict[str, Any], klass: dict[str, Any]) -> None:
        refs = klass.get("terms")
        terms = [str(roster.named(x)) for x in (refs if isinstance(refs, list) else []) if roster.named(x)]
        why = f"a term of class {klass['sourcedId']}"
        if not terms:
            terms = [t["sourcedId"] for t in self.reader.collection(roster.TERM)[:1]]
            why = "the first term listed"
        if not terms:
            self.missed(roles.SESSION, "no term listed")
            self.missed(roles.GRADING_PERIOD, "no term listed")
            return
        term = terms[0]
        raw["academicSessions"] = [{"sourcedId": term}]
        raw["classes"][0]["terms"] = [term]
        self.chose(roles.SESSION, term, why)
        periods = self.scoped(roster.SESSION, roster.TERM, term, "gradingPeriods")
        if periods:
            raw["gradingPeriods"] = [{"sourcedId": periods[0]["sourcedId"], "term": term}]
            self.chose(roles.GRADING_PERIOD, periods[0]["sourcedId"], f"a grading period of term {term}")
        else:
            self.missed(roles.GRADING_PERIOD, f"term {term} lists none")

    def categories(self, raw: dict[str, Any]) -> None:
        kind = roster.Kind("category", f"{GRADEBOOK}/categories", "categories", "category")
        found = self.reader.collection(kind)[:2]
        if not found:
            self.missed(roles.CATEGORY, "none listed")
            return
        raw["categories"] = [{"sourcedId": c["sourcedId"], "title": str(c.get("title") or "Category")} for c in found]
        self.chose(roles.CATEGORY, ", ".join(c["sourcedId"] for c in found), "listed active")

    # PowerPath: students in no class, and lessons -----------------------------------------------------------
    def classless(self, raw: dict[str, Any]) -> None:
        # Most students of a real school are in a class: one read of the enrollments rules them out
        # before any student is asked about its classes one by one (a target without that list is
        # asked about each, up to CANDIDATES).
        enrolled = {roster.reference_id(e, "user") for e in self.reader.collection(roster.ENROLLMENT)}
        taken = {s["sourcedId"] for s in raw["students"]} | enrolled
        found: list[str] = []
        looked = 0
        students = self.reader.collection(roster.STUDENT)
        for student in students:
            if len(found) == CLASSLESS_WANTED or looked == CANDIDATES:
                break
            if student["sourcedId"] in taken:
                continue
            looked += 1
            if not self.scoped(roster.CLASS, roster.STUDENT, student["sourcedId"], "classes"):
                found.append(student["sourcedId"])
        if not found:
            asked = f"; {looked} asked about their classes" if looked else ""
            self.missed(roles.CLASSLESS, f"each of the {len(students)} students listed is in a class{asked}")
        elif len(found) < CLASSLESS_WANTED:
            # The roles left over fall back to class members (external_tests_model.roles).
            self.chose(roles.CLASSLESS, ", ".join(found), f"only {len(found)} found: class members stand in")
        else:
            self.chose(roles.CLASSLESS, ", ".join(found), "each lists no class")
        raw["students"].extend({"sourcedId": s} for s in found)

    def lessons(self, raw: dict[str, Any]) -> None:
        resources = {r["sourcedId"]: r for r in self.reader.collection(roster.RESOURCE)}
        components = {c["sourcedId"]: c for c in self.reader.collection(roster.COMPONENT)}
        chosen: dict[tuple[str, str | None], dict[str, Any]] = {}
        for placed in self.reader.collection(roster.COMPONENT_RESOURCE):
            resource = resources.get(str(roster.reference_id(placed, "resource")), {})
            held = resource.get("metadata")
            metadata: dict[str, Any] = held if isinstance(held, dict) else {}
            kind = metadata.get("lessonType") or placed.get("lessonType")
            tool = metadata.get("toolProvider")
            if not isinstance(kind, str) or (kind, tool) in chosen:
                continue
            external = kind in EXTERNAL_LESSON_TYPES and tool in TOOL_PROVIDERS
            if not external and (kind in EXTERNAL_LESSON_TYPES or any(not _external(k) for k in chosen)):
                continue  # one lesson that is plainly no external test is enough
            component = components.get(str(roster.reference_id(placed, "courseComponent")), {})
            lesson: dict[str, Any] = {"sourcedId": placed["sourcedId"], "lessonType": kind}
            if isinstance(tool, str) and tool in TOOL_PROVIDERS:
                lesson["toolProvider"] = tool
            course = roster.reference_id(component, "course")
            if course:
                lesson["course"] = course
            questions = metadata.get("questions")
            if isinstance(questions, int) and not isinstance(questions, bool) and 1 <= questions <= 200:
                lesson["questions"] = questions
            chosen[(kind, tool if isinstance(tool, str) else None)] = lesson
        raw["lessons"] = list(chosen.values())
        raw["courses"] = [
            {"sourcedId": c} for c in dict.fromkeys(x["course"] for x in chosen.values() if "course" in x)
        ]
        pairs = [(k, t) for k in EXTERNAL_LESSON_TYPES for t in TOOL_PROVIDERS]
        for role, pair in zip(roles.LESSONS, pairs, strict=True):
            found = chosen.get(pair)
            if found is None:
                self.missed(role, "no such component resource listed")
            else:
                self.chose(role, found["sourcedId"], f"course {found.get('course', 'none')}")
        for tool, unchecked in roles.TOOL_ONLY.items():
            if not any(t == tool for _, t in chosen):
                self.lines.append(f"no external test from {tool}: leaves unchecked {', '.join(unchecked)}")
                self.unchecked.update(unchecked)
        other = next((x for k, x in chosen.items() if not _external(k)), None)
        if other is None:
            self.missed(roles.NON_EXTERNAL, "every lesson listed is an external test")
        else:
            self.chose(roles.NON_EXTERNAL, other["sourcedId"], f"lessonType {other['lessonType']}")


def _school(klass: dict[str, Any]) -> str:
    return str(roster.reference_id(klass, "school"))


def _external(key: tuple[str, str | None]) -> bool:
    return key[0] in EXTERNAL_LESSON_TYPES and key[1] in TOOL_PROVIDERS

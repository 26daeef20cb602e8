"""What the suite needs of a target's records, role by role, and what an unfilled role costs.

A role that cannot be filled is never a failure of the server: the requirements that need it are
left unchecked (the run lists them as skipped), and discovery says which ones, here.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.fixtures import EXTERNAL_LESSON_TYPES, TOOL_PROVIDERS


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    wanted: str  # what a record must be to fill it
    unchecked: tuple[str, ...] = ()  # requirement IDs left unchecked without it
    consequence: str = ""  # what the run does instead, when nothing is left unchecked
    required: bool = False  # no run without it
    powerpath: bool = False  # only a profile with the PowerPath service needs it


SCHOOL = Role("school", "an active school", required=True)
CLASS = Role("class", "an active class of a school, with at least one student", required=True)
SECOND_CLASS = Role(
    "second class",
    "another class with a student, of another school if there is one",
    consequence="one class serves all",
)
TEACHER = Role("teacher", "a teacher of the class", consequence="consumer-flow reads the class from the fixtures")
SESSION = Role(
    "academic session",
    "a term of the class (or any term)",
    consequence="the lists scoped to an academic session are asked about one that does not exist",
)
GRADING_PERIOD = Role("grading period", "a grading period of that term", consequence="consumer-flow notes none")
CATEGORY = Role("category", "an active gradebook category", consequence="the run's own categories stand in")
CLASSLESS = Role(
    "students in no class",
    "three students enrolled in no class (the first is never assigned a test by the run)",
    unchecked=("PP-FAIL-NO-ASSIGNMENT",),
    powerpath=True,
)
NON_EXTERNAL = Role(
    "lesson not an external test",
    "a component resource whose lessonType is none of " + ", ".join(EXTERNAL_LESSON_TYPES),
    unchecked=("PP-FAIL-NON-EXTERNAL",),
    powerpath=True,
)
# What no external test at all from a tool leaves unchecked (one missing kind costs only its own test).
TOOL_ONLY = {
    "edulastic": ("PP-FINALIZE-EDULASTIC", "PP-EDULASTIC-SCORE"),
    "mastery-track": ("PP-FINALIZE-MASTERY-TRACK",),
}


def lesson_role(lesson_type: str, tool: str) -> Role:
    """The lesson of one kind from one tool: each pair is its own attempt lifecycle test."""
    return Role(
        f"{lesson_type} lesson from {tool}",
        f"a component resource whose resource's metadata says lessonType {lesson_type!r}, toolProvider {tool!r}",
        consequence=f"the attempt lifecycle of a {lesson_type} test from {tool} is not run",
        powerpath=True,
    )


LESSONS = tuple(lesson_role(kind, tool) for kind in EXTERNAL_LESSON_TYPES for tool in TOOL_PROVIDERS)
ALL = (SCHOOL, CLASS, SECOND_CLASS, TEACHER, SESSION, GRADING_PERIOD, CATEGORY, CLASSLESS, *LESSONS, NON_EXTERNAL)


def unfilled_line(role: Role, why: str) -> str:
    """One line for a role nothing filled: why, and what that leaves unchecked."""
    if role.unchecked:
        cost = "leaves unchecked: " + ", ".join(role.unchecked)
        if role.consequence:
            cost += f" ({role.consequence})"
    else:
        cost = role.consequence or "nothing is left unchecked"
    return f"{role.name}: not found ({why}); {cost}"

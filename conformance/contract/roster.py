"""The rostering records a gradebook run stands on, as the OneRoster 1.2 rostering service (and
TimeBack's resources service) names and shapes them.

Two places need the same records: the reference server serves its fixtures through these
collections, and ``--fixtures provision`` writes them to a sandbox. Both build them here, from a
``Fixtures`` value, so what the reference server serves is exactly what provisioning would write.
``--fixtures discover`` reads the same collections back.

A lesson (PowerPath's word) is a component resource: its resource's ``metadata`` carries the
``lessonType`` and ``toolProvider``, its course component the course (TimeBack's PowerPath document).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from conformance.fixtures import Fixtures

ROSTERING = "/ims/oneroster/rostering/v1p2"
RESOURCES = "/ims/oneroster/resources/v1p2"
WRITTEN = "2026-01-01T00:00:00.000Z"  # the dateLastModified of a record built here
TERM_DATES = ("2026-08-01", "2027-06-30")
ROSTER_READ = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"
ROSTER_CORE_READ = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
READ_SCOPES = (ROSTER_READ, ROSTER_CORE_READ)  # either lets a token read the collections below


@dataclass(frozen=True, slots=True)
class Kind:
    """A rostering collection: where it is, its list and record keys, and whether it is part of the
    lesson catalogue (TimeBack's courses/components, component resources and resources)."""

    name: str
    collection: str
    plural: str
    singular: str
    lessons: bool = False

    def path(self, sourced_id: str) -> str:
        return f"{self.collection}/{quote(sourced_id, safe='')}"


SCHOOL = Kind("school", f"{ROSTERING}/schools", "orgs", "org")
USER = Kind("user", f"{ROSTERING}/users", "users", "user")
STUDENT = Kind("student", f"{ROSTERING}/students", "users", "user")
TEACHER = Kind("teacher", f"{ROSTERING}/teachers", "users", "user")
CLASS = Kind("class", f"{ROSTERING}/classes", "classes", "class")
ENROLLMENT = Kind("enrollment", f"{ROSTERING}/enrollments", "enrollments", "enrollment")
SESSION = Kind("academicSession", f"{ROSTERING}/academicSessions", "academicSessions", "academicSession")
TERM = Kind("term", f"{ROSTERING}/terms", "academicSessions", "academicSession")
GRADING_PERIOD = Kind("gradingPeriod", f"{ROSTERING}/gradingPeriods", "academicSessions", "academicSession")
COURSE = Kind("course", f"{ROSTERING}/courses", "courses", "course")
COMPONENT = Kind("courseComponent", f"{ROSTERING}/courses/components", "courseComponents", "courseComponent", True)
COMPONENT_RESOURCE = Kind(
    "componentResource", f"{ROSTERING}/courses/component-resources", "componentResources", "componentResource", True
)
RESOURCE = Kind("resource", f"{RESOURCES}/resources", "resources", "resource", True)

# The collections a record is written to, in the order provisioning writes them (what a record
# references comes first) and deletes them (in reverse).
WRITE_ORDER = (SCHOOL, SESSION, COURSE, USER, CLASS, ENROLLMENT, RESOURCE, COMPONENT, COMPONENT_RESOURCE)


def ref(sourced_id: str) -> dict[str, str]:
    return {"sourcedId": sourced_id}


def _base(sourced_id: str) -> dict[str, Any]:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": WRITTEN}


def enrollment_id(class_id: str, role: str, user: str) -> str:
    return f"{class_id}.{role}.{user}"


def resource_id(lesson: str) -> str:
    return f"{lesson}.resource"


def component_id(owner: str) -> str:
    """The course component that holds the lessons of course ``owner`` (or of a lesson without one)."""
    return f"{owner}.component"


def documents(fixtures: Fixtures, lessons: bool) -> list[tuple[Kind, dict[str, Any]]]:
    """Every rostering record of ``fixtures``, in ``WRITE_ORDER``; the lesson catalogue only when
    ``lessons`` (the profile's server has one)."""
    schools = fixtures.schools
    school_of: dict[str, str] = {}
    for klass in fixtures.classes:
        for member in (*klass.students, *klass.teachers):
            school_of.setdefault(member, klass.school)
    out: list[tuple[Kind, dict[str, Any]]] = []
    for school in schools:
        out.append((SCHOOL, {**_base(school), "name": school, "type": "school"}))
    start, end = TERM_DATES
    for term in fixtures.academicSessions:
        session = {"title": term, "type": "term", "startDate": start, "endDate": end, "schoolYear": end[:4]}
        out.append((SESSION, {**_base(term), **session, "org": ref(schools[0])}))
    for period, term in fixtures.gradingPeriods:
        session = {"title": period, "type": "gradingPeriod", "startDate": start, "endDate": end, "schoolYear": end[:4]}
        out.append((SESSION, {**_base(period), **session, "parent": ref(term), "org": ref(schools[0])}))
    for course in fixtures.courses:
        out.append((COURSE, {**_base(course), "title": course, "org": ref(schools[0])}))
    for role, users in (("student", fixtures.students), ("teacher", fixtures.teachers)):
        for user in users:
            org = school_of.get(user, schools[0])
            role_in_org: dict[str, Any] = {"roleType": "primary", "role": role, "org": ref(org)}
            person = {"enabledUser": True, "givenName": role.title(), "familyName": user, "roles": [role_in_org]}
            out.append((USER, {**_base(user), **person, "primaryOrg": ref(org)}))
    for klass in fixtures.classes:
        record = {**_base(klass.sourcedId), "title": klass.sourcedId, "classType": "scheduled"}
        record["school"] = ref(klass.school)
        record["terms"] = [ref(term) for term in klass.terms]
        if fixtures.courses:
            record["course"] = ref(fixtures.courses[0])
        out.append((CLASS, record))
    for klass in fixtures.classes:
        for role, users in (("student", klass.students), ("teacher", klass.teachers)):
            for user in users:
                taking = {"role": role, "user": ref(user), "class": ref(klass.sourcedId), "school": ref(klass.school)}
                out.append((ENROLLMENT, {**_base(enrollment_id(klass.sourcedId, role, user)), **taking}))
    if lessons:
        out.extend(_catalogue(fixtures))
    return out


def _catalogue(fixtures: Fixtures) -> list[tuple[Kind, dict[str, Any]]]:
    out: list[tuple[Kind, dict[str, Any]]] = []
    components: list[tuple[Kind, dict[str, Any]]] = []
    placed: list[tuple[Kind, dict[str, Any]]] = []
    for order, lesson in enumerate(fixtures.lessons, start=1):
        metadata: dict[str, Any] = {"lessonType": lesson.lessonType, "questions": lesson.questions}
        if lesson.toolProvider is not None:
            metadata["toolProvider"] = lesson.toolProvider
        resource = {"title": lesson.sourcedId, "vendorResourceId": lesson.sourcedId, "metadata": metadata}
        out.append((RESOURCE, {**_base(resource_id(lesson.sourcedId)), **resource}))
        owner = lesson.course or lesson.sourcedId
        component = component_id(owner)
        if all(record["sourcedId"] != component for _, record in components):
            held: dict[str, Any] = {"title": owner, "sortOrder": len(components) + 1, "unlockDate": WRITTEN}
            if lesson.course is not None:
                held["course"] = ref(lesson.course)
            components.append((COMPONENT, {**_base(component), **held}))
        placing = {
            "courseComponent": ref(component),
            "resource": ref(resource_id(lesson.sourcedId)),
            "title": lesson.sourcedId,
            "sortOrder": order,
            "lessonType": lesson.lessonType,
        }
        placed.append((COMPONENT_RESOURCE, {**_base(lesson.sourcedId), **placing}))
    return out + components + placed


def named(reference: Any) -> str | None:
    """The sourcedId a reference names, if it is a reference naming one."""
    if isinstance(reference, dict) and isinstance(reference.get("sourcedId"), str):
        return str(reference["sourcedId"])
    return None


def reference_id(record: dict[str, Any], member: str) -> str | None:
    """The sourcedId a record's reference ``member`` names, if it names one."""
    return named(record.get(member))


def roles_of(user: dict[str, Any]) -> set[str]:
    """A user's roles (``roles[].role``, and the older single ``role`` member)."""
    found = {str(user["role"])} if isinstance(user.get("role"), str) else set()
    for member in user.get("roles") or ():
        if isinstance(member, dict) and isinstance(member.get("role"), str):
            found.add(str(member["role"]))
    return found

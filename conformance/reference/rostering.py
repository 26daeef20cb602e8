"""The OneRoster rostering read surface, TimeBack's lesson catalogue, and the writes that provision them.

The records are the store's ``roster:*`` documents (``conformance.contract.roster`` builds the seeded
ones), so what a provisioning client writes here is what the gradebook scopes and PowerPath see.
Collections page and count as the profile's gradebook lists do (the dialect's ``collection_answer``);
errors take the dialect's form. The lesson catalogue (course components, component resources,
resources) is TimeBack's: the official binding's server answers its paths 404, as any unknown path.

The writes (PUT creates or replaces, POST creates, DELETE removes) are a sandbox extension in the
official binding, whose rostering service is read-only. The rostering routes are what the gradebook
stands on, not what the suite certifies: no fault switch alters them, as none alters tool control.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from conformance.contract import roster
from conformance.contract.operations import operations
from conformance.reference import query, records
from conformance.reference.body import check_query, read_json
from conformance.reference.context import ServerContext
from conformance.reference.faults import NONE
from conformance.reference.imsx_errors import ApiError, bad_request
from conformance.reference.render import Renderer
from conformance.reference.store import Store, roster_entity

log = logging.getLogger("conformance.reference")
R = roster.ROSTERING
Record = dict[str, Any]
Handler = Callable[[Request, str], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
MakeRoute = Callable[[str, Endpoint], BaseRoute]
Related = Callable[[Store, str], list[Record]]
_SERVER_SET = frozenset({"sourcedId", "status", "dateLastModified"})


def _every(record: Record) -> bool:
    return True


def _typed(value: str) -> Callable[[Record], bool]:
    return lambda record: record.get("type") == value


def _role(value: str) -> Callable[[Record], bool]:
    return lambda record: value in roster.roles_of(record)


@dataclass(frozen=True, slots=True)
class View:
    """A collection as served: whose records (``kind``: where they are stored, their envelope keys),
    which of them it shows, how a 404 names a missing one, and whether it takes writes (with the
    members a record written through it gets when it does not say)."""

    kind: roster.Kind
    path: str
    title: str
    keep: Callable[[Record], bool] = _every
    writes: bool = False
    defaults: tuple[tuple[str, str], ...] = ()

    def find(self, store: Store, sourced_id: str) -> Record | None:
        record = store.roster_get(self.kind, sourced_id)
        return record if record is not None and self.keep(record) else None

    def rows(self, store: Store) -> list[Record]:
        return [record for record in store.roster_all(self.kind) if self.keep(record)]

    def missing(self, ctx: ServerContext) -> ApiError:
        return ApiError(404, ctx.dialect.not_found(f"{self.title} not found."))


SCHOOLS = View(roster.SCHOOL, f"{R}/schools", "School", _typed("school"), True, (("type", "school"),))
ORGS = View(roster.SCHOOL, f"{R}/orgs", "Org", writes=True)
USERS = View(roster.USER, f"{R}/users", "User", writes=True)
STUDENTS = View(roster.STUDENT, f"{R}/students", "Student", _role("student"))
TEACHERS = View(roster.TEACHER, f"{R}/teachers", "Teacher", _role("teacher"))
CLASSES = View(roster.CLASS, f"{R}/classes", "Class", writes=True)
ENROLLMENTS = View(roster.ENROLLMENT, f"{R}/enrollments", "Enrollment", writes=True)
SESSIONS = View(roster.SESSION, f"{R}/academicSessions", "Academic session", writes=True)
TERMS = View(roster.TERM, f"{R}/terms", "Term", _typed("term"))
GRADING_PERIODS = View(roster.GRADING_PERIOD, f"{R}/gradingPeriods", "Grading period", _typed("gradingPeriod"))
COURSES = View(roster.COURSE, f"{R}/courses", "Course", writes=True)
COMPONENTS = View(roster.COMPONENT, roster.COMPONENT.collection, "Course component", writes=True)
COMPONENT_RESOURCES = View(
    roster.COMPONENT_RESOURCE, roster.COMPONENT_RESOURCE.collection, "Component resource", writes=True
)
RESOURCES = View(roster.RESOURCE, roster.RESOURCE.collection, "Resource", writes=True)
# The catalogue comes first: /courses/components must not be read as the course "components".
CATALOGUE = (COMPONENTS, COMPONENT_RESOURCES, RESOURCES)
VIEWS: tuple[View, ...] = (*CATALOGUE, SCHOOLS, ORGS, USERS, STUDENTS, TEACHERS, CLASSES, ENROLLMENTS)
VIEWS += (SESSIONS, TERMS, GRADING_PERIODS, COURSES)


def _existing(store: Store, kind: roster.Kind, ids: list[str]) -> list[Record]:
    """The records ``ids`` name that exist, each once, in the order first named."""
    found = (store.roster_get(kind, sourced_id) for sourced_id in dict.fromkeys(ids))
    return [record for record in found if record is not None]


def _orgs_of(user: Record) -> set[str]:
    """The orgs a user belongs to: its primary org, its roles' orgs and its ``orgs``."""
    named = [user.get("primaryOrg"), *(m.get("org") for m in user.get("roles") or () if isinstance(m, dict))]
    named += list(user.get("orgs") or ())
    return {ref["sourcedId"] for ref in named if isinstance(ref, dict) and isinstance(ref.get("sourcedId"), str)}


def _classes_of_school(store: Store, school: str) -> list[Record]:
    return [c for c in store.roster_all(roster.CLASS) if roster.reference_id(c, "school") == school]


def _students_of_school(store: Store, school: str) -> list[Record]:
    """Students whose orgs name the school, and those enrolled in one of its classes."""
    classes = store.classes_of_school(school)
    enrolled = {
        user
        for e in store.roster_all(roster.ENROLLMENT)
        if e.get("role") == "student"
        and (roster.reference_id(e, "school") == school or roster.reference_id(e, "class") in classes)
        and (user := roster.reference_id(e, "user")) is not None
    }
    return [u for u in STUDENTS.rows(store) if u["sourcedId"] in enrolled or school in _orgs_of(u)]


def _members(role: str) -> Related:
    return lambda store, class_id: _existing(store, roster.USER, store.members_of_class(class_id, role))


def _classes_of_user(store: Store, user: str) -> list[Record]:
    taken = [
        class_id
        for e in store.roster_all(roster.ENROLLMENT)
        if roster.reference_id(e, "user") == user and (class_id := roster.reference_id(e, "class")) is not None
    ]
    return _existing(store, roster.CLASS, taken)


def _periods_of_term(store: Store, term: str) -> list[Record]:
    return [p for p in GRADING_PERIODS.rows(store) if roster.reference_id(p, "parent") == term]


# (parent collection, what the list shows, which records): the lists under one record.
NESTED: tuple[tuple[View, View, Related], ...] = (
    (SCHOOLS, CLASSES, _classes_of_school),
    (SCHOOLS, STUDENTS, _students_of_school),
    (CLASSES, STUDENTS, _members("student")),
    (CLASSES, TEACHERS, _members("teacher")),
    (USERS, CLASSES, _classes_of_user),
    (STUDENTS, CLASSES, _classes_of_user),
    (TEACHERS, CLASSES, _classes_of_user),
    (TERMS, GRADING_PERIODS, _periods_of_term),
)


class Rostering:
    """The handlers of one server's rostering routes."""

    def __init__(self, ctx: ServerContext) -> None:
        # The server's store, credentials and dialect, without its faults (see the module's docstring).
        self.ctx = ServerContext(
            store=ctx.store, faults=NONE, auth=ctx.auth, render=Renderer(NONE, ctx.dialect), dialect=ctx.dialect
        )
        # The query parameters of the profile's gradebook lists and records, and the same meanings.
        table = [op for op in operations(ctx.dialect.profile) if op.service == "gradebook" and op.method == "GET"]
        self.list_query = next(op.query for op in table if not op.path_params)
        # A record also takes a list's parameters, and ignores all but ``fields``: clients that page
        # every request (Google's grade sync) read the roster too.
        self.item_query = (*self.list_query, *next(op.query for op in table if op.path_params and not op.scope))

    def _params(self, request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
        return check_query(request, allowed, self.ctx.dialect.repeatable_query)

    def _page(self, request: Request, view: View, rows: list[Record]) -> Response:
        ctx = self.ctx
        params = self._params(request, self.list_query)
        wanted = query.parse(params, _known(ctx.store, view), NONE, ctx.dialect.page_limit(NONE))
        page, total = query.run(query.visible(rows, wanted, NONE), wanted, NONE)
        shown = [records.present(record, wanted.fields, NONE, view.kind.singular) for record in page]
        return ctx.dialect.collection_answer(ctx, request, view.kind, shown, total, wanted)

    def collection(self, view: View) -> Handler:
        async def handle(request: Request, sourced_id: str) -> Response:
            return self._page(request, view, view.rows(self.ctx.store))

        return handle

    def nested(self, parent: View, shown: View, related: Related) -> Handler:
        async def handle(request: Request, sourced_id: str) -> Response:
            self._params(request, self.list_query)
            if parent.find(self.ctx.store, sourced_id) is None:
                raise parent.missing(self.ctx)
            return self._page(request, shown, related(self.ctx.store, sourced_id))

        return handle

    def one(self, view: View) -> Handler:
        async def handle(request: Request, sourced_id: str) -> Response:
            ctx = self.ctx
            fields = query.fields_param(self._params(request, self.item_query), _known(ctx.store, view))
            record = view.find(ctx.store, sourced_id)
            if record is None:
                raise view.missing(ctx)
            return ctx.render.json({view.kind.singular: records.present(record, fields, NONE, view.kind.singular)})

        return handle

    async def _written(self, request: Request, view: View) -> Record:
        """The record a write's body holds, under the view's record key; 400 for anything else."""
        check_query(request, ())
        body = await read_json(request)
        key = view.kind.singular
        record = body.get(key) if isinstance(body, dict) else None
        if not isinstance(record, dict):
            raise bad_request(f"The request body must be an object whose {key!r} member is a {key} object.")
        return {**dict(view.defaults), **record}

    def _store(self, view: View, sourced_id: str, record: Record) -> Record:
        ctx = self.ctx
        stored = {**record, "sourcedId": sourced_id, "status": records.ACTIVE, "dateLastModified": ctx.clock.now()}
        ctx.store.put(roster_entity(view.kind), sourced_id, stored)
        return stored

    def put(self, view: View) -> Handler:
        async def handle(request: Request, sourced_id: str) -> Response:
            record = await self._written(request, view)
            existed = self.ctx.store.roster_get(view.kind, sourced_id) is not None
            stored = self._store(view, sourced_id, record)
            return self.ctx.render.json({view.kind.singular: stored}, 200 if existed else 201)

        return handle

    def post(self, view: View) -> Handler:
        async def handle(request: Request, sourced_id: str) -> Response:
            record = await self._written(request, view)
            supplied = record.get("sourcedId")
            if not isinstance(supplied, str) or not supplied:
                raise bad_request(f"The {view.kind.singular} must carry its sourcedId.", f"/{view.kind.singular}")
            if self.ctx.store.roster_get(view.kind, supplied) is not None:
                raise ApiError(409, f"sourcedId {supplied!r} already exists: PUT replaces a record.")
            self._store(view, supplied, record)
            pair = {"suppliedSourcedId": supplied, "allocatedSourcedId": supplied}
            return self.ctx.render.json({"sourcedIdPairs": pair}, 201)

        return handle

    def delete(self, view: View) -> Handler:
        async def handle(request: Request, sourced_id: str) -> Response:
            check_query(request, ())
            if view.find(self.ctx.store, sourced_id) is None:
                raise view.missing(self.ctx)
            self.ctx.store.remove(roster_entity(view.kind), sourced_id)
            return self.ctx.render.empty(204)

        return handle

    def authorize(self, request: Request) -> None:
        """A valid bearer token for everything; where the dialect has scopes, a rostering read scope to read."""
        granted = self.ctx.auth.verify(request.headers.get("authorization"), NONE)
        reads = request.method == "GET" and bool(self.ctx.dialect.scopes)
        if reads and granted is not None and not granted & frozenset(roster.READ_SCOPES):
            raise ApiError(403, "Forbidden: the access token's scope does not allow GET here.")

    def endpoint(self, by_method: dict[str, Handler]) -> Endpoint:
        allow = ", ".join(sorted(by_method))

        async def answer(request: Request) -> Response:
            try:
                handler = by_method.get(request.method)
                if handler is None:
                    raise ApiError(405, f"Method {request.method} is not allowed here.", headers={"Allow": allow})
                self.authorize(request)
                return await handler(request, request.path_params.get("sourcedId", ""))
            except ApiError as error:
                return self.ctx.render.error(error)
            except Exception as exc:  # a bug: still answer imsx, and keep the connection usable
                log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
                return self.ctx.render.error(ApiError(500, "Internal server error."))

        return answer

    def unknown(self) -> Endpoint:
        async def answer(request: Request) -> Response:
            return self.ctx.render.error(ApiError(404, "Unknown path."))

        return answer


def _known(store: Store, view: View) -> frozenset[str]:
    """The fields a query may name: every member the collection's records have."""
    return frozenset(_SERVER_SET.union(*(record.keys() for record in store.roster_all(view.kind))))


def routes(ctx: ServerContext, make: MakeRoute) -> list[BaseRoute]:
    """The rostering routes of ``ctx``'s server, each made by ``make`` (a route taking every method).
    A collection answers with and without its trailing slash (TimeBack documents it with one)."""
    served = Rostering(ctx)
    lessons = bool(ctx.dialect.lessons)
    table: list[tuple[str, dict[str, Handler]]] = []
    for parent, shown, related in NESTED:
        suffix = shown.path.rsplit("/", 1)[1]
        table.append((f"{parent.path}/{{sourcedId}}/{suffix}", {"GET": served.nested(parent, shown, related)}))
    out: list[BaseRoute] = []
    for view in VIEWS:
        if view.kind.lessons and not lessons:
            # Still routed, so that /courses/components is never taken for a course.
            for pattern in (view.path, f"{view.path}/", f"{view.path}/{{sourcedId}}"):
                out.append(make(pattern, served.unknown()))
            continue
        whole: dict[str, Handler] = {"GET": served.collection(view)}
        item: dict[str, Handler] = {"GET": served.one(view)}
        if view.writes:
            whole["POST"] = served.post(view)
            item.update(PUT=served.put(view), DELETE=served.delete(view))
        table += [(view.path, whole), (f"{view.path}/", whole), (f"{view.path}/{{sourcedId}}", item)]
    for pattern, by_method in table:
        out.append(make(pattern, served.endpoint(by_method)))
    return out

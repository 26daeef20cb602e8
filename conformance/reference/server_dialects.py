"""What the reference server answers differently in each profile (docs/api.md#two-dialects).

One server, one code path: the handlers do the same work in both profiles — read, validate, store,
query — and ask the server's dialect only for the few answers whose shape differs: a PUT's answer,
a bulk POST's ``sourcedIdPairs``, a collection's counts, an error body, a 404's wording and the
references the server writes itself. ``Dialect`` is TimeBack's; ``Official`` overrides it for the
1EdTech binding.

The server's dialect is the sibling of the suite's (``conformance.dialect``): a profile's suite
dialect names it (``Dialect.server``, a key of ``SERVERS``), and it is made for that profile, whose
operation table, schemas and faults it serves. A new profile reuses a server dialect by naming it,
or registers a subclass in ``SERVERS``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from conformance import profiles
from conformance.contract.operations import GRADEBOOK, Entity
from conformance.contract.roster import READ_SCOPES
from conformance.contract.schemas import Problem
from conformance.contract.scopes import OFFICIAL as OFFICIAL_SCOPES
from conformance.reference import records
from conformance.reference.faults import Faults
from conformance.reference.imsx_errors import imsx
from conformance.reference.query import MAX_LIMIT, ListQuery, page_fields

if TYPE_CHECKING:
    from conformance.reference.context import ServerContext

PAIRS_ALL = "sourcedIdPairsAll"  # TimeBack extension key: every pair of a bulk POST (it documents one object)
ROSTERING = "/ims/oneroster/rostering/v1p2"


class Listed(Protocol):
    """What a collection answer needs to know of the records it lists: their list key (a gradebook
    entity, or a rostering collection)."""

    @property
    def plural(self) -> str: ...


class Dialect:
    """TimeBack: PUT answers the stored record, pairs are one object, counts are page fields."""

    tools = True  # PowerPath's tool doubles, their control routes and the discovery document
    lessons = True  # the lesson catalogue: courses/components, component resources, resources
    scopes: tuple[str, ...] = ()  # OAuth2 scopes a token may be granted: TimeBack documents none
    repeatable_query: tuple[str, ...] = ()  # query parameters that may be given more than once
    bulk_may_be_empty = False  # a bulk POST of no record: 422 here (TimeBack documents one or more)
    max_limit: int | None = MAX_LIMIT  # TimeBack documents limit up to 3000

    def __init__(self, profile: str = profiles.DEFAULT) -> None:
        self.profile = profile  # whose operation table, schemas and faults this server serves

    def put_answer(self, ctx: ServerContext, entity: Entity, stored: dict[str, Any], updated: bool) -> Response:
        if ctx.faults.on("put-returns-204", entity.singular):
            return ctx.render.empty(204)
        status = 201
        if updated and ctx.faults.on("benign-put-200-on-update"):
            status = 200
        if not updated and ctx.faults.on("benign-put-create-answers-200"):  # TimeBack documents both
            status = 200
        return ctx.render.json({entity.singular: records.present(stored, None, ctx.faults, entity.singular)}, status)

    def pairs_body(self, faults: Faults, pairs: list[dict[str, str]]) -> dict[str, Any]:
        return {"sourcedIdPairs": pairs[0], PAIRS_ALL: pairs}

    def page_limit(self, faults: Faults) -> int | None:
        """The largest limit a collection GET takes (None: no maximum)."""
        return self.max_limit

    def collection_answer(
        self,
        ctx: ServerContext,
        request: Request,
        entity: Listed,
        shown: list[dict[str, Any]],
        total: int,
        wanted: ListQuery,
    ) -> Response:
        body: dict[str, Any] = {entity.plural: shown}
        body.update(page_fields(total, wanted))
        if ctx.faults.on("total-count-page"):
            body["totalCount"] = len(shown)
        if ctx.faults.on("collection-missing-total"):
            del body["totalCount"]
        headers = {"X-Total-Count": str(total)} if ctx.faults.on("benign-x-total-count") else None
        return ctx.render.json(body, 200, headers)

    def not_found(self, message: str) -> str:
        return message

    def error_body(
        self, faults: Faults, status: int, description: str, details: Sequence[Problem], code_minor: str | None
    ) -> dict[str, Any]:
        return imsx(status, description, details, code_minor)

    def parent_reference(self, kind: str, sourced_id: str, current: Any, request: Request) -> dict[str, Any]:
        """The reference a scoped POST writes into a record for the parent its path names."""
        return {**(current if isinstance(current, dict) else {}), "sourcedId": sourced_id}

    def completed_reference(self, member: str, kind: str, sent: dict[str, Any], request: Request) -> dict[str, Any]:
        """A reference a client sent with only some of its members, completed the way this server
        writes references; what was sent is kept."""
        return sent

    def written_score_date(self, value: Any) -> Any:
        """A write's scoreDate as this server stores it: TimeBack's is a date-time, kept as sent."""
        return value

    def reference_problems(self, pointer: str, record: dict[str, Any], members: Sequence[str]) -> list[Problem]:
        """What is wrong with the references ``members`` of a written record beyond its schema."""
        return []


# Reference types of the parents a scoped route names (official *GUIDRefDType).
_REF_TYPE = {"class": "class", "school": "org", "academicSession": "academicSession", "lineItem": "lineItem"}
# Where this server's href of a reference points: by the member where the member names a narrower
# collection than its type (a school is an org), otherwise by the referenced type.
_PATH_OF_MEMBER = {
    "school": f"{ROSTERING}/schools",
    "student": f"{ROSTERING}/students",
    "gradingPeriod": f"{ROSTERING}/gradingPeriods",
}
_PATH_OF_TYPE = {
    "class": f"{ROSTERING}/classes",
    "org": f"{ROSTERING}/orgs",
    "user": f"{ROSTERING}/users",
    "academicSession": f"{ROSTERING}/academicSessions",
    "course": f"{ROSTERING}/courses",
    "lineItem": f"{GRADEBOOK}/lineItems",
    "assessmentLineItem": f"{GRADEBOOK}/assessmentLineItems",
    "category": f"{GRADEBOOK}/categories",
    "scoreScale": f"{GRADEBOOK}/scoreScales",
}
# An RFC 3986 URI (scheme, then only the characters a URI may hold, percent-escapes well formed):
# the binding's href is format uri, which jsonschema leaves unchecked without an optional package.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


class Official(Dialect):
    """The 1EdTech binding: PUT answers 201 without a body, pairs are an array, the total is the
    X-Total-Count header, and the imsx status object is closed (no TimeBack extension members)."""

    tools = False
    lessons = False  # the catalogue is TimeBack's; the binding has no such collections
    # The gradebook's scopes, and the rostering read scopes a client of the rostering routes asks for.
    scopes = (*OFFICIAL_SCOPES, *READ_SCOPES)
    # ``fields`` is an array in form style: exploded (fields=a&fields=b) or comma-separated (fields=a,b).
    repeatable_query = ("fields",)
    bulk_may_be_empty = True  # GUIDPairSetDType and the *SetDType bodies require no member and no minimum
    max_limit = None  # the binding bounds limit from below only: a client may ask for every record at once

    def put_answer(self, ctx: ServerContext, entity: Entity, stored: dict[str, Any], updated: bool) -> Response:
        if ctx.faults.on("put-returns-204", entity.singular):
            return ctx.render.empty(204)
        if ctx.faults.on("put-returns-200-with-body"):
            return ctx.render.json({entity.singular: records.present(stored, None, ctx.faults, entity.singular)}, 200)
        return ctx.render.empty(201)

    def pairs_body(self, faults: Faults, pairs: list[dict[str, str]]) -> dict[str, Any]:
        if faults.on("pairs-as-object") and pairs:
            return {"sourcedIdPairs": pairs[0]}
        return {"sourcedIdPairs": pairs[:1] if faults.on("pairs-first-only") else pairs}

    def collection_answer(
        self,
        ctx: ServerContext,
        request: Request,
        entity: Listed,
        shown: list[dict[str, Any]],
        total: int,
        wanted: ListQuery,
    ) -> Response:
        headers: dict[str, str] = {}
        if not ctx.faults.on("collection-missing-total"):
            headers["X-Total-Count"] = str(len(shown) if ctx.faults.on("total-count-page") else total)
        if ctx.faults.on("benign-link-header"):
            headers["Link"] = _links(request, total, wanted)
        return ctx.render.json({entity.plural: shown}, 200, headers)

    def page_limit(self, faults: Faults) -> int | None:
        # The variant keeps TimeBack's maximum, as a server that shares its code with a TimeBack one would.
        return MAX_LIMIT if faults.on("limit-capped-at-3000") else self.max_limit

    def not_found(self, message: str) -> str:
        # The binding's 404: "The statement 'Unknown Object' should also be presented."
        return f"Unknown Object: {message}"

    def error_body(
        self, faults: Faults, status: int, description: str, details: Sequence[Problem], code_minor: str | None
    ) -> dict[str, Any]:
        if faults.on("benign-minimal-errors"):
            return {"imsx_codeMajor": "failure", "imsx_severity": "error"}  # all imsx_StatusInfoDType requires
        if faults.on("benign-error-details"):
            return imsx(status, description, details, code_minor)
        # The binding's imsx_StatusInfoDType is closed: TimeBack's imsx_error_details is left out, and
        # every failing pointer goes into the description instead.
        if len(details) > 1:
            description = f"{description}: {'; '.join(str(problem) for problem in details)}"
        return imsx(status, description, (), code_minor)

    def parent_reference(self, kind: str, sourced_id: str, current: Any, request: Request) -> dict[str, Any]:
        if isinstance(current, dict) and current.get("sourcedId") == sourced_id:
            return current  # the body already names this parent, with its own href
        return _reference(kind, _REF_TYPE[kind], sourced_id, request)

    def completed_reference(self, member: str, kind: str, sent: dict[str, Any], request: Request) -> dict[str, Any]:
        # Google Classroom's grade sync, for one, sends bare {sourcedId} references.
        return {**_reference(member, kind, str(sent["sourcedId"]), request), **sent}

    def written_score_date(self, value: Any) -> Any:
        # The binding's scoreDate is a date, but Google Classroom's grade sync, for one, sends a date-time:
        # its day in UTC is what a date can keep of it, and every answer then shows the documented type.
        day = records.utc_day(value)
        return value if day is None else day

    def reference_problems(self, pointer: str, record: dict[str, Any], members: Sequence[str]) -> list[Problem]:
        found = []
        for member in members:
            reference = record.get(member)
            href = reference.get("href") if isinstance(reference, dict) else None
            if isinstance(href, str) and not _URI.fullmatch(href):
                found.append(Problem(f"{pointer}/{member}/href", "is not a URI"))
        return found


def _reference(member: str, kind: str, sourced_id: str, request: Request) -> dict[str, Any]:
    """A reference to a record as this server writes it: an absolute href on this server, the
    sourcedId and the type."""
    path = _PATH_OF_MEMBER.get(member) or _PATH_OF_TYPE.get(kind, f"{GRADEBOOK}/{kind}s")
    href = str(request.base_url).rstrip("/") + f"{path}/{quote(sourced_id, safe='')}"
    return {"href": href, "sourcedId": sourced_id, "type": kind}


def _links(request: Request, total: int, wanted: ListQuery) -> str:
    """RFC 8288 links to the other pages, as the binding's ``links`` (first, prev, next, last) name them."""
    limit, offset = wanted.limit, wanted.offset
    pages: dict[str, int] = {"first": 0}
    if offset > 0:
        pages["prev"] = max(offset - limit, 0)
    if offset + limit < total:
        pages["next"] = offset + limit
    pages["last"] = max(total - 1, 0) // limit * limit
    return ", ".join(
        f'<{request.url.include_query_params(limit=limit, offset=at)}>; rel="{rel}"' for rel, at in pages.items()
    )


# The server dialects, by the name a suite dialect gives (``conformance.dialect.Dialect.server``).
SERVERS: dict[str, type[Dialect]] = {"timeback": Dialect, "official": Official}


def for_profile(profile: str) -> Dialect:
    """The server dialect of ``profile``, made for it."""
    chosen = profiles.get(profile)
    return SERVERS[chosen.dialect.server](chosen.name)

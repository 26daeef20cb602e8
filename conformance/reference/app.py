"""The reference server as a Starlette app, routed from the operation table (contract/operations.py).

Paths with the same shape share one route (``/classes/{sourcedId}/lineItems`` for GET and
``/classes/{classSourcedId}/lineItems`` for POST are one URL pattern), and each route dispatches by
method to the handler for that kind of operation. The six collections answer with and without the
trailing slash (TimeBack documents it, the official binding does not). Unknown paths, wrong methods
and even unexpected crashes answer with imsx bodies. A server speaks one profile: its operation
table, its dialect (server_dialects.py) and, for TimeBack only, PowerPath's tool doubles. The rostering
routes the gradebook stands on (and TimeBack's lesson catalogue) are not in the table: rostering.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from conformance import fixtures as fixtures_module
from conformance import profiles
from conformance.contract.operations import Operation, operations
from conformance.fixtures import Fixtures
from conformance.reference import control, gradebook, powerpath, rostering
from conformance.reference.auth import TOKEN_PATH, Auth, token_endpoint
from conformance.reference.body import carries_body
from conformance.reference.context import ServerContext
from conformance.reference.distance import Distance
from conformance.reference.faults import Faults
from conformance.reference.imsx_errors import ApiError, bad_request
from conformance.reference.render import Renderer
from conformance.reference.server_dialects import for_profile
from conformance.reference.store import Store

DISCOVERY_PATH = "/.well-known/oneroster-conformance"
Handler = Callable[[ServerContext, Operation, Request, dict[str, str]], Awaitable[Response]]
_PARAM = re.compile(r"\{[^}]+\}")
# Every route takes every method, also those HTTP leaves open (QUERY, extension methods), and answers a
# wrong one itself: an imsx 405 whose Allow header names the path's own methods.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def _route(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> Route:
    route = Route(path, endpoint, methods=METHODS)
    # Starlette lets a route name no methods only by leaving them out, which means GET alone: clearing
    # them afterwards is how every method reaches the endpoint.
    route.methods = None
    return route


log = logging.getLogger("conformance.reference")

_POWERPATH: dict[str, Handler] = {
    "makeExternalTestAssignment": powerpath.make_assignment,
    "importExternalTestAssignmentResults": powerpath.import_results,
    "getAssessmentProgress": powerpath.progress,
}
_ITEM: dict[str, Handler] = {
    "GET": gradebook.get_record,
    "PUT": gradebook.put_record,
    "PATCH": gradebook.patch_record,
    "DELETE": gradebook.delete_record,
}


def handler_for(op: Operation) -> Handler:
    """The handler of one operation; an operation no handler covers fails at start-up, not at run time."""
    if op.service == "powerpath":
        return _POWERPATH[op.id]
    if op.scope:
        return gradebook.list_records if op.method == "GET" else gradebook.create_in_scope
    if not op.path_params:  # a whole collection: /<plural>/ in TimeBack, /<plural> in the official binding
        return {"GET": gradebook.list_records, "POST": gradebook.create_record}[op.method]
    return _ITEM[op.method]


def crashed(render: Renderer, request: Request, exc: Exception) -> Response:
    """Last resort: no input should get here, but if one does the client still gets imsx JSON.
    The log names the exception and the route only: never headers, bodies or tokens."""
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    return render.error(ApiError(500, "Internal server error."))


def _endpoint(
    ctx: ServerContext, by_method: dict[str, tuple[Operation, Handler]]
) -> Callable[[Request], Awaitable[Response]]:
    allow = ", ".join(sorted(by_method))

    async def endpoint(request: Request) -> Response:
        try:
            entry = by_method.get(request.method)
            if entry is None:
                raise ApiError(405, f"Method {request.method} is not allowed here.", headers={"Allow": allow})
            op, handler = entry
            granted = ctx.auth.verify(request.headers.get("authorization"))
            if not ctx.auth.allows(granted, op):
                raise ApiError(403, f"Forbidden: the access token's scope does not allow {op.method} here.")
            if op.method == "GET" and ctx.faults.on("benign-get-body-refused") and carries_body(request):
                # RFC 9110 gives a GET's body no meaning; this variant takes one as a malformed request.
                raise bad_request("A GET request takes no body.")
            values = [request.path_params[f"p{i}"] for i in range(len(op.path_params))]
            return await handler(ctx, op, request, dict(zip(op.path_params, values, strict=True)))
        except ApiError as error:
            return ctx.render.error(error)
        except Exception as exc:  # a bug: still answer imsx, and keep the connection usable
            return crashed(ctx.render, request, exc)

    return endpoint


def api_routes(ctx: ServerContext, table: Iterable[Operation] | None = None) -> list[BaseRoute]:
    groups: dict[str, dict[str, tuple[Operation, Handler]]] = {}
    for op in operations(ctx.dialect.profile) if table is None else table:
        parts = _PARAM.split(op.path)  # positional names: same-shaped paths share one pattern
        pattern = "".join(part + (f"{{p{i}}}" if i < len(parts) - 1 else "") for i, part in enumerate(parts))
        groups.setdefault(pattern, {})[op.method] = (op, handler_for(op))
    routes: list[BaseRoute] = []
    for pattern, by_method in groups.items():
        endpoint = _endpoint(ctx, by_method)
        routes.append(_route(pattern, endpoint))
        if not any(op.path_params or op.service != "gradebook" for op, _ in by_method.values()):
            # A whole collection: the other spelling of its trailing slash is the same route.
            other = pattern.rstrip("/") if pattern.endswith("/") else pattern + "/"
            routes.append(_route(other, endpoint))
    return routes


def _fixed_routes(ctx: ServerContext) -> list[BaseRoute]:
    async def discovery(request: Request) -> Response:
        if request.method != "GET":
            return ctx.plain.error(
                ApiError(405, f"Method {request.method} is not allowed here.", headers={"Allow": "GET"})
            )
        announced = {"toolControl": control.PREFIX} if offers_control(ctx) else {}
        return ctx.plain.json({**announced, "tokenControl": control.TOKEN_PREFIX, "tokenPath": TOKEN_PATH})

    async def token(request: Request) -> Response:
        if request.method != "POST":
            return ctx.plain.error(
                ApiError(405, f"Method {request.method} is not allowed here.", headers={"Allow": "POST"})
            )
        return await token_endpoint(request, ctx.auth)

    fixed: list[BaseRoute] = [_route(TOKEN_PATH, token)]
    if offers_token_control(ctx):  # the discovery document announces the control interfaces only
        fixed.append(_route(DISCOVERY_PATH, discovery))
    return fixed


def offers_token_control(ctx: ServerContext) -> bool:
    """Whether the token control interface is served (and announced). A real deployment has none:
    the two benign variants that stand for one hide every control."""
    return not (ctx.faults.on("benign-hidden-control") or ctx.faults.on("benign-autonomous-tool"))


def offers_control(ctx: ServerContext) -> bool:
    """Whether the tool doubles' control interface is served (and announced)."""
    return bool(ctx.dialect.tools) and offers_token_control(ctx)


def create_app(
    *,
    client_id: str,
    client_secret: str,
    db: str | Path | None = None,
    faults: Iterable[str] = (),
    token_lifetime: int = 3600,
    fixtures: Fixtures | str | Path | None = None,
    profile: str = profiles.DEFAULT,
    latency_ms: int = 0,
) -> Starlette:
    """The reference server of ``profile``. ``db`` None keeps everything in
    memory; ``fixtures`` None seeds the packaged fixtures; ``latency_ms`` delays every request as a
    remote server's distance would (``distance``). Raises FixturesError, StoreError,
    UnknownFault or UnknownProfile for bad configuration."""
    dialect = for_profile(profile)
    active = Faults(faults, dialect.profile)
    seed = fixtures if isinstance(fixtures, Fixtures) else fixtures_module.load(fixtures)
    store = Store(db)
    ctx = ServerContext(
        store=store,
        faults=active,
        auth=Auth(client_id, client_secret, token_lifetime, active, dialect.scopes),
        render=Renderer(active, dialect),
        dialect=dialect,
    )
    store.seed(
        seed,
        lambda sourced_id, title: {
            "sourcedId": sourced_id,
            "status": "active",
            "title": title,
            "dateLastModified": ctx.clock.now(),
        },
    )

    async def unknown(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        description = "Unknown path." if status == 404 else str(getattr(exc, "detail", "Bad request."))
        return ctx.render.error(ApiError(status, description))

    async def last_resort(request: Request, exc: Exception) -> Response:
        return crashed(ctx.render, request, exc)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    middleware = [Middleware(Distance, seconds=latency_ms / 1000)] if latency_ms > 0 else []
    if active.on("benign-gzip"):
        middleware.append(Middleware(GZipMiddleware, minimum_size=1))
    app = Starlette(
        routes=[
            *_fixed_routes(ctx),
            *api_routes(ctx),
            *rostering.routes(ctx, _route),
            *(control.routes(ctx) if offers_control(ctx) else []),
            *(control.token_routes(ctx) if offers_token_control(ctx) else []),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: unknown, Exception: last_resort},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # both spellings are routed explicitly; anything else is a 404
    app.state.ctx = ctx
    return app


def context(app: Any) -> ServerContext:
    """The ServerContext of an app made by create_app (for in-process tests)."""
    ctx: ServerContext = app.state.ctx
    return ctx

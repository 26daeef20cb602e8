"""The control interfaces: the tool doubles' under ``/_conformance/tools`` and the tokens' under
``/_conformance/tokens``, both behind the bearer token.

It is test infrastructure, not the API under test, so fault switches never alter what it does. A server
announces it at ``GET /.well-known/oneroster-conformance`` (see README.md for an example run); the two
benign variants that stand for a real deployment (``benign-hidden-control``, ``benign-autonomous-tool``)
neither serve nor announce it (app.offers_control).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.reference import tool_doubles
from conformance.reference.body import check_query, read_json
from conformance.reference.context import ServerContext
from conformance.reference.faults import NONE
from conformance.reference.imsx_errors import ApiError, bad_request

PREFIX = "/_conformance/tools"
TOKEN_PREFIX = "/_conformance/tokens"  # noqa: S105 - a path: the token control interface
log = logging.getLogger("conformance.reference")
SCORE_STATUSES = ("exempt", "fully graded", "not submitted", "partially graded", "submitted")

Handler = Callable[[ServerContext, Request], Awaitable[Any]]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _assignment(ctx: ServerContext, request: Request, tool: str | None = None) -> dict[str, Any]:
    tool = tool or request.path_params["tool"]
    if tool not in tool_doubles.TOOLS:
        raise ApiError(404, f"Unknown tool {tool!r}: expected one of {', '.join(tool_doubles.TOOLS)}.")
    doc = ctx.store.tool_assignment(request.path_params["assignmentId"])
    if doc is None or doc["toolProvider"] != tool:
        raise ApiError(404, f"{tool} has no assignment {request.path_params['assignmentId']!r}.")
    return doc


def _scores(doc: dict[str, Any], items: Any, pointer: str) -> list[tuple[int, float, str]]:
    """``[{index, score, feedback?}]`` checked against the assignment: index in range, score 0..1
    for Edulastic (partial credit), any number for MasteryTrack."""
    if not isinstance(items, list):
        raise bad_request(f"{pointer} must be a list of {{index, score, feedback}}.", pointer)
    found = []
    for i, item in enumerate(items):
        where = f"{pointer}/{i}"
        if not isinstance(item, dict):
            raise bad_request(f"{where} must be an object.", where)
        index, score, feedback = item.get("index"), item.get("score"), item.get("feedback", "")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < doc["questions"]:
            raise bad_request(
                f"{where}/index must be a question index from 0 to {doc['questions'] - 1}.", f"{where}/index"
            )
        if (
            not isinstance(score, int | float)
            or isinstance(score, bool)
            or (doc["toolProvider"] == tool_doubles.EDULASTIC and not 0 <= score <= 1)
        ):
            raise bad_request(f"{where}/score must be a number (0 to 1 for Edulastic).", f"{where}/score")
        if not isinstance(feedback, str):
            raise bad_request(f"{where}/feedback must be a string.", f"{where}/feedback")
        found.append((index, score, feedback))
    return found


def _show(ctx: ServerContext, doc: dict[str, Any]) -> dict[str, Any]:
    return tool_doubles.state(doc, ctx.store.tool_failing(doc["toolProvider"]))


async def get_assignment(ctx: ServerContext, request: Request) -> Any:
    check_query(request, ())
    return _show(ctx, _assignment(ctx, request))


async def answer(ctx: ServerContext, request: Request) -> Any:
    check_query(request, ())
    body = await read_json(request)
    doc = _assignment(ctx, request, tool_doubles.EDULASTIC)
    for index, score, feedback in _scores(doc, body.get("answers") if isinstance(body, dict) else None, "/answers"):
        doc["answers"][index] = {"score": score, "feedback": feedback}
    ctx.store.save_tool_assignment(doc)
    return _show(ctx, doc)


async def grade(ctx: ServerContext, request: Request) -> Any:
    check_query(request, ())
    doc = _assignment(ctx, request, tool_doubles.EDULASTIC)
    doc["grade"] = tool_doubles.GRADED
    ctx.store.save_tool_assignment(doc)
    return _show(ctx, doc)


async def writeback(ctx: ServerContext, request: Request) -> Any:
    """MasteryTrack writes its results into the attempt's AssessmentResult, as the real tool does."""
    check_query(request, ())
    body = await read_json(request)
    doc = _assignment(ctx, request, tool_doubles.MASTERY_TRACK)
    if not isinstance(body, dict):
        raise bad_request("The body must be an object.", "")
    status, processed, score = body.get("scoreStatus"), body.get("masteryTrackProcessed", "false"), body.get("score")
    if status not in SCORE_STATUSES:
        raise bad_request(f"/scoreStatus must be one of {', '.join(SCORE_STATUSES)}.", "/scoreStatus")
    if processed not in ("true", "false"):
        raise bad_request("/masteryTrackProcessed must be the string 'true' or 'false'.", "/masteryTrackProcessed")
    if score is not None and not _number(score):
        raise bad_request("/score must be a number or null.", "/score")
    questions = _scores(doc, body.get("questions", []), "/questions")
    try:
        tool_doubles.write_back(
            ctx.store, ctx.clock, doc, status=status, processed=processed, score=score, questions=questions
        )
    except tool_doubles.ToolError as error:
        raise ApiError(404, str(error)) from None
    return _show(ctx, doc)


async def outage(ctx: ServerContext, request: Request) -> Any:
    check_query(request, ())
    body = await read_json(request)
    tool = request.path_params["tool"]
    if tool not in tool_doubles.TOOLS:
        raise ApiError(404, f"Unknown tool {tool!r}: expected one of {', '.join(tool_doubles.TOOLS)}.")
    failing = body.get("failing") if isinstance(body, dict) else None
    if not isinstance(failing, bool):
        raise bad_request("/failing must be true or false.", "/failing")
    ctx.store.set_tool_failing(tool, failing)
    return {"toolProvider": tool, "failing": failing}


async def enrollments(ctx: ServerContext, request: Request) -> Any:
    params = check_query(request, ("student",))
    return {"enrollments": ctx.store.enrollments(params.get("student"))}


def _route(ctx: ServerContext, path: str, method: str, handler: Handler, prefix: str = PREFIX) -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            if request.method != method:
                raise ApiError(405, f"Method {request.method} is not allowed here.", headers={"Allow": method})
            ctx.auth.verify(request.headers.get("authorization"), NONE)
            return ctx.plain.json(await handler(ctx, request))
        except ApiError as error:
            return ctx.plain.error(error)
        except Exception as exc:  # a bug: still answer imsx, and keep the connection usable
            log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
            return ctx.plain.error(ApiError(500, "Internal server error."))

    return Route(prefix + path, endpoint, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])


async def expire_token(ctx: ServerContext, request: Request) -> Any:
    """End the life of the very token this request carries, so that a suite can see an expired
    token refused without waiting out its lifetime."""
    ctx.auth.expire(request.headers.get("authorization"))
    return {"expired": True}


def token_routes(ctx: ServerContext) -> list[Route]:
    return [_route(ctx, "/expire", "POST", expire_token, TOKEN_PREFIX)]


def routes(ctx: ServerContext) -> list[Route]:
    return [
        _route(ctx, "/enrollments", "GET", enrollments),
        _route(ctx, "/{tool}/outage", "POST", outage),
        _route(ctx, "/{tool}/assignments/{assignmentId}", "GET", get_assignment),
        _route(ctx, "/edulastic/assignments/{assignmentId}/answers", "POST", answer),
        _route(ctx, "/edulastic/assignments/{assignmentId}/grade", "POST", grade),
        _route(ctx, "/mastery-track/assignments/{assignmentId}/writeback", "POST", writeback),
    ]

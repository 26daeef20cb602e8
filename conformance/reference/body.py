"""Reading request input defensively: query parameters, body size, content type, encoding, JSON.

Every way a request can be malformed ends here as a 4xx ``ApiError`` — never an exception that
would surface as a 500. The status is one the operation documents: neither TimeBack nor the official
binding lists 413 or 415, so a body that is too large or not JSON is a 400 (``invaliddata``), like
any other body the server cannot read, with a description that says which.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from starlette.requests import ClientDisconnect, Request

from conformance.contract.schemas import Problem
from conformance.reference.faults import NONE, Faults
from conformance.reference.imsx_errors import ApiError, bad_request

MAX_BODY = 256 * 1024
MAX_DEPTH = 64


def check_query(request: Request, allowed: Iterable[str], repeatable: Iterable[str] = ()) -> dict[str, str]:
    """The query parameters as a dict; an unknown parameter is a 400, and so is a repeated one
    unless ``repeatable`` names it (an exploded array: its values are joined with commas)."""
    known = set(allowed)
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name not in known:
            raise bad_request(f"Unknown query parameter {name!r}.")
        if name in params and name not in repeatable:
            raise bad_request(f"Query parameter {name!r} is given more than once.")
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def carries_body(request: Request) -> bool:
    """Whether the request says it sends a body: a Content-Length above 0, or a Content-Type."""
    declared = request.headers.get("content-length", "")
    return (declared.isdigit() and int(declared) > 0) or "content-type" in request.headers


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_json_media(media: str) -> bool:
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_bytes(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, at most ``limit`` bytes; a 400 beyond, decided from Content-Length when possible."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit() or len(declared) > 18:
            raise bad_request("Content-Length is not a number.")
        if int(declared) > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:  # nobody is left to answer; still not a crash
        raise bad_request("The client disconnected before sending the whole body.") from None
    return b"".join(chunks)


def too_large(limit: int) -> ApiError:
    return bad_request(f"The request body is larger than {limit} bytes, the most this server reads.")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses as inf, which cannot be stored or sent back
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The JSON pointer of the first container nested deeper than ``limit``, if any (iterative)."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, depth, pointer = stack.pop()
        if isinstance(node, dict):
            children: Iterable[tuple[str, Any]] = ((str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            children = ((str(i), v) for i, v in enumerate(node))
        else:
            continue
        if depth > limit:
            return pointer
        for key, child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"))
    return None


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise bad_request("The request body is empty.")
    try:
        text = raw.decode("utf-8")  # strict: JSON bodies must be UTF-8 (RFC 8259 section 8.1)
    except UnicodeDecodeError as exc:
        raise bad_request(f"The request body is not UTF-8 (byte {exc.start}).") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise ApiError(
            422, f"JSON nesting is deeper than {MAX_DEPTH} levels.", (Problem("", "nested too deeply"),)
        ) from None
    except ValueError as exc:  # JSONDecodeError, NaN, out-of-range numbers, over-long integers
        raise bad_request(f"The request body is not valid JSON: {str(exc)[:200]}") from None
    pointer = too_deep(value)
    if pointer is not None:
        raise ApiError(
            422, f"JSON nesting is deeper than {MAX_DEPTH} levels.", (Problem(pointer, "nested too deeply"),)
        )
    try:
        # A lone surrogate escaped as "\ud800" is valid JSON but not Unicode text: it could be
        # neither stored nor sent back.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request("The request body is not valid JSON text: it contains a lone UTF-16 surrogate.") from None
    return value


async def read_json(request: Request, faults: Faults = NONE) -> Any:
    """The parsed JSON body of a write request: 400 for another content type, when too large, empty,
    not UTF-8 or not JSON; 422 when nested deeper than ``MAX_DEPTH``."""
    media = _media_type(request)
    # The other reading of a body labelled otherwise: every write body of the API is JSON, so read it as such.
    if not is_json_media(media) and not faults.on("benign-any-content-type"):
        raise bad_request(
            f"The request body must be JSON: Content-Type must be application/json, not {media or 'missing'}."
        )
    return parse_json(await read_bytes(request))

"""Who may do what: where the documents attach OAuth2 scopes to operations (the official binding),
every operation is called once with a token granted every official scope but the ones that cover it,
and once with a token granted just one of those.

The refused call must change nothing, and the suite makes sure it could not have changed anything
the run does not own: a refused PUT or POST carries a fresh run-prefixed sourcedId, a refused DELETE
names a record the run created a moment before. A read with the run's own token then shows the fresh
record absent, the created one still there. What a granted call writes is the run's, and cleanup
deletes it with the run's own token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.client import Exchange
from conformance.contract import scopes
from conformance.contract.operations import ENTITY, Operation, operations
from conformance.machines.base import record_of
from conformance.session.suite_session import SuiteSession, item_path
from conformance.session.tokens import Granted, send_with, token_for
from conformance.session.world import baseline
from conformance.suite.harness import RunPlugin
from conformance.suite.judge import COMMON, recorder_fixture  # noqa: F401 (a fixture)

REFUSED = (401, 403)


@dataclass(frozen=True)
class Call:
    """One request of an operation, built so that it would succeed with the right token."""

    op: Operation
    path: str
    body: Any  # None without a request body
    fresh: tuple[str, ...] = ()  # sourcedIds it would create: absent unless the call was served
    existing: str | None = None  # the record it would delete: still there unless the call was served


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every operation of a profile whose documents give operations scopes (none elsewhere)."""
    if metafunc.function in (test_a_token_without_the_scope_is_refused, test_a_token_with_the_scope_is_served):
        profile = RunPlugin.profile_of(metafunc.config)
        ops = operations(profile) if profile in scopes.PROFILES else []
        metafunc.parametrize("op", ops, ids=[op.id for op in ops])


def _parents(suite: SuiteSession, op: Operation) -> dict[str, str] | None:
    """Existing records for the path's scoped parameters; None when one is missing (a read-only run)."""
    world = suite.world
    found: dict[str, str | None] = {}
    for name, kind in zip(op.path_params, op.scope, strict=False):
        found[name] = {
            "class": world.klass.sourcedId,
            "school": world.klass.school,
            "lineItem": world.anchors.get("lineItem"),
            "student": world.student_in(world.klass, None),
            "academicSession": world.session(),
        }[kind]
    if any(value is None for value in found.values()):
        return None
    return {name: str(value) for name, value in found.items()}


def _call(suite: SuiteSession, op: Operation) -> Call | None:
    """A call of ``op`` that would succeed with the right token; None when none can be made."""
    assert op.entity is not None
    suite.ensure_anchors()
    params = _parents(suite, op)
    if params is None:
        return None
    entity, world = op.entity, suite.world
    if op.method == "POST":
        fresh = world.fresh_id(entity)
        body = {ENTITY[entity].plural: [baseline(entity, world, fresh)]}
        return Call(op, op.path.format(**params), body, fresh=(fresh,))
    if "sourcedId" in op.path_params and not op.scope:  # an entity's item route
        if op.method == "PUT":
            fresh = world.fresh_id(entity)
            return Call(op, item_path(entity, fresh), {entity: baseline(entity, world, fresh)}, fresh=(fresh,))
        created, put = suite.create(entity)
        if put.status not in (200, 201):
            return None
        return Call(op, item_path(entity, created), None, existing=created if op.method == "DELETE" else None)
    return Call(op, op.path.format(**params), None)


def _token(suite: SuiteSession, chosen: frozenset[str]) -> Granted:
    return token_for(suite, " ".join(sorted(chosen)))


def _send(suite: SuiteSession, call: Call, granted: Granted) -> Exchange:
    return send_with(suite, granted, call.op.method, call.path, json_body=call.body)


def _unchanged(suite: SuiteSession, call: Call, sent: Exchange) -> tuple[bool, str, Exchange | None]:
    """Whether the refused call left the run's records as they were, read with the run's token."""
    assert call.op.entity is not None
    for sourced_id in call.fresh:
        got = suite.get(item_path(call.op.entity, sourced_id), needs=(sent,))
        if got.status != 404:
            return False, f"{sourced_id} was stored (GET answered {got.status})", got
    if call.existing is not None:
        got = suite.get(item_path(call.op.entity, call.existing), needs=(sent,))
        record = record_of(got, call.op.entity)
        if got.status != 200 or record is None or record.get("status") == "tobedeleted":
            return False, f"{call.existing} was deleted (GET answered {got.status})", got
    return True, "", None


def _can_try(suite: SuiteSession, recorder: Recorder, op: Operation, requirement: str) -> None:
    """Skip where the operation cannot be tried with another token: a write in a read-only run, or
    any operation when a static token leaves no token endpoint to ask."""
    if suite.options.read_only and op.writes:
        pytest.skip("read-only run: writes are not sent")
    if not suite.target.uses_oauth:
        recorder.skip(requirement, "a static --token was given: no token of another scope can be had")
        pytest.skip("static token")


@validates("GEN-AUTH-SCOPE-ENFORCED", checks=COMMON, aspects=("schema",))
def test_a_token_without_the_scope_is_refused(op: Operation, suite: SuiteSession, recorder: Recorder) -> None:
    _can_try(suite, recorder, op, "GEN-AUTH-SCOPE-ENFORCED")
    denied = scopes.denied(op)
    granted = _token(suite, denied)
    if granted.token is None:
        recorder.skip("GEN-AUTH-SCOPE-ENFORCED", f"the token endpoint granted no token for the other scopes of {op.id}")
        pytest.skip("no token for the other scopes")
    if granted.scope is not None and granted.scopes & scopes.accepted(op):
        recorder.skip("GEN-AUTH-SCOPE-ENFORCED", f"asked for the other scopes of {op.id}, the target granted its own")
        pytest.skip("the target granted the operation's scope anyway")
    call = _call(suite, op)
    if call is None:
        pytest.skip("no record to call the operation on")
    exchange = _send(suite, call, granted)
    recorder.judge(exchange, op.id)
    names = ", ".join(s.rsplit("/", 1)[-1] for s in sorted(denied))
    recorder.expect(
        "GEN-AUTH-SCOPE-ENFORCED",
        exchange.status in REFUSED,
        exchange,
        title=f"{op.method} was served to a token without the operation's scope",
        expected=f"403 forbidden (or 401): the token was granted only {names}",
        actual=f"status {exchange.status}",
    )
    unchanged, what, read = _unchanged(suite, call, exchange)
    recorder.expect(
        "GEN-AUTH-SCOPE-ENFORCED",
        unchanged,
        read or exchange,
        title=f"{op.method} with a token without the operation's scope changed a record",
        expected="the records as they were before the call",
        actual=what,
    )


@validates("GEN-AUTH-SCOPE-GRANTED", checks=COMMON, aspects=("schema",))
def test_a_token_with_the_scope_is_served(op: Operation, suite: SuiteSession, recorder: Recorder) -> None:
    _can_try(suite, recorder, op, "GEN-AUTH-SCOPE-GRANTED")
    for scope in sorted(scopes.accepted(op)):
        granted = _token(suite, frozenset({scope}))
        name = scope.rsplit("/", 1)[-1]
        if granted.token is None or (granted.scope is not None and scope not in granted.scopes):
            # A client may be registered without some scopes: a token endpoint that will not grant one
            # says something about the client, not about who the API serves.
            said = f"{granted.exchange.status}" if granted.token is None else f"granted {granted.scope!r}"
            recorder.skip("GEN-AUTH-SCOPE-GRANTED", f"the token endpoint did not grant {name} to this client ({said})")
            continue
        call = _call(suite, op)
        if call is None:
            continue
        exchange = _send(suite, call, granted)
        recorder.judge(exchange, op.id)
        recorder.expect(
            "GEN-AUTH-SCOPE-GRANTED",
            exchange.status not in REFUSED,
            exchange,
            title=f"{op.method} was refused to a token granted {name}",
            expected=f"served: the binding lets {name} call {op.id}",
            actual=f"status {exchange.status}",
        )

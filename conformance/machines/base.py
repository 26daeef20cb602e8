"""What every machine shares: the session, the step log, judging, and cleanup between runs.

A machine class declares what it validates (``@validates`` from ``checks.registry``) and records
through ``self.recorder``: the session's recorder bound to that declaration, every failure showing
the run's steps that led to it — all of them, from the run's first: a replay starts where the run
did (the session adds the earlier writes those steps rely on, the anchors among them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from hypothesis.stateful import RuleBasedStateMachine

from conformance.checks import Recorder
from conformance.client import Exchange
from conformance.contract.operations import ENTITY
from conformance.machines.model import differences
from conformance.session.suite_session import SuiteSession, item_path


class ConformanceMachine(RuleBasedStateMachine):
    """Bind a session with ``Machine.bind(session)`` before running the machine."""

    session: ClassVar[SuiteSession]

    @classmethod
    def bind(cls, session: SuiteSession) -> type[ConformanceMachine]:
        """A subclass of this machine bound to ``session``: each run binds its own, and the machine
        classes themselves stay free of any run."""
        return type(cls.__name__, (cls,), {"session": session, "__module__": cls.__module__})

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[Exchange] = []
        self.written: list[tuple[str, str]] = []  # (entity, sourcedId) this run created
        following = self.session.recorder.following(lambda: self.steps)
        self.recorder: Recorder = following.bound(type(self))

    # Traffic ---------------------------------------------------------------------------------
    def send(self, method: str, path: str, **kwargs: Any) -> Exchange:
        exchange = self.session.send(method, path, **kwargs)
        self.steps.append(exchange)
        return exchange

    def put(self, entity: str, sourced_id: str, record: dict[str, Any]) -> Exchange:
        exchange = self.send("PUT", item_path(entity, sourced_id), json_body={entity: record})
        if (entity, sourced_id) not in self.written:
            self.written.append((entity, sourced_id))
        return exchange

    def listed(self, entity: str, sourced_id: str, path: str | None = None) -> tuple[Exchange, list[Any]]:
        """GET a collection (the entity's own, or ``path``) filtered on one sourcedId: the exchange
        and the sourcedIds it listed."""
        plural = ENTITY[entity].plural
        exchange = self.send(
            "GET", path or self.session.collection_path(entity), params={"filter": f"sourcedId='{sourced_id}'"}
        )
        return exchange, [r.get("sourcedId") for r in records_of(exchange, plural) or []]

    # Between runs ----------------------------------------------------------------------------
    def teardown(self) -> None:
        """Delete what this run wrote, so runs do not see each other's records."""
        for entity, sourced_id in reversed(self.written):
            path = item_path(entity, sourced_id)
            exchange = self.session.client.send("DELETE", path)
            self.session.log_write(path, exchange)  # a later list may show the deleted record
            if exchange.status in (200, 204, 404):
                self.session.world.forget(entity, sourced_id)


def record_of(exchange: Exchange, entity: str) -> dict[str, Any] | None:
    body = exchange.try_json()
    value = body.get(entity) if isinstance(body, dict) else None
    return value if isinstance(value, dict) else None


def records_of(exchange: Exchange, plural: str) -> list[dict[str, Any]] | None:
    body = exchange.try_json()
    value = body.get(plural) if isinstance(body, dict) else None
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else None


def allocated_resolves(
    send: Callable[..., Exchange],
    recorder: Recorder,
    entity: str,
    allocated: str,
    posted: dict[str, Any],
    title: str,
    steps: tuple[Exchange, ...] = (),
) -> Exchange:
    """GB-PAIRS-ALLOCATED-RESOLVES for one pair: the record read at the sourcedId the server allocated
    holds every member that was posted for it (``send``: the machine's or the session's)."""
    got = send("GET", item_path(entity, allocated))
    stored = record_of(got, entity)
    sent = {k: v for k, v in posted.items() if k != "sourcedId"}
    missing = differences(sent, stored) if stored is not None else ["no record"]
    recorder.expect(
        "GB-PAIRS-ALLOCATED-RESOLVES",
        got.status == 200 and not missing,
        got,
        title=title,
        expected=f"GET /{ENTITY[entity].plural}/{{allocatedSourcedId}} → 200 with the posted members",
        actual=f"status {got.status}; " + "; ".join(missing[:4]),
        steps=(*steps, got) if steps else (),
    )
    return got

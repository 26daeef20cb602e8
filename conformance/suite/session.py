"""One process's view of the run: the target, the client, the world of referencable records,
the schemathesis schemas, and the cleanup of everything the run wrote."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import schemathesis
from hypothesis import Phase
from schemathesis.config import SchemathesisConfig

from conformance.client import Exchange, SuiteClient
from conformance.contract import openapi
from conformance.contract.operations import ENTITY, GRADEBOOK, POWERPATH
from conformance.ledger import LEDGER
from conformance.suite.world import World, baseline
from conformance.target import Target

# Expected statuses for an invalid body: 400/422 (API.md, Errors), or 404 where the path names a
# record the server looks up before it validates.
_SCHEMATHESIS_CONFIG = {
    "checks": {"negative_data_rejection": {"expected-statuses": ["400", "404", "422"]}},
    "generation": {"allow-x00": False, "with-security-parameters": False, "codec": "utf-8"},
}


@functools.cache
def api_schema(reading: str) -> Any:
    config = SchemathesisConfig.from_dict(_SCHEMATHESIS_CONFIG)
    return schemathesis.openapi.from_dict(openapi.load(reading), config=config)  # type: ignore[arg-type]


@dataclass
class Options:
    max_examples: int = 20
    seed: int = 0
    only: tuple[str, ...] = ()
    read_only: bool = False
    shrink: bool = True

    @property
    def phases(self) -> tuple[Phase, ...]:
        return (Phase.explicit, Phase.generate, Phase.shrink) if self.shrink else (Phase.explicit, Phase.generate)


@dataclass
class SuiteSession:
    target: Target
    client: SuiteClient
    world: World
    options: Options
    tool_control: str | None = None  # the tool doubles' control prefix, when the target offers one
    cleanup_errors: list[str] = field(default_factory=list)
    _anchors_ready: bool = False
    _assignments: set[tuple[str, str]] = field(default_factory=set)

    # Sending ---------------------------------------------------------------------------------
    def send(self, method: str, path: str, **kwargs: Any) -> Exchange:
        exchange = self.client.send(method, path, **kwargs)
        LEDGER.requests = self.client.requests
        if method in ("PUT", "POST") and exchange.status in (200, 201):
            self._note_write(path, exchange)
        elif method == "DELETE" and exchange.status in (200, 204):
            parts = self._parts(path)
            if len(parts) == 2 and parts[0] in _PLURALS:
                self.world.forget(_PLURALS[parts[0]], unquote(parts[1]))
        return exchange

    def _parts(self, path: str) -> list[str]:
        return (
            urlsplit(path)
            .path.removeprefix(urlsplit(self.target.base_url).path)
            .removeprefix(GRADEBOOK)
            .strip("/")
            .split("/")
        )

    def _note_write(self, path: str, exchange: Exchange) -> None:
        """Remember every record the run created so that cleanup can delete it."""
        body = exchange.try_json()
        if not isinstance(body, dict):
            return
        parts = self._parts(path)
        pairs = body.get("sourcedIdPairs")
        if isinstance(pairs, dict | list):
            entity = _entity_of_collection(parts)
            for pair in pairs if isinstance(pairs, list) else [pairs]:
                allocated = pair.get("allocatedSourcedId") if isinstance(pair, dict) else None
                if entity and isinstance(allocated, str) and allocated:
                    self.world.remember(entity, allocated)
            return
        if len(parts) == 2 and parts[0] in _PLURALS:
            self.world.remember(_PLURALS[parts[0]], unquote(parts[1]))

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.send("GET", path, **kwargs)

    # Anchors: the records every positive payload may reference -------------------------------
    def ensure_anchors(self) -> None:
        """Create, once per process, a category, score scale, line item and assessment line item."""
        if self._anchors_ready or self.options.read_only:
            return
        for entity in ("category", "scoreScale", "lineItem", "assessmentLineItem"):
            sourced_id = self.world.fresh_id(entity)
            body = baseline(entity, self.world, sourced_id)
            exchange = self.send("PUT", item_path(entity, sourced_id), json_body={entity: body})
            if exchange.status in (200, 201):
                self.world.anchors[entity] = sourced_id
                self.world.remember(entity, sourced_id)
        self._anchors_ready = True

    def create(self, entity: str, key: object = None) -> tuple[str, Exchange]:
        """PUT a fresh strict record and return its id and the exchange."""
        self.ensure_anchors()
        sourced_id = self.world.fresh_id(entity)
        body = baseline(entity, self.world, sourced_id, key)
        return sourced_id, self.send("PUT", item_path(entity, sourced_id), json_body={entity: body})

    def assigned(self, key: object) -> tuple[str, str]:
        """A (student, lesson) pair with an external-test assignment, made once per pair."""
        lesson = self.world.external_lesson(key)
        if lesson is None:
            return self.world.klass.students[0] if self.world.klass.students else "missing", "missing"
        student = self.world.student_in(self.world.klass, key)
        if (student, lesson.sourcedId) not in self._assignments:
            self.send(
                "POST",
                powerpath_path("makeExternalTestAssignment"),
                json_body={"student": student, "lesson": lesson.sourcedId, "skipCourseEnrollment": True},
            )
            self._assignments.add((student, lesson.sourcedId))
        return student, lesson.sourcedId

    # Cleanup -------------------------------------------------------------------------------------
    def cleanup(self) -> None:
        """Delete every record this process created; dependants first, anchors last."""
        order = ("result", "assessmentResult", "lineItem", "assessmentLineItem", "scoreScale", "category")
        for entity in order:
            for sourced_id in list(self.world.created.get(entity, {})):
                try:
                    exchange = self.client.send("DELETE", item_path(entity, sourced_id))
                except Exception as exc:  # cleanup must go on whatever one deletion does
                    self.cleanup_errors.append(f"{entity} {sourced_id}: {type(exc).__name__}")
                    continue
                if exchange.status in (204, 200, 404):
                    self.world.forget(entity, sourced_id)
                else:
                    self.cleanup_errors.append(f"{entity} {sourced_id}: {exchange.error or exchange.status}")
        LEDGER.requests = self.client.requests


_PLURALS = {e.plural: e.singular for e in ENTITY.values()}


def _entity_of_collection(parts: list[str]) -> str | None:
    for part in reversed(parts):
        if part in _PLURALS:
            return _PLURALS[part]
    return None


def item_path(entity: str, sourced_id: str) -> str:
    from urllib.parse import quote

    return f"{GRADEBOOK}/{ENTITY[entity].plural}/{quote(sourced_id, safe='')}"


def collection_path(entity: str, slash: bool = True) -> str:
    return f"{GRADEBOOK}/{ENTITY[entity].plural}" + ("/" if slash else "")


def powerpath_path(name: str) -> str:
    return f"{POWERPATH}/{name}"

"""One process's view of the run: the target, the client, the world of referencable records,
the schemathesis schemas, and the cleanup of everything the run wrote."""

from __future__ import annotations

import functools
import gc
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote, urlsplit

import schemathesis
from hypothesis import Phase
from schemathesis.config import SchemathesisConfig

from conformance import profiles
from conformance.checks import Recorder
from conformance.client import STOPPED_ANSWERING, Exchange, Origin, SuiteClient, Trace, request_text
from conformance.contract import openapi
from conformance.contract.operations import ENTITY, GRADEBOOK, POWERPATH, Operation, by_id
from conformance.guard import RunStopped
from conformance.session import generation_view
from conformance.session.world import World, baseline
from conformance.session.write_log import WriteLog
from conformance.target import Target

# Expected statuses for an invalid body: 400/422 (docs/api.md#errors), or 404 where the path names a
# record the server looks up before it validates.
_SCHEMATHESIS_CONFIG = {
    "checks": {"negative_data_rejection": {"expected-statuses": ["400", "404", "422"]}},
    "generation": {"allow-x00": False, "with-security-parameters": False, "codec": "utf-8"},
}


@functools.cache
def api_schema(reading: str, profile: str) -> Any:
    """The schemathesis schema of a profile's OpenAPI document under a reading, seen as the case
    generator should see it (``generation_view``)."""
    config = SchemathesisConfig.from_dict(_SCHEMATHESIS_CONFIG)
    document = generation_view.for_generation(openapi.load(reading, profile), reading, profile)  # type: ignore[arg-type]
    schema = schemathesis.openapi.from_dict(document, config=config)
    settle_heap(collect=False)  # the schema lives as long as the process
    return schema


def settle_heap(*, collect: bool = True) -> None:
    """Hide the process's long-lived objects (modules, the collected tests, the schemas)
    from the cyclic garbage collector. A run allocates fast; each full collection walked all of them
    again, and the collector took a fifth of the client's CPU time. ``collect`` first frees what is
    already garbage, so that it is not kept for good; ``cleanup`` gives them back to the collector."""
    if collect:
        gc.collect()
    gc.freeze()


@dataclass
class Options:
    max_examples: int = 20
    seed: int = 0
    only: tuple[str, ...] = ()
    read_only: bool = False
    shrink: bool = True
    concurrency: int = 1  # requests cleanup may have in flight at once (the run's ``--concurrency``)

    @property
    def phases(self) -> tuple[Phase, ...]:
        return (Phase.explicit, Phase.generate, Phase.shrink) if self.shrink else (Phase.explicit, Phase.generate)


@dataclass
class SuiteSession:
    target: Target
    client: SuiteClient
    world: World
    options: Options
    recorder: Recorder  # where every outcome is recorded (tests bind it to their declarations)
    tool_control: str | None = None  # the tool doubles' control prefix, when the target offers one
    token_control: str | None = None  # the token control prefix, when the target offers one
    # Tokens the suite asked for with a chosen scope (session.tokens): by scope, with when to stop using it.
    granted: dict[str, tuple[Any, float]] = field(default_factory=dict)
    cleanup_errors: list[str] = field(default_factory=list)
    # Called with every exchange ``send`` makes: the run's request count, the dialect signs, and the
    # Allure steps when the run writes Allure results.
    observers: list[Callable[[Exchange], None]] = field(default_factory=list)
    _anchors_ready: bool = False
    _assignments: set[tuple[str, str]] = field(default_factory=set)
    # (student, lesson) -> the latest external-test assignment made for it: a PowerPath read naming the
    # pair relies on it, and a replay sends it first.
    _assigned_by: dict[tuple[str, str], Exchange] = field(default_factory=dict)
    # (entity, sourcedId) of PUTs that got no answer: stored or not, cleanup deletes them too.
    _unanswered_puts: set[tuple[str, str]] = field(default_factory=set)
    writes: WriteLog = field(default_factory=WriteLog)  # what it sent that changed or may have changed the target
    _ordinals: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Concurrent tests (``--concurrency``) make the anchors and each assignment once: the first to ask
    # sends, the others wait for it.
    _once: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        # Every failure recorded through this session replays on its own: its steps come with the
        # writes that made the records they name.
        self.recorder = replace(self.recorder, reproducer=self.reproduction)
        settle_heap()  # one session per process, made once the tests are collected

    @property
    def profile(self) -> profiles.Profile:
        return profiles.get(self.target.profile)

    def operation(self, operation_id: str) -> Operation:
        """An operation of the run's profile, by the suite's id for it."""
        return by_id(self.target.profile)[operation_id]

    def collection_path(self, entity: str, slash: bool | None = None) -> str:
        """The collection route; by default as the run's dialect documents it (TimeBack with the
        trailing slash, the official binding without)."""
        return collection_path(entity, self.profile.dialect.collection_slash if slash is None else slash)

    # Sending ---------------------------------------------------------------------------------
    def send(
        self,
        method: str,
        path: str,
        *,
        grant: str | None = None,
        token_of: Exchange | None = None,
        needs: tuple[Exchange, ...] = (),
        pause: float = 0.0,
        **kwargs: Any,
    ) -> Exchange:
        """Send through the run's client; ``grant``, ``token_of`` and ``needs`` say what a replay must
        know of a request that does not carry the run's token, ``pause`` how long to wait before
        sending it (``Exchange``)."""
        writes = grant is None and (method != "GET" or urlsplit(path).path.endswith(_WRITING_GETS))
        if self.options.read_only and writes:
            # --read-only writes nothing, whatever a test, fixture or case preparation asks (a token
            # request stores nothing).
            raise RunStopped(f"read-only run: {method} {urlsplit(path).path} would write, so it is not sent")
        if pause > 0:
            time.sleep(pause)
        pair = _pair(method, path, kwargs)
        if method == "GET" and pair in self._assigned_by:
            needs = (*needs, self._assigned_by[pair])
        exchange = self.client.send(method, path, **kwargs)
        if method == "POST" and pair is not None and exchange.status == 200:
            self._assigned_by[pair] = exchange
        exchange.ordinal = next(self._ordinals)
        exchange.grant, exchange.token_of, exchange.needs, exchange.pause = grant, token_of, needs, pause
        for observer in self.observers:  # the request count, dialect signs, Allure steps
            observer(exchange)
        self.log_write(path, exchange)
        if method in ("PUT", "POST") and exchange.status in (200, 201):
            self._note_write(path, exchange)
        elif method == "DELETE" and exchange.status in (200, 204):
            parts = self._parts(path)
            if len(parts) == 2 and parts[0] in _PLURALS:
                self.world.forget(_PLURALS[parts[0]], unquote(parts[1]))
        elif method == "PUT" and exchange.transport_failure:
            parts = self._parts(path)
            if len(parts) == 2 and parts[0] in _PLURALS:
                self._unanswered_puts.add((_PLURALS[parts[0]], unquote(parts[1])))
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
        parts = self._parts(path)
        # A 200/201 whose body is not JSON still stored the record named by the path.
        pairs = body.get("sourcedIdPairs") if isinstance(body, dict) else None
        if isinstance(pairs, dict | list):
            entity = _entity_of_collection(parts)
            for pair in pairs if isinstance(pairs, list) else [pairs]:
                allocated = pair.get("allocatedSourcedId") if isinstance(pair, dict) else None
                if entity and isinstance(allocated, str) and allocated:
                    self.world.remember(entity, allocated)
            return
        if len(parts) == 2 and parts[0] in _PLURALS and parts[1]:
            self.world.remember(_PLURALS[parts[0]], unquote(parts[1]))

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.send("GET", path, **kwargs)

    # Reproductions -------------------------------------------------------------------------------
    def log_write(self, path: str, exchange: Exchange) -> None:
        """Remember a write the target answered, with the records it names (the path's, those of its
        body, those the server allocated): a later failure naming one replays it first. Writes
        answered with an error count too: a faulty target may have stored them anyway."""
        if exchange.method not in _WRITES or exchange.status is None:
            return
        if exchange.ordinal is None:
            exchange.ordinal = next(self._ordinals)
        parts = self._parts(path)
        named = {unquote(parts[1])} if len(parts) == 2 and parts[0] in _PLURALS else set()
        body = _json(exchange.request_body)
        if isinstance(body, dict) and _entity_of_collection(parts):
            for value in body.values():
                for record in value if isinstance(value, list) else [value]:
                    if isinstance(record, dict) and isinstance(record.get("sourcedId"), str):
                        named.add(record["sourcedId"])
        if exchange.method == "POST":  # what the server allocated (a PUT's record is the path's)
            named.update(Trace.of([exchange]).made[0])
        # Kept for the whole run: without the parsed body and the httpx copy of the answer the checks read.
        kept = Exchange(exchange.method, exchange.url, exchange.request_headers, exchange.request_body, exchange.status)
        kept.headers, kept.body, kept.error, kept.ordinal = (
            exchange.headers,
            exchange.body,
            exchange.error,
            exchange.ordinal,
        )
        kept.grant, kept.token_of, kept.needs = exchange.grant, exchange.token_of, exchange.needs
        self.writes.add(kept, named)

    def reproduction(self, steps: Sequence[Exchange]) -> tuple[list[Exchange], Origin]:
        """For a failure's own steps (the decisive exchange last): the earlier writes they rely on, in
        the order they were sent — those naming a record the steps' requests or the decisive answer
        name (a listed record included), and, in turn, the records those writes name — and where the
        steps went."""
        origin = Origin(self.target.base_url, self.world.prefix)
        if not steps:
            return [], origin
        own = {step.ordinal for step in steps}
        last = steps[-1].ordinal
        texts = [request_text(step) for step in steps] + [steps[-1].body.decode("utf-8", errors="replace")]
        earlier = [w for w in self.writes.relied_on(texts) if w.ordinal not in own]
        earlier = [w for w in earlier if last is None or (w.ordinal or 0) < last]
        # And what any of them needs sent first: the token request whose token it carries, a token's
        # expiry, a refused write whose effect it reads (and, in turn, what those need).
        by_ordinal = {w.ordinal: w for w in earlier}
        waiting = [*steps, *earlier]
        while waiting:
            exchange = waiting.pop()
            for needed in (*exchange.needs, *((exchange.token_of,) if exchange.token_of is not None else ())):
                if needed.ordinal not in own and needed.ordinal not in by_ordinal:
                    by_ordinal[needed.ordinal] = needed
                    waiting.append(needed)
        return sorted(by_ordinal.values(), key=lambda w: w.ordinal or 0), origin

    # Anchors: the records every positive payload may reference -------------------------------
    def ensure_anchors(self) -> None:
        """Create, once per process, a category, score scale, line item and assessment line item."""
        if self._anchors_ready or self.options.read_only:
            return
        with self._once:
            self._make_anchors()

    def _make_anchors(self) -> None:
        if self._anchors_ready:
            return
        for entity in ("category", "scoreScale", "lineItem", "assessmentLineItem"):
            if entity in self.world.anchors:
                continue  # made by an earlier call that stopped at a later anchor
            sourced_id = self.world.fresh_id(entity)
            body = baseline(entity, self.world, sourced_id)
            exchange = self.send("PUT", item_path(entity, sourced_id), json_body={entity: body})
            # Any 2xx: the target says it stored the anchor (a wrong 2xx is for the PUT tests to report).
            if exchange.status is not None and 200 <= exchange.status < 300:
                self.world.anchors[entity] = sourced_id
                self.world.remember(entity, sourced_id)
                continue
            # Bodies reference the anchors. One the target did not create (no answer, an error) fails
            # the test that needed it, against its PUT's requirement, rather than a KeyError later;
            # the next test tries again.
            operation = f"put{entity[0].upper()}{entity[1:]}"
            self.recorder.judge(exchange, operation, expect_success=True)
            self.recorder.expect(
                self.recorder.requirement_for(operation),
                False,
                exchange,
                title="A record every test needs could not be created",
                expected="status 200 or 201",
                actual=f"status {exchange.status}",
            )
        self._anchors_ready = True

    def create(self, entity: str, key: object = None) -> tuple[str, Exchange]:
        """PUT a fresh strict record and return its id and the exchange."""
        self.ensure_anchors()
        sourced_id = self.world.fresh_id(entity)
        if self.options.read_only:  # nothing is created in a read-only run; callers see no 2xx
            path = self.target.base_url + item_path(entity, sourced_id)
            return sourced_id, Exchange("PUT", path, {}, None, error="not sent: read-only run", unsent=True)
        body = baseline(entity, self.world, sourced_id, key)
        return sourced_id, self.send("PUT", item_path(entity, sourced_id), json_body={entity: body})

    def assigned(self, key: object) -> tuple[str, str]:
        """A (student, lesson) pair with an external-test assignment, made once per pair."""
        lesson = self.world.external_lesson(key)
        if lesson is None:
            return self.world.klass.students[0] if self.world.klass.students else "missing", "missing"
        student = self.world.student_in(self.world.klass, key)
        with self._once:
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
        """Delete every record this process created; dependants first, anchors last.

        It runs whatever stopped the run (time budget, interrupt), and gives up once the
        target left a few DELETEs in a row unanswered (one, when it had already stopped answering);
        what it could not delete is listed in ``cleanup_errors``."""
        order = ("result", "assessmentResult", "lineItem", "assessmentLineItem", "scoreScale", "category")
        dead = (self.client.guard.stopped or "").startswith(STOPPED_ANSWERING)
        with self.client.cleaning(allowance=1 if dead else 3):
            for entity in order:
                unanswered = [i for e, i in sorted(self._unanswered_puts) if e == entity]
                doomed = list(dict.fromkeys([*self.world.created.get(entity, {}), *unanswered]))
                # The records of one entity depend on none of each other: deleted together, as the tests ran.
                with ThreadPoolExecutor(max_workers=max(1, min(self.options.concurrency, len(doomed)))) as pool:
                    errors = list(pool.map(functools.partial(self._delete, entity), doomed))
                self.cleanup_errors.extend(error for error in errors if error is not None)
        gc.unfreeze()  # the run is over: what it kept may be collected again (a process may run the suite twice)

    def _delete(self, entity: str, sourced_id: str) -> str | None:
        """Cleanup's DELETE of one record: what went wrong, or None."""
        try:
            exchange = self.client.send("DELETE", item_path(entity, sourced_id))
        except RunStopped as exc:
            return f"{entity} {sourced_id}: not deleted ({exc})"
        except Exception as exc:  # cleanup must go on whatever one deletion does
            return f"{entity} {sourced_id}: {type(exc).__name__}"
        if exchange.status in (204, 200, 404):
            self.world.forget(entity, sourced_id)
            return None
        return f"{entity} {sourced_id}: {exchange.error or exchange.status}"


_PLURALS = {e.plural: e.singular for e in ENTITY.values()}
_WRITES = frozenset({"PUT", "POST", "PATCH", "DELETE"})


def _json(body: bytes | None) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


_WRITING_GETS = (f"{POWERPATH}/importExternalTestAssignmentResults",)  # PowerPath: an import stores results


def _pair(method: str, path: str, sent: dict[str, Any]) -> tuple[str, str] | None:
    """The (student, lesson) a PowerPath request names: an assignment's body, a read's query."""
    route = urlsplit(path).path
    if not route.startswith(POWERPATH) and f"{POWERPATH}/" not in route:
        return None
    source = sent.get("json_body") if method == "POST" else sent.get("params")
    if not isinstance(source, dict):
        return None
    student, lesson = source.get("student"), source.get("lesson")
    return (student, lesson) if isinstance(student, str) and isinstance(lesson, str) else None


def _entity_of_collection(parts: list[str]) -> str | None:
    for part in reversed(parts):
        if part in _PLURALS:
            return _PLURALS[part]
    return None


def item_path(entity: str, sourced_id: str) -> str:
    from urllib.parse import quote

    return f"{GRADEBOOK}/{ENTITY[entity].plural}/{quote(sourced_id, safe='')}"


def collection_path(entity: str, slash: bool) -> str:
    """The collection route, with or without the trailing slash (see ``SuiteSession.collection_path``)."""
    return f"{GRADEBOOK}/{ENTITY[entity].plural}" + ("/" if slash else "")


def powerpath_path(name: str) -> str:
    return f"{POWERPATH}/{name}"

"""The recipe for a third dialect: a new profile definition, its schema folder and its catalogue
wording — and nothing else in the suite or the reference server changes.

The throw-away profile defined here, ``timeback-put204``, reuses TimeBack's shapes, schemas,
operation-table builder and catalogue wording; only its PUT differs: it answers 204 with no body,
where TimeBack documents 201 or 200 with the stored record. Its definition is a ``Dialect``
subclass (two attributes and the name of its server dialect), a reference-server dialect whose PUT
answers 204, and a ``Profile`` that names them; the test registers both (monkeypatched), serves
the profile from an in-process reference server, and runs the suite's upsert state machine and
PUT checks against it in both dialects.

The machine and the checks are driven directly with a session built in the test, the way the
harness builds its own; and the whole harness runs in-process too: a ``Run`` of the profile handed
to pytest the way ``oneroster-conformance run`` hands it (``runner.run_command._pytest``), which
collects the suite for the profile, selects, runs and leaves its verdict on the run. (The command
itself builds its target with ``make_target``, which refuses a profile registered after import;
the test builds its ``Target`` directly.)
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from starlette.responses import Response

from conformance import catalogue, profiles
from conformance.checks import ConformanceFailure, Recorder
from conformance.client import SuiteClient
from conformance.contract import openapi, schemas
from conformance.contract.operations import ENTITIES, Entity, by_id, operations
from conformance.dialect import Dialect
from conformance.ledger import Ledger
from conformance.machines.upsert import UpsertMachine
from conformance.reference import server_dialects
from conformance.reference.auth import TOKEN_PATH
from conformance.reference.context import ServerContext
from conformance.run import Run, RunOptions
from conformance.runner import run_command
from conformance.session.suite_session import Options, SuiteSession, item_path
from conformance.session.world import World, baseline
from conformance.suite import dialect_hint
from conformance.target import Target
from tests.reference._support import CLIENT_ID, CLIENT_SECRET, Api, ThreadServer, uid

pytestmark = pytest.mark.network

NAME = "timeback-put204"


# The profile definition: all a third dialect needs, beside its schemas and catalogue wording (both
# TimeBack's here: schema_subdir "" and no wording file).
class Put204(Dialect):
    """TimeBack's dialect, but a PUT answers 204 with no body."""

    put_success = (204,)
    put_answers_record = False
    server = NAME


class Put204Server(server_dialects.Dialect):
    """TimeBack's reference server, but a PUT answers 204 with no body."""

    def put_answer(self, ctx: ServerContext, entity: Entity, stored: dict[str, Any], updated: bool) -> Response:
        return ctx.render.empty(204)


_TIMEBACK = profiles.get(profiles.TIMEBACK)
PUT204 = profiles.Profile(
    name=NAME,
    title="TimeBack OneRoster 1.2 Gradebook, PUT answering 204",
    schema_subdir=_TIMEBACK.schema_subdir,
    services=_TIMEBACK.services,
    source=_TIMEBACK.source,
    dialect=Put204(),
    operations=_TIMEBACK.operations,  # TimeBack's table builder, re-read by this dialect
    requirements=_TIMEBACK.requirements,
    wording=_TIMEBACK.wording,
    file_tag=NAME,
)

SETTINGS = settings(
    max_examples=4,
    stateful_step_count=8,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@pytest.fixture(scope="module")
def registered() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(profiles.PROFILES, NAME, PUT204)
        patch.setitem(server_dialects.SERVERS, NAME, Put204Server)
        yield


@pytest.fixture(scope="module")
def put204_server(registered: None) -> Iterator[ThreadServer]:
    with ThreadServer(profile=NAME) as server:
        yield server


@pytest.fixture(scope="module")
def timeback_server() -> Iterator[ThreadServer]:
    with ThreadServer(profile=profiles.TIMEBACK) as server:
        yield server


def target_of(profile: str, server: ThreadServer) -> Target:
    """The in-thread server as a target of ``profile``, with the test credentials."""
    return Target(
        base_url=server.base_url,
        token_url=server.base_url + TOKEN_PATH,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        profile=profile,
    )


@contextmanager
def speaking(profile: str, server: ThreadServer) -> Iterator[SuiteSession]:
    """A suite session of ``profile`` against ``server``."""
    target = target_of(profile, server)
    client = SuiteClient(target)
    world = World(target.fixtures(), f"{uid('third')}-", profile, href_base=f"{server.base_url}/ims/oneroster")
    session = SuiteSession(target, client, world, Options(max_examples=4), Recorder(Ledger(), profile))
    try:
        yield session
    finally:
        session.cleanup()
        client.close()


def run_upsert(session: SuiteSession) -> ConformanceFailure | None:
    try:
        run_state_machine_as_test(UpsertMachine.bind(session), settings=SETTINGS)
    except ConformanceFailure as exc:
        return exc
    return None


def put_twice(session: SuiteSession, entity: str) -> list[ConformanceFailure]:
    """PUT a new record, then the same again (an update), each judged by the PUT operation's checks."""
    session.ensure_anchors()
    sourced_id = session.world.fresh_id(entity)
    record = {entity: baseline(entity, session.world, sourced_id)}
    failures = []
    for _ in ("create", "update"):
        exchange = session.send("PUT", item_path(entity, sourced_id), json_body=record)
        try:
            session.recorder.judge(exchange, f"put{entity[0].upper()}{entity[1:]}", expect_success=True)
        except ConformanceFailure as exc:
            failures.append(exc)
    return failures


def upsert_requirements(failure: ConformanceFailure) -> set[str]:
    return {f.finding.requirement for f in failure.failures if f.finding.requirement.endswith("-PUT-UPSERT")}


def test_the_profile_is_assembled_from_its_definition(registered: None) -> None:
    """Its table is TimeBack's builder re-read by its dialect; its schemas and requirements are TimeBack's."""
    ours, theirs = operations(NAME), operations(profiles.TIMEBACK)
    assert [(op.id, op.method, op.path) for op in ours] == [(op.id, op.method, op.path) for op in theirs]
    for op, timeback in zip(ours, theirs, strict=True):
        if op.method == "PUT":
            assert (op.success, op.response) == ((204,), None)
        else:
            assert op == timeback
    assert schemas.schemas_dir(NAME) == schemas.schemas_dir(profiles.TIMEBACK)
    assert list(catalogue.catalogue(NAME)) == list(catalogue.catalogue(profiles.TIMEBACK))
    document = openapi.load("strict", NAME)  # none stored yet: assembled on demand
    assert set(document["paths"]["/ims/oneroster/gradebook/v1p2/results/{sourcedId}"]["put"]["responses"]) >= {"204"}
    server = server_dialects.for_profile(NAME)
    assert isinstance(server, Put204Server) and server.profile == NAME


def test_its_reference_server_answers_a_put_with_204(put204_server: ThreadServer) -> None:
    api = Api(put204_server.base_url)
    try:
        sourced_id = uid("cat")
        path = f"/ims/oneroster/gradebook/v1p2/categories/{sourced_id}"
        body = {"category": {"sourcedId": sourced_id, "status": "active", "title": "Third dialect"}}
        for _ in ("create", "update"):
            put = api.put(path, body)
            assert (put.status_code, put.content) == (204, b"")
        got = api.get(path)
        assert got.status_code == 200 and got.json()["category"]["title"] == "Third dialect"
    finally:
        api.close()


def test_its_checks_pass_against_its_server(put204_server: ThreadServer) -> None:
    """The upsert machine and the PUT operation's checks, in the third dialect, pass its server."""
    watched = [f"GB-{e.singular.upper()}-PUT-UPSERT" for e in ENTITIES]
    with speaking(NAME, put204_server) as session:
        assert by_id(NAME)["putResult"].success == (204,)
        assert run_upsert(session) is None
        for entity in ENTITIES:
            assert put_twice(session, entity.singular) == []
        entries = session.recorder.ledger.entries
    for requirement in watched:
        assert entries[requirement].passed > 0, f"{requirement} was never checked"


def test_timeback_checks_fail_against_its_server(put204_server: ThreadServer) -> None:
    """TimeBack documents 201 or 200 with the record: its checks fail a server answering 204."""
    with speaking(profiles.TIMEBACK, put204_server) as session:
        failure = run_upsert(session)
        assert failure is not None and upsert_requirements(failure), failure
        assert "status 204" in str(failure)
        failed = put_twice(session, "result")
    assert len(failed) == 2  # the create and the update
    assert all(upsert_requirements(f) == {"GB-RESULT-PUT-UPSERT"} for f in failed)


def test_its_checks_fail_against_a_timeback_server(registered: None, timeback_server: ThreadServer) -> None:
    """And the other way round: a TimeBack server's PUT answers 201 with the record, not 204."""
    with speaking(NAME, timeback_server) as session:
        failure = run_upsert(session)
        assert failure is not None and upsert_requirements(failure), failure
        failed = put_twice(session, "category")
    assert len(failed) == 2 and all(upsert_requirements(f) == {"GB-CATEGORY-PUT-UPSERT"} for f in failed)


def test_the_dialect_hint_picks_the_best_matching_other_profile(registered: None) -> None:
    """A run counts the signs of every other registered dialect that its own does not share, and
    the hint names the profile whose dialect matches them best."""
    foreign = {name for name, _ in dialect_hint.foreign_signs(profiles.TIMEBACK)}
    assert "PUT answered 204 with no body" in foreign  # the third dialect's own sign
    assert "sourcedIdPairs is one object" not in foreign  # shared with TimeBack: tells nothing
    official_run = {"verdict": "non-conformant", "profile": profiles.ONEEDTECH}
    like_put204 = Counter(
        {
            "PUT answered 204 with no body": 5,
            "sourcedIdPairs is one object": 2,
            "collections carry totalCount in the body": 3,
        }
    )
    hint = dialect_hint.hint(official_run, like_put204)
    assert hint is not None and hint["profile"] == NAME, hint
    assert f"--profile {NAME}" in hint["message"]
    like_timeback = (
        like_put204
        - Counter({"PUT answered 204 with no body": 5})
        + Counter({"PUT answered with the stored record": 5})
    )
    hint = dialect_hint.hint(official_run, like_timeback)
    assert hint is not None and hint["profile"] == profiles.TIMEBACK, hint


# The whole harness, in-process ------------------------------------------------------------------
def run_suite(profile: str, server: ThreadServer, reports: Path) -> tuple[Run, int, str]:
    """The suite run as ``oneroster-conformance run`` runs it — one ``Run``, pytest in this process
    with the run's plugins — in ``profile`` against ``server``: (the run, pytest's exit code, its output)."""
    target = target_of(profile, server)
    options = RunOptions(max_examples=2, only="GB-RESULT,GB-CATEGORY", reports=str(reports))
    run = Run(target, options, f"oc{secrets.token_hex(3)}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = run_command._pytest(run)
    return run, code, out.getvalue()


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {row["id"]: row["status"] for row in result["requirements"]}


def test_the_whole_suite_passes_its_server(put204_server: ThreadServer, tmp_path: Path) -> None:
    """The harness collects the suite for the profile (its operation table, its catalogue), selects
    by its declarations, runs every selected test and judges: its own server is conformant."""
    run, code, output = run_suite(NAME, put204_server, tmp_path)
    result = run.result
    assert result is not None, output[-3000:]
    assert (result["profile"], result["verdict"], result.get("errors", [])) == (NAME, "conformant", []), output[-3000:]
    assert code == 0, output[-3000:]
    assert [row["id"] for row in result["requirements"]] == list(catalogue.catalogue(NAME))
    seen = statuses(result)
    assert seen["GB-RESULT-PUT-UPSERT"] == seen["GB-CATEGORY-PUT-UPSERT"] == "passed"
    assert seen["PP-ASSIGN"] == "skipped"  # nothing --only selected validates it
    assert "dialect_hint" not in result
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")) == result


def test_the_whole_timeback_suite_fails_its_server(put204_server: ThreadServer, tmp_path: Path) -> None:
    """The same run in the TimeBack profile fails the 204 answers to its PUTs."""
    run, code, output = run_suite(profiles.TIMEBACK, put204_server, tmp_path)
    result = run.result
    assert result is not None, output[-3000:]
    assert (result["profile"], result["verdict"], result.get("errors", [])) == (
        profiles.TIMEBACK,
        "non-conformant",
        [],
    ), output[-3000:]
    assert code != 0
    seen = statuses(result)
    assert seen["GB-RESULT-PUT-UPSERT"] == seen["GB-CATEGORY-PUT-UPSERT"] == "failed"
    (put,) = [row for row in result["requirements"] if row["id"] == "GB-RESULT-PUT-UPSERT"]
    assert any("status 204" in failure["message"] for failure in put["failures"]), put["failures"]
    # Every failure is about the PUTs: their status, and (schemathesis) the status TimeBack documents.
    failed = {rid for rid, status in seen.items() if status == "failed"}
    about_put = {f"GB-{e.singular.upper()}-PUT-UPSERT" for e in ENTITIES}
    assert failed <= about_put | {"GEN-STATUS-DOCUMENTED"}, failed
    (documented,) = [row for row in result["requirements"] if row["id"] == "GEN-STATUS-DOCUMENTED"]
    assert all("Received: 204" in failure["message"] for failure in documented["failures"])
    assert run.signs["PUT answered 204 with no body"] > 0  # the harness saw the third dialect's sign

"""Every failure reproduces: the steps a session records replay on their own against a fresh server,
and ``oneroster-conformance replay`` says which failures of a summary.json still happen — exit 1 while
one does, 0 once none does, 2 for a file it cannot replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import profiles
from conformance.checks import ConformanceFailure
from conformance.ledger import Ledger
from conformance.reference import embedded
from conformance.runner import replay
from conformance.session.suite_session import Options, SuiteSession, item_path
from conformance.session.world import World
from tests._cli import against, cli

FAULT = "drop-score-date"  # results come back without scoreDate: GB-RESULT-RESPONSE-SCHEMA fails


@pytest.fixture
def session() -> Iterator[SuiteSession]:
    """A session of the suite against a plain reference server, recording into its own ledger."""
    from conformance.checks import Recorder

    with replay.reference_client(profiles.TIMEBACK) as client:
        target = client.target
        world = World(target.fixtures(), "oc0a1b2c-m-", target.profile, href_base=f"{target.base_url}/ims/oneroster")
        yield SuiteSession(target, client, world, Options(), Recorder(Ledger(), target.profile))


def _failed(session: SuiteSession, requirement: str) -> dict[str, Any]:
    entry = session.recorder.ledger.entries[requirement]
    data: dict[str, Any] = entry.failures[0]["replay"]
    return data


def test_a_single_exchange_replays_with_the_writes_it_names(session: SuiteSession) -> None:
    """A GET of a record made earlier — on top of the anchors — carries those writes, and only those."""
    session.ensure_anchors()
    sourced_id, _ = session.create("result")
    session.create("lineItem")  # named by nothing the failure sends: not replayed
    got = session.get(item_path("result", sourced_id))
    with pytest.raises(ConformanceFailure):
        session.recorder.expect("GB-RESULT-GET", False, got, title="t", expected="e", actual="a")
    data = _failed(session, "GB-RESULT-GET")
    lines = [f"{s['method']} {s['path'].rsplit('/', 2)[-2]}" for s in data["steps"]]
    assert lines == ["PUT lineItems", "PUT results", "GET results"], lines
    assert data["prefix"] == "oc0a1b2c-m-"
    with replay.reference_client(profiles.TIMEBACK) as fresh:
        assert replay.replay(fresh, data) == replay.Outcome(True)
    with replay.reference_client(profiles.TIMEBACK, [FAULT]) as faulty:
        outcome = replay.replay(faulty, data)
    assert outcome.reason == "the last answer's body differs: /result/scoreDate is missing", outcome


def test_a_trail_replays_from_the_anchors_it_relies_on(session: SuiteSession) -> None:
    """A machine's trail starts after the anchors were made: the replay makes them first."""
    session.ensure_anchors()
    trail = [session.send("POST", f"{item_path('lineItem', session.world.anchors['lineItem'])}/results",
                          json_body={"results": [{"lineItem": {"sourcedId": session.world.anchors["lineItem"]},
                                                  "student": {"sourcedId": session.world.klass.students[0]},
                                                  "status": "active", "scoreStatus": "submitted",
                                                  "scoreDate": "2024-09-02T08:00:00Z"}]})]  # fmt: skip
    allocated = trail[0].json()["sourcedIdPairs"]["allocatedSourcedId"]
    trail.append(session.get(item_path("result", allocated)))
    following = session.recorder.following(lambda: trail)
    with pytest.raises(ConformanceFailure):
        following.expect("GB-PAIRS-ALLOCATED-RESOLVES", False, trail[-1], title="t", expected="e", actual="a")
    data = _failed(session, "GB-PAIRS-ALLOCATED-RESOLVES")
    assert [s["method"] for s in data["steps"]] == ["PUT", "POST", "GET"]
    assert data["steps"][1]["allocated"] == [allocated]
    with replay.reference_client(profiles.TIMEBACK) as fresh:  # its own allocated id, carried to the GET
        assert replay.replay(fresh, data) == replay.Outcome(True)
    # The GET alone names only the allocated id: the POST that allocated it comes first all the same.
    with pytest.raises(ConformanceFailure):
        session.recorder.expect("GB-RESULT-GET", False, trail[-1], title="t", expected="e", actual="a")
    assert _failed(session, "GB-RESULT-GET")["steps"] == data["steps"]


# The command -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """summary.json of a short run against a reference server with the fault."""
    reports = tmp_path_factory.mktemp("failing") / "r"
    with embedded.start(faults=[FAULT]) as server:
        out = against(server, "--only", "GB-RESULT-RESPONSE-SCHEMA", "--max-examples", "2", reports=reports)
    assert out.code == 1, out.stderr[-1500:]
    return reports / "summary.json"


def _replay(summary: Path, *args: str) -> Any:
    return cli("replay", str(summary), *args, reports=summary.parent if summary.is_file() else summary)


def test_the_failure_reproduces_with_the_fault_and_not_without(failing: Path) -> None:
    rows = {r["id"]: r for r in json.loads(failing.read_text(encoding="utf-8"))["requirements"]}
    kept = len(rows["GB-RESULT-RESPONSE-SCHEMA"]["failures"])
    out = _replay(failing, "--requirement", "GB-RESULT-RESPONSE-SCHEMA", "--fault", FAULT)
    assert out.code == 1, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == kept and all(line.endswith(" still fails: it reproduces") for line in lines), out.stdout
    assert lines[0].startswith("GB-RESULT-RESPONSE-SCHEMA")
    # The plain server: "after the fix"; the reports directory names the summary as well as its path.
    fixed = _replay(failing.parent, "--requirement", "GB-RESULT-RESPONSE-SCHEMA")
    assert fixed.code == 0, fixed.stderr
    assert all(
        " is fixed: it does not reproduce: the last answer's body differs: " in line
        for line in fixed.stdout.splitlines()
    )
    assert "scoreDate is there, the failing run had none" in fixed.stdout
    assert "Traceback" not in out.stderr + fixed.stderr


@pytest.mark.parametrize(
    ("content", "args", "says"),
    [
        (None, (), "cannot read"),
        ("{not json", (), "is not JSON"),
        ('{"requirements": 3}', (), "is not a summary.json"),
        ('{"requirements": [{"id": "GB-X", "failures": [{"replay": {"steps": []}}]}]}', (), "has no steps"),
        ('{"requirements": [{"id": "GB-X", "failures": [{"message": "m"}]}]}', (), "holds no replayable steps"),
        (None, ("--requirement", "GB-NOT-FAILED"), "holds no failure of GB-NOT-FAILED"),
        (None, ("--fault", "no-such-fault"), "no-such-fault"),
        (None, ("--fault", FAULT, "--base-url", "http://127.0.0.1:9"), "cannot go with --base-url"),
    ],
)
def test_what_cannot_be_replayed_is_one_line_and_exit_2(
    failing: Path, tmp_path: Path, content: str | None, args: tuple[str, ...], says: str
) -> None:
    summary = failing if args else tmp_path / "summary.json"
    if content is not None:
        summary.write_text(content, encoding="utf-8")
    out = _replay(summary, *args)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.code == 2 and len(lines) == 1 and says in lines[0], (out.code, out.stderr)
    assert lines[0].startswith("oneroster-conformance: error: ") and not out.stdout


def test_a_target_that_does_not_answer_exits_3(failing: Path) -> None:
    out = _replay(failing, "--base-url", "http://127.0.0.1:9", "--token", "not-a-secret-token")
    assert out.code == 3 and "Traceback" not in out.stderr and "not-a-secret-token" not in out.stderr, out.stderr

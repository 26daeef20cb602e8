"""The PowerPath external-test machine against the reference server: it passes the correct server,
keeps to the observable subset without a tool control interface, and fails each PowerPath fault with
the requirement the fault breaks, showing the shrunk steps as curl commands."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance import profiles
from conformance.checks import ConformanceFailure, Recorder
from conformance.ledger import Ledger
from conformance.machines import tool_control
from conformance.machines.external_tests import ExternalTestMachine
from conformance.reference import embedded
from conformance.runner.replay import reference_client
from conformance.session.controls import discover
from conformance.session.suite_session import Options, SuiteSession
from conformance.session.world import World
from tests._cli import Outcome, against

pytestmark = pytest.mark.network

SETTINGS = settings(
    max_examples=8,
    stateful_step_count=12,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[p for p in Phase if p is not Phase.explain],
)


LEDGER = Ledger()  # what this module's machines recorded


@contextmanager
def session_for(*faults: str, control: bool = True) -> Iterator[SuiteSession]:
    with reference_client(profiles.TIMEBACK, faults) as client:
        target = client.target
        session = SuiteSession(
            target,
            client,
            World(target.fixtures(), "selftest-", target.profile),
            Options(),
            Recorder(LEDGER, target.profile),
        )
        session.tool_control = discover(client).tools if control else None
        yield session


def run_machine(session: SuiteSession, lesson_id: str) -> ConformanceFailure | None:
    lesson = next(x for x in session.world.fixtures.lessons if x.sourcedId == lesson_id)
    try:
        run_state_machine_as_test(ExternalTestMachine.for_lesson(lesson).bind(session), settings=SETTINGS)
    except ConformanceFailure as exc:
        return exc
    return None


def outcomes(requirement: str) -> tuple[int, int]:
    entry = LEDGER.entries.get(requirement)
    return (entry.passed, entry.failed) if entry else (0, 0)


@pytest.mark.parametrize("lesson", ["fx-lesson-test-out-edulastic", "fx-lesson-placement-mastery-track"])
def test_the_correct_server_passes_the_whole_cycle(lesson: str) -> None:
    finalize = "PP-FINALIZE-EDULASTIC" if "edulastic" in lesson else "PP-FINALIZE-MASTERY-TRACK"
    watched = ("PP-IMPORT", "PP-PROGRESS", "PP-NOT-FINALIZED-EARLY", finalize, "PP-NO-REIMPORT", "PP-ATTEMPTS")
    before = {r: outcomes(r) for r in watched}
    with session_for() as session:
        assert session.tool_control == "/_conformance/tools"
        assert run_machine(session, lesson) is None
    for requirement in watched:
        passed, failed = outcomes(requirement)
        assert failed == before[requirement][1], requirement
        assert passed > before[requirement][0], f"{requirement} was never checked"


@pytest.mark.parametrize("variant", ["benign-hidden-control", None])
def test_without_tool_control_only_the_observable_subset_runs(variant: str | None) -> None:
    """Nobody takes the test: nothing finalizes, and nothing is held against the server for that."""
    before = {r: outcomes(r) for r in ("PP-IMPORT", "PP-NOT-FINALIZED-EARLY", "PP-ATTEMPTS", "PP-NO-REIMPORT")}
    with session_for(*[v for v in [variant] if v], control=False) as session:
        assert run_machine(session, "fx-lesson-unit-test-edulastic") is None
    assert outcomes("PP-IMPORT")[0] > before["PP-IMPORT"][0]
    assert outcomes("PP-NOT-FINALIZED-EARLY")[0] > before["PP-NOT-FINALIZED-EARLY"][0]
    for requirement in ("PP-ATTEMPTS", "PP-NO-REIMPORT"):  # they need a finalized attempt: never reached
        assert outcomes(requirement) == before[requirement], requirement


# Without tool control: finalizations judged on the evidence the server shows -------------------------------
AUTONOMOUS = "benign-autonomous-tool"  # someone takes the test while the suite runs


@pytest.mark.parametrize("lesson", ["fx-lesson-test-out-edulastic", "fx-lesson-unit-test-mastery-track"])
def test_without_control_a_finalization_the_evidence_supports_passes(lesson: str) -> None:
    finalize = "PP-FINALIZE-EDULASTIC" if "edulastic" in lesson else "PP-FINALIZE-MASTERY-TRACK"
    watched = ("PP-NOT-FINALIZED-EARLY", finalize, "PP-NO-REIMPORT", "PP-ATTEMPTS")
    before = {r: outcomes(r) for r in watched}
    skipped = len(LEDGER.entries[finalize].skips) if finalize in LEDGER.entries else 0
    with session_for(AUTONOMOUS) as session:
        assert session.tool_control is None  # the variant announces no interface
        assert run_machine(session, lesson) is None
    for requirement in watched:
        passed, failed = outcomes(requirement)
        assert failed == before[requirement][1], requirement
        assert passed > before[requirement][0], f"{requirement} was never checked"
    assert len(LEDGER.entries[finalize].skips) == skipped, "the evidence was there: nothing is left unchecked"


# fault (with the autonomous tool) → (a lesson that shows it, the requirements it must fail, what the evidence shows)
CONTRADICTED = {
    "premature-finalization": ("fx-lesson-unit-test-edulastic", {"PP-NOT-FINALIZED-EARLY", "PP-FINALIZE-EDULASTIC"}),
    "mastery-track-finalize-without-processed": (
        "fx-lesson-test-out-mastery-track",
        {"PP-NOT-FINALIZED-EARLY", "PP-FINALIZE-MASTERY-TRACK"},
    ),
}


@pytest.mark.parametrize("fault", CONTRADICTED)
def test_without_control_a_finalization_the_evidence_contradicts_fails(fault: str) -> None:
    lesson, expected = CONTRADICTED[fault]
    with session_for(fault, AUTONOMOUS) as session:
        failure = run_machine(session, lesson)
    assert failure is not None, f"{fault} was not caught without tool control"
    assert expected <= {f.finding.requirement for f in failure.failures}
    message = str(failure)
    shown = "question" if "edulastic" in lesson else "masteryTrackProcessed 'false'"
    assert "Expected:    every question answered" in message or "Expected:    the attempt's AssessmentResult" in message
    assert shown in message and "nobody took the test" not in message
    assert 0 < len(failure.failures[0].steps) <= 16, "the shrunk run is short"


def test_without_control_no_evidence_is_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server whose AssessmentResults cannot be read: its MasteryTrack finalizations are neither passed
    nor failed, but reported not checked, with the reason."""
    monkeypatch.setattr(tool_control, "assessment_result", lambda *args: (None, None))
    finalize = "PP-FINALIZE-MASTERY-TRACK"
    before = outcomes(finalize)
    with session_for(AUTONOMOUS) as session:
        assert run_machine(session, "fx-lesson-placement-mastery-track") is None
    assert outcomes(finalize) == before
    assert any("needs the tool control interface" in reason for reason in LEDGER.entries[finalize].skips)


# Every example on an attempt of its own ----------------------------------------------------------------------
@pytest.mark.parametrize("variant", [None, AUTONOMOUS])
def test_every_example_starts_on_an_attempt_of_its_own(variant: str | None) -> None:
    """Each example's first assignment is a new attempt (a higher number than any seen before), and its
    steps start there, whatever the earlier examples left behind."""
    starts: list[tuple[bool, int, str]] = []

    class Recording(ExternalTestMachine):
        def _own_attempt(self) -> bool:
            own = super()._own_attempt()
            starts.append((own, self.attempt.number, self.student))
            assert self.steps and self.steps[0].method == "POST", "the steps start at the assignment"
            return own

    lesson = "fx-lesson-test-out-edulastic" if variant is None else "fx-lesson-unit-test-mastery-track"
    with session_for(*[v for v in [variant] if v]) as session:
        fixture = next(x for x in session.world.fixtures.lessons if x.sourcedId == lesson)
        run_state_machine_as_test(Recording.for_lesson(fixture).bind(session), settings=SETTINGS)
    assert len(starts) >= SETTINGS.max_examples
    assert all(own for own, _, _ in starts), starts
    for student in {s for _, _, s in starts}:
        numbers = [n for _, n, s in starts if s == student]
        assert numbers == sorted(set(numbers)), (student, numbers)


# fault → (a lesson that shows it, the requirements it must fail)
MACHINE_FAULTS = {
    "premature-finalization": ("fx-lesson-unit-test-edulastic", {"PP-NOT-FINALIZED-EARLY"}),
    "reimport-after-finalization": ("fx-lesson-unit-test-mastery-track", {"PP-NO-REIMPORT"}),
    "edulastic-score-average-of-answered": ("fx-lesson-unit-test-edulastic", {"PP-EDULASTIC-SCORE"}),
    "attempt-not-incremented": ("fx-lesson-unit-test-edulastic", {"PP-ATTEMPTS"}),
    "enroll-despite-skip": ("fx-lesson-test-out-edulastic", {"PP-ENROLLMENT"}),
    "mastery-track-finalize-without-processed": ("fx-lesson-test-out-mastery-track", {"PP-FINALIZE-MASTERY-TRACK"}),
}


@pytest.mark.parametrize("fault", MACHINE_FAULTS)
def test_each_fault_fails_its_requirement_with_shrunk_steps(fault: str) -> None:
    lesson, expected = MACHINE_FAULTS[fault]
    with session_for(fault) as session:
        failure = run_machine(session, lesson)
    assert failure is not None, f"{fault} was not caught"
    assert expected <= {f.finding.requirement for f in failure.failures}
    message = str(failure)
    assert "Steps:" in message and "curl -sS -X" in message
    assert '"Authorization: Bearer $ONEROSTER_TOKEN"' in message  # the token itself is never printed
    assert 0 < len(failure.failures[0].steps) <= 16, "the shrunk run is short"


# CLI: `oneroster-conformance run --only PP` against a faulty server, as a vendor would run it.
CLI_FAULTS = {
    "premature-finalization": "PP-NOT-FINALIZED-EARLY",
    "import-without-assignment-200": "PP-FAIL-NO-ASSIGNMENT",
    "non-external-lesson-accepted": "PP-FAIL-NON-EXTERNAL",
    "enroll-despite-skip": "PP-ENROLLMENT",
}


def _run_cli(fault: str, reports: Path) -> Outcome:  # about 10-25 s each
    with embedded.start(faults=[fault]) as server:
        return against(server, "--only", "PP", "--max-examples", "3", reports=reports)


@pytest.mark.slow
def test_the_cli_fails_powerpath_faults(tmp_path: Path) -> None:
    with ThreadPoolExecutor(len(CLI_FAULTS)) as pool:  # one server each: the runs are independent
        outs = dict(zip(CLI_FAULTS, pool.map(lambda f: _run_cli(f, tmp_path / f), CLI_FAULTS), strict=True))
    for fault, requirement in CLI_FAULTS.items():
        out = outs[fault]
        assert out.code == 1, (fault, out.stderr[-1500:])
        assert requirement in out.failed(), (fault, out.failed())
        row = next(r for r in out.summary["requirements"] if r["id"] == requirement)
        assert "Steps:" in row["failures"][0]["message"] or fault in ("non-external-lesson-accepted",), fault
        assert "curl -sS -X" in row["failures"][0]["reproduction"], fault


@pytest.mark.slow
def test_the_cli_passes_the_correct_server(tmp_path: Path) -> None:
    with embedded.start() as server:
        out = against(server, "--only", "PP", "--max-examples", "3", reports=tmp_path / "r")
    assert out.code == 0, out.stderr[-1500:]
    rows = [r for r in out.summary["requirements"] if r["id"].startswith("PP-")]
    assert rows and all(r["status"] in ("passed", "observed") for r in rows), [(r["id"], r["status"]) for r in rows]

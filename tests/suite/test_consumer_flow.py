"""Google Classroom's grade sync: the ``consumer-flow`` command, and the INTEROP requirements a run
records from the same flow (SHOULD: they fail the verdict only under ``--strict``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance import profiles
from conformance.reference import embedded
from tests._cli import against, cli

STEP = re.compile(r"^(pass|FAIL|note|skip) +(\d+\.\d|—) ms  ")


def _steps(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if STEP.match(line)]


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_the_grade_sync_passes_against_the_reference_server(profile: str, tmp_path: Path) -> None:
    out = cli("consumer-flow", "--profile", profile, reports=tmp_path / "r")
    assert out.code == 0, out.stdout + out.stderr
    steps = _steps(out.stdout)
    # Token; the teacher's classes, the class, its students, the term's grading periods; categories,
    # line item created, listed, edited, listed; result created, listed, extra credit, listed, exempt,
    # listed, deleted, gone; line item deleted, gone; a page of 10,000.
    assert len(steps) == 21, out.stdout
    assert not [s for s in steps if s.startswith(("FAIL", "skip"))], out.stdout
    assert all(STEP.match(s).group(2) != "—" for s in steps), "every step sent shows its latency"  # type: ignore[union-attr]
    assert "a title of 112 characters" in out.stdout and "score 300" in out.stdout
    # Both profiles' documents answer a replacing PUT 201, which the notebook accepts and likes less than 200.
    (edit,) = [s for s in steps if "PutLineItem Edit" in s]
    assert edit.endswith("status 201 (the notebook prefers 200 for a replaced record)"), edit
    assert re.search(r"grade sync: all 21 steps passed; 21 requests, mean latency \d+\.\d ms", out.stderr)


ROSTERING_STEPS = ("GetClassesForTeacher", "GetClass", "GetStudentsForClass", "GetGradingPeriodsForTerm")


def test_the_grade_sync_starts_from_a_teacher_read_through_rostering(tmp_path: Path) -> None:
    """The whole flow against ``serve --profile 1edtech`` as a remote server: the fixtures discovered,
    a token asked for with the rostering scope, then teacher, classes, students, grading periods,
    categories, line items, results and deletes, every step passing."""
    with embedded.start(profile="1edtech") as server:
        target = ["--base-url", server.base_url, "--token-url", server.token_url, "--client-id", server.client_id]
        out = cli("consumer-flow", *target, "--profile", "1edtech", reports=tmp_path / "r", env=server.environment())
    assert out.code == 0, out.stdout + out.stderr
    assert "fixtures: teacher: fx-teacher-1 (teaches class fx-class-1)" in out.stderr
    names = [re.sub(r"^\S+ +\S+ ms  ", "", s).split(":")[0] for s in _steps(out.stdout)]
    assert names[:5] == ["Get OAuth Token", *ROSTERING_STEPS], names
    assert names[-2:] == ["DeleteLineItem", "Line item deleted"], names
    assert len(names) == 21 and not [s for s in _steps(out.stdout) if not s.startswith("pass")], out.stdout
    (students,) = [s for s in _steps(out.stdout) if "GetStudentsForClass" in s]
    assert "status 200, 2 listed" in students


def test_a_step_the_server_breaks_fails_the_flow_and_says_what_was_expected(tmp_path: Path) -> None:
    out = cli(
        "consumer-flow", "--profile", "1edtech", "--fault", "benign-unknown-scope-refused", reports=tmp_path / "r"
    )
    assert out.code == 1, out.stdout + out.stderr
    (token,) = [s for s in _steps(out.stdout) if "Get OAuth Token" in s]
    assert (
        token.startswith("FAIL") and "expected status 200 with an access_token" in token and "got status 400" in token
    )
    assert "1 of" in out.last_line and "step(s) failed" in out.last_line


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--base-url", "http://127.0.0.1:9", "--token", "x" * 12, "--fault", "drop-score-date"], 2, "--fault"),
        (["--base-url", "http://127.0.0.1:9", "--token", "x" * 12], 3, "unreachable"),
        (["--fault", "no-such-fault"], 2, "no-such-fault"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(args: list[str], code: int, words: str, tmp_path: Path) -> None:
    out = cli("consumer-flow", *args, reports=tmp_path / "r")
    assert out.code == code, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in out.stderr, out.stderr


def test_a_consumer_expectation_fails_the_verdict_only_under_strict(tmp_path: Path) -> None:
    with embedded.start(faults=("benign-unknown-scope-refused",), profile=profiles.ONEEDTECH) as server:
        lenient = against(server, "--profile", "1edtech", "--only", "INTEROP", reports=tmp_path / "a")
        strict = against(server, "--profile", "1edtech", "--only", "INTEROP", "--strict", reports=tmp_path / "b")
    assert lenient.code == 0 and lenient.summary["verdict"] == "conformant", lenient.stderr[-1500:]
    assert lenient.failed() == ["INTEROP-TOKEN-EXTRA-SCOPES"]
    assert "--strict counts them" in lenient.last_line
    assert strict.code == 1 and strict.summary["verdict"] == "non-conformant" and strict.summary["strict"] is True
    assert strict.failed() == ["INTEROP-TOKEN-EXTRA-SCOPES"]
    assert strict.last_line.startswith("oneroster-conformance: non-conformant (--strict)")
    (message,) = strict.messages()
    assert "Google Classroom's grade sync would stop here: Get OAuth Token" in message
    assert "Google Classroom OneRoster 1.2 conformance notebook" in message

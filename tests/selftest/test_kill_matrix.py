"""The suite can fail, and never fails a correct server: the kill matrix, per profile. Without it a
suite that passes everything would look as good as one that checks something.

CI runs each profile's representative subset (the ``ci`` profiles of each fault in
conformance/reference/faults.toml); `tox -e faults` runs all of it.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import catalogue, cli, profiles
from conformance.reference import embedded
from conformance.reference.faults import ALL, REGISTRY, registry
from conformance.selftest import matrix
from conformance.selftest.matrix import (
    BASELINE,
    Row,
    expectations,
    matrix_name,
    run_dir,
    run_one,
    unknown_requirements,
    write,
)

OFFICIAL = profiles.ONEEDTECH


def test_every_harmful_fault_has_an_expectation_citing_known_requirements() -> None:
    table = expectations()
    for name, fault in REGISTRY.items():
        entry = table[name]
        if fault.harmful:
            assert entry.expect, f"{name} has no expected requirement"
            for requirement in entry.expect:  # the matrix runs --strict: a SHOULD fails a run too
                assert catalogue.get(requirement, profiles.TIMEBACK).level in ("MUST", "SHOULD"), (
                    f"{name}: {requirement} cannot fail a run"
                )
        else:
            assert not entry.expect, f"benign {name} must not expect a failure"


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_ci_subset_is_representative(profile: str) -> None:
    table = expectations(profile)
    harmful = [e for e in table.values() if e.ci and e.harmful]
    benign = [e for e in table.values() if e.ci and not e.harmful and e.fault != BASELINE]
    assert len(harmful) >= 12 and len(benign) >= 3
    categories = {ALL[e.fault].category for e in harmful}
    assert len(categories) >= 8, categories


def test_every_1edtech_fault_has_an_expectation_citing_its_own_catalogue() -> None:
    table = expectations(OFFICIAL)
    assert set(table) == {BASELINE, *registry(OFFICIAL)}
    assert all(bool(entry.expect) == ALL[name].harmful for name, entry in table.items() if name != BASELINE)
    assert unknown_requirements(OFFICIAL) == []
    assert unknown_requirements(profiles.TIMEBACK) == []
    # The same bug, caught by the binding's own requirement where the TimeBack one does not exist there.
    assert table["post-returns-200"].expect == ("GB-RESULT-POST-FOR-LINEITEM",)
    assert expectations()["post-returns-200"].expect == ("GB-RESULT-CREATE",)


def test_each_profile_writes_its_own_matrix(tmp_path: Path) -> None:
    row = Row("benign-gzip", harmful=False, expected=[], verdict="conformant", exit_code=0)
    write([row], tmp_path)
    write([row], tmp_path, OFFICIAL)
    assert matrix_name(OFFICIAL) == "kill-matrix-1edtech"
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["kill-matrix-1edtech.json", "kill-matrix-1edtech.md", "kill-matrix.json", "kill-matrix.md"]
    assert (tmp_path / "kill-matrix-1edtech.md").read_text(encoding="utf-8").startswith("# Fault matrix (1edtech")
    assert json.loads((tmp_path / "kill-matrix-1edtech.json").read_text(encoding="utf-8"))[0]["profile"] == OFFICIAL
    assert run_dir(tmp_path, "benign-gzip") == tmp_path / "benign-gzip"
    assert run_dir(tmp_path, BASELINE, OFFICIAL) == tmp_path / "1edtech" / "baseline"


@pytest.mark.parametrize(
    ("code", "reported", "must_failed", "ok"),
    [
        (1, ["INTEROP-TOKEN-EXTRA-SCOPES"], False, True),
        (0, [], False, False),  # the SHOULD it names did not fail: the data is wrong, or the check is blind
        (1, ["INTEROP-TOKEN-EXTRA-SCOPES", "INTEROP-EXEMPT"], False, False),  # a SHOULD it does not name
        (1, ["GB-CATEGORY-GET", "INTEROP-TOKEN-EXTRA-SCOPES"], True, False),  # a MUST: not benign at all
    ],
)
def test_a_benign_fault_with_shoulds_passes_only_when_exactly_those_fail(
    code: int, reported: list[str], must_failed: bool, ok: bool
) -> None:
    verdict = "non-conformant" if code else "conformant"
    row = Row("benign-unknown-scope-refused", False, [], verdict, code, reported, should=["INTEROP-TOKEN-EXTRA-SCOPES"])
    row.must_failed = must_failed
    assert row.ok == ok
    assert row.outcome == ("passed, failing only the SHOULDs it names" if ok else "FALSE FAILURE")


@pytest.mark.parametrize(
    ("reproduces", "plain_passes", "exempt", "ok", "outcome"),
    [
        (True, True, "", True, "killed"),
        (False, None, "", False, "killed, but its failure does not reproduce"),
        (True, False, "", False, "killed, but its failure reproduces on the plain server too"),
        (None, None, "", False, "killed, but its failure does not reproduce"),
        (False, None, "shared state", True, "killed (its failure is not expected to replay: shared state)"),
        (True, True, "shared state", True, "killed"),
    ],
)
def test_a_harmful_fault_is_killed_only_when_its_failure_replays(
    reproduces: bool | None, plain_passes: bool | None, exempt: str, ok: bool, outcome: str
) -> None:
    row = Row(
        "drop-score-date", True, ["GB-RESULT-RESPONSE-SCHEMA"], "non-conformant", 1, ["GB-RESULT-RESPONSE-SCHEMA"]
    )
    row.reproduces, row.plain_passes, row.replay_exempt = reproduces, plain_passes, exempt
    assert (row.ok, row.outcome) == (ok, outcome)
    # Every category's failures are expected to replay, PowerPath's included.
    assert not matrix.not_replayable("premature-finalization") and not matrix.not_replayable("drop-score-date")


def test_the_matrix_shows_each_replay(tmp_path: Path) -> None:
    held = Row(
        "drop-score-date", True, ["GB-RESULT-RESPONSE-SCHEMA"], "non-conformant", 1, ["GB-RESULT-RESPONSE-SCHEMA"]
    )
    held.reproduces, held.plain_passes, held.replay_note = True, True, "GB-RESULT-RESPONSE-SCHEMA, 2 steps"
    broke = Row("delete-noop", True, ["GB-SOFT-DELETE"], "non-conformant", 1, ["GB-SOFT-DELETE"])
    broke.reproduces, broke.replay_note = (
        False,
        "GB-SOFT-DELETE, 3 steps: with the fault, step 2 answered 404, the failing run saw 204",
    )
    write([held, broke], tmp_path)
    table = (tmp_path / "kill-matrix.md").read_text(encoding="utf-8")
    assert "| reproduces, not on the plain server (GB-RESULT-RESPONSE-SCHEMA, 2 steps) |" in table
    assert "| GB-SOFT-DELETE, 3 steps: with the fault, step 2 answered 404, the failing run saw 204 |" in table
    assert "- Harmful faults killed: 1/2" in table and "- Replays that hold: 1/2" in table
    rows = json.loads((tmp_path / "kill-matrix.json").read_text(encoding="utf-8"))
    assert [(r["reproduces"], r["plain_passes"], r["ok"]) for r in rows] == [(True, True, True), (False, None, False)]


def _no_server(**_: object) -> embedded.RunningServer:
    raise embedded.ServerStartError("reference server did not start: [Errno 98] address already in use")


def test_a_server_that_does_not_start_is_an_error_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(embedded, "start", _no_server)
    row = run_one(expectations()["drop-score-date"], tmp_path, max_examples=1, seed=0)
    assert (row.outcome, row.ok, row.verdict) == ("ERROR", False, "")
    assert row.error == "reference server did not start: [Errno 98] address already in use"
    code = cli.main(["selftest", "--faults", "benign-gzip,drop-score-date", "--reports", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    assert "0/3 as expected" in out and "✘ drop-score-date: ERROR" in out and "address already in use" in out
    rows = json.loads((tmp_path / "kill-matrix.json").read_text(encoding="utf-8"))
    assert [(r["fault"], r["outcome"], r["ok"]) for r in rows] == [
        (BASELINE, "ERROR", False),
        ("benign-gzip", "ERROR", False),
        ("drop-score-date", "ERROR", False),
    ]
    table = (tmp_path / "kill-matrix.md").read_text(encoding="utf-8")
    assert "- Harmful faults killed: 0/1" in table and "passed: 0/2" in table
    assert "| ERROR — reference server did not start: [Errno 98] address already in use |" in table


@pytest.mark.parametrize(
    ("summary", "error"),
    [
        (None, "the run (exit 1) wrote no summary.json"),
        ({"errors": ["suite/test_auth.py: CollectError"]}, "suite/test_auth.py: CollectError"),
    ],
)
def test_a_run_that_ends_unjudged_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, summary: dict[str, list[str]] | None, error: str
) -> None:
    def run_suite(server: object, out: Path, max_examples: int, seed: int, concurrency: str) -> tuple[int, str]:
        if summary is not None:
            out.mkdir(parents=True)
            body = {"verdict": "non-conformant", "requests": 0, "requirements": [], **summary}
            (out / "summary.json").write_text(json.dumps(body), encoding="utf-8")
        return 1, ""

    monkeypatch.setattr(embedded, "start", lambda **_: contextlib.nullcontext(object()))
    monkeypatch.setattr(matrix, "_run_suite", run_suite)
    row = run_one(expectations()[BASELINE], tmp_path, max_examples=1, seed=0)
    assert (row.error, row.ok) == (error, False)


def test_selftest_refuses_a_fault_of_another_profile(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "selftest",
            "--profile",
            OFFICIAL,
            "--faults",
            "premature-finalization",
            "--reports",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith("(see 'serve --profile 1edtech --list-faults')"), done.stderr
    assert list(tmp_path.iterdir()) == []


def _selftest(tmp_path: Path, *args: str, profile: str = profiles.TIMEBACK) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "selftest", "--profile", profile, "--reports", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
    )
    matrix = tmp_path / f"{matrix_name(profile)}.json"
    rows: list[dict[str, object]] = json.loads(matrix.read_text(encoding="utf-8"))
    assert done.returncode == 0, (done.stdout, [r for r in rows if not r["ok"]])
    return rows


def _replays_hold(harmful: list[dict[str, object]]) -> None:
    """Each harmful fault's first failure replayed: it fails again with the fault, not without (or the
    row says why it cannot be expected to)."""
    for row in harmful:
        assert (row["reproduces"] and row["plain_passes"]) or row["replay_exempt"], (row["fault"], row["replay"])


def _ci_rows() -> list[object]:
    """Each profile's CI subset, a test per fault: pytest-xdist spreads the runs over its workers."""
    return [
        pytest.param(profile, name, id=f"{profile}-{name}")
        for profile in (profiles.TIMEBACK, OFFICIAL)
        for name, entry in expectations(profile).items()
        if entry.ci
    ]


@pytest.mark.parametrize(("profile", "fault"), _ci_rows())
def test_ci_subset_kill_matrix(tmp_path: Path, profile: str, fault: str) -> None:
    """A harmful fault is killed by what it must be, and its first failure replays; a benign
    variation passes (or fails exactly the SHOULDs it names)."""
    row = run_one(expectations(profile)[fault], tmp_path, max_examples=3, seed=0, profile=profile)
    assert row.ok, (row.outcome, row.expected, row.reported, row.error, row.replay_note)


@pytest.mark.slow
@pytest.mark.parametrize("profile", [profiles.TIMEBACK, OFFICIAL])
def test_ci_subset_kill_matrix_with_tests_running_together(tmp_path: Path, profile: str) -> None:
    """As against a far target: each run's tests 8 at a time. Every harmful fault is still killed by
    what it must be, and no benign variation fails because tests ran beside each other."""
    rows = _selftest(tmp_path, "--subset", "ci", "--max-examples", "3", "--concurrency", "8", profile=profile)
    assert all(r["ok"] for r in rows)
    _replays_hold([r for r in rows if r["harmful"]])


@pytest.mark.slow
def test_full_kill_matrix(tmp_path: Path) -> None:
    rows = _selftest(tmp_path)
    assert len(rows) == len(REGISTRY) + 1


@pytest.mark.slow
def test_full_kill_matrix_1edtech(tmp_path: Path) -> None:
    rows = _selftest(tmp_path, profile=OFFICIAL)
    assert len(rows) == len(registry(OFFICIAL)) + 1


def test_a_bad_concurrency_is_one_line_before_any_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "selftest", "--reports", str(tmp_path), "--concurrency", "many"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "oneroster-conformance: error: --concurrency must be auto or a whole number from 1 to 64, not 'many'"
    ]
    assert list(tmp_path.iterdir()) == []

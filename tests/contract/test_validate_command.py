"""``oneroster-conformance validate KIND FILE [--reading]`` (the README's command-line contract).

Exit 0 and "valid" for a valid payload (under the lenient reading it also names the strict-only
gaps); exit 1 and one line per problem (JSON pointer and reason) for an invalid one; exit 2 and a
single line on stderr, no traceback, for an unreadable file, a non-JSON file or an unknown kind.
Every case runs twice: in-process through ``cli.main`` and as ``python -m conformance``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import cli, settings
from conformance.contract import schemas
from conformance.exits import Exit

from ._support import REPO

Run = Callable[..., tuple[int, str, str]]

T = "2024-03-01T10:00:00Z"
RESULT_LENIENT = {
    "lineItem": {"sourcedId": "line-item-1"},
    "student": {"sourcedId": "student-1"},
    "scoreDate": T,
    "score": 9,
}
RESULT_STRICT = {**RESULT_LENIENT, "status": "active", "scoreStatus": "fully graded"}
RESULT_BROKEN = {"status": "Active", "student": {}, "scoreDate": "yesterday", "score": "85"}


@pytest.fixture(params=["main", "subprocess"])
def run(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the command line, in-process or as a child process: (exit code, stdout, stderr)."""

    def in_process(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    def child(*args: str) -> tuple[int, str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(settings.ENV_PREFIX)}
        done = subprocess.run(
            [sys.executable, "-m", "conformance", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    return in_process if request.param == "main" else child


def write(tmp_path: Path, data: Any, name: str = "payload.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_usage_error(code: int, out: str, err: str) -> None:
    assert code == Exit.USAGE
    assert out == ""
    assert err.startswith("oneroster-conformance: error: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err


def test_valid_payload_exits_0(run: Run, tmp_path: Path) -> None:
    """A payload valid under both readings: exit 0, one 'valid' line, no strict note."""
    path = write(tmp_path, {"result": RESULT_STRICT})
    code, out, err = run("validate", "result.putRequest", str(path))
    assert (code, err) == (Exit.OK, "")
    assert out == f"{path}: valid result.putRequest (lenient reading)\n"


def test_lenient_valid_payload_names_the_strict_only_gaps(run: Run, tmp_path: Path) -> None:
    """Seed 002's shape is valid under the lenient reading; the output names what the strict reading adds."""
    path = write(tmp_path, {"result": RESULT_LENIENT})
    code, out, _ = run("validate", "result.putRequest", str(path))
    gaps = schemas.problems("result.putRequest", {"result": RESULT_LENIENT}, "strict")
    assert gaps, "the payload was meant to have strict-only gaps"
    assert code == Exit.OK
    assert out.startswith(f"{path}: valid result.putRequest (lenient reading)")
    assert "strict" in out
    assert all(str(gap) in out for gap in gaps)


def test_strict_reading_rejects_the_strict_only_gaps(run: Run, tmp_path: Path) -> None:
    """With --reading strict the same payload is invalid: exit 1, the missing members named."""
    path = write(tmp_path, {"result": RESULT_LENIENT})
    code, out, _ = run("validate", "result.putRequest", str(path), "--reading", "strict")
    assert code == Exit.FAILED
    for gap in schemas.problems("result.putRequest", {"result": RESULT_LENIENT}, "strict"):
        assert f"{path}: {gap}\n" in out


def test_invalid_payload_exits_1_with_each_pointer_and_reason(run: Run, tmp_path: Path) -> None:
    """Each problem is printed as '<file>: <pointer>: <reason>', then a count."""
    path = write(tmp_path, {"result": RESULT_BROKEN})
    code, out, err = run("validate", "result.putRequest", str(path))
    found = schemas.problems("result.putRequest", {"result": RESULT_BROKEN}, "lenient")
    assert len(found) >= 5
    assert (code, err) == (Exit.FAILED, "")
    lines = out.splitlines()
    assert lines[:-1] == [f"{path}: {problem.pointer}: {problem.message}" for problem in found]
    assert str(len(found)) in lines[-1] and "invalid" in lines[-1]


def test_unreadable_file_exits_2(run: Run, tmp_path: Path) -> None:
    """A file that does not exist: exit 2, one line naming it."""
    missing = tmp_path / "absent.json"
    code, out, err = run("validate", "result.putRequest", str(missing))
    assert_usage_error(code, out, err)
    assert str(missing) in err


def test_directory_instead_of_file_exits_2(run: Run, tmp_path: Path) -> None:
    """A directory is not a readable payload file: exit 2, one line."""
    assert_usage_error(*run("validate", "result.putRequest", str(tmp_path)))


@pytest.mark.parametrize("content", [b"{not json", b"", b"\xff\xfe\x00garbage"], ids=["syntax", "empty", "not-utf8"])
def test_non_json_file_exits_2(run: Run, tmp_path: Path, content: bytes) -> None:
    """A file that is not JSON (bad syntax, empty, not UTF-8): exit 2, one line naming the file."""
    path = tmp_path / "payload.json"
    path.write_bytes(content)
    code, out, err = run("validate", "result.putRequest", str(path))
    assert_usage_error(code, out, err)
    assert str(path) in err


@pytest.mark.parametrize("kind", ["results.putRequest", "result.noSuchDefinition", "nosuch"])
def test_unknown_kind_exits_2(run: Run, tmp_path: Path, kind: str) -> None:
    """An unknown schema or definition: exit 2, one line naming it and pointing at --list."""
    code, out, err = run("validate", kind, str(write(tmp_path, {})))
    assert_usage_error(code, out, err)
    assert repr(kind) in err and "--list" in err


def test_missing_arguments_exit_2(run: Run) -> None:
    """'validate' without KIND and FILE is a usage error."""
    assert_usage_error(*run("validate"))


def test_list_shows_every_kind_and_its_readings(run: Run) -> None:
    """'validate --list' prints each kind once, marking those with a lenient and a strict reading."""
    code, out, _ = run("validate", "--list")
    assert code == Exit.OK
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(schemas.kinds())
    for line in lines:
        assert line.endswith("[lenient|strict]") == schemas.has_readings(line.split()[0])
    assert "result.putRequest  [lenient|strict]" in lines


def test_profile_judges_with_that_profiles_schemas(run: Run, tmp_path: Path) -> None:
    """``--profile 1edtech``: the official binding's schemas judge, and the lines name the profile; the
    same payload TimeBack takes is refused where the binding requires more (scoreStatus)."""
    path = write(tmp_path, {"result": RESULT_LENIENT})
    code, out, _ = run("validate", "result.putRequest", str(path))
    assert code == Exit.OK and out.startswith(f"{path}: valid result.putRequest (lenient reading)")
    code, out, _ = run("validate", "result.putRequest", str(path), "--profile", "1edtech")
    assert code == Exit.FAILED
    assert out.splitlines() == [
        f"{path}: /result/scoreStatus: is required but missing",
        f"{path}: invalid result.putRequest (lenient reading, 1edtech profile): 1 problem(s)",
    ]
    graded = write(tmp_path, {"result": {**RESULT_LENIENT, "scoreStatus": "fully graded"}}, "graded.json")
    code, out, _ = run("validate", "result.putRequest", str(graded), "--profile", "1edtech")
    assert code == Exit.OK and out.startswith(f"{graded}: valid result.putRequest (lenient reading, 1edtech profile)")


def test_profile_lists_its_own_kinds_and_refuses_an_unknown_one(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("validate", "--list", "--profile", "1edtech")
    assert code == Exit.OK
    assert [line.split()[0] for line in out.splitlines()] == list(schemas.kinds("1edtech"))
    assert list(schemas.kinds("1edtech")) != list(schemas.kinds())
    code, out, err = run("validate", "common.ClassGUIDRef", str(write(tmp_path, {})))
    assert_usage_error(code, out, err)
    assert "'common.ClassGUIDRef'" in err
    assert_usage_error(*run("validate", "result.putRequest", str(write(tmp_path, {})), "--profile", "nope"))


def test_a_reader_that_goes_away_is_no_traceback() -> None:
    """``validate --list | head -1``: the pipe closes early; no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(settings.ENV_PREFIX)}
    listing = subprocess.Popen(
        [sys.executable, "-m", "conformance", "validate", "--list"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.readline()
    listing.stdout.close()  # what head does after its line
    err = listing.stderr.read().decode()
    listing.wait(60)
    assert "Traceback" not in err, err

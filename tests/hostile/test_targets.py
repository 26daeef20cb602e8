"""`oneroster-conformance run` against hostile targets: servers that hang, reset, flood,
drip, redirect, fail or throttle, and token endpoints that break.

Every run must end within a bound, exit 3 (nothing usable answered before any test) or 1 (the run
happened and MUSTs failed), explain itself in one line on stderr, print no traceback, leak no
secret, never send anything to the origin a redirect points at, and — when tests ran — write
summary.json with the verdict, transport failures reported against the requirement that was being
checked, and what was never checked marked skipped with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.checks import TRANSPORT_FAILURE
from conformance.client import MAX_BODY, STOP_AFTER_FAILURES

from ._support import Outcome, assert_reported_run, assert_well_behaved, run
from .servers import HostileServer

pytestmark = pytest.mark.network  # loopback servers only (127.0.0.0/8)

Hostile = Callable[..., HostileServer]


def _no_suite_errors(out: Outcome) -> None:
    """No Python exception escaped a test: whatever the target answered, the suite judged it."""
    assert "errors" not in out.summary, out.summary["errors"]


def _wait_for(condition: Callable[[], bool], within: float = 5) -> None:
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _nothing_reached(recorder: HostileServer) -> None:
    assert recorder.seen == [], [(s.method, s.target, sorted(s.headers)) for s in recorder.seen]


# Nothing usable before any test: exit 3, one line ----------------------------------------------------
BEFORE_ANY_TEST = [
    pytest.param("reset", "ok", (), "Connection reset by peer", id="api-resets"),
    pytest.param(
        "huge", "ok", (), f"answered with a body larger than {MAX_BODY} bytes, past the suite's cap", id="api-64MB-body"
    ),
    pytest.param(
        "redirect",
        "ok",
        (),
        "(302) to http://127.0.0.2:… ; the suite does not follow redirects with credentials: "
        "give the final URL as --base-url",
        id="api-redirects",
    ),
    pytest.param("drip", "ok", ("--request-deadline", "2"), "request deadline of 2 s", id="api-drips"),
    pytest.param("ok-empty", "garbage", (), "answered something that is not a token", id="token-garbage"),
    pytest.param("ok-empty", "error", (), "answered 500 instead of a token", id="token-500"),
    pytest.param("ok-empty", "hang", ("--read-timeout", "2"), "timed out (ReadTimeout, 2 s)", id="token-hangs"),
    pytest.param(
        "ok-empty",
        "redirect",
        (),
        "redirected (307) to http://127.0.0.2:… instead of answering a token; the suite does not follow redirects "
        "with credentials: give the final URL as --token-url",
        id="token-redirects",
    ),
]


def _says(expected: str, line: str) -> bool:
    """``expected`` in ``line``, where ``…`` in it stands for whatever the run could not know in advance (a port)."""
    head, _, tail = expected.partition("…")
    if not tail:
        return expected in line
    at = line.find(head)
    return at >= 0 and tail.strip() in line[at + len(head) :]


@pytest.mark.parametrize(("api", "token", "extra", "says"), BEFORE_ANY_TEST)
def test_unusable_before_any_test_exits_3(
    api: str, token: str, extra: tuple[str, ...], says: str, hostile: Hostile, recorder: HostileServer, tmp_path: Path
) -> None:
    server = hostile(api, token=token)
    out = run(server, tmp_path / "r", *extra, limit=90)
    assert_well_behaved(out, (3,), within=30)
    assert _says(says, out.last_line), out.last_line
    # "unreachable" only where nothing usable came back: a target that answered is named for what it did.
    assert ("unreachable" in out.last_line) is (api in ("reset", "drip") or token == "hang"), out.last_line
    _nothing_reached(recorder)
    if api == "huge":  # the body was abandoned early: never read to its 64 MB end
        _wait_for(lambda: server.largest_sent > 0)
        assert 0 < server.largest_sent < 24 * 1024 * 1024, server.largest_sent


def test_hanging_target_with_default_settings_exits_3_in_one_read_timeout(hostile: Hostile, tmp_path: Path) -> None:
    """No flag: the default read timeout (30 s) bounds a target that accepts and never answers."""
    out = run(hostile("hang"), tmp_path / "r", limit=120)
    assert_well_behaved(out, (3,), within=60)
    assert "timed out (ReadTimeout, 30 s)" in out.last_line
    assert out.elapsed >= 29


@pytest.mark.slow
def test_dripping_target_with_default_settings_exits_3_at_the_request_deadline(
    hostile: Hostile, tmp_path: Path
) -> None:
    """No flag: a byte a second never trips the 30 s read timeout; the 60 s request deadline ends it."""
    out = run(hostile("drip"), tmp_path / "r", limit=150)
    assert_well_behaved(out, (3,), within=90)
    assert "request deadline of 60 s" in out.last_line


# Stops answering once the tests run: exit 1, transport failures, the run stopped ----------------------
STOPS_ANSWERING = [
    pytest.param(
        "hang",
        ("--read-timeout", "0.5", "--request-deadline", "3"),
        "timed out (ReadTimeout, 0.5 s)",
        "a complete HTTP answer within 3 s (each read within 0.5 s)",
        id="hangs",
    ),
    pytest.param(
        "reset",
        (),
        "Connection reset by peer",
        "a complete HTTP answer within 60 s (each read within 30 s)",
        id="resets",
    ),
    pytest.param(
        "huge",
        (),
        f"response body larger than {MAX_BODY} bytes",
        f"an HTTP answer of at most {MAX_BODY} bytes",
        id="64MB-bodies",
    ),
    pytest.param(
        "drip",
        ("--read-timeout", "5", "--request-deadline", "0.5"),
        "request deadline of 0.5 s",
        "a complete HTTP answer within 0.5 s (each read within 5 s)",
        id="drips",
    ),
]


@pytest.mark.parametrize(("api", "extra", "error", "expected"), STOPS_ANSWERING)
def test_target_that_stops_answering_fails_and_stops_the_run(
    api: str,
    extra: tuple[str, ...],
    error: str,
    expected: str,
    hostile: Hostile,
    recorder: HostileServer,
    tmp_path: Path,
) -> None:
    server = hostile(api, preflight_ok=True)
    out = run(server, tmp_path / "r", *extra, limit=120)
    assert_well_behaved(out, (1,), within=60)
    summary = assert_reported_run(out)
    _no_suite_errors(out)
    _nothing_reached(recorder)
    # Transport failures are failed findings, with the fixed title, the limit and the error.
    transport = [m for m in out.messages() if f"— {TRANSPORT_FAILURE}" in m]
    assert transport, out.messages()[:3]
    assert all(f"Expected:    {expected}" in m and error in m for m in transport), transport[0]
    assert "for want of an HTTP answer" in out.last_line
    # …and then the run stopped sending instead of taking forever.
    assert summary["cut_short"].startswith(f"target stopped answering: {STOP_AFTER_FAILURES} requests in a row")
    assert summary["requests"] < 60, summary["requests"]
    assert "the run was cut short (target stopped answering" in out.last_line
    unchecked = [r for r in summary["requirements"] if r["status"] == "skipped"]
    assert unchecked and any(
        r["reason"].startswith("not checked: the run was cut short (target stopped answering") for r in unchecked
    )
    assert not any(
        r["status"] == "passed" and r["level"] == "MUST" and r["id"] != "GEN-AUTH-TOKEN"
        for r in summary["requirements"]
    ), "a requirement never answered cannot have passed"
    # Cleanup still ran, gave up quickly, and says what it could not delete.
    assert summary.get("cleanup_failures"), "cleanup of a dead target must report what it left"
    assert summary["run_id"] and all(summary["run_id"] in c for c in summary["cleanup_failures"])
    if api == "huge":
        _wait_for(lambda: server.largest_sent > 0)
        assert 0 < server.largest_sent < 24 * 1024 * 1024, server.largest_sent


# Answers, but wrongly: the run happens and fails ----------------------------------------------------------
WRONG_ANSWERS = [
    pytest.param("garbage", "not JSON", id="garbage-200"),
    pytest.param("error", "status 500", id="500-everywhere"),
    pytest.param("redirect", "status 302", id="302-to-another-origin"),
]


@pytest.mark.parametrize(("api", "shows"), WRONG_ANSWERS)
def test_target_answering_wrongly_fails_the_run(
    api: str, shows: str, hostile: Hostile, recorder: HostileServer, tmp_path: Path
) -> None:
    # A redirect already at the preflight is a base URL to correct (exit 3, BEFORE_ANY_TEST); here the
    # server redirects only once the tests run.
    out = run(hostile(api, preflight_ok=api == "redirect"), tmp_path / "r", "--no-shrink", limit=150)
    assert_well_behaved(out, (1,), within=100)
    summary = assert_reported_run(out)
    _no_suite_errors(out)
    assert "cut_short" not in summary  # it answered every request: nothing was cut short
    assert any(shows in m for m in out.messages()), out.messages()[:2]
    _nothing_reached(recorder)  # a 302 is reported, never followed (credentials or not)


@pytest.mark.parametrize("workers", [(), ("--workers", "2")], ids=["one-process", "two-workers"])
def test_failing_target_with_default_settings_finishes_in_about_a_minute(
    hostile: Hostile, recorder: HostileServer, tmp_path: Path, workers: tuple[str, ...]
) -> None:
    """429 forever, with Retry-After: 1, and the brief's command as is (only --max-examples 2),
    shrinking every failure included: retry waiting is capped, then the 429s are reported; with two
    workers sharing their pauses too."""
    out = run(hostile("throttle"), tmp_path / "r", *workers, limit=240)
    assert_well_behaved(out, (1,), within=150)
    summary = assert_reported_run(out)
    _no_suite_errors(out)
    _nothing_reached(recorder)
    assert "cut_short" not in summary
    assert any("status 429" in m for m in out.messages()), out.messages()[:2]

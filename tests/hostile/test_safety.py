"""Safety on real servers, proven against the embedded reference server through a
recording reverse proxy: ``--read-only`` sends nothing but GETs; every write names the run's prefix;
cleanup runs when the run is interrupted (SIGINT, SIGTERM) and leaves no active record behind;
the time budget cuts a run short, honestly."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from conformance import fixtures as fixtures_module
from conformance.client import SuiteClient
from conformance.contract.operations import ENTITIES, GRADEBOOK, POWERPATH
from conformance.guard import Guard
from conformance.reference import embedded
from tests._cli import valid_summary

from ._support import COMMAND, environment, run, run_args
from .proxy import Logged, RecordingProxy

pytestmark = pytest.mark.network  # loopback servers only (127.0.0.0/8)

TOKEN_PATH = "/oauth2/token"
STOP_HANG_GUARD = 180  # seconds: a hang, not a slow machine (an idle one stops in about 2 s)
IN_FLIGHT_PER_PROCESS = 2
PLURALS = {e.plural: e.singular for e in ENTITIES}


@pytest.fixture
def proxied() -> Iterator[tuple[Any, RecordingProxy]]:
    """The embedded reference server, and a recording proxy in front of it."""
    with embedded.start() as server, RecordingProxy(server.base_url) as proxy:
        yield server, proxy


def _run_through(proxied: tuple[Any, RecordingProxy], reports: Path, *extra: str) -> Any:
    server, proxy = proxied
    return run(proxy, reports, *extra, client_id=server.client_id, client_secret=server.client_secret, limit=240)


def test_read_only_sends_nothing_but_gets(proxied: tuple[Any, RecordingProxy], tmp_path: Path) -> None:
    out = _run_through(proxied, tmp_path / "r", "--read-only", "--max-examples", "3")
    assert out.code == 0, out.stderr[-2000:]  # and a read-only run passes a conformant server
    assert out.summary["verdict"] == "conformant"
    log = proxied[1].entries()
    assert len([e for e in log if e.method == "GET"]) > 50  # the suite did run
    not_get = [(e.method, e.target) for e in log if e.method != "GET" and e.path != TOKEN_PATH]
    assert not_get == []
    assert all(e.method == "POST" for e in log if e.path == TOKEN_PATH)
    imports = [e.target for e in log if e.path == f"{POWERPATH}/importExternalTestAssignmentResults"]
    assert imports == []  # a GET that writes (PowerPath stores the imported results) is not sent either


def _record_ids(body: bytes) -> list[Any]:
    """The sourcedIds of the records a gradebook write body carries (not the records it references)."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return []
    ids: list[Any] = []
    if isinstance(data, dict):
        for key, value in data.items():
            items = value if isinstance(value, list) and key in PLURALS else [value] if key in PLURALS.values() else []
            ids += [item.get("sourcedId") for item in items if isinstance(item, dict) and "sourcedId" in item]
    return ids


def _allocated(log: list[Logged]) -> set[str]:
    """sourcedIds the server allocated to records the run POSTed (sourcedIdPairs): the run's too."""
    ids = set()
    for entry in log:
        if entry.method == "POST" and entry.status in (200, 201):
            try:
                pairs = json.loads(entry.answer).get("sourcedIdPairs")
            except (ValueError, AttributeError):
                continue
            for pair in pairs if isinstance(pairs, list) else [pairs]:
                if isinstance(pair, dict) and isinstance(pair.get("allocatedSourcedId"), str):
                    ids.add(pair["allocatedSourcedId"])
    return ids


def _gradebook_write_problems(entry: Logged, prefix: str, allocated: set[str]) -> list[str]:
    parts = entry.path.removeprefix(GRADEBOOK).strip("/").split("/")
    problems = []
    # An item route (…/<plural>/<id>, scoped or not) names the record written: it must be the run's.
    named = unquote(parts[-1]) if len(parts) >= 2 and parts[-2] in PLURALS else ""
    if named and not named.startswith(prefix) and named not in allocated:
        problems.append(f"{entry.method} {entry.path}: the record in the path is not the run's")
    # A record a body carries: its sourcedId, when a string (what names a record), is the run's. A
    # negative case's null or number names none; the server must refuse it, and may.
    for sourced_id in _record_ids(entry.body):
        if isinstance(sourced_id, str) and not sourced_id.startswith(prefix):
            problems.append(f"{entry.method} {entry.path}: body sourcedId {sourced_id!r} is not the run's")
    return problems


def test_every_write_carries_the_run_prefix(proxied: tuple[Any, RecordingProxy], tmp_path: Path) -> None:
    out = _run_through(proxied, tmp_path / "r")
    assert out.code == 0, out.stderr[-2000:]
    prefix = out.summary["run_id"]
    assert prefix.startswith("oc") and len(prefix) >= 6
    writes = [e for e in proxied[1].entries() if e.method != "GET" and e.path != TOKEN_PATH]
    gradebook = [e for e in writes if e.path.startswith(GRADEBOOK)]
    assert len(gradebook) > 100
    allocated = _allocated(proxied[1].entries())
    problems = [p for e in gradebook for p in _gradebook_write_problems(e, prefix, allocated)]
    assert problems == [], problems[:10]
    # Writes outside the gradebook: PowerPath assignments, which carry no sourcedId of their own — every
    # one that took effect names the fixtures' students and lessons — and the reference server's tool doubles.
    fixtures = fixtures_module.load(None)
    known = set(fixtures.students) | {x.sourcedId for x in fixtures.lessons}
    for entry in writes:
        if entry.path.startswith(POWERPATH):
            if 200 <= entry.status < 300:
                body = json.loads(entry.body)
                assert {body["student"], body["lesson"]} <= known, entry
        else:
            assert entry.path.startswith((GRADEBOOK, "/_conformance/")), entry


def test_writes_refused_for_scope_name_only_the_runs_own_records(tmp_path: Path) -> None:
    """The scope checks send writes with tokens they expect refused: each names a fresh run-prefixed
    sourcedId, or a record the run created just before (a DELETE), never one it did not create."""
    with embedded.start(profile="1edtech") as server, RecordingProxy(server.base_url) as proxy:
        only = "GEN-AUTH-SCOPE-ENFORCED,GEN-AUTH-SCOPE-GRANTED"
        out = run(proxy, tmp_path / "r", "--profile", "1edtech", "--only", only, **_credentials(server))
        log = proxy.entries()
    assert out.code == 0, out.stderr[-2000:]
    prefix = out.summary["run_id"]
    refused = [e for e in log if e.method != "GET" and e.path.startswith(GRADEBOOK) and e.status in (401, 403)]
    assert len(refused) >= 15, [(e.method, e.path, e.status) for e in refused]  # every write operation, once
    problems = [p for e in refused for p in _gradebook_write_problems(e, prefix, set())]
    assert problems == [], problems[:10]
    for index, entry in enumerate(log):
        if entry not in refused:
            continue
        earlier = log[:index]
        created = {e.path for e in earlier if e.method == "PUT" and e.status in (200, 201)}
        stored = {
            i for e in earlier if e.method in ("PUT", "POST") and 200 <= e.status < 300 for i in _record_ids(e.body)
        }
        if entry.method == "DELETE":
            assert entry.path in created, f"a refused DELETE of a record the run did not create: {entry.path}"
        else:
            fresh = [i for i in _record_ids(entry.body) if isinstance(i, str)]
            assert fresh and not set(fresh) & stored, f"a refused {entry.method} named a stored record: {fresh}"


def _credentials(server: Any) -> dict[str, str]:
    return {"client_id": server.client_id, "client_secret": server.client_secret}


# Interrupted runs -------------------------------------------------------------------------------------
def _active_with_prefix(server: Any, prefix: str) -> dict[str, list[str]]:
    target = server.target()
    client = SuiteClient(target, guard=Guard())
    try:
        found = {}
        for plural in PLURALS:
            exchange = client.send(
                "GET", f"{GRADEBOOK}/{plural}/", params={"filter": f"sourcedId~'{prefix}' AND status='active'"}
            )
            assert exchange.status == 200, exchange.line()
            found[plural] = [r["sourcedId"] for r in exchange.json()[plural]]
        return found
    finally:
        client.close()


def _wait_for_progress(stderr: Path, process: subprocess.Popen[bytes], requests: int, within: float) -> str:
    """Wait until a progress line on stderr counts at least ``requests`` requests."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and process.poll() is None:
        for line in stderr.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("[") and " requests, " in line and int(line.split(" tests, ")[1].split()[0]) >= requests:
                return line
        time.sleep(0.2)
    raise AssertionError(f"no progress line with {requests} requests: {stderr.read_text(errors='replace')[-2000:]}")


def _hang_report(stderr: Path, reports: Path, proxy: RecordingProxy, before_signal: int) -> str:
    """What a run that did not stop was doing: its last words, whether it wrote its summary, and what
    it sent after the signal (still testing, cleaning up, or nothing at all)."""
    after = proxy.entries()[before_signal:]
    sent = [f"{e.method} {e.path} -> {e.status}" for e in after[-8:]]
    tail = stderr.read_text(encoding="utf-8", errors="replace").splitlines()[-12:]
    return (
        f"the run did not stop within {STOP_HANG_GUARD} s of the signal; summary.json written: "
        f"{(reports / 'summary.json').is_file()}; {len(after)} requests after the signal, the last: {sent}; "
        f"its stderr ends: {tail}"
    )


@pytest.mark.parametrize(
    ("signum", "workers", "concurrency"),
    [(signal.SIGINT, "1", "1"), (signal.SIGTERM, "1", "1"), (signal.SIGINT, "2", "1"), (signal.SIGTERM, "1", "4")],
    ids=["SIGINT", "SIGTERM", "SIGINT-2-workers", "SIGTERM-4-together"],
)
def test_an_interrupted_run_cleans_up_and_reports(
    signum: signal.Signals, workers: str, concurrency: str, proxied: tuple[Any, RecordingProxy], tmp_path: Path
) -> None:
    """The signal goes to the run's process only (as `kill` sends it); with workers, the controller's
    stop reaches them through the stop file, and each cleans up what it wrote; with tests running
    together, each of them stops."""
    server, proxy = proxied
    reports, secret = tmp_path / "r", server.client_secret
    argv = run_args(
        proxy.base_url, proxy.token_url, server.client_id, reports, "--max-examples", "500", "--workers", workers,
        "--concurrency", concurrency,
    )  # fmt: skip
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("wb") as out_file, stderr.open("wb") as err_file:
        process = subprocess.Popen(
            argv, stdout=out_file, stderr=err_file, env=environment(secret), cwd=tmp_path, stdin=subprocess.DEVNULL
        )
        try:
            _wait_for_progress(stderr, process, requests=300, within=90)
            process.send_signal(signum)
            before_signal = len(proxy.entries())
            try:
                code = process.wait(STOP_HANG_GUARD)
            except subprocess.TimeoutExpired:
                raise AssertionError(_hang_report(stderr, reports, proxy, before_signal)) from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    text = stderr.read_text(encoding="utf-8", errors="replace") + stdout.read_text(encoding="utf-8", errors="replace")
    assert code == 130, text[-3000:]
    # Promptness is judged by what was sent, not by the clock (a shared CI machine may be slow): after the
    # signal, each process finishes at most the request it had in flight, then only cleanup's DELETEs.
    after = [e for e in proxy.entries()[before_signal:] if e.method != "DELETE" and e.path != TOKEN_PATH]
    assert len(after) <= IN_FLIGHT_PER_PROCESS * int(workers) * int(concurrency), [(e.method, e.path) for e in after]
    for bad in ("Traceback", "KeyboardInterrupt", "INTERNALERROR"):
        assert bad not in text, text[-3000:]
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    assert summary["cut_short"] == f"interrupted by {signum.name}"
    assert "cleanup_failures" not in summary, summary["cleanup_failures"]
    assert "errors" not in summary, summary["errors"]
    assert summary["verdict"] == "non-conformant"  # the MUST requirements it never reached are not vouched for
    last = [line for line in stderr.read_text(encoding="utf-8").splitlines() if line.strip()][-1]
    assert last.startswith("oneroster-conformance: ") and f"interrupted by {signum.name}" in last, last
    # The run did write records, and none of them is active any more.
    prefix = summary["run_id"]
    written = [e for e in proxy.entries() if e.method == "PUT" and e.status in (200, 201) and prefix in e.path]
    assert written, "the run was interrupted before it wrote anything: the test proves nothing"
    assert _active_with_prefix(server, prefix) == {plural: [] for plural in PLURALS}


def test_the_time_budget_cuts_a_run_short_without_vouching_for_the_rest(tmp_path: Path) -> None:
    reports = tmp_path / "r"
    started = time.monotonic()
    done = subprocess.run(
        [*COMMAND, "run", "--time-budget", "3", "--max-examples", "50", "--reports", str(reports)],
        capture_output=True,
        text=True,
        env=environment("unused-secret"),
        timeout=180,
        check=False,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr[-2000:]
    assert elapsed < 90
    assert "Traceback" not in done.stderr + done.stdout
    summary = valid_summary(json.loads((reports / "summary.json").read_text(encoding="utf-8")))
    assert summary["cut_short"] == "the run's time budget of 3 s ran out"
    assert summary["verdict"] == "non-conformant"
    assert not [r for r in summary["requirements"] if r["status"] == "failed"]
    unchecked = [r for r in summary["requirements"] if r["status"] == "skipped" and r["level"] == "MUST"]
    cut = "not checked: the run was cut short (the run's time budget of 3 s ran out)"
    assert any(r["reason"] == cut for r in unchecked), unchecked[:3]
    assert not any("not exercised by the tests selected" in r["reason"] for r in unchecked)
    assert "cleanup_failures" not in summary
    markdown = (reports / "summary.md").read_text(encoding="utf-8")
    assert "**Cut short:** the run's time budget of 3 s ran out" in markdown
    last = done.stderr.strip().splitlines()[-1]
    assert "the run was cut short (the run's time budget of 3 s ran out)" in last

"""The client's defences, one at a time, in-process against hostile loopback servers:
the request deadline, the body cap, redirects, retry waiting, a target that stops answering, a
token endpoint that breaks mid-run — and the checks turning a transport failure into a failed
finding of the requirement being checked."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

from conformance.checks import TRANSPORT_FAILURE, Context, Finding, Recorder
from conformance.checks.error_bodies import ERROR_CHECKS
from conformance.checks.mapping import not_found_requirement, success_requirement
from conformance.checks.responses import RESPONSE_CHECKS
from conformance.client import (
    MAX_BODY,
    MAX_THROTTLED_WAIT,
    STOP_AFTER_FAILURES,
    STOP_AFTER_SILENCE,
    Exchange,
    SuiteClient,
)
from conformance.client import _client as client_module  # where MAX_THROTTLED_WAIT is read
from conformance.contract.operations import BY_ID
from conformance.guard import Guard, RunStopped
from conformance.ledger import Ledger
from conformance.profiles import TIMEBACK
from conformance.settings import OPTIONS
from conformance.target import Target, make_target

from .servers import HostileServer

pytestmark = pytest.mark.network  # loopback servers only (127.0.0.0/8)

Hostile = Callable[..., HostileServer]
TOKEN = "static-token-for-hostile-tests"


def _client(server: HostileServer, guard: Guard | None = None, **timeouts: float) -> SuiteClient:
    target = make_target(base_url=server.origin, token=TOKEN, **timeouts)  # type: ignore[arg-type]
    return SuiteClient(target, guard=guard or Guard())


def test_the_defaults_bound_every_wait() -> None:
    """With no flag at all, each wait has a finite bound: what 'about a minute' rests on."""
    target = Target("http://127.0.0.1:9", token=TOKEN)
    assert (target.connect_timeout, target.read_timeout, target.deadline) == (5.0, 30.0, 60.0)
    assert Target("http://127.0.0.1:9", token=TOKEN, read_timeout=45).deadline == 90  # never below two reads
    assert (MAX_THROTTLED_WAIT, STOP_AFTER_SILENCE, STOP_AFTER_FAILURES) == (15.0, 60.0, 20)
    assert dict((flag, default) for flag, default, _ in OPTIONS)["--time-budget"] == "900"


def test_a_dripping_answer_ends_at_the_request_deadline(hostile: Hostile) -> None:
    """One byte a second (status line and headers too) never trips a 5 s read timeout; the deadline ends it."""
    client = _client(hostile("drip"), read_timeout=5, request_deadline=1.5)
    started = time.monotonic()
    exchange = client.send("GET", "/anything")
    assert time.monotonic() - started < 4
    assert exchange.status is None and exchange.transport_failure
    assert exchange.error == "no complete answer within the request deadline of 1.5 s"
    assert exchange.limits == "a complete HTTP answer within 1.5 s (each read within 5 s)"


def test_a_hanging_answer_ends_at_the_read_timeout(hostile: Hostile) -> None:
    client = _client(hostile("hang"), read_timeout=0.5)
    started = time.monotonic()
    exchange = client.send("GET", "/anything")
    assert time.monotonic() - started < 3
    assert exchange.error == "timed out (ReadTimeout, 0.5 s): connected, then nothing within the read timeout"


def test_an_endless_body_is_abandoned_near_the_cap(hostile: Hostile) -> None:
    server = hostile("huge")
    exchange = _client(server).send("GET", "/anything")
    assert exchange.error == f"response body larger than {MAX_BODY} bytes"
    assert exchange.body == b"" and exchange.status is None
    deadline = time.monotonic() + 5
    while server.largest_sent == 0 and time.monotonic() < deadline:  # the server notices the client left
        time.sleep(0.05)
    assert MAX_BODY < server.largest_sent < 24 * 1024 * 1024  # stopped early: 64 MB were on offer


def test_a_declared_huge_body_is_refused_on_its_header(hostile: Hostile) -> None:
    started = time.monotonic()
    exchange = _client(hostile("huge-declared"), read_timeout=10).send("GET", "/anything")
    assert time.monotonic() - started < 2  # not a read timeout: the header was enough
    assert exchange.error == f"response body larger than {MAX_BODY} bytes (Content-Length {64 * 1024 * 1024})"


def test_a_redirect_to_another_origin_is_never_followed(hostile: Hostile, recorder: HostileServer) -> None:
    exchange = _client(hostile("redirect")).send("PUT", "/records/1", json_body={"secret": "body"})
    assert exchange.status == 307 or exchange.status == 302
    assert exchange.headers["location"].startswith(recorder.origin)
    time.sleep(0.2)
    assert recorder.seen == []


def test_retry_waiting_is_capped_for_a_target_answering_429_forever(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_THROTTLED_WAIT", 2.5)
    server = hostile("throttle")
    client = _client(server)
    started = time.monotonic()
    first = client.send("GET", "/a")  # Retry-After: 1, twice: 2 s of the 2.5 s allowed
    second = client.send("GET", "/b")  # another second would pass the cap: returned at once
    assert (first.status, second.status) == (429, 429)
    assert 1.9 < time.monotonic() - started < 5
    assert [seen.target for seen in server.seen] == ["/a", "/a", "/a", "/b"]


def test_a_429_pauses_every_sender_of_the_client(hostile: Hostile) -> None:
    """One limiter for the run: once the target said to retry in a second, the tests running beside
    the one it answered wait too, instead of each meeting its own 429 first."""
    server = hostile("throttle")  # 429 with Retry-After: 1, to everything
    client = _client(server)
    first = threading.Thread(target=client.send, args=("GET", "/first"))
    first.start()
    deadline = time.monotonic() + 5
    while not server.seen and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the 429 is back: the client pauses
    others = [threading.Thread(target=client.send, args=("GET", f"/other-{n}")) for n in range(3)]
    for thread in [*others]:
        thread.start()
    for thread in [first, *others]:
        thread.join(20)
    answered = server.seen[0].at
    arrivals = {seen.target: seen.at for seen in reversed(server.seen)}  # each path's first arrival
    waited = sorted(arrivals[f"/other-{n}"] - answered for n in range(3))
    assert waited[0] >= 0.9, f"sent {waited[0]:.2f} s after the 429 that asked for a second"


def test_a_target_that_stops_answering_stops_the_run(hostile: Hostile) -> None:
    guard = Guard()
    client = _client(hostile("reset"), guard=guard)
    for _ in range(STOP_AFTER_FAILURES):
        assert client.send("GET", "/x").transport_failure
    assert (guard.stopped or "").startswith(f"target stopped answering: {STOP_AFTER_FAILURES} requests in a row")
    with pytest.raises(RunStopped, match="target stopped answering"):
        client.send("GET", "/x")
    # Cleanup is still let through, but gives up after its allowance of unanswered requests.
    with client.cleaning(allowance=1):
        assert client.send("DELETE", "/x").transport_failure
        with pytest.raises(RunStopped, match="cleanup abandoned"):
            client.send("DELETE", "/y")


def test_one_answer_resets_the_count(hostile: Hostile) -> None:
    guard, resetting = Guard(), hostile("reset").origin + "/x"
    client = SuiteClient(make_target(base_url=hostile("ok-empty").origin, token=TOKEN), guard=guard)
    for _ in range(STOP_AFTER_FAILURES - 1):
        assert client.send("GET", resetting).transport_failure
    assert client.send("GET", "/ok").status == 200
    for _ in range(STOP_AFTER_FAILURES - 1):
        assert client.send("GET", resetting).transport_failure
    assert guard.stopped is None


def test_a_token_endpoint_that_breaks_mid_run_is_a_transport_failure(hostile: Hostile) -> None:
    server = hostile("ok-empty", token="error")
    target = make_target(base_url=server.origin, token_url=server.token_url, client_id="c", client_secret="s" * 12)
    exchange = SuiteClient(target, guard=Guard()).send("GET", "/x")  # no exception: an exchange saying why
    assert exchange.transport_failure and exchange.status is None
    assert exchange.error == f"no access token: token URL {server.token_url} answered 500 instead of a token"


# Transport failures in the checks ---------------------------------------------------------------------
def _unanswered(method: str = "GET", error: str = "timed out (ReadTimeout, 30 s)") -> Exchange:
    exchange = Exchange(method, "http://127.0.0.1:9/x", {}, None, error=error)
    exchange.limits = "a complete HTTP answer within 60 s (each read within 30 s)"
    return exchange


@pytest.mark.parametrize(
    ("ctx", "requirement"),
    [
        (
            Context(BY_ID["putResult"], "positive", expect_success=True),
            success_requirement(BY_ID["putResult"], TIMEBACK),
        ),
        (
            Context(BY_ID["getLineItem"], "probe", expect_not_found=True),
            not_found_requirement(BY_ID["getLineItem"], TIMEBACK),
        ),
        (Context(BY_ID["getLineItem"], "probe"), "GEN-NO-SERVER-ERROR"),
    ],
    ids=["expected-success", "expected-404", "probe"],
)
def test_verify_fails_the_requirement_an_unanswered_exchange_was_checking(ctx: Context, requirement: str) -> None:
    ledger = Ledger()
    failures = Recorder(ledger, TIMEBACK).verify(ctx, _unanswered(), (*ERROR_CHECKS, *RESPONSE_CHECKS))
    assert [f.finding.requirement for f in failures] == [requirement]
    finding = failures[0].finding
    assert (finding.title, finding.actual) == (TRANSPORT_FAILURE, "timed out (ReadTimeout, 30 s)")
    assert finding.expected.startswith("a complete HTTP answer within 60 s")
    assert ledger.entries[requirement].failed == 1
    assert "MUST — Transport failure" in ledger.entries[requirement].failures[0]["message"]


def test_record_turns_any_verdict_on_an_unanswered_exchange_into_a_transport_failure() -> None:
    ledger = Ledger()
    passed = Recorder(ledger, TIMEBACK).record(Finding.ok("GEN-AUTH-REQUIRED"), _unanswered())
    assert passed is not None and passed.finding.title == TRANSPORT_FAILURE
    wrong = Recorder(ledger, TIMEBACK).record(
        Finding.fail("GEN-AUTH-REQUIRED", "Not 401", "401", "status None"), _unanswered()
    )
    assert wrong is not None and wrong.finding.title == TRANSPORT_FAILURE
    # A failure whose earlier step went unanswered is explained by that step.
    answered = Exchange("GET", "http://127.0.0.1:9/y", {}, None, status=404)
    step = _unanswered("PUT", "transport error: [Errno 104] Connection reset by peer")
    later = Recorder(ledger, TIMEBACK).record(Finding.fail("GB-SOFT-DELETE", "t", "e", "a"), answered, (step, answered))
    assert later is not None and later.finding.actual.endswith("Connection reset by peer")
    assert ledger.entries["GEN-AUTH-REQUIRED"].passed == 0


def test_an_unsent_request_is_not_the_targets_failure() -> None:
    unsent = _unanswered(error="invalid request: bad URL")
    unsent.unsent = True
    ledger = Ledger()
    context = Context(BY_ID["putResult"], "positive", expect_success=True)
    assert Recorder(ledger, TIMEBACK).verify(context, unsent, RESPONSE_CHECKS) == []
    assert ledger.entries == {}


# Failures named for what happened ---------------------------------------------------------------------
def _send_to(base_url: str, **timeouts: float) -> Exchange:
    client = SuiteClient(make_target(base_url=base_url, token=TOKEN, **timeouts), guard=Guard())  # type: ignore[arg-type]
    try:
        return client.send("GET", "/anything")
    finally:
        client.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_says_nothing_listens() -> None:
    port = _closed_port()
    exchange = _send_to(f"http://127.0.0.1:{port}")
    assert exchange.error == f"transport error: connection refused by 127.0.0.1:{port}: nothing listens there"


def test_https_to_a_plain_http_server_says_the_tls_handshake_failed() -> None:
    """A plain HTTP server answers a TLS hello with an HTTP error, which no TLS client can read."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    plain = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    try:
        port = plain.server_address[1]
        exchange = _send_to(f"https://127.0.0.1:{port}", connect_timeout=5.0)
    finally:
        plain.shutdown()
        plain.server_close()
    assert exchange.error == (
        f"transport error: TLS handshake with 127.0.0.1:{port} failed: WRONG_VERSION_NUMBER "
        "(an https URL for a server that speaks plain http?)"
    )


def test_a_host_name_that_does_not_resolve_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """No resolver is asked (the tests stay on loopback): the lookup fails as a resolver's would."""

    def unknown(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    exchange = _send_to("http://sis.example.invalid")
    assert exchange.error == (
        "transport error: cannot resolve the host name sis.example.invalid (DNS: Name or service not known)"
    )


def test_a_connection_never_accepted_ends_at_the_connect_timeout() -> None:
    """A listener whose accept queue is full drops new connection attempts: the connect times out."""
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        queued = []
        try:
            for _ in range(8):  # fill the accept queue; a later attempt may itself hang, which is the point
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                queued.append(filler)
            started = time.monotonic()
            exchange = _send_to(f"http://127.0.0.1:{port}", connect_timeout=1.0, read_timeout=1.0)
            took = time.monotonic() - started
        finally:
            for filler in queued:
                filler.close()
    assert exchange.error is not None and exchange.error.startswith("timed out ("), exchange.error
    assert took < 10
    assert exchange.error in (
        "timed out (ConnectTimeout, 1 s): no connection within the connect timeout",
        # A kernel may complete the handshake and queue it anyway; then no answer ever comes.
        "timed out (ReadTimeout, 1 s): connected, then nothing within the read timeout",
    )

"""`oneroster-conformance serve` and `conformance.reference.embedded`: start-up output, exit codes,
clean shutdown, configuration errors, and secrets kept off the command line."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from conformance import cli
from conformance.fixtures import FixturesError
from conformance.reference import embedded, faults

from ._support import TLS

pytestmark = pytest.mark.network


def _spawn(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], queue.Queue[str | None]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEROSTER_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**clean, **(env or {})},
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return process, lines


def _lines(lines: queue.Queue[str | None], count: int) -> list[str]:
    return [str(lines.get(timeout=15)) for _ in range(count)]


def _finish(process: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    process.send_signal(sig)
    try:
        process.wait(15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    assert process.stderr is not None
    return process.returncode, process.stderr.read()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_announces_itself_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    process, lines = _spawn("--client-id", "my-client", env={"TMPDIR": str(tmp_path)})
    base, token_url, client_id, secret = _lines(lines, 4)
    assert base.startswith("base URL: http://127.0.0.1:") and base.split(":")[-1].isdigit()
    url = base.removeprefix("base URL: ")
    assert token_url == f"token URL: {url}/oauth2/token"
    assert client_id == "client id: my-client"
    assert secret.startswith("client secret: ") and len(secret) > 30
    # Hex, so that a generated secret pasted after --client-secret is never read as a flag ("-…").
    assert re.fullmatch(r"[0-9a-f]{48}", secret.removeprefix("client secret: "))
    form = {"grant_type": "client_credentials", "client_id": "my-client", "client_secret": secret.split(": ", 1)[1]}
    assert httpx.post(token_url.split(": ", 1)[1], data=form, timeout=5, verify=TLS).status_code == 200
    assert list(tmp_path.iterdir())  # the temporary database
    code, stderr = _finish(process, sig)
    assert code == 0, stderr
    assert "Traceback" not in stderr and secret.split(": ", 1)[1] not in stderr
    assert list(tmp_path.iterdir()) == []  # removed at exit, WAL files included


def test_a_given_secret_is_never_printed() -> None:
    process, lines = _spawn(env={"ONEROSTER_CLIENT_SECRET": "from-the-environment"})
    announced = _lines(lines, 3)
    assert [line.split(": ")[0] for line in announced] == ["base URL", "token URL", "client id"]
    code, stderr = _finish(process, signal.SIGTERM)
    assert code == 0 and lines.get(timeout=5) is None  # nothing more on stdout
    assert "from-the-environment" not in stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--fault", "no-such-fault"], "unknown fault 'no-such-fault'"),
        (["--fault", "wrong-404-message,nope"], "unknown fault 'nope'"),
        (["--port", "abc"], "--port must be a whole number"),
        (["--port", "70000"], "--port must be a whole number"),
        (["--token-lifetime", "0"], "--token-lifetime must be a whole number"),
        (["--fixtures", "/nonexistent/fixtures.toml"], "cannot read fixtures file"),
        (["--db", "/nonexistent/dir/x.db"], "cannot use database"),
        (["--latency-ms", "-5"], "--latency-ms must be a whole number from 0 to 10000"),
        (["--latency-ms", "soon"], "--latency-ms must be a whole number"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    assert cli.main(["serve", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.startswith("oneroster-conformance: error: ")


def test_bad_fixtures_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "fixtures.toml"
    bad.write_text("[[schools]]\nsourcedId = 1\n")
    assert cli.main(["serve", "--fixtures", str(bad), "--port", "0"]) == 2
    assert "schools[0].sourcedId must be a non-empty string" in capsys.readouterr().err


def test_a_busy_port_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        assert cli.main(["serve", "--port", str(busy.getsockname()[1])]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


def test_list_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--list-faults"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(faults.REGISTRY)
    assert all(line.split()[1] in ("harmful", "benign") for line in out)


def test_embedded_start_and_stop(tmp_path: Path) -> None:
    with embedded.start(faults=["benign-charset"], db=tmp_path / "e.db", token_lifetime=60) as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.token_url == server.base_url + "/oauth2/token"
        assert server.faults == ("benign-charset",)
        cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().decode()
        assert server.client_secret not in cmdline and server.client_id in cmdline
        token = httpx.post(
            server.token_url,
            timeout=5,
            verify=TLS,
            data={
                "grant_type": "client_credentials",
                "client_id": server.client_id,
                "client_secret": server.client_secret,
            },
        ).json()
        assert token["expires_in"] == 60
        assert server.client_secret not in repr(server)
    assert server.process.returncode == 0


def test_embedded_start_failures() -> None:
    with pytest.raises(faults.UnknownFault):
        embedded.start(faults=["nope"])
    with pytest.raises(FixturesError, match="cannot read fixtures file"):
        embedded.start(fixtures="/nonexistent.toml")
    with pytest.raises(embedded.ServerStartError, match="cannot use database"):
        embedded.start(db="/nonexistent/dir/x.db")


def test_a_distant_server_delays_each_request_and_keeps_them_concurrent() -> None:
    """``--latency-ms``: every request waits that long before it is handled; requests sent together
    wait together (a network's latency, not a queue)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    delay = 0.3
    with embedded.start(latency_ms=int(delay * 1000)) as server, httpx.Client(timeout=10) as client:
        started = time.monotonic()
        assert client.get(server.base_url + "/ims/oneroster/gradebook/v1p2/categories").status_code == 401
        alone = time.monotonic() - started
        assert alone >= delay, alone
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda _: httpx.get(server.base_url + "/unknown", timeout=10).status_code, range(8))
            )
        together = time.monotonic() - started
    assert answers == [answers[0]] * 8
    # Eight requests one after another would take at least 8 x 0.3 s; together they take about one delay.
    assert together < 4 * delay, together

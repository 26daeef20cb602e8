"""`serve --profile` and `embedded.start(profile=...)`: the 1edtech server as a real process, and the
configuration errors a profile adds (an unknown profile, a fault of another profile), each one line
on stderr and exit 2."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from conformance import cli, profiles
from conformance.reference import embedded, faults

from ._official import OFFICIAL, category
from ._support import TLS

pytestmark = pytest.mark.network


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--profile", "nope"], "unknown profile 'nope'"),
        (["--profile", "nope", "--list-faults"], "unknown profile 'nope'"),
        (["--profile", "1edtech", "--fault", "premature-finalization"], "does not apply to the 1edtech profile"),
        (
            ["--profile", "1edtech", "--fault", "wrong-404-message,pairs-as-object"],
            "fault 'wrong-404-message' does not apply",
        ),
        (["--fault", "pairs-as-object"], "fault 'pairs-as-object' does not apply to the timeback profile"),
    ],
)
def test_profile_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    assert cli.main(["serve", "--port", "0", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.startswith("oneroster-conformance: error: "), err


def test_list_faults_of_a_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--profile", "1edtech", "--list-faults"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(faults.registry(OFFICIAL))
    assert all(line.split()[1] in ("harmful", "benign") for line in out)


def test_embedded_start_in_the_1edtech_profile() -> None:
    with embedded.start(profile=OFFICIAL, faults=["benign-link-header"]) as server:
        assert server.profile == OFFICIAL and server.faults == ("benign-link-header",)
        cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().decode().split("\0")
        assert cmdline[cmdline.index("--profile") + 1] == OFFICIAL
        form = {
            "grant_type": "client_credentials",
            "client_id": server.client_id,
            "client_secret": server.client_secret,
        }
        token = httpx.post(server.token_url, data=form, timeout=5, verify=TLS).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{server.base_url}/ims/oneroster/gradebook/v1p2/categories"
        put = httpx.put(f"{url}/c1", json={"category": category("c1")}, headers=headers, timeout=5, verify=TLS)
        assert (put.status_code, put.content) == (201, b"")
        listed = httpx.get(url, headers=headers, timeout=5, verify=TLS)
        assert listed.headers["x-total-count"] == str(len(listed.json()["categories"])) and "link" in listed.headers
        discovery = httpx.get(f"{server.base_url}/.well-known/oneroster-conformance", timeout=5).json()
        assert "toolControl" not in discovery and discovery["tokenControl"]  # no tool doubles; token control
    assert server.process.returncode == 0


def test_embedded_start_refuses_a_fault_of_another_profile() -> None:
    with pytest.raises(faults.UnknownFault, match="does not apply to the 1edtech profile"):
        embedded.start(profile=OFFICIAL, faults=["reimport-after-finalization"])
    with pytest.raises(profiles.UnknownProfile):
        embedded.start(profile="nope")

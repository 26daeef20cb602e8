"""The official profile: the reference server in the official profile passes the suite in that profile
(ten seeds), and a run in one profile against a server of the other dialect fails with a hint that
names the right profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import catalogue, profiles
from conformance.reference import embedded
from tests._cli import against, cli


def test_official_profile_run_is_conformant(tmp_path: Path) -> None:
    out = cli("run", "--profile", "1edtech", "--reports", str(tmp_path / "r"), reports=tmp_path / "r")
    assert out.code == 0, (out.failed(), out.stderr[-2000:])
    summary = out.summary
    assert summary["verdict"] == "conformant" and summary["profile"] == "1edtech"
    assert summary["requests"] >= 1000
    ids = [row["id"] for row in summary["requirements"]]
    assert ids == list(catalogue.catalogue(profiles.ONEEDTECH))  # the profile's requirements, no PowerPath
    for row in summary["requirements"]:
        if row["level"] == "MUST":
            assert row["status"] == "passed", row
    assert "dialect_hint" not in summary


@pytest.mark.parametrize("seed", [pytest.param(s, marks=[] if s in (3,) else [pytest.mark.slow]) for s in range(1, 11)])
def test_official_seeds_never_fail_the_official_reference_server(seed: int, tmp_path: Path) -> None:
    out = cli(
        "run",
        "--profile",
        "1edtech",
        "--seed",
        str(seed),
        "--max-examples",
        "6",
        "--reports",
        str(tmp_path / "r"),
        reports=tmp_path / "r",
    )
    assert out.code == 0, (out.failed(), out.stderr[-1500:])


@pytest.mark.parametrize(
    ("suite_profile", "server_profile"),
    [(profiles.TIMEBACK, profiles.ONEEDTECH), (profiles.ONEEDTECH, profiles.TIMEBACK)],
)
def test_the_other_dialect_fails_with_a_hint(suite_profile: str, server_profile: str, tmp_path: Path) -> None:
    reports = tmp_path / "r"
    with embedded.start(profile=server_profile) as server:
        out = against(server, "--profile", suite_profile, "--max-examples", "2", reports=reports)
    assert out.code == 1, out.stderr[-2000:]
    hint = out.summary["dialect_hint"]
    assert hint["profile"] == server_profile
    assert len(hint["evidence"]) >= 2
    last = out.stderr.strip().splitlines()[-1]
    assert f"try --profile {server_profile}" in last  # the one-line verdict says what to do
    assert f"try --profile {server_profile}" in (reports / "summary.md").read_text(encoding="utf-8")
    assert "Dialect hint" in (reports / "certificate.html").read_text(encoding="utf-8")

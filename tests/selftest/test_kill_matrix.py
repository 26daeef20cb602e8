"""The suite can fail, and never fails a correct server (issue 6): the kill matrix, per profile.

CI runs the representative subset (expectations.toml, ci = true; ci_1edtech = true for the 1edtech
profile); `tox -e faults` runs all of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import catalogue, profiles
from conformance.reference.faults import ALL, REGISTRY, registry
from conformance.selftest.matrix import (
    BASELINE,
    Row,
    expectations,
    load,
    matrix_name,
    run_dir,
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
            for requirement in entry.expect:
                assert catalogue.get(requirement).level == "MUST", f"{name}: {requirement} cannot fail a run"
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


def test_the_expectations_file_names_only_registered_faults_and_known_keys() -> None:
    raw = load()
    keys = {"expect", "ci"} | {f"{key}_{p}" for key in ("expect", "ci") for p in profiles.NAMES if p != "timeback"}
    for name, entry in raw["fault"].items():
        assert name in ALL, f"[fault.{name}] names no fault"
        assert set(entry) <= keys, (name, set(entry) - keys)
        assert all(ALL[name].harmful for key in entry if key.startswith("expect")), name
    for key, names in raw["benign"].items():
        assert key in keys and all(not ALL[n].harmful for n in names), key


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


def test_ci_subset_kill_matrix(tmp_path: Path) -> None:
    rows = _selftest(tmp_path, "--subset", "ci", "--max-examples", "3")
    harmful = [r for r in rows if r["harmful"]]
    assert len(harmful) >= 12
    assert all(r["ok"] for r in rows)
    assert (tmp_path / "kill-matrix.md").is_file()


@pytest.mark.slow
def test_full_kill_matrix(tmp_path: Path) -> None:
    rows = _selftest(tmp_path)
    assert len(rows) == len(REGISTRY) + 1


def test_ci_subset_kill_matrix_1edtech(tmp_path: Path) -> None:
    rows = _selftest(tmp_path, "--subset", "ci", "--max-examples", "3", profile=OFFICIAL)
    assert len([r for r in rows if r["harmful"]]) >= 12
    assert all(r["ok"] for r in rows)
    assert (tmp_path / "kill-matrix-1edtech.md").is_file()


@pytest.mark.slow
def test_full_kill_matrix_1edtech(tmp_path: Path) -> None:
    rows = _selftest(tmp_path, profile=OFFICIAL)
    assert len(rows) == len(registry(OFFICIAL)) + 1

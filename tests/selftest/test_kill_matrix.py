"""The suite can fail, and never fails a correct server (issue 6): the kill matrix.

CI runs the representative subset (expectations.toml, ci = true); `tox -e faults` runs all of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import catalogue
from conformance.reference.faults import REGISTRY
from conformance.selftest.matrix import BASELINE, expectations


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


def test_ci_subset_is_representative() -> None:
    table = expectations()
    harmful = [e for e in table.values() if e.ci and e.harmful]
    benign = [e for e in table.values() if e.ci and not e.harmful and e.fault != BASELINE]
    assert len(harmful) >= 12 and len(benign) >= 3
    categories = {REGISTRY[e.fault].category for e in harmful}
    assert len(categories) >= 8, categories


def _selftest(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "selftest", "--reports", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
    )
    rows: list[dict[str, object]] = json.loads((tmp_path / "kill-matrix.json").read_text(encoding="utf-8"))
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

"""Every benign variation of the reference server — each a legitimate server that answers an open or
ambiguous question the other way (docs/readings.md) — passes the suite at ten seeds, in both profiles.

CI runs each variation at one seed (the ``ci`` subset of conformance/reference/faults.toml, in
test_kill_matrix.py); this is the long run, behind the ``slow`` marker (`tox -e long`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import profiles
from conformance.reference.faults import registry
from conformance.selftest.matrix import matrix_name

SEEDS = range(10)
EXAMPLES = "3"  # what CI's subset runs with; the seeds, not the examples, vary the cases here


def benign(profile: str) -> list[str]:
    return [name for name, fault in registry(profile).items() if not fault.harmful]


def test_every_benign_variation_runs_in_ci() -> None:
    for profile in profiles.NAMES:
        skipped = [name for name in benign(profile) if not registry(profile)[name].in_ci(profile)]
        assert skipped == [], f"benign variations CI does not run ({profile}): {skipped}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("profile", profiles.NAMES)
def test_benign_variations_pass_at_ten_seeds(tmp_path: Path, profile: str, seed: int) -> None:
    argv = [sys.executable, "-m", "conformance", "selftest", "--profile", profile, "--seed", str(seed)]
    argv += ["--max-examples", EXAMPLES, "--faults", ",".join(benign(profile)), "--reports", str(tmp_path)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)
    rows = json.loads((tmp_path / f"{matrix_name(profile)}.json").read_text(encoding="utf-8"))
    bad = [(r["fault"], r["reported"], r.get("error")) for r in rows if not r["ok"]]
    assert done.returncode == 0 and bad == [], (done.stdout[-2000:], bad)
    assert len(rows) == len(benign(profile)) + 1  # and the plain server

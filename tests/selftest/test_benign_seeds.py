"""Every benign variation of the reference server — each a legitimate server that answers an open or
ambiguous question the other way (docs/readings.md) — passes the suite at ten seeds, in both profiles.

CI runs each variation at one seed, in one of its profiles (the ``ci`` subset of
conformance/reference/faults.toml, in test_kill_matrix.py): a variation both profiles have goes
through the same checks in each, so CI takes the two profiles in turn. This is the long run, every
variation in every profile, behind the ``slow`` marker (`tox -e long`).
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


def test_every_benign_variation_runs_in_ci_in_one_of_its_profiles() -> None:
    everywhere = set(benign(profiles.NAMES[0])).intersection(*(benign(p) for p in profiles.NAMES[1:]))
    for profile in profiles.NAMES:
        for name in benign(profile):
            fault = registry(profile)[name]
            ran = [p for p in fault.profiles if fault.in_ci(p)]
            assert ran, f"CI runs the benign variation {name} in no profile"
            assert name not in everywhere or len(ran) == 1, f"CI runs {name} in every profile: one is enough"
    # A variation every profile has goes to each in turn: each profile's checks meet some of them.
    for profile in profiles.NAMES:
        mine = [name for name in everywhere if registry(profile)[name].in_ci(profile)]
        assert len(mine) >= len(everywhere) // len(profiles.NAMES), (profile, mine)


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

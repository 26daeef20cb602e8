"""The recipe for a new reference-server fault touches two files: its entry in faults.toml and its
``faults.on("name")`` at the decisive spot of the server. Applied to a copy of the package, those two
edits are all it takes for the registry, the kill matrix's expectations, ``selftest --list`` and
``serve --list-faults`` to know the fault, for the consistency checks to hold with it, and (slow) for
the kill matrix to kill it, without a scenario of its own in tests/reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import catalogue, profiles
from conformance.reference.faults import load
from tests._package_copy import changed, copy_package, python_in

from ._spots import decisive_spots

NEW = "status-upper-case"
ENTRY = f"""
[fault.{NEW}]
category = "payload"
description = "responses spell status in upper case (ACTIVE)"
expect = ["GB-RESULT-RESPONSE-SCHEMA"]
ci = ["timeback"]
"""
SPOT = "records.py"
ANCHOR = '    if faults.on("drop-score-date"):\n'
USE = f"""\
    if faults.on("{NEW}") and isinstance(out.get("status"), str):
        out["status"] = out["status"].upper()
"""
# Prints what the copy's own modules make of the new fault.
PROBE = f"""
import json, conformance
from conformance.reference import faults
from conformance.selftest import matrix
print(json.dumps({{
    "package": conformance.__file__,
    "registry": {{p: list(faults.registry(p)) for p in ("timeback", "1edtech")}},
    "expectations": {{p: [list(matrix.expectations(p)["{NEW}"].expect), matrix.expectations(p)["{NEW}"].ci]
                     for p in ("timeback", "1edtech")}},
    "switch": faults.Faults(faults.parse("{NEW}")).on("{NEW}"),
    "listing": faults.listing("timeback"),
}}))
"""


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The package copied once as it is, then again with the recipe applied: (before, after) roots."""
    root = tmp_path_factory.mktemp("recipe")
    before, after = root / "before", root / "after"
    copy_package(before, after)
    spot = after / "conformance" / "reference" / SPOT
    code = spot.read_text(encoding="utf-8")
    assert code.count(ANCHOR) == 1, f"the recipe's anchor moved: update ANCHOR to a line of {SPOT}"
    spot.write_text(code.replace(ANCHOR, USE + ANCHOR), encoding="utf-8")
    with (after / "conformance" / "reference" / "faults.toml").open("a", encoding="utf-8") as data:
        data.write(ENTRY)
    return before, after


def test_the_recipe_changes_two_files(recipe: tuple[Path, Path]) -> None:
    before, after = recipe
    edited = changed(before / "conformance", after / "conformance")
    assert edited == {"reference/faults.toml", f"reference/{SPOT}"}


def test_the_consistency_checks_hold_with_the_new_fault(recipe: tuple[Path, Path]) -> None:
    reference_dir = recipe[1] / "conformance" / "reference"
    declared = load((reference_dir / "faults.toml").read_text(encoding="utf-8"))
    spots = decisive_spots(reference_dir)
    # A per-entity variant (name@entity) is switched on where its fault's spot passes the entity (name@).
    assert {name for name in spots if not name.endswith("@")} == {f.name for f in declared if "@" not in f.name}
    assert {f.name.split("@")[0] + "@" for f in declared if "@" in f.name} <= set(spots)
    assert [where.split(":")[0] for where in spots[NEW]] == [SPOT]
    (new,) = [fault for fault in declared if fault.name == NEW]
    for profile in new.profiles:
        assert all(catalogue.catalogue(profile)[rid].level == "MUST" for rid in new.expect(profile))


def test_the_registry_expectations_and_listings_pick_it_up(recipe: tuple[Path, Path]) -> None:
    after = recipe[1]
    done = python_in(after, "-c", PROBE)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert Path(seen["package"]).is_relative_to(after)
    assert all(names[-1] == NEW for names in seen["registry"].values())
    expected = ["GB-RESULT-RESPONSE-SCHEMA"]
    assert seen["expectations"] == {"timeback": [expected, True], "1edtech": [expected, False]}
    assert seen["switch"] is True
    assert seen["listing"].splitlines()[-1].split()[:2] == [NEW, "harmful"]
    for profile, ci in ((profiles.TIMEBACK, "yes"), (profiles.ONEEDTECH, "")):
        listed = python_in(after, "-m", "conformance", "selftest", "--list", "--profile", profile)
        assert listed.returncode == 0, listed.stderr
        row = (
            f"| `{NEW}` | harmful | payload | timeback, 1edtech | GB-RESULT-RESPONSE-SCHEMA | {ci} | "
            "responses spell status in upper case (ACTIVE) |"
        )
        assert listed.stdout.splitlines()[-1] == row


@pytest.mark.slow
def test_the_kill_matrix_kills_it_without_a_scenario(recipe: tuple[Path, Path], tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    args = ("-m", "conformance", "selftest", "--faults", NEW, "--max-examples", "3", "--reports", str(reports))
    done = python_in(recipe[1], *args, timeout=1200)
    matrix = reports / "kill-matrix.json"
    assert matrix.is_file(), done.stderr
    rows = {row["fault"]: row for row in json.loads(matrix.read_text(encoding="utf-8"))}
    assert done.returncode == 0, (done.stdout, rows)
    assert rows[NEW]["outcome"] == "killed" and "GB-RESULT-RESPONSE-SCHEMA" in rows[NEW]["reported"]

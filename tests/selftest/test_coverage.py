"""The kill matrix's requirement coverage: every MUST requirement of a profile, or nearly every one,
has a reference-server fault written to break it alone, and selftest says how many do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import catalogue, cli, profiles
from conformance.reference.faults import load, registry
from conformance.selftest import selftest_command
from conformance.selftest.coverage import coverage
from conformance.selftest.matrix import Expectation, Row, markdown

TARGET = 0.95


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_nearly_every_must_requirement_has_a_fault_of_its_own(profile: str) -> None:
    found = coverage(profile)
    musts = [rid for rid, r in catalogue.catalogue(profile).items() if r.level == "MUST"]
    assert list(found.must) == musts
    assert found.ratio >= TARGET, found.line()


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_a_fault_of_its_own_names_that_requirement_alone(profile: str) -> None:
    found = coverage(profile)
    faults = registry(profile)
    for requirement in found.covered:
        for name in found.dedicated[requirement]:
            assert faults[name].harmful and faults[name].expect(profile) == (requirement,)


def test_a_fault_naming_two_requirements_covers_neither() -> None:
    faults = load(
        '[fault.both]\ncategory = "c"\ndescription = "d"\nexpect = ["GB-SOFT-DELETE", "GB-READ-AFTER-DELETE"]\n'
        '[fault.one]\ncategory = "c"\ndescription = "d"\nexpect = ["GB-SOFT-DELETE"]\n'
        '[fault.kind]\ncategory = "c"\ndescription = "d"\nharmful = false\n'
    )
    found = coverage(profiles.TIMEBACK, faults)
    assert found.covered == ("GB-SOFT-DELETE",) and found.dedicated["GB-SOFT-DELETE"] == ("one",)
    assert "GB-READ-AFTER-DELETE" in found.uncovered


def test_the_line_counts_what_a_run_killed_and_names_what_has_no_fault() -> None:
    found = coverage(profiles.ONEEDTECH)
    requirement = found.covered[0]
    line = found.line(killed=[found.dedicated[requirement][0]])
    assert line.startswith(f"requirement coverage (1edtech): {len(found.covered)}/{len(found.must)} MUST requirements")
    assert "; 1 of them killed by it in this run" in line
    for missing in found.uncovered:
        assert missing in line


def _row(expectation: Expectation, reports: Path, **_: Any) -> Row:
    """A run whose fault is caught by what it expects (and whose failure replays)."""
    harmful = expectation.harmful
    return Row(
        expectation.fault,
        harmful,
        list(expectation.expect),
        "non-conformant" if harmful else "conformant",
        1 if harmful else 0,
        reported=list(expectation.expect),
        reproduces=harmful or None,
        plain_passes=harmful or None,
    )


def test_selftest_prints_the_coverage_and_the_matrix_shows_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(selftest_command, "run_one", _row)
    found = coverage(profiles.TIMEBACK)
    fault = found.dedicated["GB-READ-AFTER-DELETE"][0]
    argv = ["selftest", "--profile", "timeback", "--faults", fault, "--reports", str(tmp_path)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == found.line(killed=[fault])
    assert "; 1 of them killed by it in this run" in printed[-1]
    table = (tmp_path / "kill-matrix.md").read_text(encoding="utf-8")
    assert "- Requirement coverage (timeback): " in table


def test_the_markdown_line_is_the_coverage_of_the_rows_killed() -> None:
    row = _row(Expectation("deleted-read-as-active", True, ("GB-READ-AFTER-DELETE",)), Path())
    text = markdown([row], profiles.TIMEBACK)
    assert "1 of them killed by it in this run" in text

"""The recipe for a new requirement touches two files: its row in ``catalogue/requirements.toml`` and a
check that declares it (``@check``) in ``checks/responses.py``, part of ``RESPONSE_CHECKS``. Applied
to a copy of the package, those two edits are all it takes for the declaration checks to hold with
it, for ``--only ID`` to select the tests that run the check (every test that declares the common
checks), and for a run against the embedded reference server to list it, checked and passed.

The requirement: every answer carries a Date header (RFC 9110 §6.6.1: an origin server with a clock
sends one; uvicorn, which serves the reference server, does)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests._package_copy import changed, copy_package, python_in

pytestmark = pytest.mark.network

DECLARATIONS = Path(__file__).with_name("test_declarations.py")
NEW = "GEN-RESPONSE-HAS-DATE-HEADER"
ENTRY = f"""
[[requirement]]
id = "{NEW}"
level = "SHOULD"
area = "general"
title = "Every answer carries a Date header"
statement = "Every response carries a Date header saying when it was made."
source = "RFC 9110 §6.6.1 Date"
source_url = "https://www.rfc-editor.org/rfc/rfc9110#section-6.6.1"
"""
CHECK = f'''@check("{NEW}")
def date_header(ctx: Context, exchange: Exchange) -> Finding | None:
    """An origin server with a clock sends a Date header in every response (RFC 9110 §6.6.1)."""
    if exchange.status is None:
        return None
    if "date" in exchange.headers:
        return Finding.ok("{NEW}")
    return Finding.fail("{NEW}", "The response has no Date header", "a Date header", "no Date header")


'''
CHECKS_TUPLE = re.compile(r"^RESPONSE_CHECKS = \(([^)]*?),?\s*\)$", re.M)
# What the copy's own modules make of the new requirement, run by pytest beside the copy's
# test_declarations.py: the catalogue holds it, the check declares it, the common checks run it, and
# the embedded server the copy's ``run`` starts is the copy's own.
PROBE = f'''
import os, sys
from pathlib import Path

import conformance
from conformance import catalogue, profiles
from conformance.checks import registry
from conformance.checks.responses import RESPONSE_CHECKS, date_header
from conformance.reference import embedded
from conformance.suite import judge, test_operations

COPY = Path(os.environ["RECIPE_COPY"])


def test_the_copy_is_the_package_in_use():
    assert Path(conformance.__file__).resolve().is_relative_to(COPY)


def test_every_profile_holds_it_as_a_should():
    for profile in profiles.NAMES:
        assert catalogue.get("{NEW}", profile).level == "SHOULD"


def test_its_check_declares_it_and_the_common_checks_run_it():
    assert registry.declared(date_header) == {{"{NEW}"}}
    assert date_header in RESPONSE_CHECKS and date_header in judge.COMMON and date_header in test_operations.CHECKS


def test_the_embedded_server_is_started_from_the_copy(monkeypatch):
    started = []
    real = embedded.subprocess.Popen

    def spy(argv, **kwargs):
        started.append((list(argv), kwargs))
        return real(argv, **kwargs)

    monkeypatch.setattr(embedded.subprocess, "Popen", spy)
    with embedded.start():
        pass
    ((argv, kwargs),) = started
    assert argv[:4] == [sys.executable, "-m", "conformance", "serve"]
    assert kwargs["env"]["PYTHONPATH"].split(os.pathsep)[0] == str(COPY)
    assert kwargs.get("cwd") is None and Path.cwd() == COPY  # ``-m`` looks in the working directory first
'''


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The package copied once as it is, then again with the recipe applied: (before, after) roots."""
    root = tmp_path_factory.mktemp("requirement-recipe")
    before, after = root / "before", root / "after"
    copy_package(before, after)
    with (after / "conformance" / "catalogue" / "requirements.toml").open("a", encoding="utf-8") as rows:
        rows.write(ENTRY)
    module = after / "conformance" / "checks" / "responses.py"
    code = module.read_text(encoding="utf-8")
    found = list(CHECKS_TUPLE.finditer(code))
    assert len(found) == 1, "the recipe's anchor moved: update CHECKS_TUPLE to the RESPONSE_CHECKS line"
    (tuple_line,) = found
    with_check = f"{CHECK}RESPONSE_CHECKS = ({tuple_line.group(1).strip()}, date_header)"
    module.write_text(code[: tuple_line.start()] + with_check + code[tuple_line.end() :], encoding="utf-8")
    return before, after


def test_the_recipe_changes_two_files(recipe: tuple[Path, Path]) -> None:
    before, after = recipe
    assert changed(before / "conformance", after / "conformance") == {
        "catalogue/requirements.toml",
        "checks/responses.py",
    }


def test_the_declaration_checks_hold_with_it(recipe: tuple[Path, Path], tmp_path: Path) -> None:
    """The project's declaration checks, and the probe above, run by pytest against the copy."""
    shutil.copy(DECLARATIONS, tmp_path / DECLARATIONS.name)
    (tmp_path / "test_recipe_probe.py").write_text(PROBE, encoding="utf-8")
    done = python_in(
        recipe[1], "-m", "pytest", "-v", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = set(re.findall(r"^\S+::(\w+)\S* PASSED", done.stdout, re.M))
    probes = set(re.findall(r"^def (test_\w+)", PROBE, re.M))
    assert (
        len(probes) == 4
        and probes | {"test_every_must_is_declared", "test_declarations_name_only_known_requirements"} <= passed
    ), done.stdout


def test_a_run_of_only_the_new_requirement_checks_it(recipe: tuple[Path, Path], tmp_path: Path) -> None:
    """``run --only ID`` against the embedded reference server (the copy's, started by the run) keeps
    the tests that run the new check, and the summary lists it passed."""
    reports = tmp_path / "reports"
    done = python_in(
        recipe[1], "-m", "conformance", "run", "--only", NEW, "--max-examples", "2", "--reports", str(reports)
    )
    summary_file = reports / "summary.json"
    assert summary_file.is_file(), done.stderr[-3000:]
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    (row,) = [r for r in summary["requirements"] if r["id"] == NEW]
    assert (row["level"], row["status"], row["checks"]["failed"]) == ("SHOULD", "passed", 0), row
    assert row["checks"]["passed"] > 0
    assert done.returncode == 0, done.stderr[-3000:]
    assert summary["verdict"] == "conformant"
    ran = {case.get("name", "").split("[")[0] for case in ET.parse(reports / "junit.xml").iter("testcase")}
    assert {"test_operation", "test_put_then_get_then_list", "test_refused_without_valid_token"} <= ran, ran
    assert "test_machine" not in ran  # the machines run no common checks: --only leaves them out

"""Checks, suite tests and machines declare what they validate; outcomes are recorded one way.

Every MUST of every profile is declared, written out in full, by something in ``conformance/``;
nothing declares an ID no catalogue holds; a recorder refuses an ID outside its profile or outside
what its subject declared."""

from __future__ import annotations

import importlib
import pkgutil
import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

import conformance
from conformance import catalogue, checks, profiles
from conformance.checks import Failure, Finding, Recorder, mapping, registry
from conformance.checks.contract import schemathesis_checks
from conformance.checks.error_bodies import not_found
from conformance.checks.registry import check, validates
from conformance.checks.responses import response_schema, success_status
from conformance.client import Exchange
from conformance.contract.operations import operations
from conformance.ledger import Ledger
from conformance.machines.base import ConformanceMachine

PACKAGE = Path(conformance.__file__).resolve().parent
CATALOGUE_FILES = ("requirements.toml", "requirements.1edtech.toml")
# Test functions that declare nothing themselves, and why.
UNDECLARED_TESTS = {"test_machine": "it runs the machine its `name` names, and each machine declares"}
# Machines that declare nothing yet, and why. Remove an entry once its machine declares.
PENDING_MACHINES = {"ExternalTestMachine": "its module is being split; test_attempt_lifecycle declares meanwhile"}


def _import_declaring_modules() -> list[str]:
    """Every module that may declare: the checks, the machines, the suite's test modules."""
    names = []
    for package in ("conformance.checks", "conformance.machines"):
        module = importlib.import_module(package)
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules(module.__path__)]
    suite = importlib.import_module("conformance.suite")
    names += [f"conformance.suite.{m.name}" for m in pkgutil.iter_modules(suite.__path__) if m.name.startswith("test_")]
    for name in names:
        importlib.import_module(name)
    return names


@pytest.fixture(scope="module")
def declaring_modules() -> list[str]:
    return _import_declaring_modules()


def _declared_ids() -> set[str]:
    return {i for d in registry.declarations() for i in d.ids}


def _known_ids() -> set[str]:
    return {i for p in profiles.NAMES for i in catalogue.catalogue(p)}


# The table of declarations --------------------------------------------------------------------------
@pytest.mark.parametrize("profile", profiles.NAMES)
def test_every_must_is_declared(profile: str, declaring_modules: list[str]) -> None:
    musts = {r.id for r in catalogue.catalogue(profile).values() if r.level == "MUST"}
    missing = sorted(musts - _declared_ids())
    assert not missing, f"{profile}: MUST requirements nothing declares: {missing}"


def test_every_must_is_written_out_where_it_is_declared(declaring_modules: list[str]) -> None:
    """``grep -rn ID conformance/`` finds a declaration: the ID is a literal in a declaring module."""
    texts = {
        name: Path(importlib.import_module(name).__file__ or "").read_text(encoding="utf-8")
        for name in declaring_modules
    }
    for profile in profiles.NAMES:
        for requirement in catalogue.catalogue(profile).values():
            if requirement.level != "MUST":
                continue
            literal = f'"{requirement.id}"'
            assert any(literal in text for text in texts.values()), f"{requirement.id} is declared nowhere by name"


def test_declarations_name_only_known_requirements(declaring_modules: list[str]) -> None:
    unknown = {d.subject: sorted(d.ids - _known_ids()) for d in registry.declarations() if d.ids - _known_ids()}
    assert not unknown, f"declared but in no profile's catalogue: {unknown}"


def test_declarations_run_only_declared_checks(declaring_modules: list[str]) -> None:
    for declared in registry.declarations():
        declared.ids_of_checks()  # raises Undeclared for a check that declares nothing


def test_every_suite_test_declares(declaring_modules: list[str]) -> None:
    for name in declaring_modules:
        if not name.startswith("conformance.suite.test_"):
            continue
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if attribute.startswith("test_") and callable(value) and attribute not in UNDECLARED_TESTS:
                assert registry.declaration(value) is not None, f"{name}.{attribute} declares nothing"


def _machines() -> Iterator[type[ConformanceMachine]]:
    seen, stack = set(), list(ConformanceMachine.__subclasses__())
    while stack:
        machine = stack.pop()
        if machine not in seen:
            seen.add(machine)
            stack.extend(machine.__subclasses__())
            if "session" not in vars(machine):  # not a subclass ``bind`` made for one run
                yield machine


def test_every_machine_declares(declaring_modules: list[str]) -> None:
    found = {m.__name__: m for m in _machines()}
    assert {"UpsertMachine", "PairsMachine", "CollectionMachine"} <= set(found)
    for name, machine in found.items():
        if name not in PENDING_MACHINES and not name.startswith("ExternalTest_"):
            assert registry.declaration(machine) is not None, f"{name} declares nothing"


def test_a_bound_machine_class_inherits_its_declaration(declaring_modules: list[str]) -> None:
    from conformance.machines.upsert import UpsertMachine

    bound = UpsertMachine.bind(object())  # type: ignore[arg-type]
    assert registry.declared(bound) == registry.declared(UpsertMachine)
    assert "GB-RESULT-PUT-UPSERT" in registry.declared(bound)


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_the_checks_declare_every_outcome_they_record(profile: str) -> None:
    """What ``mapping`` looks up for an operation is among the IDs of the check that records it."""
    for op in operations(profile):
        assert mapping.success_requirement(op, profile) in registry.declared(success_status), op.id
        if op.response is not None:
            schema = mapping.schema_requirement(op, profile)
            assert schema in registry.declared(response_schema), op.id
            assert schema in registry.declared(schemathesis_checks), op.id
        missing = mapping.not_found_requirement(op, profile)
        assert missing is None or missing in registry.declared(not_found), op.id


# The catalogue files ------------------------------------------------------------------------------
def _file_ids(name: str) -> list[str]:
    text = resources.files(catalogue).joinpath(name).read_text(encoding="utf-8")
    return [row["id"] for row in tomllib.loads(text)["requirement"]]


@pytest.mark.parametrize("name", CATALOGUE_FILES)
def test_no_id_appears_twice_in_a_catalogue_file(name: str) -> None:
    ids = _file_ids(name)
    twice = sorted({i for i in ids if ids.count(i) > 1})
    assert not twice, f"{name} holds these IDs more than once: {twice}"
    # Raw text too: a second row can hide in a part TOML accepts (it never rejects a repeated value).
    text = resources.files(catalogue).joinpath(name).read_text(encoding="utf-8")
    written = re.findall(r'^id = "([^"]+)"', text, re.M)
    assert sorted(written) == sorted(ids)


# Recording --------------------------------------------------------------------------------------------
def _exchange(status: int = 200) -> Exchange:
    return Exchange("GET", "http://target.example/x", {}, None, status=status)


@pytest.mark.parametrize(("profile", "requirement"), [(profiles.TIMEBACK, "GB-NOTHING-HERE"), ("1edtech", "PP-ASSIGN")])
def test_recording_an_id_outside_the_profile_raises(profile: str, requirement: str) -> None:
    recorder = Recorder(Ledger(), profile)
    with pytest.raises(catalogue.UnknownRequirement):
        recorder.expect(requirement, True, None, title="", expected="", actual="")
    with pytest.raises(catalogue.UnknownRequirement):
        recorder.observe(requirement, "seen")
    with pytest.raises(catalogue.UnknownRequirement):
        recorder.skip(requirement, "why")
    assert recorder.ledger.entries == {}


@validates("GEN-AUTH-TOKEN")
def _declares_the_token_endpoint() -> None: ...


def test_recording_an_id_the_subject_did_not_declare_raises() -> None:
    ledger = Ledger()
    recorder = Recorder(ledger, profiles.TIMEBACK).bound(_declares_the_token_endpoint)
    recorder.expect("GEN-AUTH-TOKEN", True, None, title="", expected="", actual="")
    with pytest.raises(registry.Undeclared, match="GEN-AUTH-REQUIRED"):
        recorder.expect("GEN-AUTH-REQUIRED", True, None, title="", expected="", actual="")
    assert ledger.entries["GEN-AUTH-TOKEN"].passed == 1 and "GEN-AUTH-REQUIRED" not in ledger.entries
    with pytest.raises(registry.Undeclared):
        Recorder(ledger, profiles.TIMEBACK).bound(test_recording_an_id_the_subject_did_not_declare_raises)


@check("GEN-NO-SERVER-ERROR")
def _says_more_than_it_declares(ctx: checks.Context, exchange: Exchange) -> Finding:
    return Finding.ok("GEN-AUTH-REQUIRED")


def test_verify_refuses_a_finding_its_check_did_not_declare() -> None:
    recorder = Recorder(Ledger(), profiles.TIMEBACK)
    with pytest.raises(registry.Undeclared, match="_says_more_than_it_declares records GEN-AUTH-REQUIRED"):
        recorder.verify(checks.Context(None, "probe"), _exchange(), [_says_more_than_it_declares])


def test_verify_judges_in_the_recorders_profile() -> None:
    """The checks look requirements up in the recorder's profile, whichever one is active."""
    op = {o.id: o for o in operations(profiles.ONEEDTECH)}["putResult"]
    recorder = Recorder(Ledger(), profiles.ONEEDTECH)
    failures = recorder.verify(checks.Context(op, "positive", expect_success=True), _exchange(500), [success_status])
    assert [f.finding.requirement for f in failures] == ["GB-RESULT-PUT-UPSERT"]
    assert failures[0].requirement.source.startswith("1EdTech OneRoster 1.2")  # the official wording


def test_one_recorder_tells_its_observers_and_shows_its_trail() -> None:
    seen: list[tuple[str, bool]] = []
    steps = [_exchange(201), _exchange(200)]
    recorder = Recorder(Ledger(), profiles.TIMEBACK, [lambda f, failure: seen.append((f.requirement, failure is None))])
    following = recorder.following(lambda: steps)
    with pytest.raises(checks.ConformanceFailure) as raised:
        following.expect("GB-SOFT-DELETE", False, steps[-1], title="t", expected="e", actual="a")
    following.observe("GEN-DELETED-IN-LISTS", "shown")
    failure = raised.value.failures[0]
    assert failure.steps == tuple(steps) and "Steps:" in failure.render()
    assert seen == [("GB-SOFT-DELETE", False), ("GEN-DELETED-IN-LISTS", True)]
    assert recorder.ledger.entries["GB-SOFT-DELETE"].failed == 1
    assert recorder.ledger.entries["GEN-DELETED-IN-LISTS"].observations == ["shown"]


def test_a_failure_renders_as_it_always_did() -> None:
    finding = Finding.fail("GB-SOFT-DELETE", "A deleted record still reads as active", "404", "200")
    exchange = _exchange(200)
    recorded = Recorder(Ledger(), profiles.TIMEBACK).record(finding, exchange)
    assert recorded is not None
    requirement = catalogue.catalogue(profiles.TIMEBACK)["GB-SOFT-DELETE"]
    assert recorded.render() == Failure(finding, exchange).render()
    assert recorded.render().splitlines()[:3] == [
        "[GB-SOFT-DELETE] MUST — A deleted record still reads as active",
        f"  Requirement: {requirement.statement}",
        f"  Source:      {requirement.source}",
    ]

"""docs/readings.md held against the suite: the table is well formed and published, and the cases the
suite generates stay where the table says.

The generated cases come from the suite's own strategies (``api_schema(reading, profile)``, as
``suite/test_operations.py`` draws them) and the suite's own preparation (``suite/cases.py``), on a
session whose target answers every request 201 without a network. Then, judged by the table's payload
rules (``_payload_rules``, written apart from the schema rules under test):

* no positive case holds a value outside what every legitimate answer admits;
* every negative case the suite would judge under GEN-REJECT-INVALID-BODY is still invalid, under the
  schema files as written, once every allowance of every row is taken back: its violation is one that
  no row allows.
"""

from __future__ import annotations

import gc
import json
import tomllib
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, seed, settings
from schemathesis import GenerationMode

from conformance import catalogue, profiles
from conformance.checks import Recorder
from conformance.checks.contract import true_negative
from conformance.client import Exchange, SuiteClient
from conformance.contract import readings, readings_page, schemas
from conformance.contract.operations import ENTITY, Operation, operations
from conformance.ledger import Ledger
from conformance.session.generation_view import UNSENT_ID
from conformance.session.suite_session import Options, SuiteSession, api_schema
from conformance.session.world import World
from conformance.suite import test_readings as probes
from conformance.suite.cases import prepare_negative, prepare_positive
from conformance.target import make_target

from ._payload_rules import OUTSIDE, Sent, outside, repair

REPOSITORY = Path(__file__).parents[2]
PROFILES = pytest.mark.parametrize("profile", profiles.NAMES)
SEEDS = (1, 2, 3)
EXAMPLES = 5  # per operation, mode and seed: enough to meet every row, and the module within a minute


# The table ------------------------------------------------------------------------------------------


def test_the_readings_page_is_current() -> None:
    """docs/readings.md is generated from readings.toml; regenerate it when the table changes."""
    stored = (REPOSITORY / "docs" / "readings.md").read_text(encoding="utf-8")
    assert stored == readings_page.render(), (
        "docs/readings.md is stale: python -m conformance.contract.readings_page docs/readings.md"
    )


def test_every_row_with_a_schema_effect_has_rules_on_both_sides() -> None:
    """A row marked ``schema`` widens or narrows the readings and has a payload rule in the tests; a
    rule names a row marked so (a typo in an id would silently switch a rule off)."""
    marked = {r.id for r in readings.rows() if r.schema}
    ruled = set(readings.WIDEN) | set(readings.NARROW)
    assert ruled <= marked and marked <= ruled
    assert marked - {"unknown-fields"} <= set(OUTSIDE) and set(OUTSIDE) <= {r.id for r in readings.rows()}


@PROFILES
def test_every_named_requirement_is_an_info_of_the_profile(profile: str) -> None:
    """What a row says records the choice is an INFO requirement (a MUST accepting every answer is
    not an observation) of each profile the row applies to, and every GEN-READ requirement has its row."""
    held = catalogue.catalogue(profile)
    named = {r.requirement(profile) for r in readings.rows() if r.applies(profile)} - {""}
    assert {i for i in named if i not in held or held[i].level != "INFO"} == set()
    assert {i for i in held if i.startswith("GEN-READ-")} <= named


def test_bare_references_are_an_open_point_of_the_official_binding_only() -> None:
    assert catalogue.applies("GEN-READ-BARE-REFERENCES", profiles.ONEEDTECH)
    assert not catalogue.applies("GEN-READ-BARE-REFERENCES", profiles.TIMEBACK)
    assert readings.row("bare-references").profiles == (profiles.ONEEDTECH,)


def _faults() -> dict[str, dict[str, Any]]:
    text = (REPOSITORY / "conformance" / "reference" / "faults.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["fault"])


@PROFILES
def test_every_variant_is_a_benign_fault_of_the_profile(profile: str) -> None:
    """Each variant a row names is a harmless fault of the reference server in that profile: the suite
    must pass against it."""
    faults = _faults()
    for r in readings.rows():
        name = r.variant(profile) if r.applies(profile) else ""
        if not name:
            continue
        assert name in faults, (r.id, name)
        assert faults[name].get("harmful", True) is False, (r.id, name)
        assert profile in faults[name].get("profiles", profiles.NAMES), (r.id, name, profile)


def test_a_row_names_a_variant_or_says_why_there_is_none() -> None:
    """The other choice of every question is a server the suite is run against, or the row says why a
    variant would exercise nothing the suite sends."""
    for r in readings.rows():
        for name in r.profiles:
            assert r.variant(name) or len(r.no_variant(name)) > 40, (r.id, name)
    raw = {
        "id": "x", "question": "q", "affects": [], "sources": {}, "choices": [], "reference": "",
        "positive": "", "negative": "", "requirement": "", "variant": "", "probe": "",
    }  # fmt: skip
    # The loader, not only this test, refuses a row that leaves the other choice untried without a word.
    text = "\n".join(f"{k} = {json.dumps(v) if not isinstance(v, dict) else '{}'}" for k, v in raw.items())
    with pytest.raises(ValueError, match="names no variant and no reason"):
        readings.check_variants((readings._row(tomllib.loads(text)),))


def test_every_probe_module_exists_and_the_suite_probes_what_it_is_named_for() -> None:
    for r in readings.rows():
        assert not r.probe or (REPOSITORY / r.probe).is_file(), (r.id, r.probe)
    here = {r.id for r in readings.rows() if r.probe == probes.HERE}
    assert here == {*probes.PROBES, probes.UNKNOWN_FIELDS}


# Generated cases ---------------------------------------------------------------------------------------


class _Answers201:
    """A target that stores nothing and answers every request 201: the preparation's own writes
    (anchors, records to read or delete) succeed, and nothing leaves the process."""

    def send(self, method: str, path: str, **kwargs: Any) -> Exchange:
        return Exchange(method, path, {}, None, status=201)


@pytest.fixture(scope="module", params=profiles.NAMES)
def session(request: pytest.FixtureRequest) -> Iterator[SuiteSession]:
    profile = str(request.param)
    target = make_target(base_url="https://target.invalid", token="not-a-secret", profile=profile)
    world = World(target.fixtures(), "readings-", profile)
    made = SuiteSession(target, cast(SuiteClient, _Answers201()), world, Options(), Recorder(Ledger(), profile))
    yield made
    gc.unfreeze()  # the session froze the heap for a run; a test module is no run


def _numeric(profile: str) -> frozenset[str]:
    """The member names a request schema of the profile documents as numbers (at any depth)."""
    found: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for name, spec in (node.get("properties") or {}).items():
                kinds = spec.get("type") if isinstance(spec, dict) else None
                if {"number", "integer"} & set(kinds if isinstance(kinds, list) else [kinds]):
                    found.add(name)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for doc in schemas.documents(profile).values():
        for name, definition in doc.get("$defs", {}).items():
            if name.endswith(".strict"):  # the request ones are written out in full: nothing is missed
                visit(definition)
    return frozenset(found)


def _sent(op: Operation, case: Any, profile: str) -> Sent:
    body = case.body
    found: list[tuple[str, dict[str, Any]]] = []
    if op.entity and isinstance(body, dict):
        singular, plural = op.entity, ENTITY[op.entity].plural
        if isinstance(body.get(singular), dict):
            found.append((f"/{singular}", body[singular]))
        if isinstance(body.get(plural), list):
            found += [(f"/{plural}/{i}", r) for i, r in enumerate(body[plural]) if isinstance(r, dict)]
    names_record = op.method in ("PUT", "PATCH") and not op.scope and "sourcedId" in op.path_params
    return Sent(
        body=body,
        records=tuple(found),
        complete=op.method in ("PUT", "POST"),
        path_id=(case.path_parameters or {}).get("sourcedId") if names_record else None,
        query=dict(case.query or {}),
        numeric=_numeric(profile),
    )


def _draw(op: Operation, reading: str, mode: GenerationMode, profile: str, at: int) -> list[Any]:
    strategy = api_schema(reading, profile)[op.path][op.method].as_strategy(generation_mode=mode)
    drawn: list[Any] = []

    @seed(at ^ zlib.crc32(f"{op.id}/{mode}".encode()))
    @settings(max_examples=EXAMPLES, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        drawn.append(case)

    run()
    return drawn


def test_positive_cases_stay_inside_every_reading(session: SuiteSession) -> None:
    """Every prepared positive case of every operation with a body or a query: no row finds a value
    outside what every answer admits, and the body is valid under the strict reading."""
    profile = session.target.profile
    outside_found: list[str] = []
    for op in operations(profile):
        if not op.request and not op.query:
            continue
        for at in SEEDS:
            for case in _draw(op, "strict", GenerationMode.POSITIVE, profile, at):
                ctx = prepare_positive(session, op, case)
                sent = _sent(op, ctx.case, profile)
                for rid, places in outside(sent, profile).items():
                    outside_found.append(f"{op.id}: {rid} at {places[:3]} in {str(sent.body)[:300]}")
                if op.request and sent.body is not None:
                    problems = schemas.problems(op.request, sent.body, "strict", profile)
                    outside_found += [f"{op.id}: strict {p}" for p in problems[:3]]
                if UNSENT_ID in repr(sent.body):  # drawn as a constant because it is always replaced
                    outside_found.append(f"{op.id}: a drawn placeholder would be sent: {str(sent.body)[:300]}")
    assert outside_found == []


def test_judged_negative_cases_break_what_every_reading_agrees_on(session: SuiteSession) -> None:
    """Every prepared negative case that GEN-REJECT-INVALID-BODY would judge stays invalid under the
    schema files once every row's allowance is taken back; and some are judged at all."""
    profile = session.target.profile
    judged, allowed = 0, []
    for op in operations(profile):
        if not op.request:
            continue
        for at in SEEDS:
            for case in _draw(op, "lenient", GenerationMode.NEGATIVE, profile, at):
                ctx = prepare_negative(session, op, case)
                if not true_negative(op.request, ctx.case.body, profile):
                    continue
                judged += 1
                sent = _sent(op, ctx.case, profile)
                if not schemas.problems(op.request, repair(sent, profile), "base", profile):
                    allowed.append(f"{op.id}: {str(sent.body)[:300]}")
    assert allowed == []
    assert judged >= 5 * len([op for op in operations(profile) if op.request])


@PROFILES
def test_the_rules_catch_what_the_readings_leave_open(profile: str) -> None:
    """The payload rules are not vacuous: a null member, null metadata, a blank title, a numeric
    string, a date with an offset and an oversized score are each found in a positive body, and a body
    whose only fault is an allowed one is repaired into a valid one."""
    sent = Sent(
        body={"result": {"comment": None, "metadata": None, "title": " ", "score": "85", "scoreDate": "2024-09-02"}},
        records=(),
        complete=False,
        path_id=None,
        query={"fields": "sourcedId"},
        numeric=frozenset({"score"}),
    )
    found = outside(sent, profile)
    expected = {"null-optional", "empty-strings", "numeric-strings", "unknown-fields"}
    expected |= {"null-metadata", "date-only-score-date"} & {r.id for r in readings.rows() if r.applies(profile)}
    assert expected <= set(found), found
    assert outside(
        Sent({"lineItem": {"dueDate": "2024-09-02T08:00:00+02:00"}}, (), False, None, {}, frozenset()), profile
    )

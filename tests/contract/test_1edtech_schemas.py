"""The official binding's schemas (``schemas/1edtech/``) agree with the published 1EdTech spec.

``third_party/openapi/1edtech-oneroster-1p2-gradebook-openapi.yaml`` gives no example, so "every
example validates" alone would prove nothing. Three kinds of evidence instead:

1. Examples. Every example the spec gives for an operation of the 1edtech table is collected
   (``_examples``, the walker the TimeBack test uses) and must validate against our schema at the
   same place in the assembled 1edtech OpenAPI document. Today there are none, and a test says so:
   a copy of the spec that adds some makes it fail, and the examples are then checked.
2. Generated bodies. Hypothesis draws bodies from the spec's own component schemas (through
   schemathesis, which reads OpenAPI 3.0 schema objects as they are): the request and success
   bodies of every covered operation and the error body. Each must be valid for the kind the
   operation table names, under the base and lenient readings (the strict one is narrower than the
   binding: docs/readings.md).
3. Hand-written cases (``tests/contract/1edtech/*.json``, format ``cases.schema.json``): where the
   dialects differ, the exact pointers at which each reading must report a problem.

Every call names the profile; the process's active profile is never changed here.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from conformance import profiles
from conformance.contract import openapi, schemas
from conformance.contract.operations import Operation, operations
from conformance.contract.schemas import READINGS

from ._examples import Example, collect_at, load_spec, mismatches
from ._support import HERE, escape, pointer, published_spec, resolve_pointer, validator_in

PROFILE = profiles.ONEEDTECH
# Skips the module, in one line, when the copy is absent (the spec may not be redistributed).
SPEC_PATH = published_spec("1edtech-oneroster-1p2-gradebook-openapi.yaml")
CASES_DIR = HERE / "1edtech"
CASES_FORMAT = CASES_DIR / "cases.schema.json"
ERROR_KIND = "imsxStatusInfo"

SPEC = load_spec(SPEC_PATH)
# The spec's paths are relative to its server's basePath; ours are absolute.
BASE_PATH = SPEC["servers"][0]["variables"]["basePath"]["default"]


def _shape(path: str) -> str:
    # Path parameter names differ between the spec and the table ({lineItemSourcedId} / {sourcedId}).
    return re.sub(r"\{[^}]*\}", "{}", path).rstrip("/")


def official_operation(op: Operation) -> str | None:
    """The pointer of the spec's operation with the same method and path (parameter names ignored)."""
    for path, item in SPEC["paths"].items():
        if _shape(BASE_PATH + path) == _shape(op.path) and op.method.lower() in item:
            return pointer("paths", path, op.method.lower())
    return None


OFFICIAL = {op.id: where for op in operations(PROFILE) if (where := official_operation(op)) is not None}
COVERED = [op for op in operations(PROFILE) if op.id in OFFICIAL]


def test_every_operation_of_the_1edtech_table_is_in_the_official_spec() -> None:
    """Operations are matched by method and path: the table names nothing the binding lacks, and the
    match is not vacuous."""
    assert [op.id for op in operations(PROFILE) if op.id not in OFFICIAL] == []
    assert len(COVERED) >= 30


# 1. Examples ---------------------------------------------------------------------------------------


@functools.cache
def our_document(reading: schemas.Reading) -> dict[str, Any]:
    return openapi.assemble(reading, PROFILE)


def problems(op: Operation, example: Example) -> list[str]:
    """Why ``example`` does not fit our schema at its place, under each reading's assembled document."""
    return [
        message
        for reading in READINGS
        for message in mismatches(
            our_document(reading),
            reading,
            op.method,
            op.path,
            example,
            functools.partial(validator_in, our_document(reading), f"{PROFILE}-{reading}"),
        )
    ]


COLLECTED = {op.id: collect_at(SPEC, OFFICIAL[op.id]) for op in COVERED}


@pytest.mark.parametrize("op", COVERED, ids=lambda op: f"{op.id}-{len(COLLECTED[op.id])}-examples")
def test_official_examples_validate_against_our_schemas(op: Operation) -> None:
    """Each example the spec gives for this operation is valid for our schema at the same location."""
    assert [message for example in COLLECTED[op.id] for message in problems(op, example)] == []


def _raw_examples(node: Any, where: str = "") -> list[str]:
    if isinstance(node, dict):
        here = [f"{where}/{key}" for key in ("example", "examples") if key in node]
        return here + [found for key, value in node.items() for found in _raw_examples(value, f"{where}/{escape(key)}")]
    if isinstance(node, list):
        return [found for i, item in enumerate(node) for found in _raw_examples(item, f"{where}/{i}")]
    return []


def test_the_official_spec_gives_no_example_today() -> None:
    """The published binding has no example, for covered operations or anywhere else: the test above
    is vacuous for now, and the generated bodies below carry the weight. A copy that adds examples
    fails here once; its examples are then checked above, and this expectation is to be dropped."""
    assert {op.id: [str(e) for e in COLLECTED[op.id]] for op in COVERED if COLLECTED[op.id]} == {}
    assert _raw_examples(SPEC) == []


def test_an_example_added_to_the_spec_is_collected_and_checked() -> None:
    """The collection and the comparison work on this spec: examples planted in a copy (a query
    parameter, a property deep in a response, a whole response body) are found for each operation
    that reaches them, wrong values are reported, right ones are not."""
    spec = copy.deepcopy(SPEC)
    components = spec["components"]["schemas"]
    components["ResultDType"]["properties"]["scoreDate"]["example"] = "2024-03-01T10:00:00Z"
    components["GUIDPairSetDType"]["example"] = {
        "sourcedIdPairs": {"suppliedSourcedId": "r", "allocatedSourcedId": "r"}
    }
    next(p for p in spec["paths"]["/results"]["get"]["parameters"] if p["name"] == "limit")["example"] = 0
    by_id = {op.id: op for op in COVERED}

    listed = collect_at(spec, OFFICIAL["getAllResults"])
    assert sorted((e.section, e.steps) for e in listed) == [
        ("parameter", ()),
        ("response", ("results", "[]", "scoreDate")),
    ]
    posted = collect_at(spec, OFFICIAL["createResultForLineItem"])
    assert sorted((e.section, e.key[0], e.steps) for e in posted) == [
        ("requestBody", "application/json", ("results", "[]", "scoreDate")),
        ("response", "201", ()),
    ]
    right: dict[tuple[str, tuple[str, ...]], Any] = {
        ("parameter", ()): 5,
        ("response", ("results", "[]", "scoreDate")): "2024-03-01",
        ("requestBody", ("results", "[]", "scoreDate")): "2024-03-01",
        ("response", ()): {"sourcedIdPairs": [{"suppliedSourcedId": "r", "allocatedSourcedId": "r"}]},
    }
    for op_id, found in (("getAllResults", listed), ("createResultForLineItem", posted)):
        for example in found:
            wrong = problems(by_id[op_id], example)
            assert wrong, example
            assert not any("has no schema there" in message for message in wrong), wrong
            fixed = dataclasses.replace(example, value=right[example.section, example.steps])
            assert problems(by_id[op_id], fixed) == []


# 2. Bodies generated from the official component schemas -------------------------------------------

# The binding's two defects, repaired before drawing from it (our schemas read them the same way, see
# common.schema.json): the flags' enum [true, false] is unquoted in the YAML, so a YAML reader makes
# booleans of it that no string can equal; and the scoreStatus extension pattern is unanchored.
_EXT_PATTERN = r"(ext:)[a-zA-Z0-9\.\-_]+"


def repaired(node: Any, where: str, changes: list[str]) -> Any:
    """A copy of ``node`` with the two defects repaired; the pointer of each repair goes to ``changes``."""
    if isinstance(node, list):
        return [repaired(item, f"{where}/{i}", changes) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out = {key: repaired(value, f"{where}/{escape(key)}", changes) for key, value in node.items()}
    if out.get("type") == "string" and any(isinstance(value, bool) for value in out.get("enum", [])):
        out["enum"] = [str(value).lower() if isinstance(value, bool) else value for value in out["enum"]]
        changes.append(f"{where}/enum")
    if out.get("pattern") == _EXT_PATTERN:
        out["pattern"] = f"^{_EXT_PATTERN}$"
        changes.append(f"{where}/pattern")
    return out


def _component(container: dict[str, Any] | None) -> str | None:
    """The component named by a request body's or response's JSON schema (None: no body)."""
    media = ((container or {}).get("content") or {}).get("application/json") or {}
    ref = media.get("schema", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def official_bodies(op: Operation) -> list[tuple[str, str | None]]:
    """(spec component, our kind) for the request body and each response body of ``op``."""
    operation = resolve_pointer(SPEC, OFFICIAL[op.id])
    found: list[tuple[str, str | None]] = []
    if request := _component(operation.get("requestBody")):
        found.append((request, op.request))
    for status, response in operation["responses"].items():
        if component := _component(response):
            found.append((component, op.response if str(status).startswith("2") else ERROR_KIND))
    return found


def test_our_operations_have_a_body_exactly_where_the_spec_has_one() -> None:
    """Pairing a spec component with our kind is only as good as the table: a request body on one
    side only, or a success body on one side only (PUT answers 201 without one), is reported."""
    mismatched = []
    for op in COVERED:
        operation = resolve_pointer(SPEC, OFFICIAL[op.id])
        success = [_component(r) for status, r in operation["responses"].items() if str(status).startswith("2")]
        if (_component(operation.get("requestBody")) is None) != (op.request is None):
            mismatched.append(f"{op.id}: request body {op.request}")
        if any(component is None for component in success) != (op.response is None):
            mismatched.append(f"{op.id}: response body {op.response}")
    assert mismatched == []


BODY_KINDS: dict[str, list[str]] = {}
for _op in COVERED:
    for _name, _kind in official_bodies(_op):
        if _kind is not None and _kind not in BODY_KINDS.setdefault(_name, []):
            BODY_KINDS[_name].append(_kind)


# Arrays are drawn short: a set body's items are the same DTypes the single bodies exercise, and
# long arrays of records only cost time (each set body otherwise takes seconds on a busy machine).
MAX_DRAWN_ITEMS = 3


def bounded(node: Any) -> Any:
    """A copy of ``node`` in which every array schema admits at most ``MAX_DRAWN_ITEMS`` items."""
    if isinstance(node, list):
        return [bounded(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: bounded(value) for key, value in node.items()}
    if out.get("type") == "array":
        out["maxItems"] = min(out.get("maxItems", MAX_DRAWN_ITEMS), MAX_DRAWN_ITEMS)
    return out


@functools.cache
def generation_schema() -> Any:
    """A schemathesis schema with one POST per spec component, its body that component (repaired)."""
    components = bounded(repaired(SPEC["components"]["schemas"], "", []))
    paths = {
        f"/{name}": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                },
                "responses": {"200": {"description": "not used"}},
            }
        }
        for name in BODY_KINDS
    }
    document = {
        "openapi": SPEC["openapi"],
        "info": {"title": "Bodies of the official binding", "version": str(SPEC["info"]["version"])},
        "paths": paths,
        "components": {"schemas": components},
    }
    return schemathesis.openapi.from_dict(document)


def test_generation_repairs_only_the_flags_and_the_score_status_pattern() -> None:
    """Exactly the eight flags (four on ResultDType, four on AssessmentResultDType) and the two
    scoreStatus patterns are rewritten; the flags as published admit no string at all. A corrected
    copy of the spec fails this, and the repair can go."""
    changes: list[str] = []
    repaired(SPEC["components"]["schemas"], "", changes)
    flags = ("inProgress", "incomplete", "late", "missing")
    assert sorted(changes) == sorted(
        [f"/{dtype}/properties/{flag}/enum" for dtype in ("ResultDType", "AssessmentResultDType") for flag in flags]
        + [f"/{dtype}/properties/scoreStatus/anyOf/0/pattern" for dtype in ("ResultDType", "AssessmentResultDType")]
    )
    published = SPEC["components"]["schemas"]["ResultDType"]["properties"]["late"]
    assert not any(Draft202012Validator(published).is_valid(value) for value in ("true", "false", True, False))


def test_every_body_of_a_covered_operation_has_a_kind() -> None:
    """The pairing is complete: the twelve entity bodies (single and set, for six entities), the
    sourcedIdPairs body and the error body; Single* go with putRequest and single, *Set with
    collection (and bulkRequest where the binding posts them)."""
    assert len(BODY_KINDS) == 14
    assert sorted(BODY_KINDS["SingleResultDType"]) == ["result.putRequest", "result.single"]
    assert sorted(BODY_KINDS["ResultSetDType"]) == ["result.bulkRequest", "result.collection"]
    assert BODY_KINDS["GUIDPairSetDType"] == ["sourcedIdPairs"]
    assert BODY_KINDS["imsx_StatusInfoDType"] == [ERROR_KIND]


# The readings a body of the binding satisfies: the files' (base) and the lenient one, which only
# widens it. The strict reading does not take every such body: it is what every reading admits
# (docs/readings.md), narrower than the binding (no empty text, UTC date-times, bounded values).
ADMITTING: tuple[schemas.Reading, ...] = ("base", "lenient")


def _invalid_for(kinds: list[str], body: Any) -> dict[str, list[str]]:
    return {
        f"{kind} ({reading})": [str(p) for p in schemas.problems(kind, body, reading, profile=PROFILE)]
        for kind in kinds
        for reading in ADMITTING
        if not schemas.is_valid(kind, body, reading, profile=PROFILE)
    }


@pytest.mark.parametrize("component", sorted(BODY_KINDS), ids=lambda c: f"{c}-{'+'.join(sorted(BODY_KINDS[c]))}")
def test_bodies_drawn_from_the_official_schema_are_valid_for_our_kinds(component: str) -> None:
    """Bodies the spec's own schema admits (repaired, arrays drawn short) are valid for every kind
    paired with it, under the base and lenient readings: 25 per component, drawn deterministically
    (derandomize) so CI sees the same ones."""
    kinds = BODY_KINDS[component]

    @given(case=generation_schema()[f"/{component}"]["POST"].as_strategy())
    @settings(
        max_examples=25,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def drawn(case: Any) -> None:
        assert _invalid_for(kinds, case.body) == {}, case.body

    drawn()


# 3. Hand-written cases ------------------------------------------------------------------------------

GROUPS = [
    (path.stem, json.loads(path.read_text(encoding="utf-8")))
    for path in sorted(CASES_DIR.glob("*.json"))
    if path.name != CASES_FORMAT.name
]
CASES = [(f"{stem}/{case['id']}", case) for stem, group in GROUPS for case in group["cases"]]
TOPICS = {
    "references",
    "dates",
    "flags",
    "score-status",
    "nulls",
    "unknown-members",
    "collections",
    "sourced-id-pairs",
    "errors",
}


def _format_errors(group: Any) -> list[str]:
    validator = Draft202012Validator(json.loads(CASES_FORMAT.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path)) or '/'}: {e.message}" for e in validator.iter_errors(group)]


def test_case_format_rejects_a_malformed_group() -> None:
    """The format check can fail: a case without problems, with a bad id, an extra member, an unknown
    reading or a bad pointer."""
    bad = {
        "description": "a malformed group",
        "cases": [{"id": "Not_Kebab", "description": "no problems given", "kind": "result", "data": {}, "extra": 1}],
    }
    assert len(_format_errors(bad)) >= 3
    wrong = {"lenient": ["no-slash"], "loose": []}
    assert _format_errors({**bad, "cases": [{**bad["cases"][0], "problems": wrong}]})


@pytest.mark.parametrize(("stem", "group"), GROUPS, ids=[stem for stem, _ in GROUPS])
def test_case_file_fits_the_format(stem: str, group: dict[str, Any]) -> None:
    """Every group file follows cases.schema.json, its case ids are unique, and each problem list
    includes the one of the wider reading (lenient, then base, then strict: each only adds constraints)."""
    assert _format_errors(group) == []
    ids = [case["id"] for case in group["cases"]]
    assert len(ids) == len(set(ids)), ids
    for case in group["cases"]:
        problems = case["problems"]
        assert set(problems["lenient"]) <= set(problems["base"]) <= set(problems["strict"]), case["description"]


@pytest.mark.parametrize(("case_id", "case"), CASES, ids=[case_id for case_id, _ in CASES])
def test_case_is_reported_exactly_at_its_pointers(case_id: str, case: dict[str, Any]) -> None:
    """Under each reading, the 1edtech schemas report problems at exactly the case's pointers."""
    for reading in ("base", *READINGS):
        found = schemas.problems(case["kind"], case["data"], reading, profile=PROFILE)
        assert sorted({p.pointer for p in found}) == sorted(case["problems"][reading]), (
            reading,
            [str(p) for p in found],
        )


def test_the_cases_cover_every_topic() -> None:
    """Each topic where the dialects differ has its group, and each group has both kinds of case: one
    valid under the lenient reading and one rejected by the strict reading, so neither a too-strict
    nor a too-lax schema passes."""
    assert {stem for stem, _ in GROUPS} == TOPICS
    for stem, group in GROUPS:
        assert any(not case["problems"]["lenient"] for case in group["cases"]), stem
        assert any(case["problems"]["strict"] for case in group["cases"]), stem


# Kinds ----------------------------------------------------------------------------------------------

ENTITIES = ("lineItem", "result", "assessmentLineItem", "assessmentResult", "category", "scoreScale")
BULK = {"lineItem", "result"}  # the binding posts sets of these only
ENTITY_KINDS = ("record", "members", "request", "create", "stored", "putRequest", "single", "collection")
# What TimeBack has and the binding does not: single-record POST, PATCH, nullable members, the
# pagination body, PowerPath.
TIMEBACK_ONLY = {
    *(f"{entity}.createRequest" for entity in ENTITIES),
    "assessmentLineItem.patchRequest",
    "assessmentResult.patchRequest",
    "common.NullableFlag",
    "common.NullableNumber",
    "common.NullableReference",
    "common.NullableString",
    "common.Page",
}


def test_each_entity_offers_the_kinds_of_the_binding() -> None:
    """Every entity has the same definitions, with two readings each (record and members excepted);
    bulkRequest exists for line items and results only."""
    kinds = set(schemas.kinds(PROFILE))
    for entity in ENTITIES:
        expected = (
            {entity}
            | {f"{entity}.{d}" for d in ENTITY_KINDS}
            | ({f"{entity}.bulkRequest"} if entity in BULK else set())
        )
        assert {kind for kind in kinds if kind.split(".")[0] == entity} == expected
        for definition in set(ENTITY_KINDS) - {"record", "members"}:
            assert schemas.has_readings(f"{entity}.{definition}", PROFILE), f"{entity}.{definition}"


def test_timeback_kinds_missing_from_the_binding_are_the_documented_ones() -> None:
    """A TimeBack kind that code may name has its 1edtech counterpart, except the listed ones."""
    timeback = {kind for kind in schemas.kinds(profiles.TIMEBACK) if not kind.startswith("powerpath")}
    assert timeback - set(schemas.kinds(PROFILE)) == TIMEBACK_ONLY


def test_the_strict_request_members_are_the_record_members() -> None:
    """``members`` lists exactly the record's properties, so the strict reading closes the record on
    the binding's members and nothing else."""
    for entity in ENTITIES:
        record = schemas.resolve(f"{entity}.record", profile=PROFILE)
        assert schemas.resolve(f"{entity}.members", profile=PROFILE)["enum"] == list(record["properties"])

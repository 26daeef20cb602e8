"""``--only``: a requirement ID or ID prefix keeps the tests that can validate it; areas, services,
operation ids and test ids keep what they always kept."""

from __future__ import annotations

import importlib
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from conformance import profiles
from conformance.contract.operations import ENTITY, by_id
from conformance.suite import selection


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"conformance.suite.{name}")


def _item(module: str, test: str, ids: str = "", **params: Any) -> Any:
    """What selection reads of a collected pytest item."""
    found = _module(module)
    return SimpleNamespace(
        nodeid=f"conformance/suite/{module}.py::{test}" + (f"[{ids}]" if ids else ""),
        originalname=test,
        module=found,
        function=getattr(found, test),
        callspec=SimpleNamespace(params=params) if params else None,
    )


OP = by_id(profiles.TIMEBACK)
ITEMS = {
    "op[putLineItem-positive]": _item(
        "test_operations", "test_operation", "putLineItem-positive", op=OP["putLineItem"], mode="positive"
    ),
    "op[putResult-positive]": _item(
        "test_operations", "test_operation", "putResult-positive", op=OP["putResult"], mode="positive"
    ),
    "op[getLineItemsForClass-positive]": _item(
        "test_operations",
        "test_operation",
        "getLineItemsForClass-positive",
        op=OP["getLineItemsForClass"],
        mode="positive",
    ),
    "op[makeExternalTestAssignment-positive]": _item(
        "test_operations",
        "test_operation",
        "makeExternalTestAssignment-positive",
        op=OP["makeExternalTestAssignment"],
        mode="positive",
    ),
    **{
        f"machine[{name}-{n}]": _item("test_machines", "test_machine", f"{name}-{n}", name=name, part=n)
        for name in ("upsert", "pairs", "collections")
        for n in (1, 2)
    },
    "records.put[lineItem]": _item(
        "test_records", "test_put_then_get_then_list", "lineItem", entity=ENTITY["lineItem"]
    ),
    "records.put[result]": _item("test_records", "test_put_then_get_then_list", "result", entity=ENTITY["result"]),
    "records.delete[lineItem]": _item(
        "test_records", "test_delete_soft_deletes", "lineItem", entity=ENTITY["lineItem"]
    ),
    "records.patch[assessmentResult]": _item(
        "test_records", "test_patch_merges_metadata", "assessmentResult", name="assessmentResult"
    ),
    "records.open_points": _item("test_records", "test_open_points"),
    "not_found[GET-lineItem]": _item(
        "test_not_found", "test_unknown_record", "GET-lineItem", entity=ENTITY["lineItem"], method="GET"
    ),
    "not_found.unknown_line_item": _item("test_not_found", "test_results_for_unknown_line_item_store_nothing"),
    "auth.token": _item("test_auth", "test_token_endpoint"),
    "auth.refused[putResult-none]": _item(
        "test_auth", "test_refused_without_valid_token", "none-putResult", op=OP["putResult"], credential="none"
    ),
    "pp.lifecycle": _item(
        "test_external_tests", "test_attempt_lifecycle", "placement-edulastic", kind="placement", tool="edulastic"
    ),
    "pp.non_external": _item("test_external_tests", "test_non_external_lesson_refused"),
    "pp.unknown_student": _item("test_external_tests", "test_unknown_student_refused"),
    "pp.tool_error": _item("test_external_tests", "test_tool_error_refused"),
}


def kept(only: str) -> set[str]:
    names = {id(item): name for name, item in ITEMS.items()}
    chosen, left = selection.select(list(ITEMS.values()), only, profiles.TIMEBACK)
    assert len(chosen) + len(left) == len(ITEMS)
    return {names[id(item)] for item in chosen}


def both(machine: str) -> set[str]:
    """The two shares of a machine's examples: whatever keeps one keeps the other."""
    return {f"machine[{machine}-1]", f"machine[{machine}-2]"}


def test_a_requirement_id_keeps_the_tests_that_can_validate_it() -> None:
    assert kept("GB-LINEITEM-PUT-UPSERT") == {
        "op[putLineItem-positive]",  # the success status of a request built to succeed
        *both("upsert"),  # the machine PUTs every entity
        "records.put[lineItem]",  # judged with expect_success
        "records.delete[lineItem]",  # its PUT is judged with expect_success
    }


def test_an_id_prefix_keeps_every_test_of_its_ids() -> None:
    assert kept("GB-LINEITEM") == {
        "op[putLineItem-positive]",
        "op[getLineItemsForClass-positive]",  # GB-LINEITEM-RESPONSE-SCHEMA
        *both("upsert"),
        *both("pairs"),  # GB-LINEITEM-NOT-FOUND
        "records.put[lineItem]",
        "records.delete[lineItem]",
        "not_found[GET-lineItem]",
    }
    assert kept("gb-lineitem") == kept("GB-LINEITEM")
    assert kept("GB-RESULT-POST") == {*both("pairs"), "not_found.unknown_line_item"}
    assert kept("GB-LIST-FIELDS") == {*both("collections")}
    assert kept("GB-LIST-FIELD") == set()  # a prefix ends at a dash: GB-LIST-FIELDS is not GB-LIST-FIELD-…


def test_a_powerpath_id_keeps_the_powerpath_tests_that_judge_it() -> None:
    assert kept("PP-ASSIGN") == {
        "op[makeExternalTestAssignment-positive]",
        "pp.lifecycle",
        "pp.non_external",  # the assignment it sends is judged: a wrongly accepted one has a schema
        "pp.tool_error",
    }
    assert kept("PP-FAIL-TOOL") == {"pp.tool_error"}
    assert kept("PP-FAIL") == {"pp.non_external", "pp.unknown_student", "pp.tool_error"}


def test_requirements_a_test_records_itself() -> None:
    assert kept("GB-ASSESSMENTRESULT-PATCH") == {"records.patch[assessmentResult]"}
    assert kept("GEN-PUT-BODY-ID-MISMATCH") == {"records.open_points"}
    assert kept("GEN-AUTH-TOKEN") == {"auth.token"}
    assert "auth.refused[putResult-none]" in kept("GEN-AUTH-REQUIRED")
    assert kept("GB-RESULT-LIST") == {"records.put[result]"}  # not lineItem's walk


def test_the_words_that_worked_before_still_do() -> None:
    assert kept("results") == {
        "op[putResult-positive]",  # its operation's resource
        "auth.refused[putResult-none]",
        "not_found.unknown_line_item",  # its name: test_results_for_unknown_line_item_store_nothing
    }
    assert kept("PP") == {"op[makeExternalTestAssignment-positive]"} | {n for n in ITEMS if n.startswith("pp.")}
    gradebook = {n for n in ITEMS if n.startswith(("machine", "records", "not_found"))}
    assert kept("GB") == gradebook | {
        "op[putLineItem-positive]",
        "op[putResult-positive]",
        "op[getLineItemsForClass-positive]",
        "auth.refused[putResult-none]",  # a gradebook operation
    }
    assert kept("GEN") == {"auth.token", "auth.refused[putResult-none]"}  # the service, not every GEN-… ID
    assert kept("putResult") == {"op[putResult-positive]", "auth.refused[putResult-none]"}
    assert kept("test_machine[upsert]") == {"machine[upsert-1]", "machine[upsert-2]"}  # both shares
    assert kept("test_machine[upsert-2]") == {"machine[upsert-2]"}
    assert kept("authentication") == {"auth.token", "auth.refused[putResult-none]"}


def test_words_combine_and_nothing_keeps_everything() -> None:
    assert kept("GB-LINEITEM-PUT-UPSERT, PP-FAIL-TOOL") == kept("GB-LINEITEM-PUT-UPSERT") | {"pp.tool_error"}
    listed, _ = selection.select(list(ITEMS.values()), ["PP-FAIL-TOOL", "auth"], profiles.TIMEBACK)
    assert len(listed) == 3
    everything, none = selection.select(list(ITEMS.values()), " , ", profiles.TIMEBACK)
    assert len(everything) == len(ITEMS) and none == []


@pytest.mark.parametrize("word", ["GB-NOTHING-HERE", "nothing-at-all"])
def test_a_word_that_names_nothing_keeps_nothing(word: str) -> None:
    assert kept(word) == set()

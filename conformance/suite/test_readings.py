"""The questions the published documents leave open (docs/readings.md), asked of the target.

Each row of ``contract/readings.toml`` that names this module gets one probe: a valid record of this
run with the one change the question is about (a write; skipped in a read-only run), or, for fields=,
one read. Which answer the target chose is recorded with the row's INFO requirement and never fails
the run; the probe's exchanges are still judged like any other (no 5xx, an imsx body for a 4xx, a
record that is valid when one comes back). A stored probe is deleted at cleanup like every record of
the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.contract import readings
from conformance.contract.operations import operation_id
from conformance.machines.base import record_of
from conformance.session.suite_session import SuiteSession, item_path
from conformance.session.world import baseline
from conformance.suite.harness import RunPlugin
from conformance.suite.judge import COMMON, recorder_fixture  # noqa: F401 (a fixture)

HERE = "conformance/suite/test_readings.py"  # how readings.toml names this module


@dataclass(frozen=True)
class Probe:
    """A write that differs from a valid record in one way: ``change`` makes it, ``sent`` says it,
    ``member`` is what a read shows of what was stored."""

    entity: str
    change: Callable[[dict[str, Any]], dict[str, Any]]
    sent: str
    member: str


def _bare(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: {"sourcedId": v["sourcedId"]} if isinstance(v, dict) and "sourcedId" in v else v for k, v in record.items()
    }


# By row id. The members chosen are optional and undocumented as nullable in both dialects (a result's
# inProgress flag), or exist in every entity's simplest record (a category's title and weight).
PROBES: dict[str, Probe] = {
    "null-metadata": Probe("category", lambda r: r | {"metadata": None}, "metadata null", "metadata"),
    "null-optional": Probe("result", lambda r: r | {"inProgress": None}, "an optional inProgress null", "inProgress"),
    "server-set-members": Probe(
        "category",
        lambda r: {k: v for k, v in r.items() if k not in readings.SERVER_SET},
        "neither status nor dateLastModified",
        "status",
    ),
    "bare-references": Probe("lineItem", _bare, "references that carry only sourcedId", "class"),
    "empty-strings": Probe("category", lambda r: r | {"title": ""}, "an empty title", "title"),
    "numeric-strings": Probe("category", lambda r: r | {"weight": "0.5"}, 'the weight "0.5"', "weight"),
}
UNKNOWN_FIELDS = "unknown-fields"


def rows_probed_here(profile: str) -> list[readings.Row]:
    """The rows this module observes in ``profile``: those naming it, with a requirement there."""
    return [r for r in readings.rows() if r.probe == HERE and r.applies(profile) and r.requirement(profile)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The write probes of the run's profile (at collection: the run decides the rows)."""
    if metafunc.function is test_write_probe:
        rows = [r for r in rows_probed_here(RunPlugin.profile_of(metafunc.config)) if r.id != UNKNOWN_FIELDS]
        metafunc.parametrize("row", rows, ids=[r.id for r in rows])


def _shown(record: dict[str, Any] | None, member: str) -> str:
    if record is None:
        return "no record"
    return f"{member} {json.dumps(record[member], ensure_ascii=False)}" if member in record else f"no {member}"


@validates(
    "GEN-READ-NULL-METADATA", "GEN-READ-NULL-OPTIONAL", "GEN-READ-SERVER-SET-OMITTED", "GEN-READ-BARE-REFERENCES",
    "GEN-READ-EMPTY-STRING", "GEN-READ-NUMERIC-STRING",
    checks=COMMON,
    aspects=("success", "schema"),
    operations=("putCategory", "getCategory", "putResult", "getResult", "putLineItem", "getLineItem"),
)  # fmt: skip
def test_write_probe(row: readings.Row, suite: SuiteSession, recorder: Recorder) -> None:
    """One write with the row's change; the answer, and what a read then shows, are observed."""
    if suite.options.read_only:
        pytest.skip("read-only run: writes are not sent")
    probe = PROBES[row.id]
    suite.ensure_anchors()
    sourced_id = suite.world.fresh_id(probe.entity)
    record = probe.change(baseline(probe.entity, suite.world, sourced_id))
    put = suite.send("PUT", item_path(probe.entity, sourced_id), json_body={probe.entity: record})
    recorder.judge(put, operation_id("put", probe.entity))
    note = f"a {probe.entity} PUT with {probe.sent} is answered {put.status}"
    if put.status is not None and 200 <= put.status < 300:
        got = suite.get(item_path(probe.entity, sourced_id))
        recorder.judge(got, operation_id("get", probe.entity), expect_success=True)
        note += f" (accepted); GET then shows {_shown(record_of(got, probe.entity), probe.member)}"
    elif put.status in (400, 422):
        note += " (refused)"
    recorder.observe(row.requirement(recorder.profile), note)


@validates("GEN-READ-UNKNOWN-FIELDS", checks=COMMON)
def test_unknown_fields_probe(suite: SuiteSession, recorder: Recorder) -> None:
    """A collection read whose fields= names a field line items do not have; observed, and judged
    without the record schema (a selection of fields is not a whole record)."""
    row = readings.row(UNKNOWN_FIELDS)
    listed = suite.get(suite.collection_path("lineItem"), params={"fields": "sourcedId,notAFieldOfLineItems"})
    recorder.judge(listed, None)
    body = listed.try_json()
    records = body.get("lineItems") if isinstance(body, dict) else None
    members = sorted({k for r in records or [] if isinstance(r, dict) for k in r})
    shown = f" with members {', '.join(members)}" if members else ""
    choice = "refused" if listed.status == 400 else "answered" if listed.status == 200 else "unexpected"
    recorder.observe(
        row.requirement(recorder.profile),
        f"fields=sourcedId,notAFieldOfLineItems is answered {listed.status} ({choice}){shown}",
    )

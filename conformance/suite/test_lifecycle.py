"""A record's life as a client lives it: changed, deleted, written again.

dateLastModified says when a record last changed, and delta synchronisation
(``filter=dateLastModified>'<the last sync>'``) depends on it: a change must move it, and the
filtered list must then show the record. Whether a PUT identical to what is stored moves it is left
open by the documents (docs/readings.md, identical-put-date) and observed.

A record created, updated and deleted, then PUT again as first written: that PUT either writes the
record again, active, or is refused (docs/readings.md, put-after-delete). A refusal is observed; a
PUT answered as a success must have stored what it sent, and a list must show the record once.
"""

from __future__ import annotations

import pytest

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.client import Exchange, instant
from conformance.contract.operations import Entity, operation_id
from conformance.machines.base import record_of, records_of
from conformance.machines.model import differences
from conformance.session.suite_session import SuiteSession, item_path
from conformance.session.world import baseline
from conformance.suite.judge import COMMON, entity_fixture, recorder_fixture  # noqa: F401 (fixtures)

# Seconds between two writes of one record, so that the later write's dateLastModified must be later:
# more than a whole second where the server's timestamps show whole seconds, and a few clock ticks
# where they show a fraction of one.
GAP, FRACTION_GAP = 1.05, 0.05
DATED = "category"  # the entity the dateLastModified walk uses: every profile has it, with no parent but the anchors


def _modified(exchange: Exchange, entity: str) -> str | None:
    value = (record_of(exchange, entity) or {}).get("dateLastModified")
    return value if isinstance(value, str) else None


@validates(
    "GB-DATE-LAST-MODIFIED-ADVANCES", "GB-DATE-LAST-MODIFIED", "GB-READ-IDENTICAL-PUT-DATE",
    checks=COMMON, aspects=("success", "schema"), operations=("putCategory", "getCategory", "getAllCategories"),
)  # fmt: skip
def test_a_change_moves_date_last_modified_and_delta_sync_sees_it(suite: SuiteSession, recorder: Recorder) -> None:
    if suite.options.read_only:
        pytest.skip("read-only run: writes are not sent")
    suite.ensure_anchors()
    sourced_id = suite.world.fresh_id(DATED)
    path = item_path(DATED, sourced_id)
    first = baseline(DATED, suite.world, sourced_id)
    created = suite.send("PUT", path, json_body={DATED: first})
    recorder.judge(created, "putCategory", expect_success=True)
    read = suite.get(path)
    recorder.judge(read, "getCategory", expect_success=True)
    before = _modified(read, DATED)
    if before is None or instant(before) is None:
        pytest.skip("the record has no readable dateLastModified (GB-CATEGORY-RESPONSE-SCHEMA says so)")
    gap = FRACTION_GAP if "." in before else GAP
    changed = {**first, "title": f"{first.get('title', 'category')} (changed)"}
    update = suite.send("PUT", path, json_body={DATED: changed}, pause=gap)
    recorder.judge(update, "putCategory", expect_success=True)
    after_read = suite.get(path)
    recorder.judge(after_read, "getCategory", expect_success=True)
    after = _modified(after_read, DATED)
    moved = after is not None and (instant(after) or instant(before)) > instant(before)  # type: ignore[operator]
    recorder.expect(
        "GB-DATE-LAST-MODIFIED-ADVANCES",
        moved,
        after_read,
        title="A change did not move dateLastModified",
        expected=f"a dateLastModified later than {before!r} (the record changed {gap:g} s after it was written)",
        actual=repr(after),
        steps=(created, read, update, after_read),
    )
    # Delta synchronisation: what changed since the last sync is what the filter finds.
    delta = f"sourcedId='{sourced_id}' AND dateLastModified>'{before}'"
    listed = suite.get(suite.collection_path(DATED), params={"filter": delta})
    recorder.judge(listed, "getAllCategories", expect_success=True)
    ids = [r.get("sourcedId") for r in records_of(listed, "categories") or []]
    recorder.expect(
        "GB-DATE-LAST-MODIFIED-ADVANCES",
        ids == [sourced_id],
        listed,
        title="A record changed since a moment is not found by filtering on dateLastModified",
        expected=f"[{sourced_id!r}] for filter {delta}",
        actual=f"{ids}",
        steps=(created, read, update, listed),
    )
    # The same record again: dateLastModified may stay or move on, never go back.
    same = suite.send("PUT", path, json_body={DATED: changed})
    recorder.judge(same, "putCategory", expect_success=True)
    again_read = suite.get(path)
    again = _modified(again_read, DATED)
    if after is None or again is None or instant(after) is None or instant(again) is None:
        return
    recorder.expect(
        "GB-DATE-LAST-MODIFIED",
        instant(again) >= instant(after),  # type: ignore[operator]
        again_read,
        title="An identical PUT set dateLastModified back",
        expected=f"not before {after!r}",
        actual=repr(again),
    )
    choice = "keeps it" if instant(again) == instant(after) else "moves it on"
    recorder.observe("GB-READ-IDENTICAL-PUT-DATE", f"a PUT identical to the stored record {choice} ({after} → {again})")


@validates(
    "GB-UPSERT-AFTER-DELETE", "GB-READ-PUT-AFTER-DELETE",
    checks=COMMON, aspects=("success", "schema"), operations=("put{Entity}", "delete{Entity}", "get{Entity}"),
)  # fmt: skip
def test_a_record_written_again_after_its_deletion(entity: Entity, suite: SuiteSession, recorder: Recorder) -> None:
    e = entity
    sourced_id = suite.world.fresh_id(e.singular)
    path = item_path(e.singular, sourced_id)
    body = baseline(e.singular, suite.world, sourced_id)
    created = suite.send("PUT", path, json_body={e.singular: body})
    recorder.judge(created, operation_id("put", e.singular), expect_success=True)
    updated = suite.send("PUT", path, json_body={e.singular: {**body, "metadata": {"lifecycle": "updated"}}})
    recorder.judge(updated, operation_id("put", e.singular), expect_success=True)
    deleted = suite.send("DELETE", path)
    recorder.judge(deleted, operation_id("delete", e.singular), expect_success=True)
    if created.status not in (200, 201) or deleted.status != 204:
        pytest.skip("the record could not be created and deleted")
    again = suite.send("PUT", path, json_body={e.singular: body})
    recorder.judge(again, operation_id("put", e.singular))
    if again.status is None or not 200 <= again.status < 300:
        recorder.observe(
            "GB-READ-PUT-AFTER-DELETE", f"a PUT to a deleted {e.singular}'s sourcedId is refused: {again.status}"
        )
        return
    recorder.observe(
        "GB-READ-PUT-AFTER-DELETE", f"a PUT to a deleted {e.singular}'s sourcedId writes it again: {again.status}"
    )
    got = suite.get(path)
    recorder.judge(got, operation_id("get", e.singular), expect_success=True)
    stored = record_of(got, e.singular)
    lost = differences(body, stored) if stored is not None else ["no record"]
    recorder.expect(
        "GB-UPSERT-AFTER-DELETE",
        got.status == 200 and not lost,
        got,
        title="A PUT accepted for a deleted record's sourcedId did not store what it sent",
        expected="200 with the record as sent, status active",
        actual=f"status {got.status}; " + "; ".join(lost[:4]),
        steps=(created, updated, deleted, again, got),
    )
    listed = suite.get(suite.collection_path(e.singular), params={"filter": f"sourcedId='{sourced_id}'"})
    rows = records_of(listed, e.plural) or []
    active = [r for r in rows if r.get("status") != "tobedeleted"]
    recorder.expect(
        "GB-UPSERT-AFTER-DELETE",
        len(active) == 1 and suite.profile.dialect.total_count(listed) in (len(rows), None),
        listed,
        title="A record written again after its deletion is not listed once",
        expected=f"one active {e.singular} {sourced_id!r}",
        actual=f"{len(active)} active of {len(rows)} listed",
        steps=(created, updated, deleted, again, listed),
    )

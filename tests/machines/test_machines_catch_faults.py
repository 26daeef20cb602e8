"""Each gradebook state machine fails, naming the broken requirement, on reference-server faults that
break its property — and prints the shrunk steps as curl commands."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from conformance.contract.operations import ENTITIES, GRADEBOOK
from conformance.reference import embedded
from tests._cli import against

CASES = [
    ("upsert", "put-update-not-persisted", "GB-UPSERT-UPDATES"),
    ("upsert", "drop-learning-objectives", "GB-UPSERT-ROUNDTRIP"),
    ("upsert", "date-last-modified-backwards", "GB-DATE-LAST-MODIFIED"),
    ("upsert", "put-duplicates", "GB-UPSERT-NO-DUPLICATES"),
    ("pairs", "allocated-id-unresolvable", "GB-PAIRS-ALLOCATED-RESOLVES"),
    ("pairs", "supplied-id-not-echoed", "GB-PAIRS-SUPPLIED-ECHO"),
    ("pairs", "results-post-unknown-lineitem-stores", "GB-RESULT-POST-UNKNOWN-LINEITEM"),
    ("collections", "offset-ignored", "GB-LIST-PAGING"),
    ("collections", "filter-ignored", "GB-LIST-FILTER"),
    ("collections", "orderby-ignored", "GB-LIST-SORT"),
    ("collections", "delete-noop", "GB-SOFT-DELETE"),
]


@pytest.mark.parametrize(("machine", "fault", "requirement"), CASES, ids=[f"{m}-{f}" for m, f, _ in CASES])
def test_machine_names_the_broken_requirement(machine: str, fault: str, requirement: str, tmp_path: Path) -> None:
    shrink = [] if fault == "put-update-not-persisted" else ["--no-shrink"]  # one case proves the shrunk steps
    with embedded.start(faults=[fault]) as server:
        out = against(
            server, "--only", f"test_machine[{machine}]", "--max-examples", "4", *shrink, reports=tmp_path / "r"
        )
    assert out.code == 1, out.stderr[-1500:]
    assert requirement in out.failed(), out.failed()
    row = next(r for r in out.summary["requirements"] if r["id"] == requirement)
    message = row["failures"][0]["message"]
    assert "Steps:" in message and "curl -sS -X" in message, message
    assert row["failures"][0]["reproduction"].count("curl ") >= 1


def test_a_run_leaves_no_active_record_with_its_prefix(tmp_path: Path) -> None:
    """After a run against the reference server, no active record with the run prefix remains."""
    with embedded.start() as server:
        out = against(server, "--max-examples", "3", reports=tmp_path / "r")
        assert out.code == 0, out.stderr[-1500:]
        run_id = out.summary["run_id"]
        assert run_id
        headers = {"Authorization": f"Bearer {server.token()}"}
        left = {}
        for entity in ENTITIES:
            listed = httpx.get(
                f"{server.base_url}{GRADEBOOK}/{entity.plural}/",
                headers=headers,
                timeout=10,
                params={"filter": f"sourcedId~'{run_id}' AND status='active'", "limit": 3000},
            )
            assert listed.status_code == 200
            left[entity.plural] = listed.json()["totalCount"]
            wrote = httpx.get(
                f"{server.base_url}{GRADEBOOK}/{entity.plural}/",
                headers=headers,
                timeout=10,
                params={"filter": f"sourcedId~'{run_id}' AND status='tobedeleted'", "limit": 1},
            )
            assert wrote.json()["totalCount"] > 0, f"the run wrote no {entity.plural}: the check would prove nothing"
    assert all(count == 0 for count in left.values()), left

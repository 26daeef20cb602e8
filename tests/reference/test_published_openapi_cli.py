"""The published OpenAPI documents, fuzzed by the schemathesis CLI against ``oneroster-conformance serve``.

Acceptance: the CLI reports nothing that the readings table (conformance/contract/readings.toml) does
not list as a legitimate choice, and the reference server answers no status its documents do not list.
TimeBack's document is run in the timeback profile (its gradebook paths; the server has no rostering),
the official binding's in the 1edtech profile. The documents are not redistributable: without the
local copies (third_party/README.md) each profile's test is skipped with one line saying so.

Every check schemathesis has runs (``--checks all``): undocumented statuses (status_code_conformance,
which also holds the server to the documents' lists), bodies a document calls valid that the server
refuses and invalid ones it takes (positive_data_acceptance, negative_data_rejection), answers to
undocumented methods, use after DELETE, missing authentication... Each failure is classified by
``CHOICES``: a check, the words that single the finding out, and the row of the readings table listing
the server's answer as a legitimate choice. Anything unclassified is a finding the test fails with; the
fix for a real one is in the server, never a wider table.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance import profiles
from conformance.contract.operations import GRADEBOOK
from conformance.reference import start
from tests.contract._support import REPO, published_spec

pytestmark = pytest.mark.network
READINGS = REPO / "conformance" / "contract" / "readings.toml"


@dataclass(frozen=True)
class Published:
    """One published document and how it meets the server."""

    name: str  # in third_party/openapi/
    prefix: str  # what the document's paths leave to its server URL
    options: tuple[str, ...]  # what the run of this document needs besides the common options


PUBLISHED = {
    # The document covers rostering and resources too; the server serves the gradebook.
    profiles.TIMEBACK: Published(
        "timeback-oneroster-openapi.yaml", "", ("--include-path-regex", "^/ims/oneroster/gradebook/")
    ),
    # The binding's paths are relative to its base path. Its links (next, prev, first, last) read limit
    # and offset from the path, where they are not, so schemathesis refuses its stateful phase.
    profiles.ONEEDTECH: Published(
        "1edtech-oneroster-1p2-gradebook-openapi.yaml", GRADEBOOK, ("--phases", "examples,coverage,fuzzing")
    ),
}
# A few examples per operation, one seed: the same cases on every run, in about 15 s per document. No
# --max-time: schemathesis would fuzz until it is spent; the subprocess timeout bounds a hung run.
# Shrinking is off: each failure is classified, not minimised. Health checks judge how the data was
# generated, not the server, so they may not stop a run.
COMMON = (
    "--checks", "all", "--max-examples", "10", "--seed", "20240901", "--no-shrink", "--workers", "1",
    "--generation-database", "none", "--suppress-health-check", "all", "--request-timeout", "10", "--no-color",
)  # fmt: skip
TIMEOUT = 600


@dataclass(frozen=True)
class Choice:
    """A legitimate choice: a ``check``'s failure whose text holds every one of ``says``, listed by the
    readings table's row ``reading``."""

    check: str
    says: tuple[str, ...]
    reading: str


ACCEPT, REJECT = "positive_data_acceptance", "negative_data_rejection"
CHOICES = (
    # Query parameters: the documents type them as free strings; the server refuses what it cannot apply.
    Choice(ACCEPT, ("| 400 fields names ",), "unknown-fields"),
    Choice(ACCEPT, ("| 400 fields has an empty field name",), "unknown-fields"),
    Choice(ACCEPT, ("| 400 sort names ",), "query-grammar"),
    Choice(ACCEPT, ("| 400 sort has an empty field name",), "query-grammar"),
    Choice(ACCEPT, ("| 400 filter ",), "query-grammar"),
    # Writes.
    Choice(ACCEPT, ("| 422 Invalid request body: ", " already exists"), "duplicate-sourced-id"),
    Choice(ACCEPT, ("| 422 Invalid request body: ", "/scoreStatus ", "does not match '^ext:"), "anchored-patterns"),
    Choice(REJECT, ("| 201 ", "Missing required property: status"), "server-set-members"),
    Choice(REJECT, ("| 201 ", "Missing required property: scoreStatus"), "omitted-score-status"),
    Choice(
        "response_schema_conformance", ("/results/", '"scoreStatus" is a required property'), "omitted-score-status"
    ),
    # schemathesis takes a member the document does not define for a violation, closed or not.
    Choice(REJECT, ("| 201 ", "object with unexpected properties"), "unknown-members"),
    Choice(REJECT, ("| 201 ", "violates `required`", '(was "active")'), "server-set-members"),
    Choice(REJECT, ("| 201 ", "violates `required`", '(was "tobedeleted")'), "server-set-members"),
    Choice(REJECT, ("| 201 ", "violates `required`", "/properties/dateLastModified"), "server-set-members"),
    # Only a reference has an href; a type the server completes is a reference's too (a score scale's own
    # type, which no reading lets a write leave out, is still refused).
    Choice(REJECT, ("| 201 ", "violates `required`", "/properties/href"), "bare-references"),
    Choice(REJECT, ("| 201 ", "violates `required`", "/properties/type"), "bare-references"),
    # The live TimeBack reference adds PATCH, which the published snapshot lacks.
    Choice(
        "unsupported_method",
        ("/assessmentLineItems/{sourcedId}", "Unsupported method PATCH returned 200"),
        "patch-operations",
    ),
    Choice(
        "unsupported_method",
        ("/assessmentResults/{sourcedId}", "Unsupported method PATCH returned 200"),
        "patch-operations",
    ),
    # Reads after DELETE.
    Choice("use_after_free", ("(got `HTTP 200 OK`)",), "read-deleted"),
)


# Findings that are schemathesis's own reading of the document, not a choice of the server: each with
# what was checked by hand. Nothing else may go here.
TOOL_READINGS = (
    Choice(
        # The binding defines GET and POST on this path (getLineItemsForClass, postLineItemsForClass); the
        # server's Allow names exactly those two, yet schemathesis 4 reads GET as undocumented there.
        "allow_header_conformance",
        ("/classes/{classSourcedId}/lineItems |", "405 ", "Allow: GET, POST", "Undocumented methods advertised: GET"),
        "",
    ),
)


@dataclass(frozen=True)
class Finding:
    check: str
    text: str  # "<operation> | <status> <imsx description> | <what schemathesis says>"

    def choice(self) -> Choice | None:
        return next((c for c in CHOICES if c.check == self.check and all(s in self.text for s in c.says)), None)

    def tool_reading(self) -> bool:
        return any(c.check == self.check and all(s in self.text for s in c.says) for c in TOOL_READINGS)


def _answer(interaction: dict[str, Any] | None) -> str:
    """The answer's status and, for an imsx error, its description."""
    response = (interaction or {}).get("response") or {}
    content = response.get("content") or {}
    raw = base64.b64decode(content["$base64"]) if "$base64" in content else b""
    try:
        described = json.loads(raw).get("imsx_description", "")
    except (ValueError, AttributeError):
        described = ""
    return f"{response.get('status_code')} {described}"


def findings(ndjson: Path) -> Iterator[Finding]:
    """Every failed check of the run, from its NDJSON event stream."""
    with ndjson.open(encoding="utf-8") as events:
        for line in events:
            scenario = json.loads(line).get("ScenarioFinished")
            recorder = (scenario or {}).get("recorder") or {}
            for case_id, checks in (recorder.get("checks") or {}).items():
                for check in checks:
                    if check["status"] != "failure":
                        continue
                    failure = check["failure_info"]["failure"]
                    answer = _answer(recorder.get("interactions", {}).get(case_id))
                    yield Finding(check["name"], f"{failure['operation']} | {answer} | {failure['message']}")


def errors(ndjson: Path) -> list[str]:
    """What kept schemathesis from testing (a document it cannot read, a server that stops answering)."""
    with ndjson.open(encoding="utf-8") as events:
        raised = (json.loads(line).get("NonFatalError") for line in events)
        return [f"{error['value']['type']}: {error['value']['message'][:300]}" for error in raised if error]


def readings() -> set[str]:
    if not READINGS.is_file():
        pytest.fail(f"{READINGS.relative_to(REPO)} is absent: the findings cannot be classified")
    return {row["id"] for row in tomllib.loads(READINGS.read_text(encoding="utf-8"))["reading"]}


def _schemathesis() -> str:
    beside = Path(sys.executable).with_name("schemathesis")
    found = str(beside) if beside.is_file() else shutil.which("schemathesis")
    assert found, "the schemathesis CLI is a dependency of the project"
    return found


def test_every_choice_names_a_row_of_the_readings_table() -> None:
    assert sorted({c.reading for c in CHOICES} - readings()) == []


@pytest.mark.parametrize("profile", list(PUBLISHED))
def test_schemathesis_finds_only_legitimate_choices(profile: str, tmp_path: Path) -> None:
    published = PUBLISHED[profile]
    spec = published_spec(published.name)
    report = tmp_path / "events.ndjson"
    with start(profile=profile) as server:
        argv = [
            _schemathesis(), "run", str(spec), "--url", server.base_url + published.prefix,
            "--header", f"Authorization: Bearer {server.token()}",
            "--report", "ndjson", "--report-ndjson-path", str(report), *COMMON, *published.options,
        ]  # fmt: skip
        # Its own directory: schemathesis keeps past failures under ./.schemathesis and would replay them.
        run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert report.is_file(), run.stdout[-2000:] + run.stderr[-2000:]
    assert errors(report) == [], "schemathesis could not test everything"
    found = list(findings(report))
    classified = Counter((f.check, choice.reading) for f in found if (choice := f.choice()) is not None)
    print(f"{profile}: {len(found)} findings;", ", ".join(f"{c} → {r}: {n}" for (c, r), n in classified.items()))
    unclassified = sorted({f"{f.check}: {f.text[:300]}" for f in found if f.choice() is None and not f.tool_reading()})
    assert not unclassified, "findings that no reading lists as a legitimate choice:\n" + "\n".join(unclassified)
    missing = sorted({reading for _, reading in classified} - readings())
    assert not missing, f"{READINGS.relative_to(REPO)} has no row {missing} for the choices the findings name"

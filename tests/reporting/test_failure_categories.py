"""categories.json: every failure title the checks and machines produce falls in a category, the
first line decides (not a word quoted from a body), and Node's RegExp agrees with Python's re."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import conformance
from conformance.reporting.failure_categories import CATEGORIES, allure_categories, classify

PACKAGE = Path(conformance.__file__).parent
PREFIX = "conformance.checks.ConformanceFailure: "  # how allure-pytest reports a failed suite test


def _message(requirement: str, title: str, got: str = "Got:         400 application/json") -> str:
    return f"{PREFIX}[{requirement}] MUST — {title}\n  Requirement: …\n  {got}\n  Expected:    …"


def _texts(node: ast.expr) -> list[str]:
    """The literal text of a title expression; an f-string's placeholders become 'x'."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)]
    if isinstance(node, ast.IfExp):
        return _texts(node.body) + _texts(node.orelse)
    return []


def check_titles() -> list[tuple[str, str]]:
    """(where, title) of every failure title written in the checks, machines and suite."""
    found = []
    for folder in ("checks", "machines", "suite"):
        for path in sorted((PACKAGE / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                exprs: list[ast.expr] = []
                if isinstance(node, ast.Call):
                    exprs += [k.value for k in node.keywords if k.arg == "title"]
                    func = node.func
                    if isinstance(func, ast.Attribute) and func.attr == "fail" and len(node.args) >= 2:
                        exprs.append(node.args[1])  # Finding.fail(requirement, title, …)
                elif isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "title" for t in node.targets
                ):
                    exprs.append(node.value)
                found += [(f"{path.name}:{node.lineno}", t) for e in exprs for t in _texts(e) if t]
    return found


def test_the_titles_are_found() -> None:
    titles = {t for _, t in check_titles()}
    assert len(titles) >= 40
    assert "A valid request was not answered with its documented success status" in titles
    assert "An identical PUT changed the record" in titles


@pytest.mark.parametrize(("where", "title"), check_titles())
def test_every_check_title_is_classified(where: str, title: str) -> None:
    # Under an ID no pattern knows: the title alone must classify the failure.
    assert classify(_message("XX-UNLISTED", title)) is not None, f"{where}: {title!r} fits no category"


EXPECTED = [
    (
        _message("GB-RESULT-PUT-UPSERT", "A valid request was not answered with its documented success status"),
        "Wrong status",
    ),
    (_message("GEN-NO-SERVER-ERROR", "schemathesis: not_a_server_error"), "Wrong status"),
    (_message("GB-RESULT-NOT-FOUND", "A missing record is not a 404"), "Wrong status"),
    (_message("GB-RESULT-RESPONSE-SCHEMA", "Response violates the schema"), "Schema violation"),
    (_message("GEN-REJECT-INVALID-BODY", "An invalid body was accepted"), "Schema violation"),
    (_message("GEN-ERROR-IMSX-BODY", "Error body is not an imsx status object"), "Error-body format"),
    (_message("GB-RESULT-NOT-FOUND", "404 without the documented message"), "Error-body format"),
    (_message("GB-UPSERT-IDEMPOTENT", "An identical PUT changed the record"), "State / idempotency"),
    (_message("GB-READ-AFTER-DELETE", "A deleted record still reads as active"), "State / idempotency"),
    (_message("PP-NO-REIMPORT", "Progress changed after the attempt was finalized"), "State / idempotency"),
    (_message("GEN-AUTH-REQUIRED", "A request without a valid token was not refused with 401"), "Authentication"),
    (_message("GEN-AUTH-TOKEN", "The token endpoint did not grant client credentials"), "Authentication"),
    (
        _message("GB-RESULT-PUT-UPSERT", "Transport failure", "Got:         timed out (ReadTimeout)"),
        "Transport / timeouts",
    ),
    # A transport problem under an ordinary title still shows on the Got: line.
    (
        _message(
            "GB-RESULT-GET",
            "A valid request was not answered with its documented success status",
            "Got:         transport error: ConnectError",
        ),
        "Transport / timeouts",
    ),
    # Words quoted from a body further down do not reclassify a failure.
    (
        _message(
            "PP-IMPORT",
            "A valid request was not answered with its documented success status",
            'Got:         500\n               body {"finalized": true, "attempt": 2, "Progress": "timed out"}',
        ),
        "Wrong status",
    ),
]


@pytest.mark.parametrize(("message", "category"), EXPECTED, ids=[c + ": " + m.split("— ")[1][:40] for m, c in EXPECTED])
def test_representative_failures(message: str, category: str) -> None:
    assert classify(message) == category


def test_categories_json_is_allures_format() -> None:
    written = allure_categories()
    assert [c["name"] for c in written] == [c.name for c in CATEGORIES]
    for entry in written:
        assert set(entry) == {"name", "description", "messageRegex", "matchedStatuses"}
        assert set(entry["matchedStatuses"]) <= {"failed", "broken"}
        assert "(?" not in entry["messageRegex"].replace("(?:", "")  # no inline flags: JavaScript has none


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: Allure 3's RegExp not checked")
def test_node_regexp_agrees_with_python(tmp_path: Path) -> None:
    """Allure 3 tests each messageRegex with JavaScript's RegExp: the same message, the same category."""
    messages = [m for m, _ in EXPECTED] + [_message("XX-UNLISTED", t) for _, t in check_titles()]
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"categories": allure_categories(), "messages": messages}), encoding="utf-8")
    script = (
        "const d = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));"
        "console.log(JSON.stringify(d.messages.map(m => "
        "(d.categories.find(c => new RegExp(c.messageRegex).test(m)) || {name: null}).name)));"
    )
    done = subprocess.run(["node", "-e", script, str(data)], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [classify(m) for m in messages]

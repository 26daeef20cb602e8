"""Why a test failed, in six kinds: the categories of Allure's "Categories" view.

A failed test's message is ``<exception type>: [REQUIREMENT-ID] LEVEL — <title>`` on its first
line (``Failure.render``), then the requirement, what was sent and got, and the reproduction. The
patterns match the check titles of ``conformance/checks`` and ``conformance/machines`` on that
first line only, so a word inside a response body quoted further down cannot reclassify a
failure; a transport problem shows on the ``Got:`` line instead, whatever the title.

Each pattern must mean the same to three regex engines: Allure 2 matches the whole message (Java,
``matches``), Allure 3 searches it (JavaScript ``RegExp.test``), ``classify`` below uses Python's
``re.match``. Anchoring at ``^`` and ending with ``[\\s\\S]*`` gives one meaning to all three (no
inline flags: JavaScript has none). The first category that matches wins, so the order matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ANY = r"[\s\S]*"


def _first_line(*alternatives: str) -> str:
    return r"^[^\n]*(?:" + "|".join(alternatives) + ")" + _ANY


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    pattern: str
    statuses: tuple[str, ...] = ("failed",)

    def matches(self, message: str) -> bool:
        return re.match(self.pattern, message) is not None


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Authentication",
        "The token endpoint, or a request whose token is missing, invalid, expired or without the "
        "operation's scope (GEN-AUTH-*).",
        _first_line(
            r"\[GEN-AUTH-",
            r"token endpoint",
            r"token request",
            r"without a valid token",
            r"operation's scope",
            r"[Aa]n? (?:expired|new) token",
            r"[Aa] token granted",
            r"[Aa] token was refused",
            r"AuthenticationFailed",
            r"refused the (?:client )?credentials",
        ),
        ("failed", "broken"),
    ),
    Category(
        "Transport / timeouts",
        "The target could not be reached, timed out, or sent more than the suite accepts.",
        r"(?:^[^\n]*(?:Transport failure|stopped answering|TargetUnreachable|Timeout|ConnectError"
        r"|RemoteProtocolError|unreachable)"
        r"|[\s\S]*\n +Got: +(?:timed out|transport error|response body larger than))" + _ANY,
        ("failed", "broken"),
    ),
    Category(
        "Error-body format",
        "A 4xx without the imsx status body, the wrong code-minor, or the undocumented 404 message.",
        _first_line(
            r"\[GEN-ERROR-",
            r"Error body is not",
            r"imsx code-minor",
            r"404 without the documented message",
        ),
    ),
    Category(
        "Schema violation",
        "A response body that breaks its schema, or an invalid request body that was accepted.",
        _first_line(
            r"-RESPONSE-SCHEMA\]",
            r"\[GEN-CONTENT-TYPE-JSON\]",
            r"\[GEN-REJECT-INVALID-BODY\]",
            r"Response violates the schema",
            r"Response is not a valid",
            r"Success body is not JSON",
            r"An invalid body was accepted",
            r"No sourcedIdPairs",
        ),
    ),
    Category(
        "State / idempotency",
        "What the server stores and reports over several requests: upserts, pairs, soft delete, "
        "collections, external-test attempts.",
        _first_line(
            # The requirements only the state machines and multi-step tests check.
            r"\[(?:GB-UPSERT-|GB-DATE-LAST-MODIFIED|GB-PAIRS-|GB-RESULT-IN-SCOPED-LISTS|GB-SOFT-DELETE"
            r"|GB-READ-AFTER-DELETE|GB-LIST-|PP-NOT-FINALIZED|PP-FINALIZE|PP-EDULASTIC|PP-NO-REIMPORT|PP-ATTEMPTS"
            r"|PP-ENROLLMENT|INTEROP-)",
            # Their titles, for the same findings recorded under an operation's own requirement.
            r"grade sync would stop",
            r"still reads as active",
            r"still listed as active",
            r"identical PUT changed",
            r"update was not persisted",
            r"does not return what was PUT",
            r"dateLastModified",
            r"handed out twice",
            r"does not resolve",
            r"missing from its scoped list",
            r"were stored",
            r"does not echo",
            r"cannot be read",
            r"exactly once",
            r"totalCount",
            r"collection's count",
            r"wrong size",
            r"requested order",
            r"returned (?:other|the wrong) records",
            r"did not limit",
            r"finaliz",
            r"Progress",
            r"does not describe",
            r"did not start the next attempt",
            r"does not report the attempt",
            r"score is not the mean",
            r"skipCourseEnrollment",
            r"did not merge",
            r"does not list",
            r"is not listed",
            r"did not store what it sent",
        ),
    ),
    Category(
        "Wrong status",
        "A documented request answered with a status the operation does not document for it.",
        _first_line(
            r"\[GEN-(?:NO-SERVER-ERROR|STATUS-DOCUMENTED)\]",
            r"\[GB-[A-Z]+-(?:PUT-UPSERT|GET|LIST|CREATE|DELETE|PATCH|NOT-FOUND)\]",
            r"\[(?:GB-RESULT-POST-|GB-SCOPED-|PP-ASSIGN|PP-IMPORT|PP-PROGRESS|PP-FAIL-)",
            r"was not answered",
            r"not answered with",
            r"is not a 404",
            r"was not accepted",
            r"did not answer",
            r"does not answer",
            r"posted to an unknown",
            r"could not be created",
            r"Not refused",
            r"not refused",
            r"not_a_server_error",
            r"server failed",
            r"status_code_conformance",
        ),
    ),
)


def classify(message: str) -> str | None:
    """The name of the first category whose pattern matches a failure message (None: none does)."""
    for category in CATEGORIES:
        if category.matches(message):
            return category.name
    return None


def allure_categories() -> list[dict[str, Any]]:
    """``categories.json`` for the results directory (Allure 2's format; Allure 3 reads it too)."""
    return [
        {
            "name": c.name,
            "description": c.description,
            "messageRegex": c.pattern,
            "matchedStatuses": list(c.statuses),
        }
        for c in CATEGORIES
    ]

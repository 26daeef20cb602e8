"""The run-level files of an Allure results directory: cleaning out an earlier run's results,
``environment.properties`` (what was tested, how) and ``categories.json`` (why tests failed).

History is not kept here: Allure 3 keeps it in a file of its own outside the results directory
(``allure_html``), so cleaning the results never loses a trend.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from conformance.reporting import failure_categories

ENVIRONMENT = "environment.properties"
CATEGORIES = "categories.json"
# What allure-pytest writes: <uuid>-result.json, <uuid>-container.json, <uuid>-attachment.<ext>.
_RESULT_FILE = re.compile(r"^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}-(?:result|container|attachment)(?:\.\w+)?$")


def clean(results: Path) -> int:
    """Delete an earlier run's results so that they cannot mix with this run's; returns how many.

    Only files Allure or this module write are deleted, never a folder: ``--alluredir`` may name
    any directory, and nothing else in it is the suite's to remove.
    """
    if not results.is_dir():
        return 0
    removed = 0
    for path in results.iterdir():
        if path.is_file() and (_RESULT_FILE.match(path.name) or path.name in (ENVIRONMENT, CATEGORIES)):
            path.unlink()
            removed += 1
    return removed


def _escape(text: str, *, key: bool = False) -> str:
    """Java .properties escaping (Allure's readers decode it): separators, comments, line breaks,
    and non-ASCII as \\uXXXX (UTF-16 units, as Java writes them)."""
    out = []
    for i, char in enumerate(text):
        if char in "\\=:#!":
            out.append("\\" + char)
        elif char in "\n\r\t\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}[char])
        elif char == " " and (key or i == 0):
            out.append("\\ ")
        elif not " " <= char <= "~":
            encoded = char.encode("utf-16-be")
            out.extend(f"\\u{encoded[j] << 8 | encoded[j + 1]:04x}" for j in range(0, len(encoded), 2))
        else:
            out.append(char)
    return "".join(out)


def environment(summary: dict[str, Any]) -> dict[str, str]:
    """What the Allure report's Environment panel shows, from summary.json (already redacted)."""
    return {
        "Target": str(summary.get("target", "")),
        "Profile": str(summary.get("profile", "")),
        "Suite version": str(summary.get("suite_version", "")),
        "Seed": str(summary.get("seed", "")),
        "Date": str(summary.get("started_at", "")),
        "Run": str(summary.get("run_id", "")),
    }


def write(results: Path, summary: dict[str, Any]) -> None:
    """Write environment.properties and categories.json next to the run's results."""
    results.mkdir(parents=True, exist_ok=True)
    lines = [f"{_escape(k, key=True)}={_escape(v)}" for k, v in environment(summary).items()]
    (results / ENVIRONMENT).write_text("\n".join(lines) + "\n", encoding="ascii")
    categories = failure_categories.allure_categories()
    (results / CATEGORIES).write_text(json.dumps(categories, indent=2) + "\n", encoding="utf-8")

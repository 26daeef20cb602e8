"""Comparing a run with an earlier one (``run --baseline FILE``): what regressed, what was fixed.

The comparison is reported, never counted: the verdict stays the MUST requirements of this run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class BaselineError(ValueError):
    """An unusable baseline file; the message is one line."""


def load(path: str) -> dict[str, str]:
    """requirement ID → status, from a previous summary.json."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {str(r["id"]): str(r["status"]) for r in data["requirements"]}
    except OSError as exc:
        raise BaselineError(f"baseline {path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError):
        raise BaselineError(f"baseline {path}: not a summary.json written by oneroster-conformance") from None


def compare(before: dict[str, str], summary: dict[str, Any], path: str) -> dict[str, Any]:
    now = {r["id"]: r["status"] for r in summary["requirements"]}
    return {
        "file": path,
        "regressions": sorted(i for i, s in now.items() if s == "failed" and before.get(i) == "passed"),
        "fixed": sorted(i for i, s in now.items() if s == "passed" and before.get(i) == "failed"),
        "new": sorted(set(now) - set(before)),
    }


def lines(comparison: dict[str, Any]) -> list[str]:
    out = [
        f"baseline {comparison['file']}: {len(comparison['regressions'])} regressed, {len(comparison['fixed'])} fixed"
    ]
    out += [f"  ↓ {i} passed in the baseline, fails now" for i in comparison["regressions"]]
    out += [f"  ↑ {i} failed in the baseline, passes now" for i in comparison["fixed"]]
    return out

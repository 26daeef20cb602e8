"""The pytest side of the run's guard (``conformance.guard``).

Every process of a run shares one time budget (an absolute deadline the controller sets and hands
to pytest-xdist workers) and one stop file; SIGINT and SIGTERM go to the guard; a test that starts
after the run stopped is skipped with the reason; and the summary of a run that was cut short says
so, each requirement left unchecked marked *skipped* with the reason — never passed — and its
verdict is not "conformant" when a MUST requirement was left unchecked.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from conformance.guard import Guard
from conformance.suite.verdict import NOT_EXERCISED


def skip_if_stopped(guard: Guard) -> None:
    reason = guard.reason
    if reason is not None:
        pytest.skip(f"not run: {reason}")


def annotate(result: dict[str, Any], guard: Guard) -> None:
    """Say in the summary that the run was cut short, and why each unchecked requirement was skipped.

    A run cut short before it checked every MUST requirement it meant to check is not called
    conformant: the verdict would otherwise vouch for requirements nobody checked."""
    reason = guard.stopped
    if reason is None:
        return
    result["cut_short"] = reason
    unchecked = 0
    for row in result["requirements"]:
        if row["status"] == "skipped" and row.get("reason") == NOT_EXERCISED:
            row["reason"] = f"not checked: the run was cut short ({reason})"
            unchecked += row["level"] == "MUST"
    if unchecked:
        result["verdict"] = "non-conformant"


def remove_stop_file(guard: Guard) -> None:
    """The controller removes the stop file once the run is over (the summary keeps the reason)."""
    if guard.stop_file is not None:
        with contextlib.suppress(OSError):
            guard.stop_file.unlink(missing_ok=True)

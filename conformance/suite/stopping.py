"""The pytest side of the run's guard (``conformance.guard``, issue 8).

Every process of a run shares one time budget (an absolute deadline the controller sets and hands
to pytest-xdist workers) and one stop file; SIGINT and SIGTERM go to the guard; a test that starts
after the run stopped is skipped with the reason; and the summary of a run that was cut short says
so, each requirement left unchecked marked *skipped* with the reason — never passed — and its
verdict is not "conformant" when a MUST requirement was left unchecked.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.guard import GUARD, STOP_FILE, install_signal_handlers
from conformance.reporting.summary import NOT_EXERCISED
from conformance.suite.targeting import time_budget

_RESTORE = pytest.StashKey[Callable[[], None]]()


def start(config: pytest.Config, reports: Path, worker_input: dict[str, Any] | None) -> None:
    """Set up the guard for this process: the controller starts the clock, a worker inherits it."""
    if worker_input is None:
        budget = time_budget({"time_budget": config.getoption("time_budget")})
        deadline: float | None = time.time() + budget
        stop_file = reports / STOP_FILE
        stop_file.unlink(missing_ok=True)  # left by an earlier run into the same reports directory
        for stale in (reports / ".ledger").glob("*.cleanup"):
            stale.unlink(missing_ok=True)
    else:
        budget, deadline = worker_input["budget"], worker_input["deadline"]
        stop_file = Path(worker_input["stop_file"])
    GUARD.reset()
    GUARD.configure(budget=budget, deadline=deadline, stop_file=stop_file)
    config.stash[_RESTORE] = install_signal_handlers(GUARD)


def worker_input() -> dict[str, Any]:
    """What a pytest-xdist worker needs to share the controller's budget and stop file."""
    return {"budget": GUARD.budget, "deadline": GUARD.deadline, "stop_file": str(GUARD.stop_file)}


def skip_if_stopped() -> None:
    reason = GUARD.reason
    if reason is not None:
        pytest.skip(f"not run: {reason}")


def annotate(result: dict[str, Any]) -> None:
    """Say in the summary that the run was cut short, and why each unchecked requirement was skipped.

    A run cut short before it checked every MUST requirement it meant to check is not called
    conformant: the verdict would otherwise vouch for requirements nobody checked."""
    reason = GUARD.stopped
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


def dump_cleanup(path: Path, errors: list[str]) -> None:
    """What this process's cleanup could not delete, for the controller's summary (workers clean up too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(errors), encoding="utf-8")


def load_cleanup(ledger_dir: Path) -> tuple[str, ...]:
    """Every process's cleanup failures (the files are removed once read)."""
    errors: list[str] = []
    for path in sorted(ledger_dir.glob("*.cleanup")):
        with contextlib.suppress(OSError, ValueError):
            errors += [str(e) for e in json.loads(path.read_text(encoding="utf-8"))]
        path.unlink(missing_ok=True)
    return tuple(errors)


def finish(config: pytest.Config, *, controller: bool) -> None:
    """Put the signal handlers back; the controller removes the stop file (the summary keeps the reason)."""
    restore = config.stash.get(_RESTORE, None)
    if restore is not None:
        restore()
    if controller and GUARD.stop_file is not None:
        with contextlib.suppress(OSError):
            GUARD.stop_file.unlink(missing_ok=True)

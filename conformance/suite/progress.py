"""The run's progress on stderr: one line at least every two seconds while it sends, naming the
requirement area under test, the tests done, the requests sent, the failures so far and what is
left of the time budget. No test ids, no paths: the vendor reading it never wrote the tests.

On a terminal a table by requirement area is redrawn in place instead (rich). A test ends its line only when it is
over, and a state machine may send for longer than two seconds: so the line is also written from
the exchanges themselves, whichever comes first: the controller's own in a run of one process, the
counts its workers write as they send in a run of several (``split.Announcer``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance import catalogue
from conformance.checks.registry import Undeclared, declared
from conformance.contract.operations import ENTITY
from conformance.guard import Guard

EVERY = 2.0  # seconds between progress lines, at most


def area_of(item: Any, profile: str) -> str:
    """The requirement area a test works in: its operation's resource when it is parametrised by
    one, else the commonest area of the requirements it declares."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    op = params.get("op")
    entity = getattr(op, "entity", None)
    if entity in ENTITY:
        return f"gradebook/{ENTITY[entity].plural}"
    if getattr(op, "service", "") == "powerpath":
        return "powerpath/external tests"
    try:
        ids = declared(getattr(item, "function", None))
    except Undeclared:
        return "general"
    known = catalogue.catalogue(profile)
    areas = Counter(known[i].area for i in sorted(ids) if i in known)
    return areas.most_common(1)[0][0] if areas else "general"


@dataclass
class Tally:
    """One requirement area's share of the run so far."""

    tests: int = 0
    requests: int = 0
    failed: int = 0


class Live:
    """On a terminal: a table of the requirement areas (tests, requests, failures so far) under the
    run's line, redrawn in place by rich (its own thread, a few times a second), on a stream the run
    opened onto the terminal before pytest began capturing output."""

    REDRAW = 0.25  # seconds between updates, at most

    def __init__(self, console: Any) -> None:
        from rich.live import Live as RichLive
        from rich.text import Text

        self._live = RichLive(Text("starting"), console=console, refresh_per_second=4, transient=False)
        self._live.start()

    def show(self, progress: Progress) -> None:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False)
        for heading in ("area", "tests", "requests", "failed"):
            table.add_column(heading, justify="left" if heading == "area" else "right", no_wrap=True)
        for area, tally in progress.areas.items():
            mark = "▶ " if area == progress.area else "  "
            failed = f"[bold red]{tally.failed}[/]" if tally.failed else "0"
            table.add_row(mark + area, str(tally.tests), str(tally.requests), failed)
        self._live.update(Group(Text(progress.line(), no_wrap=True, overflow="ellipsis"), table))

    def stop(self) -> None:
        self._live.stop()


class Progress:
    """What the run has done so far, overall and by requirement area: a line every two seconds in a
    log, or a table redrawn in place on a terminal (``live``)."""

    def __init__(self, guard: Guard, write: Callable[[str], None] | None = None) -> None:
        self.guard = guard
        self.write = write or _to_stderr
        self.live: Live | None = None
        self.area = "starting"
        self.tests = self.failed = 0
        self.requests: dict[str, int] = {}  # by process: the controller's and each worker's
        self.areas: dict[str, Tally] = {}  # in the order the run reached them
        self._counted: dict[str, int] = {}  # by process: the requests already given to an area
        self._last = 0.0
        self._lock = threading.Lock()

    def record(self, area: str, process: str, requests: int, failed: bool) -> None:
        """A test ended in ``area``: ``requests`` is its process's count so far."""
        with self._lock:  # tests of one process may end together (``--concurrency``)
            tally = self.areas.setdefault(area, Tally())
            tally.tests += 1
            tally.failed += failed
            tally.requests += max(0, requests - self._counted.get(process, 0))
            self._counted[process] = max(requests, self._counted.get(process, 0))
            self.requests[process] = max(requests, self.requests.get(process, 0))
            self.area = area
            self.tests += 1
            self.failed += failed

    def sent(self, counts: dict[str, int]) -> None:
        """Requests sent so far by process, heard while tests run (a long test ends its line late)."""
        with self._lock:
            for process, requests in counts.items():
                self.requests[process] = max(requests, self.requests.get(process, 0))
        self.tell()

    def line(self) -> str:
        text = f"[{self.area}] {self.tests} tests, {sum(self.requests.values())} requests, {self.failed} failed"
        if self.guard.deadline is not None:
            text += f", {max(0.0, self.guard.deadline - time.time()):.0f} s of the time budget left"
        return text

    def tell(self, *, now: float | None = None, force: bool = False) -> None:
        """Write the line when two seconds have passed since the last one (or ``force``); on a
        terminal, redraw the table a few times a second."""
        moment = time.monotonic() if now is None else now
        every = Live.REDRAW if self.live is not None else EVERY
        with self._lock:
            if not force and moment - self._last < every:
                return
            # Due every two seconds from the last line that was due, not from whenever the request that
            # wrote it came: lines keep their pace when requests come late (a busy machine).
            on_time = not force and moment - self._last < 2 * every
            self._last = self._last + every if on_time else moment
        if self.live is not None:
            self.live.show(self)
        else:
            self.write(self.line())

    def finish(self) -> None:
        """The last state stays on the terminal, and nothing redraws it any more."""
        if self.live is not None:
            self.live.show(self)
            self.live.stop()
            self.live = None


def _to_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def uncaptured(config: Any) -> Callable[[str], None]:
    """A writer of lines to the terminal's stderr even while pytest captures a test's output."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def write(line: str) -> None:
        if capture is None:
            _to_stderr(line)
            return
        with capture.global_and_fixture_disabled():
            _to_stderr(line)

    return write

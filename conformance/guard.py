"""When the run must stop sending: its time budget ran out, it was interrupted (SIGINT or
SIGTERM), or the target stopped answering. One guard per run, held by the run; a client without one gets its own.

A stop never aborts the run half-way. Every later request raises ``RunStopped``, a
``unittest.SkipTest``: pytest reports the test in flight as *skipped* with the reason, and
Hypothesis re-raises it at once instead of shrinking; the tests not reached are not run at all
(``suite.harness``), so stopping takes as long whatever remains. The session's cleanup still runs
(``cleaning()`` lets its DELETEs through), and summary.json says the run was cut short. The
processes of one run (pytest-xdist workers) share a stop file in the reports directory, so a stop
in one stops them all.

Signals: before the suite starts (``arm``), SIGINT and SIGTERM raise KeyboardInterrupt as usual:
nothing was written yet. Once it runs, the first one stops the run as above: it interrupts a request
or a retry wait the main thread is blocked in (raising ``RunStopped`` there, where nothing but the
connection is half-done), and otherwise takes effect at the next request. A second one only says
that cleanup is under way; a third abandons cleanup and exits 130 at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from conformance.exits import Exit

STOP_FILE = ".stop"  # in the reports directory: a stop reason shared by the run's processes


class RunStopped(unittest.SkipTest):
    """The run stopped sending; the message says why. pytest and Hypothesis treat it as a skip."""


class Guard:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget every stop and setting (between runs in one process: the project's own tests)."""
        self.armed = False  # the suite runs: a signal now stops it gracefully
        self.budget: float | None = None  # seconds, for the messages
        self.deadline: float | None = None  # time.time() after which nothing more is sent
        self.stop_file: Path | None = None
        self.interrupted: str | None = None  # the signal's name, once one arrived
        self.signals = 0
        self._reason: str | None = None
        self._cleaning = 0
        self._main_waiting = False
        self._lock = threading.Lock()

    def configure(self, *, budget: float | None, deadline: float | None, stop_file: Path | None) -> None:
        self.budget, self.deadline, self.stop_file = budget, deadline, stop_file
        self.armed = True

    # Stopping --------------------------------------------------------------------------------
    def stop(self, reason: str) -> None:
        """Stop sending, for this process and (through the stop file) the run's other processes."""
        with self._lock:
            if self._reason is not None:
                return
            self._reason = reason
        _say(f"stopping: {reason}; the remaining tests are skipped")
        if self.stop_file is not None:
            with contextlib.suppress(OSError):
                self.stop_file.parent.mkdir(parents=True, exist_ok=True)
                self.stop_file.write_text(reason, encoding="utf-8")

    @property
    def reason(self) -> str | None:
        """Why the run stopped sending, or None while it goes on; notices an exhausted time budget."""
        reason = self.stopped
        if reason is None and self.deadline is not None and time.time() >= self.deadline:
            self.stop(f"the run's time budget of {self.budget or 0:g} s ran out")
        return self._reason

    @property
    def stopped(self) -> str | None:
        """Why the run stopped sending, if it did here or in another process of the run."""
        if self._reason is None and self.stop_file is not None and self.stop_file.is_file():
            with contextlib.suppress(OSError):
                text = self.stop_file.read_text(encoding="utf-8").strip()
                with self._lock:
                    self._reason = self._reason or text or "another process of the run stopped"
        return self._reason

    def check(self) -> None:
        """Raise ``RunStopped`` when the run stopped sending (cleanup excepted)."""
        if self._cleaning:
            return
        reason = self.reason
        if reason is not None:
            raise RunStopped(reason)

    @property
    def cleaning(self) -> bool:
        return self._cleaning > 0

    @contextlib.contextmanager
    def cleanup(self) -> Iterator[None]:
        """Let cleanup's requests through whatever stopped the run; signals do not interrupt them."""
        self._cleaning += 1
        try:
            yield
        finally:
            self._cleaning -= 1

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Mark a blocking network wait or retry sleep of the main thread: a signal may interrupt it."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        self._main_waiting = True
        try:
            yield
        finally:
            self._main_waiting = False

    # Signals ---------------------------------------------------------------------------------
    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self.armed:
            self.interrupted = name
            raise KeyboardInterrupt(name)
        self.signals += 1
        if self.signals >= 3:
            _say(f"{name} again: cleanup abandoned; records with this run's prefix may remain on the target")
            os._exit(Exit.INTERRUPTED)
        if self.signals == 2:
            _say(f"{name}: cleaning up what the run wrote; send it once more to abandon cleanup")
            return
        self.interrupted = name
        reason = f"interrupted by {name}"
        self.stop(reason)
        _say("what the run wrote is being deleted; a second signal says so, a third abandons cleanup")
        if self._main_waiting and not self._cleaning:
            raise RunStopped(reason)


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"oneroster-conformance: {text}\n")
        sys.stderr.flush()


Handler = Callable[[int, FrameType | None], Any] | int | None


def install_signal_handlers(guard: Guard) -> Callable[[], None]:
    """Route SIGINT and SIGTERM to ``guard``; return a function that restores the previous handlers.
    A no-op outside the main thread (where Python allows no handler)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, Handler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, guard.on_signal)

    def restore() -> None:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    return restore

"""Per-requirement outcomes of a run, gathered across pytest-xdist workers.

Each process of a run keeps a ``Ledger`` in memory; a pytest-xdist worker sends its own to the
controller when its session ends, and the controller merges them into the summary. A requirement's status:
failed if any check of it failed; else passed if any passed; else observed (INFO) or skipped —
always with the reasons.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance import redaction

MAX_KEPT = 5  # failures / observations kept per requirement: enough to act on, small to read


def redacted(value: Any) -> Any:
    """``value`` (a failure's replay data) with every string redacted, keys included."""
    if isinstance(value, dict):
        return {redaction.redact(str(k)): redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(item) for item in value]
    return redaction.redact(value) if isinstance(value, str) else value


@dataclass
class Entry:
    passed: int = 0
    # Each {"message", "reproduction"}, and "replay" (the steps as data) when the session knew them.
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    observations: list[str] = field(default_factory=list)
    skips: list[str] = field(default_factory=list)
    first_failure_request: int | None = None  # the process's request count when it first failed

    def merge(self, other: Entry) -> None:
        self.passed += other.passed
        firsts = [n for n in (self.first_failure_request, other.first_failure_request) if n is not None]
        self.first_failure_request = min(firsts) if firsts else None
        self.failed += other.failed
        for failure in other.failures:
            if len(self.failures) < MAX_KEPT and failure not in self.failures:
                self.failures.append(failure)
        for note in other.observations:
            if note not in self.observations and len(self.observations) < MAX_KEPT:
                self.observations.append(note)
        for reason in other.skips:
            if reason not in self.skips:
                self.skips.append(reason)


class Ledger:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.requests = 0
        self.peak_in_flight = (
            0  # the most requests this process had in flight at once (with workers': the sum of theirs)
        )
        self.errors: list[str] = []  # tests that broke for a reason other than a conformance failure
        self._lock = threading.Lock()

    def _entry(self, requirement: str) -> Entry:
        return self.entries.setdefault(requirement, Entry())

    def passed(self, requirement: str) -> None:
        with self._lock:
            self._entry(requirement).passed += 1

    def failed(
        self, requirement: str, message: str, reproduction: str = "", replay: dict[str, Any] | None = None
    ) -> None:
        record: dict[str, Any] = {"message": redaction.redact(message), "reproduction": redaction.redact(reproduction)}
        if replay is not None:
            record["replay"] = redacted(replay)
        with self._lock:
            entry = self._entry(requirement)
            entry.failed += 1
            if entry.first_failure_request is None:
                entry.first_failure_request = self.requests
            # Newest first: while Hypothesis shrinks, each smaller failing run is recorded after the
            # last, and the run it finally reports — the shrunk one — is the newest.
            if record in entry.failures:
                entry.failures.remove(record)
            entry.failures.insert(0, record)
            del entry.failures[MAX_KEPT:]

    def observed(self, requirement: str, note: str) -> None:
        with self._lock:
            entry = self._entry(requirement)
            note = redaction.redact(note)
            if note not in entry.observations and len(entry.observations) < MAX_KEPT:
                entry.observations.append(note)

    def skipped(self, requirement: str, reason: str) -> None:
        with self._lock:
            entry = self._entry(requirement)
            if reason not in entry.skips:
                entry.skips.append(reason)

    def error(self, text: str) -> None:
        with self._lock:
            self.errors.append(redaction.redact(text))

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "peak_in_flight": self.peak_in_flight,
            "errors": list(self.errors),
            # Plain JSON types all through: pytest-xdist's channel carries them, and summary.json holds them.
            "entries": {k: asdict(v) for k, v in self.entries.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ledger:
        ledger = cls()
        ledger.requests = int(data.get("requests", 0))
        ledger.peak_in_flight = int(data.get("peak_in_flight", 0))
        ledger.errors.extend(data.get("errors", []))
        for requirement, raw in data.get("entries", {}).items():
            ledger._entry(requirement).merge(Entry(**raw))
        return ledger

    def absorb(self, other: Ledger) -> None:
        """Add another process's outcomes to this one's."""
        with self._lock:
            self.requests += other.requests
            self.peak_in_flight += other.peak_in_flight  # the processes send side by side
            self.errors.extend(other.errors)
            for requirement, entry in other.entries.items():
                self._entry(requirement).merge(entry)

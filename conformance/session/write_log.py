"""The writes a session sent, indexed by the records each names: a failure's reproduction replays
first the earlier writes its steps rely on (``SuiteSession.reproduction``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from conformance.client import Exchange, request_text

_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")  # a sourcedId as a whole word of a request or an answer


@dataclass
class WriteLog:
    """The writes a session sent, indexed by the records each names."""

    entries: list[Exchange] = field(default_factory=list)
    by_name: dict[str, list[int]] = field(default_factory=dict)
    odd: set[str] = field(default_factory=set)  # names a token scan cannot find (other characters)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, exchange: Exchange, named: set[str]) -> None:
        with self._lock:  # concurrent tests log their writes: an entry's index must be its own
            self.entries.append(exchange)
            index = len(self.entries) - 1
            for name in named:
                self.by_name.setdefault(name, []).append(index)
                if not _TOKEN.fullmatch(name):
                    self.odd.add(name)

    def named_in(self, text: str) -> set[str]:
        """The logged names ``text`` mentions, as whole tokens (``-result-1`` is not in ``-result-17``)."""
        found = {t for t in _TOKEN.findall(text) if t in self.by_name}
        return found | {name for name in self.odd if name in text}

    def relied_on(self, texts: Sequence[str]) -> list[Exchange]:
        """The writes naming what ``texts`` mention, and what those writes' requests mention, in log order."""
        chosen: set[int] = set()
        pending = [name for text in texts for name in self.named_in(text)]
        seen = set(pending)
        while pending:
            for index in self.by_name.get(pending.pop(), []):
                if index in chosen:
                    continue
                chosen.add(index)
                for name in self.named_in(request_text(self.entries[index])) - seen:
                    seen.add(name)
                    pending.append(name)
        return [self.entries[i] for i in sorted(chosen)]

"""The garbage collector while the suite's tests run.

A run keeps what it built before its first test (modules, the parsed OpenAPI documents, schemathesis's
schemas, the session) until it ends, while case generation allocates and drops objects by the million.
CPython's collector rescans the long-lived part each time an older generation is collected, and with
its default thresholds it collects the young generation every 700 allocations: measured on a loopback
run, about 6 % of the run's CPU. Frozen, what exists at the first test is never scanned again, and the
young generation is collected less often; both are put back when the tests end, for a caller that
runs more than one run in a process. A caller that froze objects of its own (mypy's build does) keeps
them frozen: Python can only unfreeze everything, so then the run freezes nothing.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)
OLDER_THRESHOLD = 20  # young (and then middle) collections between older ones (default: 10)


@contextlib.contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Within the block, what exists on entry is left out of collections, and they run less often."""
    thresholds = gc.get_threshold()
    freezing = gc.get_freeze_count() == 0
    if freezing:
        gc.collect()
        gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if freezing:
            gc.unfreeze()

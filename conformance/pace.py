"""How many tests a run sends together, and in how many processes: ``--concurrency`` and ``--workers``,
and what ``auto`` means for each from the target's round trip (measured before the first test)."""

from __future__ import annotations

import math
import os
from typing import Any

from conformance.client import MAX_IN_FLIGHT
from conformance.target import ConfigError

# --concurrency auto: tests run together when the target is far enough for waiting to dominate; on a
# near target a thread switch costs more CPU than a round trip, and one test at a time is as fast.
# Farther away, enough tests run together to keep the client's one interpreter busy while the others
# wait: a round trip's worth of the CPU the client spends per request. Fewer than FAR_CONCURRENCY
# would leave it idle; more than that at 50 ms made each test wait on the others' CPU (16 took longer).
AUTO = 0
FAR_ROUND_TRIP = 0.010  # seconds
FAR_CONCURRENCY = 8
CPU_PER_REQUEST = 0.008  # seconds of the client's CPU per request, measured on a default run
MAX_AUTO_CONCURRENCY = 32
# --workers auto: on a far target, one process per core (at most MAX_AUTO_WORKERS), each running its
# part of the tests on --concurrency threads: one interpreter spends its whole core on the client's
# CPU well before the round trips are all it waits on (50 ms away, 8 tests at a time: 97 s in one
# process, 58 s in two; benchmarks/README.md). Near, one process, as before: the kill matrices and
# the project's own runs are measured that way, and a near target is most often on the same machine
# (the embedded server). ``--workers 2`` is 1.67x faster on loopback here, for whoever asks for it.
MAX_AUTO_WORKERS = 4
MAX_WORKERS = 64


def concurrency(raw: Any) -> int:
    """``--concurrency``: AUTO, or tests at a time in each process."""
    return _auto_or_whole("concurrency", raw, MAX_IN_FLIGHT)


def workers(raw: Any) -> int:
    """``--workers``: AUTO, or processes."""
    return _auto_or_whole("workers", raw, MAX_WORKERS)


def _auto_or_whole(name: str, raw: Any, high: int) -> int:
    if raw in (None, "", "auto"):
        return AUTO
    try:
        return whole(name, raw, AUTO, 1, high)
    except ConfigError:
        raise ConfigError(f"--{name} must be auto or a whole number from 1 to {high}, not {raw!r}") from None


def cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def workers_for(round_trip: float | None, available: int) -> int:
    """What ``--workers auto`` means for a target this many seconds away, on ``available`` cores."""
    if round_trip is None or round_trip < FAR_ROUND_TRIP:
        return 1
    return max(1, min(MAX_AUTO_WORKERS, available))


def concurrency_for(round_trip: float | None) -> int:
    """What ``--concurrency auto`` means for a target this many seconds away (None: not measured)."""
    if round_trip is None or round_trip < FAR_ROUND_TRIP:
        return 1
    busy = math.ceil(round_trip / CPU_PER_REQUEST) + 1  # one computing while the others wait
    return min(MAX_AUTO_CONCURRENCY, max(FAR_CONCURRENCY, busy))


def whole(name: str, raw: Any, default: int, low: int = 0, high: int | None = None) -> int:
    try:
        value = int(raw if raw not in (None, "") else default)
    except (TypeError, ValueError):
        value = -1
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else "non-negative"
        raise ConfigError(f"--{name} must be a {bound} whole number, not {raw!r}")
    return value

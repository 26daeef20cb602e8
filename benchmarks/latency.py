"""The benchmark's rows for a target that is far away: what users live with.

Every other row runs against a server on loopback, where a request costs microseconds. Here the
reference server waits before each request (``serve --latency-ms``), as a server in the same region
(50 ms) or on another continent (150 ms) would, and each delay gets:

- the suite's default run against that server (``--concurrency auto``: 8 tests run together when
  the round trip is 10 ms or more, one more per 8 ms beyond 64 ms);
- ``schemathesis run`` with as many ``--workers`` as the suite may have requests in flight, and the
  ``--max-examples`` at which it sends as many requests as the suite's run at that delay: calibrated
  there, from the one-worker figure found on loopback, since its workers send fewer requests per example;
- the physical floor: requests times delay over requests in flight — what a run that only waited would
  take. The ratio of the wall time to it says how far the run is from being latency-bound.

The delays are given with ``bench.py --latency 0,50,150``; at 150 ms a run of one request at a time
takes many minutes, which is the point of measuring it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

# What a run far away is held to, by delay: the default run's wall time at most.
WALL_AT_MOST = {50: 60.0, 150: 150.0}
VS_SCHEMATHESIS_AT_LEAST = 3.0  # suite req/s against schemathesis's, at the same delay and workers


@dataclass
class Far:
    """One measurement against a distant server."""

    delay_ms: int
    row: Any  # bench.Row
    kind: str  # "suite" or "schemathesis"
    in_flight: int  # the suite's limit (summary.json), schemathesis's workers

    @property
    def floor_s(self) -> float:
        return self.row.requests * self.delay_ms / 1000 / self.in_flight


def delays(raw: str) -> list[int]:
    """``--latency``'s value: comma-separated whole milliseconds."""
    try:
        found = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--latency takes whole milliseconds such as 0,50,150, not {raw!r}") from None
    if not found or any(not 0 <= d <= 10_000 for d in found):
        raise argparse.ArgumentTypeError(f"--latency takes delays from 0 to 10000 ms, not {raw!r}")
    return found


def measure(args: argparse.Namespace, work: Path, examples: int | None, bench: ModuleType) -> list[Far]:
    """Each delay of ``args.latency``: the suite's default run and, when the loopback calibration
    ran (``examples``), schemathesis, each against a fresh reference server that far away."""
    from conformance.reference import embedded

    measured: list[Far] = []
    for delay in args.latency:
        with embedded.start(latency_ms=delay) as server:
            row, _ = bench.suite_run(args, work, label=f" - {delay} ms away", target=server)
        in_flight = row.in_flight
        measured.append(Far(delay, row, "suite", in_flight))
        if examples is None:
            continue
        row, _ = bench.schemathesis_row(
            args,
            work,
            row.requests,
            workers=in_flight,
            delay_ms=delay,
            start=examples,
            name=f"`schemathesis run` at {delay} ms",
        )
        measured.append(Far(delay, row, "schemathesis", in_flight))
    return measured


def verdicts(measured: list[Far]) -> dict[str, dict[str, Any]]:
    """The targets a distant run is held to, where this invocation measured them."""
    found: dict[str, dict[str, Any]] = {}
    suites = {far.delay_ms: far for far in measured if far.kind == "suite"}
    peers = {far.delay_ms: far for far in measured if far.kind == "schemathesis"}
    for delay, limit in WALL_AT_MOST.items():
        if delay in suites:
            wall = suites[delay].row.wall_s
            found[f"far_{delay}_wall"] = {
                "target": f"default run at {delay} ms ≤ {limit:.0f} s",
                "value": wall,
                "shown": f"{wall:.1f} s",
                "met": wall <= limit,
            }
    for delay in sorted(set(suites) & set(peers)):
        if delay == 0:
            continue
        ratio = suites[delay].row.rps / peers[delay].row.rps if peers[delay].row.rps else 0.0
        found[f"far_{delay}_vs_schemathesis"] = {
            "target": f"suite req/s at {delay} ms ≥ {VS_SCHEMATHESIS_AT_LEAST:.0f}× schemathesis CLI's",
            "value": ratio,
            "shown": f"{ratio:.2f}×",
            "met": ratio >= VS_SCHEMATHESIS_AT_LEAST,
        }
    return found


def table(measured: list[Far], found: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| delay | measurement | wall s | requests | req/s | floor s | wall ÷ floor | target | measured | met |",
        "|--:|---|--:|--:|--:|--:|--:|---|--:|---|",
    ]
    for far in measured:
        row = far.row
        key = f"far_{far.delay_ms}_wall" if far.kind == "suite" else f"far_{far.delay_ms}_vs_schemathesis"
        entry = found.get(key)
        cells = f"{entry['target']} | {entry['shown']} | {'yes' if entry['met'] else '**no**'}" if entry else " | | "
        ratio = f"{row.wall_s / far.floor_s:.2f}" if far.floor_s else "—"
        name = f"{row.name} ({row.notes}; load {row.load:.1f} at start)"
        lines.append(
            f"| {far.delay_ms} ms | {name} | {row.wall_s:.1f} | {row.requests:,} | {row.rps:,.0f} "
            f"| {far.floor_s:.1f} | {ratio} | {cells} |"
        )
    return "\n".join(lines)
